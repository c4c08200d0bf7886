import functools
import logging

from odoo import _, models

from odoo.addons.retail_connector.canonical import Shipment, from_dict
from odoo.addons.retail_connector.engine.importers import PartnerImporter
from odoo.addons.retail_connector.engine.intake import known_poll_versions, poll_into_inbox
from odoo.addons.retail_connector.engine.order_import import OrderImporter
from odoo.addons.retail_connector.engine.refund_import import RefundImporter
from odoo.addons.retail_connector.errors import DataError

from .. import const
from ..adapter import ShopifyAdapter
from ..graphql import fulfillment as fulfillment_documents
from ..graphql import orders as order_documents
from ..mappers import customer_from_rest, order_from_rest, refund_from_rest
from ..mappers.graphql import customer_to_rest, legacy_id, order_to_rest, transaction_to_rest
from ..mappers.order import CAPTURED_STATUSES, payments_from_transactions

_logger = logging.getLogger(__name__)

# Webhook topics imported by the core: REST payload mapper, core importer, its method.
IMPORT_TOPICS = {
    "orders/create": (order_from_rest, OrderImporter, "import_order"),
    "orders/updated": (order_from_rest, OrderImporter, "import_order"),
    "orders/paid": (order_from_rest, OrderImporter, "import_order"),
    "orders/cancelled": (order_from_rest, OrderImporter, "import_order"),
    "customers/create": (customer_from_rest, PartnerImporter, "import_customer"),
    "customers/update": (customer_from_rest, PartnerImporter, "import_customer"),
    "refunds/create": (refund_from_rest, RefundImporter, "import_refund"),
}
# Catch-up flows: checkpoint flow, inbox topic (shared with the webhook), poller method.
CATCH_UP_FLOWS = (
    ("orders", "orders/updated", "_shopify_poll_orders"),
    ("customers", "customers/update", "_shopify_poll_customers"),
)
# Customers a page: their addresses (addressesV2, a connection) make a page of 100 cost more
# than the 1,000-point cap.
CUSTOMERS_PAGE_SIZE = 80
# Fulfillment order statuses that can still take a fulfillment.
OPEN_FULFILLMENT_STATUSES = frozenset({"OPEN", "IN_PROGRESS", "SCHEDULED"})


