"""The sandbox's in-memory state: one Shopify shop, its catalogue, stock, customers and orders.

Records are plain dicts with snake_case keys; the GraphQL layer maps camelCase fields onto them
(``totalPriceSet`` reads ``total_price``), the webhook layer renders them REST-style. Every
record carries ``_type`` (the GraphQL type name, used for global ids and type resolution) and a
numeric ``id`` above 2**53, so clients that turn ids into floats break here as they would on a
real store. All writes go through one re-entrant lock; state changes that Shopify would announce
are passed to ``emit(topic, record)`` (the webhook dispatcher), which only queues work.
"""

import datetime
import itertools
import secrets
import threading
from decimal import ROUND_HALF_UP, Decimal

FIRST_ID = 9_007_199_254_741_001  # just above 2**53
CENTS = Decimal("0.01")

#: Quantity names of an inventory level; ``on_hand`` is derived from the others.
QUANTITY_NAMES = (
    "available", "committed", "reserved", "damaged", "quality_control", "safety_stock", "incoming",
)
NOT_ON_HAND = ("incoming",)

#: Every scope the sandbox knows; a token with ``"scopes": "all"`` gets these.
ALL_SCOPES = (
    "read_products", "write_products", "read_inventory", "write_inventory", "read_locations",
    "read_orders", "write_orders", "read_all_orders", "read_customers", "write_customers",
    "read_fulfillments", "write_fulfillments", "read_merchant_managed_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders", "read_assigned_fulfillment_orders",
    "write_assigned_fulfillment_orders", "read_returns", "write_returns",
    "read_shopify_payments_payouts", "read_draft_orders", "write_draft_orders",
)


def utcnow():
    """Current time, timezone-aware UTC."""
    return datetime.datetime.now(datetime.UTC)


def iso(value):
    """Render a datetime the way Shopify does (``2025-01-15T10:00:00Z``); pass None through."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(value):
    """Normalise a number or string to a two-decimal string (``"29.90"``)."""
    return str(Decimal(str(value or "0")).quantize(CENTS, rounding=ROUND_HALF_UP))


def gid(record_type, record_id):
    """Global id of a record, e.g. ``gid://shopify/Product/123``."""
    return f"gid://shopify/{record_type}/{record_id}"


def parse_gid(value, expected_type=None):
    """Return the numeric id inside a gid (or a bare number); None when it doesn't parse."""
    text = str(value or "")
    if text.startswith("gid://shopify/"):
        parts = text[len("gid://shopify/"):].split("/", 1)
        if len(parts) != 2 or (expected_type and parts[0] != expected_type):
            return None
        text = parts[1].split("?", 1)[0]
    return int(text) if text.isdigit() else None


def level_gid(location_id, item_id):
    """Parameterised gid of an inventory level."""
    return f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item_id}"


