"""Reconciliation of the order status the CRM shows, for the sale orders of any channel.

For the sale orders a report checked, every Salesforce backend that sends order status reads
the status field of their Orders back, one SOQL query per 200 orders, and compares it with the
status Odoo would send now (:func:`..exporters.order_status.order_status`). A difference is a
``crm_status`` mismatch whose fix sends the status again.
"""

import json
import logging

from odoo import _, models
from odoo.tools import split_every

from odoo.addons.retail_connector.engine.reconcile import Mismatch

from ..exporters.base import MAX_COLLECTION, is_placeholder
from ..exporters.order_status import STATUS_BINDING, order_status
from ..exporters.product import quote as soql_quote
from .outbound_triggers import salesforce_backends

_logger = logging.getLogger(__name__)

NOT_SENT = "not sent"
GONE = "no record in Salesforce"


def crm_status_mismatches(backend, sales, read_statuses):
    """Return the ``crm_status`` mismatches of ``sales`` on the Salesforce ``backend``.

    ``read_statuses(ids)`` returns ``{Salesforce Id: status}`` of the records that exist.
    """
    Binding = sales.env[STATUS_BINDING]
    bindings = Binding.search([("backend_id", "=", backend.id), ("odoo_id", "in", sales.ids)])
    binding_of = {binding.odoo_id.id: binding for binding in bindings}
    expected = {sale: order_status(sale) for sale in sales}
    expected = {sale: status for sale, status in expected.items() if status}
    sent = {
        sale: binding_of[sale.id].external_id
        for sale in expected
        if sale.id in binding_of and not is_placeholder(binding_of[sale.id].external_id)
    }
    remote = {record_id[:15]: status for record_id, status in read_statuses(
        list(dict.fromkeys(sent.values()))).items()}
    found = []
    for sale, status in expected.items():
        if sale not in sent:
            current, fixable = NOT_SENT, True
        elif sent[sale][:15] not in remote:
            current, fixable = GONE, False  # deleted in Salesforce: an update cannot fix it
        else:
            current, fixable = remote[sent[sale][:15]] or "none", True
        if current != status:
            found.append(Mismatch(
                "crm_status", sale.retail_external_name or sale.name, status, current, sale,
                reimport=fixable, payload={"salesforce_backend_id": backend.id}))
    return found


class RetailReconciliation(models.Model):
    _inherit = "retail.reconciliation"

    def _extra_mismatches(self, sales):
        return super()._extra_mismatches(sales) + self._sf_crm_status_mismatches(sales)

    def _sf_crm_status_mismatches(self, sales):
        """``crm_status`` mismatches of ``sales`` on every Salesforce backend sending status.

        A backend that cannot be read (outage, open circuit, bad field) is skipped with a note
        on the report: its statuses are not checked, nothing is reported as behind.
        """
        # sudo: a reconciliation compares the backend's orders whoever runs it (the nightly cron, a
        # Retail Manager who need not be a Sales user)
        sales = sales.sudo().filtered(lambda sale: sale.state in ("sale", "cancel"))
        found = []
        if not sales:
            return found
        for backend in salesforce_backends(self.env, sf_export_order_status=True):
            mine = sales.filtered(lambda sale, b=backend: sale.company_id == b.company_id)
            if not mine or not (backend.sf_order_status_field or "").strip():
                continue
            if backend._circuit_check():
                self._sf_note_unchecked(backend, _("its circuit is open"))
                continue
            outcome, value = backend._call_guarded(
                lambda b=backend, m=mine: crm_status_mismatches(b, m, b._sf_read_order_statuses)
            )
            if outcome == "done":
                found += value
            else:
                self._sf_note_unchecked(backend, str(value))
        return found

    def _sf_note_unchecked(self, backend, reason):
        _logger.warning("Reconciliation %s: CRM status on %s not checked: %s",
                        self.id, backend.name, reason)
        self.message_post(body=_(
            "The order status in Salesforce (%(backend)s) was not checked: %(reason)s",
            backend=backend.name, reason=reason))


class RetailReconciliationLine(models.Model):
    _inherit = "retail.reconciliation.line"

    def _fix_hint(self):
        if self.kind == "crm_status" and self.can_reimport:
            return _(" Send it again from the reconciliation report.")
        return super()._fix_hint()

    def _fix(self):
        """A CRM status behind is sent again: its status binding is exported anew."""
        if self.kind != "crm_status":
            return super()._fix()
        data = json.loads(self.payload or "{}")
        backend = self.env["retail.backend"].browse(
            data.get("salesforce_backend_id")).exists()
        # sudo: the fix of a reconciliation line resends an order's status; a Retail Manager need
        # not be a Sales user
        sale = self.env["sale.order"].sudo().browse(self.res_id).exists()
        if backend and sale:
            sale._sf_resend_status(backend)
        return self.env["retail.event"]


class RetailBackend(models.Model):
    _inherit = "retail.backend"

    def _sf_read_order_statuses(self, record_ids):
        """``{Id: status field}`` of the existing records among ``record_ids``, in bulk."""
        from ..adapter import SalesforceAdapter

        self.ensure_one()
        object_name = (self.sf_order_status_object or "Order").strip()
        field = self.sf_order_status_field.strip()
        adapter = SalesforceAdapter(self)
        statuses = {}
        for chunk in split_every(MAX_COLLECTION, record_ids):
            soql = (f"SELECT Id, {field} FROM {object_name} "
                    f"WHERE Id IN ({', '.join(soql_quote(i) for i in chunk)})")
            for record in adapter.iter_query(soql):
                statuses[record["Id"]] = record.get(field)
        return statuses


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _sf_resend_status(self, backend):
        """Send the status of these orders to ``backend`` again, even if Odoo thinks it did."""
        bindings = self.env[STATUS_BINDING].search(
            [("backend_id", "=", backend.id), ("odoo_id", "in", self.ids)])
        bindings.write({"sync_hash": False})
        self._sf_mark_status()
