"""Server-side access checks of the connector's buttons: one helper for every channel.

A button hidden by ``groups=`` in a view can still be called over RPC. Every public method
of the connector's models that changes state or calls out is decorated with
:func:`requires_group`: the group that sees the button is the group that may call it. The
decorator records the group on the method (``retail_group``) so that a test can enumerate
the methods and check each one.
"""

import functools

from odoo.exceptions import AccessError

USER_GROUP = "retail_connector.group_retail_user"
MANAGER_GROUP = "retail_connector.group_retail_manager"


def check_group(env, group, action=""):
    """Raise AccessError unless the user has ``group`` (superuser mode passes: jobs, crons)."""
    if env.su or env.user.has_group(group):
        return
    name = env.ref(group, raise_if_not_found=False)
    # env._: there is no ``self`` here for Odoo 19's ``_`` to find the language from.
    raise AccessError(
        env._(
            "%(action)s is reserved to the group %(group)s.",
            action=action or env._("This action"),
            group=name.full_name if name else group,
        )
    )


def requires_group(group):
    """Decorate a model method: only users of ``group`` may call it."""

    def decorate(method):
        @functools.wraps(method)
        def guarded(self, *args, **kwargs):
            check_group(self.env, group, f"{self._name}.{method.__name__}")
            return method(self, *args, **kwargs)

        guarded.retail_group = group
        return guarded

    return decorate
