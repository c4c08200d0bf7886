"""Products and prices out: Odoo owns the item master, Shopify gets one ``productSet`` per
changed template.

Dirty state lives on the template, not on the variant bindings: ``export_pending`` of
``retail.product.binding`` is shared with the stock flow (a stock export would clear a price
change), and a template published for the first time has no binding yet. So a change of a
published template or of one of its variants sets ``shopify_export_pending`` and empties
``shopify_export_done_ids``; the exporter of a backend takes the pending templates it has not
exported yet (rows locked, others skipped), builds a canonical ``Product`` without channel
ids, skips it when its hash equals the one kept in ``shopify_export_state[backend id]``, and
sends the rest. The flag drops once every store of the template has the change.

After a ``productSet`` every variant gets (or refreshes) its ``retail.product.binding``:
external id = variant numeric id, ``inventory_item_id`` = inventory item numeric id,
``product_external_id`` = product numeric id; new bindings are marked dirty for the stock
flow so that their quantities follow.
"""

import json
import logging
import math
from decimal import Decimal

from odoo.tools import float_repr

from odoo.addons.retail_connector.canonical import Price, Product, Variant, record_hash
from odoo.addons.retail_connector.engine.outbound import Exporter, ExportReport, mark_dirty
from odoo.addons.retail_connector.engine.stock import available_quantities
from odoo.addons.retail_connector.errors import DataError, TransientError

from .. import bulk
from ..adapter import format_user_errors
from ..graphql import catalog
from .inventory import record_failure

_logger = logging.getLogger(__name__)

MAX_OPTIONS = 3
DEFAULT_OPTION = ("Title", "Default Title")


