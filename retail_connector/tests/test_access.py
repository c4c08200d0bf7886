"""Every public method of the connector's models checks its group on the server.

The methods are found, not listed: every public function that one of the three addons
defines first on a model (its own models, and the ones it adds to Odoo's). Each is called
as RPC calls it (``call_kw`` on records of the calling user) by an internal user without
connector groups, a Retail User and a Retail Manager.
"""

import inspect

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.retail_connector.compat import call_kw

from ..access import MANAGER_GROUP, USER_GROUP
from .common import RetailCase

ADDONS = ("odoo.addons.retail_connector.", "odoo.addons.retail_connector_")


class _Undo(Exception):
    """Rolls a call's savepoint back."""


def connector_methods(registry):
    """Yield ``(model, method name, group)`` of the public methods our addons define first."""
    for model_name in sorted(registry):
        cls = registry[model_name]
        if cls._abstract:
            continue
        for name in sorted(dir(cls)):
            if name.startswith("_"):
                continue
            definers = [k for k in cls.__mro__ if inspect.isfunction(vars(k).get(name))]
            if not definers or not definers[-1].__module__.startswith(ADDONS):
                continue
            groups = {getattr(vars(k)[name], "retail_group", None) for k in definers} - {None}
            yield model_name, name, (groups.pop() if len(groups) == 1 else None)


@tagged("post_install", "-at_install")
class TestAccessChecks(RetailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plain = new_test_user(cls.env, "rc_plain", groups="base.group_user")
        cls.user = new_test_user(
            cls.env, "rc_user", groups="base.group_user,retail_connector.group_retail_user"
        )
        cls.manager = new_test_user(
            cls.env, "rc_manager", groups="base.group_user,retail_connector.group_retail_manager"
        )
        from ..engine.intake import store_event

        cls.event, _created = store_event(cls.backend, "customer", "{}", "access-1")
        report = cls.env["retail.reconciliation"].create(
            {"backend_id": cls.backend.id, "date_from": "2026-01-01", "date_to": "2026-01-01"}
        )
        cls.env["retail.reconciliation.line"].create(
            {"reconciliation_id": report.id, "kind": "missing_order", "reference": "X1"}
        )

    def records(self, model, user):
        """Records the method is called on, as RPC would pass their ids."""
        if model == "retail.backend":
            return self.backend.ids
        if model == "retail.event":
            return self.event.ids
        if model == "retail.dry.run":  # a transient record belongs to its creator
            wizard = (
                self.env[model]
                .with_user(user)
                .sudo()
                .create({"backend_id": self.backend.id, "topic": "customer", "payload": "{}"})
            )
            return wizard.ids
        return self.env[model].sudo().search([], limit=1).ids

    def call(self, user, model, method):
        """``"ok"`` when the method ran past its checks, ``"denied"`` on AccessError."""
        try:
            with self.env.cr.savepoint():
                try:
                    ids = self.records(model, user)
                    call_kw(self.env[model].with_user(user), method, [ids], {})
                except AccessError:
                    raise
                except Exception:  # a UserError...: the method ran past its access check
                    pass
                raise _Undo()
        except _Undo:
            return "ok"
        except AccessError:
            return "denied"
        finally:
            self.env.invalidate_all()

    def test_every_public_method_checks_its_group(self):
        methods = list(connector_methods(self.env.registry))
        names = {(model, name) for model, name, _group in methods}
        # The enumeration finds the buttons of both channels and of the engine.
        for expected in (
            ("retail.backend", "action_sf_regenerate_outbound_token"),
            ("retail.backend", "action_sf_test_connection"),
            ("retail.backend", "action_circuit_reset"),
            ("retail.backend", "action_circuit_probe"),
            ("retail.backend", "action_shopify_test_connection"),
            ("retail.event", "action_retry"),
            ("retail.dry.run", "action_run"),
            ("res.partner", "action_open_retail_events"),
        ):
            self.assertIn(expected, names)
        unguarded = [(model, name) for model, name, group in methods if group is None]
        self.assertEqual(unguarded, [], "public methods without @requires_group")
        for model, name, group in methods:
            with self.subTest(model=model, method=name):
                self.assertEqual(self.call(self.plain, model, name), "denied")
                self.assertEqual(
                    self.call(self.user, model, name),
                    "ok" if group == USER_GROUP else "denied",
                )
                self.assertEqual(self.call(self.manager, model, name), "ok")
        self.assertIn(MANAGER_GROUP, {group for _m, _n, group in methods})
