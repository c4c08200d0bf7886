# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What differs between the Odoo series this code base runs on (18.0 and 19.0).

The three addons are one code base for every series: where Odoo's API differs, the difference
lives here and nowhere else, and the rest of the code (channel addons included) uses these
names. Each entry says what changed; when 18.0 is no longer supported, the 19.0 side of each
entry replaces its uses and the entry goes.
"""

import contextlib

from odoo import models, release

SERIES = release.version_info[0]

# sale.order.line's taxes: ``tax_id`` (18.0) was renamed ``tax_ids`` (19.0).
SALE_LINE_TAXES = "tax_ids" if SERIES >= 19 else "tax_id"

# Users of a group and groups of a user: ``res.groups.users`` / ``res.users.groups_id`` (18.0)
# became ``user_ids`` / ``group_ids`` (19.0).
GROUP_USERS = "user_ids" if SERIES >= 19 else "users"
USER_GROUPS = "group_ids" if SERIES >= 19 else "groups_id"

# Accounts that can be booked to: ``account.account.deprecated`` (18.0) became ``active``
# (19.0), which searches filter by themselves. A domain of a field, as text.
USABLE_ACCOUNTS = "[]" if SERIES >= 19 else "[('deprecated', '=', False)]"


def sql_constraints(namespace, constraints):
    """Declare SQL constraints in a model's class body, whatever the series.

    ``namespace`` is the class body's ``locals()``; ``constraints`` are ``(name, definition,
    message)`` as in 18.0's ``_sql_constraints``, which 19.0 ignores (with a warning) in favour
    of ``_<name> = models.Constraint(definition, message)`` attributes. Both give the database
    constraint the same name, ``<table>_<name>``, so a database moves between series as is.
    """
    if SERIES >= 19:
        for name, definition, message in constraints:
            namespace[f"_{name}"] = models.Constraint(definition, message)
    else:
        namespace["_sql_constraints"] = list(constraints)


def classify_groups(env, category_xmlid, privilege_xmlid, group_xmlids):
    """Put the groups ``group_xmlids`` under the application category ``category_xmlid``.

    18.0 sets ``res.groups.category_id``; 19.0 puts groups under a privilege
    (``res.groups.privilege``, itself in the category) through ``privilege_id``. The privilege
    is loaded as the XML data of the module would be (same name, description and sequence as
    the category, external id ``privilege_xmlid``), so that it follows updates and uninstalls.
    """
    category = env.ref(category_xmlid)
    groups = env["res.groups"].browse([env.ref(xmlid).id for xmlid in group_xmlids])
    if SERIES < 19:
        groups.write({"category_id": category.id})
        return
    privilege = env["res.groups.privilege"]._load_records([{
        "xml_id": privilege_xmlid,
        "values": {
            "name": category.name,
            "description": category.description,
            "sequence": category.sequence,
            "category_id": category.id,
        },
        "noupdate": False,
    }])
    groups.write({"privilege_id": privilege.id})


def add_group_users(env, group_xmlid, user_xmlids):
    """Add the users ``user_xmlids`` to the group ``group_xmlid`` (see ``GROUP_USERS``)."""
    users = [env.ref(xmlid, raise_if_not_found=False) for xmlid in user_xmlids]
    env.ref(group_xmlid).write({GROUP_USERS: [(4, user.id) for user in users if user]})


def call_kw(model, name, args, kwargs):
    """Call a model method as an RPC call does: ``odoo.api.call_kw`` (18.0) moved to
    ``odoo.service.model.call_kw`` (19.0), which also refuses private methods itself."""
    if SERIES >= 19:
        from odoo.service.model import call_kw as rpc_call
    else:
        from odoo.api import call_kw as rpc_call
    return rpc_call(model, name, args, kwargs)


def registry_test_mode(case):
    """Make new cursors of the registry share the test's transaction until the test ends:
    ``registry.enter_test_mode(cr)`` / ``leave_test_mode()`` (18.0) became the test case's
    ``registry_enter_test_mode()`` (19.0), which registers its own cleanup."""
    if SERIES >= 19:
        case.registry_enter_test_mode()
    else:
        case.registry.enter_test_mode(case.cr)
        case.addCleanup(case.registry.leave_test_mode)


def outside_requests(case):
    """Context manager under which an HttpCase serves requests that do not come from its
    own opener or browser (a sandbox calling Odoo back): 18.0 serves them anyway; 19.0 refuses
    a request without the test's cursor cookie unless told with ``allow_requests``."""
    if SERIES >= 19:
        return case.allow_requests(all_requests=True)
    return contextlib.nullcontext()


def new_transaction(registry):
    """The ORM transaction object of a new cursor: ``odoo.api.Transaction`` (18.0) moved to
    ``odoo.orm.environments.Transaction`` (19.0)."""
    if SERIES >= 19:
        from odoo.orm.environments import Transaction
    else:
        from odoo.api import Transaction
    return Transaction(registry)


def registry_in_test_mode(registry):
    """Whether new cursors of ``registry`` share a test's transaction: 18.0 asks the registry
    (``in_test_mode()``); 19.0 patches the registry from the running test case, which says so."""
    if SERIES < 19:
        return registry.in_test_mode()
    from odoo.modules import module

    test = module.current_test
    return bool(test) and bool(getattr(type(test), "_registry_patched", False))


def stock_move_values(description, **values):
    """Values of a new ``stock.move``: 18.0 requires its description as ``name``; 19.0
    dropped the field."""
    if SERIES < 19:
        values["name"] = description
    return values
