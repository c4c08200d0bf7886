"""Products and prices out: Odoo owns the item master, Shopify gets one ``productSet`` per
changed template.

Dirty state lives on the template, not on the variant bindings: ``export_pending`` of
``retail.product.binding`` is shared with the stock flow (a stock export would clear a price
change), and a template published for the first time has no binding yet. So a change of a
published template or of one of its variants sets ``shopify_export_pending`` and empties
``shopify_export_done_ids`` and bumps ``shopify_sync_version``. The exporter of a backend
claims, in a short transaction of its own, the pending templates it has not exported yet (rows
locked by others skipped), builds a canonical ``Product`` without channel ids and the
``productSet`` input, skips it when its hash equals the one kept in
``shopify_export_state[backend id]``, and commits. It then sends the rest with no transaction
holding the templates, and records each answer in another short transaction; a template
changed meanwhile (version moved) stays pending. The flag drops once every store of the
template has the change. Large loads go through one bulk mutation (:mod:`.products_bulk`).

After a ``productSet`` every variant gets (or refreshes) its ``retail.product.binding``:
external id = variant numeric id, ``inventory_item_id`` = inventory item numeric id,
``product_external_id`` = product numeric id; new bindings are marked dirty for the stock
flow so that their quantities follow.
"""

import logging
import math
from decimal import Decimal

from odoo.tools import float_repr

from odoo.addons.retail_connector.canonical import Price, Product, Variant, record_hash
from odoo.addons.retail_connector.engine.failures import close_outbound_failures
from odoo.addons.retail_connector.engine.outbound import Exporter, ExportReport, mark_dirty
from odoo.addons.retail_connector.engine.stock import available_quantities
from odoo.addons.retail_connector.errors import DataError, TransientError

from ..graphql import catalog
from .inventory import record_failure
from .products_bulk import BulkProductsMixin

_logger = logging.getLogger(__name__)

MAX_OPTIONS = 3
DEFAULT_OPTION = ("Title", "Default Title")


