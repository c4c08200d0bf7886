import functools
import logging

from odoo import _, models

from odoo.addons.retail_connector.engine.importers import PartnerImporter
from odoo.addons.retail_connector.engine.intake import known_poll_versions, poll_into_inbox
from odoo.addons.retail_connector.engine.order_import import OrderImporter
from odoo.addons.retail_connector.engine.refund_import import RefundImporter
from odoo.addons.retail_connector.errors import DataError

from .. import const
from ..adapter import ShopifyAdapter
from ..graphql import orders as order_documents
from ..mappers import customer_from_rest, order_from_rest, refund_from_rest
from ..mappers.graphql import (
    customer_to_rest,
    legacy_id,
    order_to_rest,
    refund_to_rest,
    transaction_to_rest,
)
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
# The refunds of a polled order that Odoo has neither booked nor received are stored under the
# webhook's topic, once per refund (poll key of this flow, refund id @ createdAt).
REFUND_TOPIC = "refunds/create"
REFUND_POLL_FLOW = "refunds"
# Customers a page: their addresses (addressesV2, a connection) make a page of 100 cost more
# than the 1,000-point cap.
CUSTOMERS_PAGE_SIZE = 80


def _since(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _all_nodes(adapter, node, path, document, page_size):
    """The nodes of the connection ``path[1]`` of ``node``: its first page, then the rest read
    with ``document`` (a query of ``path[0]`` by id) when the first page says there is more."""
    connection = node.get(path[1]) or {}
    first = connection.get("nodes") or []
    yield from first
    if (connection.get("pageInfo") or {}).get("hasNextPage"):
        rest = adapter.paginate(document, {"id": node["id"]}, path=path, page_size=page_size)
        # The first page was read already: skip as many nodes as it had.
        for index, item in enumerate(rest):
            if index >= len(first):
                yield item


class RetailBackend(models.Model):
    """Shopify inbound flows (orders, customers, refunds) and their reconciliation."""

    _inherit = "retail.backend"

    # ------------------------------------------------------------------
    # Inbound
    # ------------------------------------------------------------------
    def _shopify_map_event(self, topic, event):
        """Map a REST-shaped payload (webhook or catch-up): ``(payload, canonical record)``;
        a payload that cannot be mapped is a DataError naming the topic."""
        mapper = IMPORT_TOPICS[topic][0]
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
        return payload, record

    def _shopify_import_call(self, event):
        """Call step of the imported topics (before the import transaction, no row held):
        the transactions of a paid order, which webhooks never carry."""
        payload, _record = self._shopify_map_event(event.topic, event)
        if IMPORT_TOPICS[event.topic][1] is OrderImporter and self._shopify_needs_transactions(
            payload
        ):
            # Mapped (so checked) first; the transactions are read only for a valid order.
            return {"transactions": self._shopify_order_transactions(payload)}
        return {}

    def _shopify_import_event(self, topic, event, prepared=None):
        """Hand the mapped payload to the core importer; ``prepared`` is what the call step
        read (read here when the handler is called directly)."""
        _mapper, importer, method = IMPORT_TOPICS[topic]
        _payload, record = self._shopify_map_event(topic, event)
        if prepared is None:
            prepared = self._shopify_import_call(event)
        if "transactions" in prepared:
            record.payments = payments_from_transactions(prepared["transactions"], record.currency)
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
                # Stored after the order (poll_into_inbox): a refund webhook can be lost for
                # good, and the order's new version is the only trace the poll sees of it.
                refunds = self._shopify_unbooked_refunds(adapter, node, payload)
                yield str(payload["id"]), node.get("updatedAt"), payload, refunds

    def _shopify_unbooked_refunds(self, adapter, node, order_payload):
        """The refunds of a polled order that Odoo has neither booked (no binding) nor
        received (no ``refunds/create`` event, whatever its state: a failed one waits in the
        exception queue), each read in full: ``(topic, flow, refund id, createdAt, REST
        payload)`` as :func:`~odoo.addons.retail_connector.engine.intake.poll_into_inbox`
        stores them."""
        refunds = [refund for refund in node.get("refunds") or [] if refund]
        if not refunds:
            return []
        ids = [str(legacy_id(r.get("legacyResourceId") or r["id"])) for r in refunds]
        known = self._shopify_known_refunds(ids)
        unbooked = []
        for refund, refund_id in zip(refunds, ids, strict=True):
            if refund_id in known:
                continue
            data = adapter.execute(order_documents.REFUND_BY_ID, {"id": refund["id"]})
            full = data.get("refund")
            if not full:
                continue  # deleted since (a test order's refund)
            lines = list(self._shopify_refund_lines(adapter, full))
            payload = refund_to_rest(full, order_payload, lines)
            unbooked.append(
                (REFUND_TOPIC, REFUND_POLL_FLOW, refund_id, refund.get("createdAt"), payload)
            )
        return unbooked

    def _shopify_known_refunds(self, ids):
        """The refund ids among ``ids`` that are bound or have a ``refunds/create`` event."""
        domain = [("backend_id", "=", self.id), ("external_id", "in", ids)]
        bound = self.env["retail.refund.binding"].with_context(active_test=False).search(domain)
        received = self.env["retail.event"].search([*domain, ("topic", "=", REFUND_TOPIC)])
        return set(bound.mapped("external_id")) | set(received.mapped("external_id"))

    @staticmethod
    def _shopify_order_lines(adapter, node):
        return _all_nodes(
            adapter,
            node,
            ("order", "lineItems"),
            order_documents.ORDER_LINE_ITEMS,
            order_documents.ORDER_LINES_PAGE_SIZE,
        )

    @staticmethod
    def _shopify_refund_lines(adapter, node):
        return _all_nodes(
            adapter,
            node,
            ("refund", "refundLineItems"),
            order_documents.REFUND_LINE_ITEMS,
            order_documents.REFUND_LINES_PAGE_SIZE,
        )

    def _shopify_poll_customers(self, adapter, since):
        variables = {"query": order_documents.updated_since_filter(_since(since))}
        for node in adapter.paginate(
            order_documents.CUSTOMERS_UPDATED_SINCE, variables, page_size=CUSTOMERS_PAGE_SIZE
        ):
            payload = customer_to_rest(node)
            yield str(payload["id"]), node.get("updatedAt"), payload

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
