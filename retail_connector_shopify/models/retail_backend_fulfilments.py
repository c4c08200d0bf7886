"""Shopify fulfilments out: a validated delivery becomes a fulfillment, created once.

The call steps (``_shopify_shipment_call``, ``_shopify_tracking_call``) talk to Shopify
before the event's record transaction, with no row held; the handlers record what they did.
"""

from odoo import _, models

from odoo.addons.retail_connector.canonical import Shipment, from_dict
from odoo.addons.retail_connector.errors import DataError

from ..adapter import ShopifyAdapter
from ..graphql import fulfillment as fulfillment_documents
from ..mappers.graphql import legacy_id

# Fulfillment order statuses that can still take a fulfillment.
OPEN_FULFILLMENT_STATUSES = frozenset({"OPEN", "IN_PROGRESS", "SCHEDULED"})


class RetailBackend(models.Model):
    _inherit = "retail.backend"

    def _shopify_send_shipment(self, event, prepared=None):
        """Record the fulfilment of a validated delivery: bind the picking to it.
        ``prepared`` is what the call step did (done here when called directly)."""
        if prepared is None:
            prepared = self._shopify_shipment_call(event)
        picking = self.env["stock.picking"].browse(event.res_id).exists()
        fulfillment_id = prepared.get("fulfillment_id")
        if picking and fulfillment_id:
            self.env["retail.picking.binding"]._bind(self, fulfillment_id, picking)
        if event.pending_call:
            event.with_context(retail_event_internal=True).pending_call = False
        if picking:
            return picking
        return f"fulfillment {fulfillment_id}" if fulfillment_id else "already fulfilled"

    def _shopify_shipment_call(self, event):
        """Call step of a shipment: create its fulfilment in Shopify, once.

        Before ``fulfillmentCreate`` the fulfilments the order has are noted on the event
        (committed). A rerun after a crash between the call and its record finds that note:
        a fulfilment of this shipment's lines that Shopify has and the note did not list is
        the one that call made; it is adopted, not created again.

        :returns: ``{"fulfillment_id": id or None}``
        """
        shipment = from_dict(Shipment, event._payload_json())
        adapter = ShopifyAdapter(self)
        gid = f"gid://shopify/Order/{shipment.order_external_id}"
        if event.pending_call:
            made = self._shopify_unrecorded_fulfillment(adapter, gid, shipment, event)
            if made:
                return {"fulfillment_id": made}
        data = adapter.execute(fulfillment_documents.ORDER_FULFILLMENT_ORDERS, {"id": gid})
        order = data.get("order")
        if not order:
            raise DataError(
                _(
                    "Order %s is unknown to Shopify: the shipment cannot be sent.",
                    shipment.order_external_id,
                )
            )
        by_fulfillment_order, missing = self._shopify_allocate(shipment, order)
        if not by_fulfillment_order:
            if missing:
                raise DataError(
                    _(
                        "Shopify has nothing left to fulfil for lines %s of this order: it was "
                        "fulfilled or cancelled there. Ignore this event if that is right.",
                        ", ".join(sorted(missing)),
                    )
                )
            return {"fulfillment_id": None}
        known = [node["id"] for node in self._shopify_fulfillments(adapter, gid)]
        event._record_pending_call({"call": "fulfillmentCreate", "known_fulfillments": known})
        result = adapter.mutate(
            fulfillment_documents.FULFILLMENT_CREATE,
            fulfillment_documents.fulfillment_create_variables(
                by_fulfillment_order, shipment.carrier, shipment.tracking_numbers,
                shipment.notify_customer),
        )
        return {"fulfillment_id": legacy_id(((result or {}).get("fulfillment") or {}).get("id"))}

    @staticmethod
    def _shopify_fulfillments(adapter, gid):
        data = adapter.execute(fulfillment_documents.ORDER_FULFILLMENTS, {"id": gid})
        return (data.get("order") or {}).get("fulfillments") or []

    def _shopify_unrecorded_fulfillment(self, adapter, gid, shipment, event):
        """The id of the fulfilment an unrecorded ``fulfillmentCreate`` of ``event`` made, or
        None: one of this shipment's lines, not listed before that call, bound to no other
        picking."""
        known = set((event.pending_call or {}).get("known_fulfillments") or [])
        lines = {line.order_line_external_id for line in shipment.lines}
        Binding = self.env["retail.picking.binding"]
        for node in self._shopify_fulfillments(adapter, gid):
            if node["id"] in known:
                continue
            items = (node.get("fulfillmentLineItems") or {}).get("nodes") or []
            if not lines & {str(legacy_id((item.get("lineItem") or {}).get("id")))
                            for item in items}:
                continue
            fulfillment_id = legacy_id(node["id"])
            bound = Binding.search(
                [("backend_id", "=", self.id), ("external_id", "=", str(fulfillment_id))],
                limit=1,
            )
            if not bound or bound.odoo_id.id == event.res_id:
                return fulfillment_id
        return None

    def _shopify_update_tracking(self, event, prepared=None):
        """A tracking number added or corrected after shipping updates the fulfilment; the
        call step sent it (sent here when called directly)."""
        if prepared is None:
            self._shopify_tracking_call(event)
        shipment = from_dict(Shipment, event._payload_json())
        return _("tracking of fulfillment %s updated", shipment.order_external_id)

    def _shopify_tracking_call(self, event):
        """Call step of a tracking change: ``fulfillmentTrackingInfoUpdate`` sets the whole
        tracking, so sending it again after a crash changes nothing."""
        shipment = from_dict(Shipment, event._payload_json())
        ShopifyAdapter(self).mutate(
            fulfillment_documents.FULFILLMENT_TRACKING_UPDATE,
            fulfillment_documents.tracking_update_variables(
                shipment.order_external_id, shipment.carrier, shipment.tracking_numbers),
        )
        return {}

    @staticmethod
    def _shopify_allocate(shipment, order):
        """Spread the shipped quantities over the open fulfillment order lines.

        :returns: ``(lineItemsByFulfillmentOrder, missing)``: the input of fulfillmentCreate,
            and the channel lines that had nothing left to fulfil.
        """
        wanted = {}
        for line in shipment.lines:
            wanted[line.order_line_external_id] = wanted.get(line.order_line_external_id, 0) + int(
                line.quantity
            )
        allocation = []
        for fulfillment_order in (order.get("fulfillmentOrders") or {}).get("nodes") or []:
            if fulfillment_order.get("status") not in OPEN_FULFILLMENT_STATUSES:
                continue
            items = []
            for item in (fulfillment_order.get("lineItems") or {}).get("nodes") or []:
                line_id = str(legacy_id((item.get("lineItem") or {}).get("id")))
                take = min(wanted.get(line_id, 0), item.get("remainingQuantity") or 0)
                if take > 0:
                    items.append({"id": item["id"], "quantity": take})
                    wanted[line_id] -= take
            if items:
                allocation.append(
                    {
                        "fulfillmentOrderId": fulfillment_order["id"],
                        "fulfillmentOrderLineItems": items,
                    }
                )
        missing = {line_id for line_id, quantity in wanted.items() if quantity > 0}
        return allocation, missing