class ShopifyProductExporter(BulkProductsMixin, Exporter):
    binding_model = "retail.product.binding"
    batch_size = 1  # productSet takes one product
    #: above this many changed templates, one bulk mutation instead of one call each
    bulk_threshold = 50

    def __init__(self, backend, flow="products", adapter=None):
        super().__init__(backend, flow)
        self.adapter = adapter or backend._shopify_adapter()
        self.pricelist = backend.pricelist_id
        self.currency = self.pricelist.currency_id or backend.company_id.currency_id
        self.failures = 0
        self._mappings = None
        self._failed = []  # (template id, message), written in the job's transaction

    # ------------------------------------------------------------------
    # Claim
    # ------------------------------------------------------------------
    def dirty_templates(self, exclude=()):
        """Lock and return the pending templates of this backend (others' locks skipped):
        called in the claim transaction, committed before anything is sent."""
        # sudo: the products export keeps its state (pending flag, hashes, Shopify ids) on the
        # template, which only Product Managers may write; the export job's user is not one
        Template = self.env["product.template"].sudo().with_context(active_test=False)
        candidates = Template.search(
            [
                ("shopify_export_pending", "=", True),
                ("shopify_publish", "=", True),
                ("shopify_backend_ids", "in", self.backend.ids),
                ("shopify_export_done_ids", "not in", self.backend.ids),
                ("id", "not in", list(exclude)),
            ],
            order="id",
        )
        if not candidates:
            return candidates
        self.env.cr.execute(
            "SELECT id FROM product_template WHERE id IN %s ORDER BY id "
            "FOR UPDATE SKIP LOCKED",
            (tuple(candidates.ids),),
        )
        return Template.browse([row[0] for row in self.env.cr.fetchall()])

    def claim_templates(self, report, exclude=()):
        """In the claim transaction: ``[item]`` to send, each a dict of the template id, the
        version read, the hash, the Shopify product id and the ``productSet`` input."""
        key = str(self.backend.id)
        changed = []
        for template in self.dirty_templates(exclude):
            mine = (template.shopify_export_state or {}).get(key) or {}
            try:
                record = self.build(template)
                digest = record_hash(record)
                if digest == mine.get("hash") and mine.get("product_id"):
                    report.skipped += 1
                    self._mark_done(template)
                    continue
                product_id = mine.get("product_id") or self._bound_product_id(template)
                values = self.product_input(template, record, product_id)
            except DataError as error:
                self._failed.append((template.id, str(error)))
                continue
            changed.append({
                "template_id": template.id,
                "version": template.shopify_sync_version,
                "digest": digest,
                "product_id": product_id,
                "values": values,
            })
        return changed

    def run(self):
        report = ExportReport()
        try:
            self.resume_bulk(report)  # a bulk operation a killed run left: its result first
            with self.transaction():
                changed = self.claim_templates(report, exclude=self.open_bulk_templates())
            if len(changed) > self.bulk_threshold:
                self._send_bulk(changed, report)
            else:
                self._send_each(changed, report)
        finally:
            for template_id, message in self._failed:
                # sudo: the export's state is on the template (see dirty_templates)
                self._fail(self.env["product.template"].sudo().browse(template_id), message)
            self._failed = []
        _logger.info("Shopify products export of %s: %s", self.backend.name, report)
        return report

    # ------------------------------------------------------------------
    # Call, record
    # ------------------------------------------------------------------
    def _send_each(self, changed, report):
        for index, item in enumerate(changed):
            try:
                payload = self.adapter.mutate(
                    catalog.PRODUCT_SET,
                    catalog.product_set_variables(item["values"], item["product_id"]),
                )
            except DataError as error:
                self._failed.append((item["template_id"], str(error)))
                continue
            except TransientError as error:
                if not index:
                    raise  # nothing sent yet: the engine's backoff and circuit breaker
                # what Shopify has already is recorded; the rest stays pending
                delay = int(error.retry_after or 30)
                _logger.info("Shopify products export of %s paused (%s): %s left, retry in "
                             "%ss", self.backend.name, error, len(changed) - index, delay)
                self.backend._schedule_export(self.flow, delay=delay)
                return
            report.calls += 1
            report.sent += 1
            self.record_sent(item, payload.get("product") or {})

    def record_sent(self, item, product):
        """Record one answer in a short transaction: bind the variants, keep the Shopify
        product id and hash, mark the template done unless it changed meanwhile."""
        product_id = catalog.numeric_id(product.get("legacyResourceId") or product.get("id"))
        nodes = (product.get("variants") or {}).get("nodes") or []
        with self.transaction():
            self.env.cr.execute(
                "SELECT COALESCE(shopify_sync_version, 0) FROM product_template WHERE id = %s "
                "FOR UPDATE",
                (item["template_id"],),
            )
            row = self.env.cr.fetchone()
            # sudo: the export's state is on the template (see dirty_templates)
            template = self.env["product.template"].sudo().with_context(
                active_test=False).browse(item["template_id"])
            if row is None:
                return  # deleted meanwhile
            self._bind_variants(template, product_id, nodes)
            state = dict(template.shopify_export_state or {})
            state[str(self.backend.id)] = {"hash": item["digest"], "product_id": product_id}
            template.with_context(retail_no_export=True).shopify_export_state = state
            if row[0] == (item["version"] or 0):
                self._mark_done(template)
            close_outbound_failures(self.backend, self.flow, template)
        if not self.same_transaction:
            self.env.invalidate_all()

    def _bound_product_id(self, template):
        """The Shopify product the variants are bound to already (e.g. matched by an order
        import), adopted instead of creating a duplicate; None when unknown or ambiguous."""
        ids = set(self._bindings(template).mapped("product_external_id")) - {False, ""}
        return ids.pop() if len(ids) == 1 else None

    def _mark_done(self, template):
        done = template.shopify_export_done_ids | self.backend
        values = {"shopify_export_done_ids": [(6, 0, done.ids)]}
        if not (template.shopify_backend_ids.filtered("active") - done):
            values["shopify_export_pending"] = False
        template.with_context(retail_no_export=True).write(values)

    def _fail(self, template, message):
        """The template stays pending for this store; the next change or a retry resends it."""
        self.failures += 1
        with self.transaction():  # no exception row written in the job's transaction
            record_failure(
                self.backend, self.flow,
                f"Product {template.display_name} not sent to Shopify: {message}",
                record=template, payload={"template_id": template.id},
            )

    # ------------------------------------------------------------------
    # Build
    # ------------------------------------------------------------------
    def _variants(self, template):
        return template.product_variant_ids.sorted("id")

    def _options(self, template):
        lines = template.attribute_line_ids.filtered(
            lambda line: line.attribute_id.create_variant != "no_variant"
        )
        if len(lines) > MAX_OPTIONS:
            raise DataError(f"Shopify allows {MAX_OPTIONS} options, the product has {len(lines)}.")
        return lines

    def _variant_options(self, product, lines):
        values = product.product_template_attribute_value_ids
        if not lines:
            return {DEFAULT_OPTION[0]: DEFAULT_OPTION[1]}
        return {
            line.attribute_id.name: values.filtered(
                lambda v, line=line: v.attribute_line_id == line
            )[:1].name or ""
            for line in lines
        }

    def _money(self, amount):
        return Decimal(float_repr(self.currency.round(amount), self.currency.decimal_places))

    def _price(self, product):
        """Price from the backend's pricelist; the list price becomes the compare-at price
        when the pricelist sells lower."""
        list_price = product.lst_price
        if self.pricelist:
            price = self.pricelist._get_product_price(product, 1.0)
        else:
            price = list_price
        compare_at = self._money(list_price) if list_price > price + 1e-6 else None
        return Price(amount=self._money(price), currency=self.currency.name, compare_at=compare_at)

    def build(self, template):
        """Canonical product without channel ids (they would change the hash once bound)."""
        lines = self._options(template)
        active = template.active and template.sale_ok
        return Product(
            external_id="",
            title=template.name,
            description=template.description_sale or "",
            vendor=template.shopify_vendor or self.backend.company_id.name,
            product_type=template.categ_id.name or "",
            status="active" if active else "draft",
            variants=[
                Variant(
                    external_id="",
                    sku=product.default_code or "",
                    barcode=product.barcode or "",
                    title=", ".join(product.product_template_attribute_value_ids.mapped("name")),
                    price=self._price(product),
                    options=self._variant_options(product, lines),
                )
                for product in self._variants(template)
            ],
        )

    # ------------------------------------------------------------------
    # Send
    # ------------------------------------------------------------------
    def _bindings(self, template):
        return self.env["retail.product.binding"].search(
            [("backend_id", "=", self.backend.id),
             ("odoo_id", "in", template.with_context(active_test=False).product_variant_ids.ids)]
        )

    def product_input(self, template, record, product_id):
        lines = self._options(template)
        options = [
            {"name": line.attribute_id.name,
             "values": [{"name": value.name} for value in line.value_ids]}
            for line in lines
        ] or [{"name": DEFAULT_OPTION[0], "values": [{"name": DEFAULT_OPTION[1]}]}]
        bound = {b.odoo_id.id: b for b in self._bindings(template)}
        new_products = self._variants(template).filtered(
            lambda product: not (
                product_id
                and product.id in bound
                and bound[product.id].product_external_id == str(product_id)
            )
        )
        initial_levels = self._initial_levels(new_products)
        variants = []
        for product, variant in zip(self._variants(template), record.variants, strict=True):
            data = {
                "optionValues": [{"optionName": name, "name": value}
                                 for name, value in variant.options.items()],
                "price": str(variant.price.amount),
                "compareAtPrice": str(variant.price.compare_at)
                if variant.price.compare_at is not None else None,
                "barcode": variant.barcode or None,
                "inventoryItem": {"sku": variant.sku, "tracked": True},
            }
            binding = bound.get(product.id)
            if product_id and binding and binding.product_external_id == str(product_id):
                data["id"] = catalog.gid("ProductVariant", binding.external_id)
            elif initial_levels.get(product.id):
                data["inventoryQuantities"] = initial_levels[product.id]
            variants.append(data)
        values = {
            "title": record.title,
            "descriptionHtml": record.description,
            "vendor": record.vendor,
            "productType": record.product_type,
            "status": record.status.upper(),
            "productOptions": options,
            "variants": variants,
        }
        return values

    def _location_mappings(self):
        if self._mappings is None:
            self._mappings = self.backend._shopify_location_mappings()
        return self._mappings

    def _initial_levels(self, products):
        """``inventoryQuantities`` of variants new to Shopify: stocked at every mapped location
        with their available quantity from the start. Without them a new variant is stocked
        nowhere, and the stock export that follows must activate each level with its own
        call (about 13 a second under the throttle: many minutes for a large catalogue)."""
        levels = {product.id: [] for product in products}
        if not products:
            return levels
        for mapping in self._location_mappings():
            quantities = available_quantities(self.env, products, mapping.location_id)
            for product in products:
                levels[product.id].append(
                    {
                        "locationId": catalog.gid("Location", mapping.external_value),
                        "name": "available",
                        "quantity": max(0, math.floor(quantities[product.id] + 1e-9)),
                    }
                )
        return levels

    def _bind_variants(self, template, product_id, nodes):
        Binding = self.env["retail.product.binding"]
        products = self._variants(template)
        by_sku = {node.get("sku"): node for node in nodes if node.get("sku")}
        kept, created = Binding, Binding
        for index, product in enumerate(products):
            node = by_sku.get(product.default_code) if product.default_code else None
            if node is None and index < len(nodes):
                node = nodes[index]
            if node is None:
                continue
            values = {
                "external_id": catalog.numeric_id(node.get("legacyResourceId") or node["id"]),
                "inventory_item_id": catalog.numeric_id(node["inventoryItem"]["id"]),
                "product_external_id": product_id,
            }
            binding = Binding.search(
                [("backend_id", "=", self.backend.id), ("odoo_id", "=", product.id)], limit=1
            )
            if binding:
                if binding.inventory_item_id != values["inventory_item_id"]:
                    values["shopify_stock_state"] = False
                    created |= binding
                binding.write(values)
            else:
                binding = Binding.create(
                    dict(values, backend_id=self.backend.id, odoo_id=product.id)
                )
                created |= binding
            kept |= binding
        # variants Shopify dropped (archived in Odoo): their bindings point at nothing
        (self._bindings(template) - kept).unlink()
        mark_dirty(created, "stock")
