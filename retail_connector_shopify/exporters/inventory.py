"""Stock out: the available quantity of each bound variant at each mapped location.

``ShopifyInventoryExporter`` follows the engine's outbound path in separate transactions
(claim the dirty bindings and build canonical ``StockLevel`` lists in a short transaction,
commit, hash skip → batches sent with no row held, record the outcome in another short
transaction: a picking validated meanwhile neither waits nor is lost) and sends each batch with one
``inventorySetQuantities`` (name ``available``, reason ``correction``, at most 250 quantities:
``batch_size`` is 250 // mapped locations).

Compare-and-set: every quantity carries ``changeFromQuantity`` = the quantity we last sent
to that level (kept in the binding's ``shopify_stock_state``), or an explicit ``null`` for the
first push, which the contract defines as "skip the check". The mutation (and
``inventoryActivate``) carries ``@idempotent(key:)`` (required from 2026-04): the key is a hash
of the input and of the bindings' send sequence, so a job replayed after a crash gets
Shopify's first answer instead of a second adjustment. Shopify applies a batch all or nothing;
on ``userErrors``:

* ``IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED`` (the same key failed before, e.g. a failed event
  retried unchanged): sent once more with a fresh key, as Shopify asks;

* a stale compare (``CHANGE_FROM_QUANTITY_STALE``/``COMPARE_QUANTITY_STALE``): the level's
  current quantity is read and the entry is retried once in the follow-up call;
* ``ITEM_NOT_STOCKED_AT_LOCATION``: the item is activated there with the quantity;
* anything else: the entry is dropped, a failed outbound event names the SKU, and the rest of
  the batch is sent again.
"""

import hashlib
import json
import logging
import math
import uuid
from dataclasses import dataclass, field

from odoo.addons.retail_connector.canonical import StockLevel
from odoo.addons.retail_connector.engine.failures import record_outbound_failure
from odoo.addons.retail_connector.engine.outbound import Exporter, flow_marked_ids
from odoo.addons.retail_connector.engine.stock import available_quantities
from odoo.addons.retail_connector.errors import DataError

from ..graphql import catalog

_logger = logging.getLogger(__name__)

MAX_QUANTITIES = 250
STALE_CODES = {"CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE"}
NOT_STOCKED = "ITEM_NOT_STOCKED_AT_LOCATION"
PREVIOUS_ATTEMPT_FAILED = "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"


@dataclass
class InventoryRecord:
    """What an export sends for one variant: its levels at every mapped location."""

    inventory_item_id: str
    levels: list[StockLevel] = field(default_factory=list)


def record_failure(backend, flow, message, record=None, payload=None):
    """The open exception row of ``record`` in ``flow`` (one per record, updated)."""
    return record_outbound_failure(backend, flow, message, record=record, payload=payload)