class ShopifyProductExporter(Exporter):
    binding_model = "retail.product.binding"
    batch_size = 1  # productSet takes one product
    #: above this many changed templates, one bulk mutation instead of one call each
    bulk_threshold = 50
    bulk_timeout = 1800.0
    bulk_poll_interval = 1.0

    def __init__(self, backend, flow="products", adapter=None):
        super().__init__(backend, flow)
        self.adapter = adapter or backend._shopify_adapter()
        self.pricelist = backend.pricelist_id
        self.currency = self.pricelist.currency_id or backend.company_id.currency_id
        self.failures = 0
        self._mappings = None

    # ------------------------------------------------------------------
    # Selection
    # ------------------------------------------------------------------
    def dirty_templates(self):
        """Lock and return the pending templates of this backend (others' locks skipped)."""
        Template = self.env["product.template"].sudo().with_context(active_test=False)
        candidates = Template.search(
            [
                ("shopify_export_pending", "=", True),
                ("shopify_publish", "=", True),
                ("shopify_backend_ids", "in", self.backend.ids),
                ("shopify_export_done_ids", "not in", self.backend.ids),
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

    def run(self):
        report = ExportReport()
        key = str(self.backend.id)
        changed = []
        for template in self.dirty_templates():
            mine = (template.shopify_export_state or {}).get(key) or {}
            try:
                record = self.build(template)
            except DataError as error:
                self._fail(template, str(error))
                continue
            digest = record_hash(record)
            if digest == mine.get("hash") and mine.get("product_id"):
                report.skipped += 1
                self._mark_done(template)
            else:
                product_id = mine.get("product_id") or self._bound_product_id(template)
                changed.append((template, record, digest, product_id))
        if len(changed) > self.bulk_threshold:
            self._send_bulk(changed, report)
        else:
            self._send_each(changed, report)
        _logger.info("Shopify products export of %s: %s", self.backend.name, report)
        return report

    def _send_each(self, changed, report):
        for index, (template, record, digest, product_id) in enumerate(changed):
            try:
                with self.env.cr.savepoint():
                    product_id = self.send_template(template, record, product_id)
            except DataError as error:
                self._fail(template, str(error))
                continue
            except TransientError as error:
                if not index:
                    raise  # nothing sent yet: the engine's backoff and circuit breaker
                # keep what Shopify has already (a rollback would create duplicates on the
                # next run): the rest stays pending and is sent by a later job
                delay = int(error.retry_after or 30)
                _logger.info("Shopify products export of %s paused (%s): %s left, retry in "
                             "%ss", self.backend.name, error, len(changed) - index, delay)
                self.backend._schedule_export(self.flow, delay=delay)
                return
            report.calls += 1
            report.sent += 1
            self._done(template, digest, product_id)

    def _bound_product_id(self, template):
        """The Shopify product the variants are bound to already (e.g. matched by an order
        import), adopted instead of creating a duplicate; None when unknown or ambiguous."""
        ids = set(self._bindings(template).mapped("product_external_id")) - {False, ""}
        return ids.pop() if len(ids) == 1 else None

    def _done(self, template, digest, product_id):
        state = dict(template.shopify_export_state or {})
        state[str(self.backend.id)] = {"hash": digest, "product_id": product_id}
        template.shopify_export_state = state
        self._mark_done(template)

    def _mark_done(self, template):
        done = template.shopify_export_done_ids | self.backend
        values = {"shopify_export_done_ids": [(6, 0, done.ids)]}
        if not (template.shopify_backend_ids.filtered("active") - done):
            values["shopify_export_pending"] = False
        template.with_context(retail_no_export=True).write(values)

    def _fail(self, template, message):
        """The template stays pending for this store; the next change or a retry resends it."""
        self.failures += 1
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
        return self.env["retail.product.binding"].sudo().search(
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

    def send_template(self, template, record, product_id):
        """One productSet; bind the variants; return the Shopify product numeric id."""
        values = self.product_input(template, record, product_id)
        payload = self.adapter.mutate(
            catalog.PRODUCT_SET, catalog.product_set_variables(values, product_id))
        product = payload.get("product") or {}
        product_id = catalog.numeric_id(product.get("legacyResourceId") or product.get("id"))
        nodes = (product.get("variants") or {}).get("nodes") or []
        self._bind_variants(template, product_id, nodes)
        return product_id

    def _bind_variants(self, template, product_id, nodes):
        Binding = self.env["retail.product.binding"].sudo()
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

    # ------------------------------------------------------------------
    # Bulk (large first loads)
    # ------------------------------------------------------------------
    def _send_bulk(self, changed, report):
        """One ``bulkOperationRunMutation`` of ``productSet`` for every changed template:
        stage a JSONL file of variables, run, wait, bind the variants line by line."""
        lines = [
            json.dumps(catalog.product_set_variables(
                self.product_input(template, record, product_id), product_id))
            for template, record, _digest, product_id in changed
        ]
        path = self._stage_upload("\n".join(lines) + "\n")
        payload = self.adapter.mutate(
            catalog.BULK_OPERATION_RUN_MUTATION,
            {"mutation": catalog.PRODUCT_SET, "stagedUploadPath": path},
        )
        report.calls += 1
        operation = bulk.wait_for_bulk_operation(
            self.adapter, payload["bulkOperation"]["id"], self.bulk_timeout,
            self.bulk_poll_interval,
        )
        answered = set()
        for row in bulk.read_bulk_result(self.adapter, operation):
            number = row.get("__lineNumber")
            if number is None or number >= len(changed):
                continue
            answered.add(number)
            template, _record, digest, _product_id = changed[number]
            result = (row.get("data") or {}).get("productSet") or {}
            errors = result.get("userErrors") or row.get("errors")
            if errors or not result.get("product"):
                self._fail(template, format_user_errors(errors or [
                    {"message": "no product in the bulk result"}]))
                continue
            product = result["product"]
            product_id = catalog.numeric_id(product.get("legacyResourceId") or product["id"])
            self._bind_variants(template, product_id, product["variants"]["nodes"])
            self._done(template, digest, product_id)
            report.sent += 1
        for number, (template, *_rest) in enumerate(changed):
            if number not in answered:
                self._fail(template, "missing from the bulk operation's result")

    def _stage_upload(self, content):
        """Upload ``content`` to a staged target; return its path for the bulk mutation."""
        payload = self.adapter.mutate(
            catalog.STAGED_UPLOADS_CREATE, catalog.staged_upload_variables("products.jsonl"))
        target = payload["stagedTargets"][0]
        parameters = {p["name"]: p["value"] for p in target["parameters"]}
        self.adapter._send(
            "POST", target["url"], "staged upload",
            data=parameters,
            files={"file": ("products.jsonl", content.encode(), "text/jsonl")},
        )
        return parameters.get("key") or target["resourceUrl"]
