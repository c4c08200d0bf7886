from odoo import _, models

from odoo.addons.retail_connector.engine.order_import import OrderImporter
from odoo.addons.retail_connector.errors import DataError

from ..const import ORDER_FIELDS, ORDER_ITEM_FIELDS
from ..exporters.product import quote as soql_quote
from ..mappers import SalesforceOrderMapper

GONE_CODES = ("NOT_FOUND", "ENTITY_IS_DELETED")


class RetailBackend(models.Model):
    """Salesforce flow in: activated Orders (sales-assisted channel) → sale orders."""

    _inherit = "retail.backend"

    def _sf_order_fetcher(self, adapter):
        """``fetch(since)`` of activated Orders changed since ``since``."""

        def fetch(since):
            soql = "SELECT Id, Status, SystemModstamp FROM Order WHERE Status = 'Activated'"
            if since:
                soql += f" AND SystemModstamp > {since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
            soql += " ORDER BY SystemModstamp, Id"
            for record in adapter.iter_query(soql):
                yield record["Id"], record["SystemModstamp"], record

        return fetch

    def _sf_order_call(self, event):
        """Call step of an Order event: read the Order, its items and its Account.

        :returns: ``{"order", "items", "account"}``, or ``{"gone": report}`` for an Order
            deleted or not activated
        """
        from ..adapter import SalesforceAdapter

        record_id = event.external_id or (event._payload_json() or {}).get("Id")
        if not record_id:
            raise DataError(_("The Order event names no Salesforce Id."))
        adapter = SalesforceAdapter(self)
        try:
            order = adapter.get("Order", record_id, fields=ORDER_FIELDS)
        except DataError as error:
            if error.details.get("error_code") in GONE_CODES:
                return {"gone": f"Order {record_id} is deleted in Salesforce: nothing imported"}
            raise
        if order.get("Status") != "Activated":
            number = order.get("OrderNumber") or record_id
            return {"gone": f"Order {number} is {order.get('Status')}: imported once activated"}
        items = adapter.query_all(
            f"SELECT {', '.join(ORDER_ITEM_FIELDS)} FROM OrderItem "
            f"WHERE OrderId = {soql_quote(order['Id'])} ORDER BY Id")
        if not items:
            raise DataError(_("Order %s has no products: add them in Salesforce, then retry.",
                              order.get("OrderNumber") or record_id))
        object_name, read_fields, _mapper, _field = self._sf_flow("account")
        account = adapter.get(object_name, order["AccountId"], fields=read_fields)
        return {"order": order, "items": items, "account": account}

    def _sf_import_order(self, event, prepared=None):
        """Import the Order the call step read (read here when called directly), with its
        Account, through the core importer."""
        direct = prepared is None
        if direct:
            prepared = self._sf_order_call(event)
        if "gone" in prepared:
            return prepared["gone"]
        account = prepared["account"]
        self._sf_import_customer_record("account", account, prepared)
        _object, _fields, mapper, _field = self._sf_flow("account")
        canonical = SalesforceOrderMapper.order_to_canonical(
            prepared["order"], prepared["items"], mapper(account),
            self.company_id.currency_id.name)
        result = OrderImporter(self).import_order(canonical)
        if direct:
            self._run_event_then(prepared)
        return result