class ShopifyInventoryExporter(Exporter):
    binding_model = "retail.product.binding"
    batch_size = MAX_QUANTITIES
    separate_transactions = True

    def __init__(self, backend, flow="stock", adapter=None):
        super().__init__(backend, flow)
        self.adapter = adapter or backend._shopify_adapter()
        self.mappings = backend._shopify_location_mappings()
        self.batch_size = max(1, MAX_QUANTITIES // max(1, len(self.mappings)))
        self.available = {}  # (product id, mapping id) -> available quantity
        self.failed = self.env[self.binding_model]
        self.failures = 0
        self.retried_stale = 0
        self.stock_state = {}  # binding id -> shopify_stock_state read at the claim
        self.remembered = set()  # binding ids whose stock state changed (to record)

    # ------------------------------------------------------------------
    # Engine hooks
    # ------------------------------------------------------------------
    def prepare(self):
        """Find the inventory item of dirty bindings that miss it (remote look-ups, before
        the claim; stored in a short transaction of its own)."""
        marked = flow_marked_ids(self.env, self.binding_model, self.backend.id, self.flow)
        missing = self.env[self.binding_model].search(
            [("backend_id", "=", self.backend.id), ("inventory_item_id", "=", False),
             "|", ("export_pending", "=", True), ("id", "in", marked)]
        )
        if missing and self.mappings:
            self._find_inventory_items(missing)

    def claimed_bindings(self, claimed):
        """The claimed bindings, their quantities at every mapped location read in one
        grouped query per location, in the claim's snapshot (the version it read)."""
        bindings = super().claimed_bindings(claimed)
        if not bindings:
            return bindings
        if not self.mappings:
            raise DataError(
                f"Backend {self.backend.name}: no complete location mapping; import the "
                "Shopify locations and map them to stock locations before exporting stock."
            )
        mappings = self.mappings.with_env(self.env)
        products = bindings.odoo_id
        for mapping in mappings:
            quantities = available_quantities(self.env, products, mapping.location_id)
            for product_id, quantity in quantities.items():
                self.available[(product_id, mapping.id)] = quantity
        for binding in bindings:
            self.stock_state[binding.id] = dict(binding.shopify_stock_state or {})
        return bindings

    def record_values(self, binding_id, outcome):
        values = {}
        if binding_id in self.remembered:
            values["shopify_stock_state"] = self.stock_state[binding_id]
        if binding_id in self.failed.ids:
            # sent again by the next export of any change, or by a reconciliation
            values["sync_hash"] = False
        return values

    def build(self, binding):
        if not binding.inventory_item_id:
            return None  # reported by _find_inventory_items
        product = binding.odoo_id
        levels = [
            StockLevel(
                inventory_item_id=binding.inventory_item_id,
                location_id=mapping.external_value,
                quantity=float(self._quantity(product, mapping)),
                sku=product.default_code or "",
            )
            for mapping in self.mappings
        ]
        return InventoryRecord(binding.inventory_item_id, levels)

    def run(self):
        report = super().run()
        _logger.info(
            "Shopify stock export of %s: %s, %s failed, %s stale retried",
            self.backend.name, report, self.failures, self.retried_stale,
        )
        return report

    def send(self, items):
        entries = []
        for binding, record in items:
            sent = self._state(binding).get("levels") or {}
            for level in record.levels:
                entries.append(
                    {
                        "binding": binding,
                        "level": level,
                        "change_from": sent.get(str(level.location_id)),
                    }
                )
        self._push(entries, retry_stale=True)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _quantity(self, product, mapping):
        available = self.available.get((product.id, mapping.id))
        if available is None:  # a binding built outside run()
            available = available_quantities(self.env, product, mapping.location_id)[product.id]
        return max(0, math.floor(available + 1e-9))

    def _state(self, binding):
        if binding.id not in self.stock_state:  # a binding built outside run()
            self.stock_state[binding.id] = dict(binding.shopify_stock_state or {})
        return self.stock_state[binding.id]

    def _find_inventory_items(self, bindings):
        """Look up the inventory item of bindings that miss it, by SKU; store those found
        (a short transaction, after the calls)."""
        found = {}
        for binding in bindings:
            sku = binding.odoo_id.default_code
            item_id = sku and self._inventory_item_by_sku(sku, binding.external_id)
            if item_id:
                found[binding.id] = item_id
                continue
            self.failures += 1
            with self.transaction():  # no exception row written in the job's transaction
                record_failure(
                    self.backend, self.flow,
                    f"Stock of {binding.odoo_id.display_name} not sent: its binding has no "
                    f"Shopify inventory item and no Shopify variant has the SKU '{sku or ''}'. "
                    "Set the product's Internal Reference to the variant's SKU, then retry.",
                    record=binding.odoo_id, payload={"binding_ids": binding.ids, "sku": sku},
                )
        if found:
            with self.transaction():
                for binding_id, item_id in found.items():
                    self.env[self.binding_model].browse(binding_id).write(
                        {"inventory_item_id": item_id})
            if not self.same_transaction:
                self.env.invalidate_all()

    def _inventory_item_by_sku(self, sku, variant_id):
        nodes = self.adapter.execute(
            catalog.VARIANTS_BY_SKU, {"first": 10, "query": catalog.sku_filter(sku)}
        )["productVariants"]["nodes"]
        exact = [node for node in nodes if node.get("sku") == sku]
        exact.sort(key=lambda node: node.get("legacyResourceId") != str(variant_id))
        return exact and catalog.numeric_id(exact[0]["inventoryItem"]["id"])

    def _input(self, entries):
        return catalog.set_quantities_input(
            (e["level"].inventory_item_id, e["level"].location_id, e["level"].quantity,
             e["change_from"]) for e in entries
        )

    def _push(self, entries, retry_stale, fresh_key=False):
        """One ``inventorySetQuantities`` of ``entries``, then the follow-ups its
        ``userErrors`` call for (each follow-up drops at least one entry)."""
        if not entries:
            return
        input_ = self._input(entries)
        key = self._idempotency_key(entries, input_, fresh=fresh_key)
        try:
            self.adapter.mutate(catalog.INVENTORY_SET_QUANTITIES,
                                {"input": input_, "idempotencyKey": key})
        except DataError as error:
            user_errors = error.details.get("user_errors")
            if not user_errors:
                raise
            if not fresh_key and any(e.get("code") == PREVIOUS_ATTEMPT_FAILED
                                     for e in user_errors):
                self._push(entries, retry_stale, fresh_key=True)
                return
            remaining = self._handle_user_errors(entries, user_errors, retry_stale)
            self._push(remaining, retry_stale=False)
            return
        self._remember(entries)

    def _handle_user_errors(self, entries, user_errors, retry_stale):
        """Sort the refused entries out; return the entries of the follow-up call."""
        by_index = {}
        for user_error in user_errors:
            path = user_error.get("field") or []
            if len(path) < 3 or path[:2] != ["input", "quantities"]:
                raise DataError(
                    "Shopify refused inventorySetQuantities: "
                    f"{user_error.get('message')} ({user_error.get('code')})"
                )
            by_index.setdefault(int(path[2]), []).append(user_error)
        stale, not_stocked, dropped = [], [], set()
        for index, errors in by_index.items():
            codes = {error.get("code") for error in errors}
            entry = entries[index]
            if codes <= STALE_CODES and retry_stale:
                stale.append(entry)
            elif codes == {NOT_STOCKED}:
                not_stocked.append(entry)
            else:
                self._fail(entry, "; ".join(f"{e.get('message')} ({e.get('code')})"
                                            for e in errors))
            dropped.add(index)
        if stale:
            self._refresh_change_from(stale)
        for entry in not_stocked:
            self._activate(entry)
        remaining = [entry for index, entry in enumerate(entries) if index not in dropped]
        return remaining + stale

    def _refresh_change_from(self, entries):
        """Read the current quantity of each stale level: the new change-from value."""
        self.retried_stale += len(entries)
        ids = [catalog.level_gid(e["level"].location_id, e["level"].inventory_item_id)
               for e in entries]
        nodes = self.adapter.execute(catalog.INVENTORY_LEVELS_BY_ID, {"ids": ids})["nodes"]
        current = {}
        for node in nodes:
            if node:
                quantity = next((q["quantity"] for q in node["quantities"]
                                 if q["name"] == "available"), None)
                key = (catalog.numeric_id(node["item"]["id"]),
                       catalog.numeric_id(node["location"]["id"]))
                current[key] = quantity
        for entry in entries:
            level = entry["level"]
            entry["change_from"] = current.get(
                (str(level.inventory_item_id), str(level.location_id))
            )

    def _activate(self, entry):
        level = entry["level"]
        variables = {
            "inventoryItemId": catalog.gid("InventoryItem", level.inventory_item_id),
            "locationId": catalog.gid("Location", level.location_id),
            "available": int(level.quantity),
        }
        variables["idempotencyKey"] = self._idempotency_key([entry], variables)
        try:
            try:
                self.adapter.mutate(catalog.INVENTORY_ACTIVATE, variables)
            except DataError as error:
                codes = {e.get("code") for e in error.details.get("user_errors") or ()}
                if PREVIOUS_ATTEMPT_FAILED not in codes:
                    raise
                variables["idempotencyKey"] = self._idempotency_key([entry], variables, True)
                self.adapter.mutate(catalog.INVENTORY_ACTIVATE, variables)
        except DataError as error:
            self._fail(entry, str(error))
            return
        self._remember([entry])

    def _fail(self, entry, message):
        binding, level = entry["binding"], entry["level"]
        self.failures += 1
        self.failed |= binding
        with self.transaction():  # no exception row written in the job's transaction
            record_failure(
                self.backend, self.flow,
                f"Stock of SKU '{level.sku or binding.odoo_id.display_name}' at Shopify "
                f"location {level.location_id} not sent: {message}",
                record=binding.odoo_id,
                payload={"binding_ids": binding.ids, "sku": level.sku,
                         "location_id": level.location_id},
            )

    def _idempotency_key(self, entries, input_, fresh=False):
        """A hash of the input and of the bindings' send sequence (a replay gets the same
        key); ``fresh``: a new random key, after Shopify said this key's attempt failed."""
        sequences = sorted(
            {(e["binding"].id, self._state(e["binding"]).get("seq", 0)) for e in entries}
        )
        raw = json.dumps([self.backend.id, input_, sequences], sort_keys=True)
        if fresh:
            raw += uuid.uuid4().hex
        return hashlib.sha256(raw.encode()).hexdigest()

    def _remember(self, entries):
        """Keep what Shopify now holds: the next push's change-from quantities."""
        by_binding = {}
        for entry in entries:
            by_binding.setdefault(entry["binding"], []).append(entry["level"])
        for binding, levels in by_binding.items():
            state = self._state(binding)
            sent = dict(state.get("levels") or {})
            for level in levels:
                sent[str(level.location_id)] = int(level.quantity)
            self.stock_state[binding.id] = {"seq": state.get("seq", 0) + 1, "levels": sent}
            self.remembered.add(binding.id)
