import json

from odoo.tests import tagged

from ..canonical import TaxLine, to_dict
from .test_order_import import OrderCase

WATCHED = (
    "sale.order",
    "sale.order.line",
    "res.partner",
    "account.move",
    "retail.event",
    "retail.value.mapping",
    "retail.order.binding",
)


@tagged("post_install", "-at_install")
class TestDryRun(OrderCase):
    def counts(self):
        return {
            model: self.env[model].sudo().with_context(active_test=False).search_count([])
            for model in WATCHED
        }

    def dry_run(self, order):
        wizard = self.env["retail.dry.run"].create(
            {
                "backend_id": self.backend.id,
                "topic": "order",
                "payload": json.dumps(to_dict(order)),
            }
        )
        wizard.action_run()
        return wizard

    def test_dry_run_shows_what_would_be_created_and_writes_nothing(self):
        before = self.counts()
        wizard = self.dry_run(self.make_order())
        self.assertEqual(wizard.outcome, "ok")
        self.assertIn("Would import", wizard.result)
        self.assertIn("Sales Order", wizard.result)
        self.assertIn("53.0", wizard.result)
        self.assertEqual(self.counts(), before)

    def test_dry_run_of_an_unmapped_tax_shows_the_error_and_writes_nothing(self):
        order = self.make_order()
        order.lines[0].taxes = [TaxLine(title="GST", rate=0.05, amount=1)]
        before = self.counts()
        wizard = self.dry_run(order)
        self.assertEqual(wizard.outcome, "data")
        self.assertIn("No tax mapping for 'GST 5%'", wizard.result)
        self.assertIn("Would create a draft tax mapping", wizard.result)
        self.assertEqual(self.counts(), before)

    def test_dry_run_from_a_stored_event(self):
        event, _created = self.store(
            json.dumps(to_dict(self.make_order())), key="dr", topic="order"
        )
        wizard = self.env["retail.dry.run"].new({"event_id": event.id})
        wizard._onchange_event_id()
        self.assertEqual((wizard.topic, wizard.backend_id), ("order", self.backend))
        self.assertEqual(wizard.payload, event.payload)
