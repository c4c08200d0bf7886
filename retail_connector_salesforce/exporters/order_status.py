"""Order status back to the CRM, for the orders of every channel.

Each sale order gets a status binding on every Salesforce backend of its company. Its status
(cancelled, refunded, paid, invoiced, shipped, confirmed: the first that applies) and the
tracking numbers of its done deliveries go to a field of a Salesforce Order:

* an order imported from this org updates its own Order (by Id);
* any other order (Shopify, generic, typed in Odoo) is upserted as a Draft Order by the order
  external id field (the sale order id) under its customer's Account. A customer without an
  Account gets one first through the accounts exporter; if that fails, the order's export
  fails naming the customer (the account's own failure is in the exception queue too).
"""

from odoo.addons.retail_connector.engine.outbound import bump_versions
from odoo.addons.retail_connector.errors import DataError, TransientError

from .account import AccountExporter
from .base import PLACEHOLDER_PREFIX, SalesforceExporter, is_placeholder

STATUS_BINDING = "retail.sf.status.binding"


def order_status(sale):
    """The status written to Salesforce, or ``None`` while the order is a quotation."""
    if sale.state == "cancel":
        return "cancelled"
    if sale.state != "sale":
        return None
    posted = sale.invoice_ids.filtered(lambda move: move.state == "posted")
    if posted.filtered(lambda move: move.move_type == "out_refund"):
        return "refunded"
    invoices = posted.filtered(lambda move: move.move_type == "out_invoice")
    if invoices and all(move.payment_state in ("paid", "in_payment") for move in invoices):
        return "paid"
    if invoices:
        return "invoiced"
    if done_deliveries(sale):
        return "shipped"
    return "confirmed"


def done_deliveries(sale):
    return sale.picking_ids.filtered(
        lambda p: p.state == "done" and p.picking_type_code == "outgoing")


def tracking(sale):
    refs = [p.retail_tracking_ref for p in done_deliveries(sale).sorted("id")
            if p.retail_tracking_ref]
    return ", ".join(refs) or None


class OrderStatusExporter(SalesforceExporter):
    binding_model = STATUS_BINDING

    def __init__(self, backend, flow="order_status"):
        super().__init__(backend, flow)
        self.object_name = (backend.sf_order_status_object or "Order").strip()
        self.status_field = (backend.sf_order_status_field or "").strip()
        self.tracking_field = (backend.sf_order_tracking_field or "").strip()
        self.external_id_field = backend._sf_external_id_field("sf_order_external_id_field")

    def build(self, binding):
        sale = binding.odoo_id
        if binding.from_odoo and is_placeholder(binding.external_id):
            # marked during its own import, before the order binding existed
            origin = sale.retail_binding_ids.filtered(lambda b: b.backend_id == self.backend)
            if origin:
                binding.write({"external_id": origin[:1].external_id, "from_odoo": False})
                self.remote_ids[binding.id] = binding.external_id
        status = order_status(sale)
        if not status or not self.status_field:
            return None
        record = {"status": {self.status_field: status}}
        if self.tracking_field:
            record["status"][self.tracking_field] = tracking(sale)
        if binding.from_odoo:
            record["create"] = {
                self.external_id_field: str(sale.id),
                "EffectiveDate": sale.date_order.date().isoformat(),
                "Status": "Draft",
                "Description": f"Odoo {sale.name}"
                + (f" ({sale.retail_external_name})" if sale.retail_external_name else ""),
            }
            record["partner_id"] = sale.partner_id.commercial_partner_id.id
        return record

    def send(self, items):
        failures = {}
        updates = [(binding, record) for binding, record in items
                   if not is_placeholder(self.remote_id(binding))]
        creates = [(binding, record) for binding, record in items
                   if is_placeholder(self.remote_id(binding))]
        if creates:
            accounts, names, busy = self.ensure_accounts(
                {record["partner_id"] for _b, record in creates})
            ready = []
            for binding, record in creates:
                account = accounts.get(record["partner_id"])
                if account:
                    ready.append((binding, {**record["create"], **record["status"],
                                            "AccountId": account}))
                elif record["partner_id"] in busy:
                    failures[binding.id] = TransientError(
                        f"The Account of customer {names.get(record['partner_id'])} is being "
                        "sent by another export: the order follows shortly.", retry_after=30)
                else:
                    failures[binding.id] = DataError(
                        f"Customer {names.get(record['partner_id'])} has "
                        "no Salesforce Account and none could be created: see the failed "
                        "'export/accounts' event, fix it, then retry this one.")
            if ready:
                # upserted by the order external id field: a rerun after a call whose outcome
                # was not recorded finds the Order created then
                results = self.adapter.collection_upsert(
                    self.object_name, self.external_id_field, [v for _b, v in ready])
                new_failures = self.collection_failures(ready, results)
                self.adopt_ids(ready, results, new_failures)
                failures.update(new_failures)
        if updates:
            rows = [{"id": self.remote_id(binding), **record["status"]}
                    for binding, record in updates]
            results = self.adapter.collection_update(self.object_name, rows)
            failures.update(self.collection_failures(updates, results))
        return failures

    def ensure_accounts(self, partner_ids):
        """``({partner id: Account Id}, {partner id: name}, {partner ids whose Account
        another export is sending})``, exporting the Accounts that are
        missing first (their own claim, call and record), with no transaction open across
        the calls: the bindings are read and marked in short transactions."""
        with self.transaction():
            found, names, _busy = self._current_accounts(partner_ids)
            missing = self.env["res.partner"].browse(
                [partner_id for partner_id in partner_ids if partner_id not in found])
            self._mark_accounts(missing)
        if not missing:
            return found, names, set()
        exporter = AccountExporter(self.backend)
        exporter.adapter = self.adapter
        exporter.same_transaction = self.same_transaction
        exporter.run()
        self.calls += exporter.calls
        with self.transaction():
            return self._current_accounts(partner_ids)

    def _current_accounts(self, partner_ids):
        partners = self.env["res.partner"].browse(partner_ids)
        bindings = self.env["retail.partner.binding"].search(
            [("backend_id", "=", self.backend.id), ("odoo_id", "in", partners.ids)])
        found = {b.odoo_id.id: b.external_id for b in bindings
                 if not is_placeholder(b.external_id)}
        # claimed by another run (its claim skipped by this one's account export)
        busy = {b.odoo_id.id for b in bindings if b.export_claimed_at}
        return found, {partner.id: partner.name for partner in partners}, busy

    def _mark_accounts(self, partners):
        """Bind ``partners`` to Accounts to create, or mark their bindings to send again."""
        Binding = self.env["retail.partner.binding"]
        bindings = Binding.search([("backend_id", "=", self.backend.id),
                                   ("odoo_id", "in", partners.ids)])
        for partner in partners - bindings.odoo_id:
            Binding.create({"backend_id": self.backend.id, "odoo_id": partner.id,
                            "external_id": f"{PLACEHOLDER_PREFIX}{partner.id}",
                            "export_pending": True})
        if bindings:
            bindings.write({"sync_hash": False})
            bump_versions(bindings)