def _since(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


class RetailBackend(models.Model):
    """Shopify inbound flows (orders, customers, refunds) and fulfilments out."""

    _inherit = "retail.backend"

    # ------------------------------------------------------------------
    # Inbound
    # ------------------------------------------------------------------
    def _shopify_import_event(self, topic, event):
        """Map a REST-shaped payload (webhook or catch-up) and hand it to the core."""
        mapper, importer, method = IMPORT_TOPICS[topic]
        payload = event._payload_json()
        if not isinstance(payload, dict):
            raise DataError(_("The %s payload is not a JSON object.", topic))
        try:
            record = mapper(payload)
        except DataError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise DataError(
                _(
                    "The %(topic)s payload is malformed (%(error)s): check the event's payload.",
                    topic=topic,
                    error=error,
                )
            ) from error
        if record is None:
            raise DataError(_("The %s payload is empty.", topic))
        if importer is OrderImporter and self._shopify_needs_transactions(payload):
            # Mapped (so checked) first; the transactions are read only for a valid order.
            transactions = self._shopify_order_transactions(payload)
            record.payments = payments_from_transactions(transactions, record.currency)
            record.payments_complete = True
        return getattr(importer(self), method)(record)

    @staticmethod
    def _shopify_needs_transactions(payload):
        """Money was taken and the payload does not say how (webhooks never do)."""
        if payload.get("test") or payload.get("cancelled_at"):
            return False
        return (payload.get("financial_status") or "") in CAPTURED_STATUSES

    def _shopify_order_transactions(self, payload):
        """The order's transactions (REST shape), read over GraphQL."""
        if isinstance(payload.get("transactions"), list):
            return payload["transactions"]
        gid = payload.get("admin_graphql_api_id") or f"gid://shopify/Order/{payload['id']}"
        data = ShopifyAdapter(self).execute(order_documents.ORDER_TRANSACTIONS, {"id": gid})
        order = data.get("order")
        if not order:
            raise DataError(
                _("Order %s is unknown to Shopify: its payments cannot be read.", payload["id"])
            )
        return [transaction_to_rest(node) for node in order.get("transactions") or []]

    def _shopify_app_uninstalled(self, event):
        """The shop removed the app: tell the responsible; calls will fail until reinstalled."""
        message = _(
            "The app was uninstalled from %(shop)s: reinstall it and update the credentials, "
            "then use Test Connection.",
            shop=self.shopify_shop_domain,
        )
        self.message_post(body=message)
        self._alert("uninstalled", message)
        return self

    def _catch_up(self):
        if self.backend_type != "shopify":
            return super()._catch_up()
        adapter = ShopifyAdapter(self)
        counts = []
        for flow, topic, poller in CATCH_UP_FLOWS:
            fetch = functools.partial(getattr(self, poller), adapter)
            counts.append(f"{poll_into_inbox(self, flow, topic, fetch)} {flow}")
        return _("polled %s", ", ".join(counts))

    def _shopify_poll_orders(self, adapter, since):
        """Yield (id, updated_at, REST payload) of the orders updated since ``since``.

        Two passes: the ids and update times of a page of 250 orders (a few points), then the
        full orders of that page whose version the inbox does not hold yet, a few at a time.
        The overlap window and a backlog read before cost almost nothing (a 300 s overlap
        over a 200-order burst used to re-read 30 full pages, minutes under a halved
        restore rate).
        """
        variables = {"query": order_documents.updated_since_filter(_since(since))}
        page = []
        for node in adapter.paginate(
            order_documents.ORDERS_UPDATED_IDS, variables, page_size=const.MAX_PAGE_SIZE
        ):
            page.append(node)
            if len(page) == const.MAX_PAGE_SIZE:
                yield from self._shopify_poll_order_page(adapter, page)
                page = []
        yield from self._shopify_poll_order_page(adapter, page)

    def _shopify_poll_order_page(self, adapter, page):
        versions = [(str(node["legacyResourceId"]), node.get("updatedAt")) for node in page]
        known = known_poll_versions(self, "orders", versions)
        wanted = [
            node["id"] for node, version in zip(page, versions, strict=True) if version not in known
        ]
        size = order_documents.ORDERS_PAGE_SIZE
        for start in range(0, len(wanted), size):
            data = adapter.execute(
                order_documents.ORDERS_BY_IDS, {"ids": wanted[start : start + size]}
            )
            for node in data.get("nodes") or []:
                if not node:
                    continue  # deleted since the first pass
                lines = list(self._shopify_order_lines(adapter, node))
                payload = order_to_rest(node, lines)
                yield str(payload["id"]), node.get("updatedAt"), payload

    @staticmethod
    def _shopify_order_lines(adapter, node):
        connection = node.get("lineItems") or {}
        yield from connection.get("nodes") or []
        if (connection.get("pageInfo") or {}).get("hasNextPage"):
            rest = adapter.paginate(
                order_documents.ORDER_LINE_ITEMS,
                {"id": node["id"]},
                path=("order", "lineItems"),
                page_size=order_documents.ORDER_LINES_PAGE_SIZE,
            )
            # The first page was read already: skip as many lines as it had.
            for index, line in enumerate(rest):
                if index >= len(connection.get("nodes") or []):
                    yield line

    def _shopify_poll_customers(self, adapter, since):
        variables = {"query": order_documents.updated_since_filter(_since(since))}
        for node in adapter.paginate(
            order_documents.CUSTOMERS_UPDATED_SINCE, variables, page_size=CUSTOMERS_PAGE_SIZE
        ):
            payload = customer_to_rest(node)
            yield str(payload["id"]), node.get("updatedAt"), payload

    # ------------------------------------------------------------------
    # Fulfilments out
    # ------------------------------------------------------------------
    def _shopify_send_shipment(self, event):
        """Create the fulfilment of a validated delivery and bind the picking to it."""
        shipment = from_dict(Shipment, event._payload_json())
        picking = self.env["stock.picking"].browse(event.res_id).exists()
        adapter = ShopifyAdapter(self)
        data = adapter.execute(
            fulfillment_documents.ORDER_FULFILLMENT_ORDERS,
            {"id": f"gid://shopify/Order/{shipment.order_external_id}"},
        )
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
            return picking or "already fulfilled"
        result = adapter.mutate(
            fulfillment_documents.FULFILLMENT_CREATE,
            fulfillment_documents.fulfillment_create_variables(
                by_fulfillment_order, shipment.carrier, shipment.tracking_numbers,
                shipment.notify_customer),
        )
        fulfillment_id = legacy_id(((result or {}).get("fulfillment") or {}).get("id"))
        if picking and fulfillment_id:
            self.env["retail.picking.binding"]._bind(self, fulfillment_id, picking)
        return picking or f"fulfillment {fulfillment_id}"

    def _shopify_update_tracking(self, event):
        """A tracking number added or corrected after shipping updates the fulfilment."""
        shipment = from_dict(Shipment, event._payload_json())
        ShopifyAdapter(self).mutate(
            fulfillment_documents.FULFILLMENT_TRACKING_UPDATE,
            fulfillment_documents.tracking_update_variables(
                shipment.order_external_id, shipment.carrier, shipment.tracking_numbers),
        )
        return _("tracking of fulfillment %s updated", shipment.order_external_id)

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

    # ------------------------------------------------------------------
    # Reconciliation
    # ------------------------------------------------------------------
    def _reconcile_supported(self):
        return self.backend_type == "shopify" or super()._reconcile_supported()

    def _reconcile_orders(self, date_from, date_to):
        """Yield (canonical order, REST payload) of the orders updated in the window."""
        if self.backend_type != "shopify":
            yield from super()._reconcile_orders(date_from, date_to)
            return
        adapter = ShopifyAdapter(self)
        query = f"updated_at:>='{date_from}T00:00:00Z' updated_at:<='{date_to}T23:59:59Z'"
        for node in adapter.paginate(
            order_documents.ORDERS_UPDATED_SINCE,
            {"query": query},
            page_size=order_documents.ORDERS_PAGE_SIZE,
        ):
            payload = order_to_rest(node, list(self._shopify_order_lines(adapter, node)))
            yield order_from_rest(payload), payload

    def _reconcile_reimport_topic(self):
        if self.backend_type == "shopify":
            return "orders/updated"
        return super()._reconcile_reimport_topic()