class Store:
    """Thread-safe tables of one shop. Use ``with store.lock:`` around multi-step reads."""

    TABLES = (
        "locations", "products", "variants", "inventory_items", "customers", "orders",
        "fulfillment_orders", "fulfillments", "refunds", "webhook_subscriptions",
        "bulk_operations", "adjustment_groups", "payouts", "balance_transactions",
        "draft_orders", "metafield_definitions",
    )

    def __init__(self, emit=None):
        self.lock = threading.RLock()
        self.emit = emit or (lambda topic, record: None)
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------
    def reset(self):
        """Forget everything except the emit callback; keep a default shop, app and token."""
        with self.lock:
            self._ids = itertools.count(FIRST_ID)
            for table in self.TABLES:
                setattr(self, table, {})
            self.levels = {}  # (inventory_item_id, location_id) -> level record
            self.line_items = {}  # line item id -> line record (inside its order)
            self.idempotency = {}  # idempotency key -> (request fingerprint, result)
            self.staged_uploads = {}  # staged path -> bytes (None until uploaded)
            self.bulk_results = {}  # bulk operation id -> JSONL bytes
            self.order_number = 1000
            self.draft_order_number = 0  # draft orders are #D1, #D2, ...
            self.payments_account = None  # Shopify Payments: set by the first payout
            self.shop = {
                "_type": "Shop", "id": self.next_id(), "name": "Sandbox Retail",
                "email": "owner@sandbox-retail.example", "myshopify_domain":
                "sandbox-retail.myshopify.com", "currency": "EUR", "iana_timezone": "Europe/Paris",
                "plan_name": "basic", "taxes_included": False,
            }
            self.app = {"client_id": "sandbox-client-id",
                        "client_secret": "sandbox-client-secret",
                        "previous_client_secret": None, "scopes": list(ALL_SCOPES)}
            self.tokens = {"shpat_sandbox_token": {"scopes": list(ALL_SCOPES),
                                                   "expires_at": None}}
            # other apps installed on the store (name -> {"client_secret"}): each sees and
            # is signed for its own webhook subscriptions only, as on Shopify
            self.other_apps = {}

    def next_id(self):
        """A fresh numeric id (all tables share the sequence, as a sandbox may)."""
        return next(self._ids)

    @property
    def currency(self):
        return self.shop["currency"]

    # -- auth ------------------------------------------------------------------------------
    def add_app(self, name, client_secret=None, token=None):
        """Install another app on the store, with its own client secret and static token;
        returns {"token", "client_secret"}."""
        client_secret = client_secret or secrets.token_hex(16)
        with self.lock:
            self.other_apps[name] = {"client_secret": client_secret}
        return {"token": self.add_token(token, app=name), "client_secret": client_secret}

    def token_app(self, token):
        """The app a token belongs to: None for the store's own app, else its name."""
        with self.lock:
            return (self.tokens.get(token or "") or {}).get("app")

    def app_secret(self, app):
        with self.lock:
            return self.app["client_secret"] if app is None else \
                self.other_apps[app]["client_secret"]

    def add_token(self, token=None, scopes=None, expires_in=None, app=None):
        """Register an access token; returns it. ``scopes`` None or "all" means every scope;
        ``app``: the other app (``add_app``) it belongs to, None for the store's own app."""
        token = token or "shpat_" + secrets.token_hex(16)
        if scopes in (None, "all"):
            scopes = list(ALL_SCOPES)
        elif isinstance(scopes, str):
            scopes = [s.strip() for s in scopes.split(",") if s.strip()]
        expires_at = utcnow() + datetime.timedelta(seconds=expires_in) if expires_in else None
        with self.lock:
            self.tokens[token] = {"scopes": list(scopes), "expires_at": expires_at}
            if app is not None:
                self.tokens[token]["app"] = app
        return token

    def token_scopes(self, token):
        """Scopes of a valid token, or None when the token is unknown or expired."""
        with self.lock:
            entry = self.tokens.get(token or "")
            if not entry or (entry["expires_at"] and entry["expires_at"] < utcnow()):
                return None
            return set(entry["scopes"])

    # -- generic ---------------------------------------------------------------------------
    def insert(self, table, record_type, **fields):
        """Create a record with id, timestamps and ``_type``; return it."""
        now = utcnow()
        record = {"_type": record_type, "id": self.next_id(), "created_at": now,
                  "updated_at": now}
        record.update(fields)
        getattr(self, table)[record["id"]] = record
        return record

    def touch(self, record):
        """Bump ``updated_at`` (strictly increasing, so polling by updated_at sees it)."""
        now = utcnow()
        if record.get("updated_at") and now <= record["updated_at"]:
            now = record["updated_at"] + datetime.timedelta(microseconds=1)
        record["updated_at"] = now
        return record

    def get(self, table, record_id):
        return getattr(self, table).get(record_id)

    # -- catalogue -------------------------------------------------------------------------
    def add_location(self, name, address=None, is_active=True, fulfills_online_orders=True):
        with self.lock:
            return self.insert("locations", "Location", name=name, is_active=is_active,
                               fulfills_online_orders=fulfills_online_orders,
                               address=dict(address or {}))

    def add_product(self, title, variants=(), options=None, **fields):
        """Create a product and its variants (list of dicts: sku, price, options, ...)."""
        with self.lock:
            handle = fields.pop("handle", None) or "-".join(title.lower().split())
            product = self.insert(
                "products", "Product", title=title, handle=handle,
                status=fields.pop("status", "ACTIVE"), vendor=fields.pop("vendor", ""),
                product_type=fields.pop("product_type", ""), tags=list(fields.pop("tags", [])),
                description_html=fields.pop("description_html", ""), variant_ids=[],
                options=[], **fields)
            self.set_options(product, options or [{"name": "Title",
                                                   "values": ["Default Title"]}])
            for spec in variants or [{}]:
                self.add_variant(product, **spec)
            return product

    def set_options(self, product, options):
        """Replace the option list: ``[{"name": "Size", "values": ["S", "M"]}]``."""
        product["options"] = [
            {"_type": "ProductOption", "id": self.next_id(), "name": option["name"],
             "position": position, "values": list(option.get("values", []))}
            for position, option in enumerate(options, start=1)
        ]

    def add_variant(self, product, *, sku=None, price="0.00", options=None, barcode=None,
                    compare_at_price=None, taxable=True, inventory_policy="DENY", tracked=True,
                    cost=None, quantities=None, requires_shipping=True, **_ignored):
        """Create a variant with its inventory item; ``quantities`` maps location id to stock."""
        with self.lock:
            item = self.insert("inventory_items", "InventoryItem", sku=sku, tracked=tracked,
                               requires_shipping=requires_shipping,
                               unit_cost=money(cost) if cost is not None else None,
                               variant_id=None)
            selected = [{"name": name, "value": value}
                        for name, value in (options or {"Title": "Default Title"}).items()]
            variant = self.insert(
                "variants", "ProductVariant", product_id=product["id"], sku=sku,
                barcode=barcode, price=money(price),
                compare_at_price=money(compare_at_price) if compare_at_price else None,
                taxable=taxable, inventory_policy=inventory_policy,
                position=len(product["variant_ids"]) + 1, selected_options=selected,
                inventory_item_id=item["id"])
            item["variant_id"] = variant["id"]
            product["variant_ids"].append(variant["id"])
            for location_id, available in (quantities or {}).items():
                self.activate(item["id"], int(location_id), available=int(available))
            return variant

    def variant_title(self, variant):
        values = [option["value"] for option in variant["selected_options"]]
        return " / ".join(values) if values else "Default Title"

    def variant_by_sku(self, sku):
        with self.lock:
            return next((v for v in self.variants.values() if v.get("sku") == sku), None)

    def delete_variant(self, variant_id):
        with self.lock:
            variant = self.variants.pop(variant_id, None)
            if not variant:
                return
            item_id = variant["inventory_item_id"]
            self.inventory_items.pop(item_id, None)
            for key in [key for key in self.levels if key[0] == item_id]:
                del self.levels[key]
            product = self.products.get(variant["product_id"])
            if product and variant_id in product["variant_ids"]:
                product["variant_ids"].remove(variant_id)

    # -- inventory -------------------------------------------------------------------------
    def activate(self, item_id, location_id, available=0):
        """Stock an item at a location (idempotent); return the level."""
        with self.lock:
            key = (item_id, location_id)
            if key not in self.levels:
                now = utcnow()
                self.levels[key] = {
                    "_type": "InventoryLevel", "id": self.next_id(), "item_id": item_id,
                    "location_id": location_id,
                    "quantities": dict.fromkeys(QUANTITY_NAMES, 0), "created_at": now,
                    "updated_at": now}
                self.levels[key]["quantities"]["available"] = int(available or 0)
            return self.levels[key]

    @staticmethod
    def quantity(level, name):
        """One named quantity of a level; ``on_hand`` is computed."""
        quantities = level["quantities"]
        if name == "on_hand":
            return sum(v for k, v in quantities.items() if k not in NOT_ON_HAND)
        return quantities.get(name, 0)

    def change_quantity(self, level, name, delta, announce=True):
        """Apply a delta to a named quantity; ``on_hand`` changes move ``available``."""
        with self.lock:
            target = "available" if name == "on_hand" else name
            level["quantities"][target] = level["quantities"].get(target, 0) + delta
            self.touch(level)
            item = self.inventory_items.get(level["item_id"])
            if item:
                self.touch(item)
            if announce and delta and target == "available":
                self.emit("inventory_levels/update", level)

    def inventory_quantity(self, variant):
        """Sum of ``available`` over all locations, the variant's ``inventoryQuantity``."""
        with self.lock:
            item_id = variant["inventory_item_id"]
            return sum(level["quantities"]["available"]
                       for key, level in self.levels.items() if key[0] == item_id)

    def levels_of_item(self, item_id):
        with self.lock:
            return [level for key, level in self.levels.items() if key[0] == item_id]

    def levels_at_location(self, location_id):
        with self.lock:
            return [level for key, level in self.levels.items() if key[1] == location_id]

    # -- customers -------------------------------------------------------------------------
    def add_customer(self, *, email=None, first_name="", last_name="", phone=None, tags=(),
                     note=None, addresses=(), announce=True, marketing_state="NOT_SUBSCRIBED"):
        with self.lock:
            customer = self.insert(
                "customers", "Customer", email=email, first_name=first_name,
                last_name=last_name, phone=phone, tags=list(tags), note=note, state="ENABLED",
                addresses=[self.address(a) for a in addresses], marketing_state=marketing_state)
            if announce:
                self.emit("customers/create", customer)
            return customer

    def customer_by_email(self, email):
        with self.lock:
            return next((c for c in self.customers.values()
                         if email and (c.get("email") or "").lower() == email.lower()), None)

    def address(self, data):
        """Normalise an address dict (snake_case keys) and give it an id."""
        data = dict(data or {})
        data.setdefault("_type", "MailingAddress")
        data.setdefault("id", self.next_id())
        first, last = data.get("first_name") or "", data.get("last_name") or ""
        data.setdefault("name", f"{first} {last}".strip())
        if "country_code" in data and "country_code_v2" not in data:
            data["country_code_v2"] = data["country_code"]
        return data
