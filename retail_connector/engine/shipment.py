"""Shipments out: a validated delivery of a channel order becomes an outbound event.

The event carries a canonical :class:`~..canonical.Shipment` built from the picking; the
channel addon's handler of topic ``shipment`` sends it (for Shopify, a fulfillment) and binds
the picking to what the channel created. Going through the event queue gives shipments the
same retries, circuit breaking and exception queue as everything else.
"""

from ..canonical import Shipment, ShipmentLine, to_dict
from .intake import store_event

SHIPMENT_TOPIC = "shipment"
TRACKING_TOPIC = "shipment/tracking"


def shipment_from_picking(picking):
    """Build the canonical shipment of a done delivery (quantities per channel line)."""
    # sudo: the validator of a delivery may be a warehouse user with no Retail group; the order's
    # binding names the channel
    order_binding = picking.sale_id.sudo().retail_binding_ids[:1]
    quantities = {}
    for move in picking.move_ids.filtered(lambda m: m.state == "done" and m.sale_line_id):
        line = move.sale_line_id
        key = (line.retail_external_line_id or "", line.product_id.default_code or "")
        quantities[key] = quantities.get(key, 0.0) + move.quantity
    return Shipment(
        order_external_id=order_binding.external_id,
        carrier=picking.retail_carrier_name or "",
        tracking_numbers=[picking.retail_tracking_ref] if picking.retail_tracking_ref else [],
        lines=[
            ShipmentLine(sku=sku, quantity=quantity, order_line_external_id=external)
            for (external, sku), quantity in sorted(quantities.items())
            if external and not external.startswith("shipping:")
        ],
    )


def queue_shipments(pickings):
    """Store one outbound shipment event per done delivery of a channel order."""
    for picking in pickings:
        # sudo: the validator of a delivery may be a warehouse user with no Retail group; the
        # order's binding names the channel
        backend = picking.sale_id.sudo().retail_backend_id
        if (
            picking.picking_type_code != "outgoing"
            or picking.state != "done"
            or not backend.active
            or backend._get_event_handler(SHIPMENT_TOPIC) is None
        ):
            continue
        shipment = shipment_from_picking(picking)
        if not shipment.lines:
            continue
        # Stored and sent as the backend's integration user, whoever validated the delivery
        # (a backend without one refuses the validation with what to fix).
        event, _created = store_event(
            backend._as_integration_user(),
            SHIPMENT_TOPIC,
            to_dict(shipment),
            f"shipment:picking:{picking.id}",
            external_id=picking.name,
            direction="out",
        )
        event.with_context(retail_event_internal=True).write(
            {"res_model": "stock.picking", "res_id": picking.id}
        )


def queue_tracking_updates(pickings):
    """A tracking number set or corrected after shipping: one outbound event per change."""
    for picking in pickings:
        # sudo: the validator of a delivery may be a warehouse user with no Retail group; the
        # order's binding names the channel
        backend = picking.sale_id.sudo().retail_backend_id
        # sudo: the validator of a delivery may be a warehouse user with no Retail group; the
        # order's binding names the channel
        binding = picking.sudo().retail_binding_ids.filtered(
            lambda b, backend=backend: b.backend_id == backend
        )[:1]
        if (
            picking.state != "done"
            or not binding
            or not backend.active
            or backend._get_event_handler(TRACKING_TOPIC) is None
        ):
            continue
        shipment = Shipment(
            order_external_id=binding.external_id,
            carrier=picking.retail_carrier_name or "",
            tracking_numbers=[picking.retail_tracking_ref] if picking.retail_tracking_ref else [],
        )
        store_event(
            backend._as_integration_user(),
            TRACKING_TOPIC,
            to_dict(shipment),
            f"tracking:picking:{picking.id}:{picking.retail_carrier_name}:"
            f"{picking.retail_tracking_ref}",
            external_id=binding.external_id,
            direction="out",
        )
