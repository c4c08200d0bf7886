import logging

from odoo import _, api, models

from odoo.addons.retail_connector.engine.dry_run import is_dry_run
from odoo.addons.retail_connector.engine.stock import available_quantities
from odoo.addons.retail_connector.engine.transactions import (
    shares_test_transaction,
    short_transaction,
)
from odoo.addons.retail_connector.errors import DataError

from ..exporters import ShopifyInventoryExporter, ShopifyProductExporter
from ..graphql import catalog

_logger = logging.getLogger(__name__)

EXPORTERS = {"stock": ShopifyInventoryExporter, "products": ShopifyProductExporter}


class RetailBackend(models.Model):
    """Shopify outbound flows: stock levels, products and prices (exporters), and the
    nightly stock reconciliation."""

    _inherit = "retail.backend"

    def _export_flows(self):
        if self.backend_type == "shopify":
            return super()._export_flows() | frozenset(EXPORTERS)
        return super()._export_flows()

    def _export_binding_model(self, flow):
        if self.backend_type == "shopify" and flow in EXPORTERS:
            return EXPORTERS[flow].binding_model
        return super()._export_binding_model(flow)

    def _get_exporter(self, flow):
        if self.backend_type != "shopify" or flow not in EXPORTERS:
            return super()._get_exporter(flow)
        return EXPORTERS[flow](self, flow)

    def _shopify_retry_export(self, event, prepared=None):
        """Handler of a failed ``export/<flow>`` event: what its call step sent (sent here
        when called directly)."""
        if prepared is None:
            prepared = self._shopify_retry_export_call(event)
        if prepared["failures"]:
            raise DataError(_("The export failed again: see the message of its failed event."))
        return prepared["report"]

    def _shopify_retry_export_call(self, event):
        """Call step of a failed export's retry: mark its records dirty (a short transaction,
        committed), then export them the exporter's way (claim, commit, call, record). In a
        dry run, everything stays in the dry run's transaction."""
        flow = event.topic.split("/", 1)[1]
        payload = event._payload_json()
        dry_run = is_dry_run(self.env.context)
        with short_transaction(self.env, same=dry_run) as env:
            if flow == "stock":
                records = env["retail.product.binding"].browse(
                    payload.get("binding_ids") or []
                ).exists()
                records.write({"export_pending": True, "sync_hash": False})
            else:
                # sudo: the products export keeps its state on the template, which only
                # Product Managers may write; the retry job's user is not one
                records = env["product.template"].sudo().browse(
                    payload.get("template_id") or []
                ).exists()
                records.with_context(retail_no_export=True).write(
                    {"shopify_export_pending": True, "shopify_export_done_ids": [(3, self.id)]}
                )
        if not dry_run and not shares_test_transaction(self.env):
            self.env.invalidate_all()
        exporter = self._get_exporter(flow)
        exporter.same_transaction = dry_run
        report = exporter.run()
        return {"report": str(report), "failures": exporter.failures}

    # ------------------------------------------------------------------
    # Nightly stock reconciliation
    # ------------------------------------------------------------------
    @api.model
    def _cron_shopify_reconcile_stock(self):
        """Enqueue one reconciliation job per active Shopify backend."""
        for backend in self._cron_ready_backends([("backend_type", "=", "shopify")]):
            backend._enqueue_job(
                "_shopify_run_reconciliation", "shopify-reconcile", "stock reconciliation"
            )

    def _shopify_run_reconciliation(self):
        """Job: reconcile, guarded by the circuit breaker."""
        self.ensure_one()
        wait = self._circuit_check()
        if wait:
            return f"circuit open: reconciliation skipped, next run in {wait}s"
        outcome, value = self._call_guarded(self._shopify_reconcile_stock)
        if outcome == "done":
            return value
        return f"reconciliation ended with a {outcome} failure: {value}"

    def _shopify_location_mappings(self):
        """The complete location mappings (Shopify location → stock location), in a stable
        order: where stock is read and sent."""
        self.ensure_one()
        return (
            self.env["retail.value.mapping"]
            .search(
                [("backend_id", "=", self.id), ("kind", "=", "location"),
                 ("is_complete", "=", True)],
                order="id",
            )
        )

    def _shopify_reconcile_stock(self):
        """Compare Shopify's available quantity at every mapped location with Odoo's; push
        Odoo's back where they differ. Returns (and posts on the chatter) a short report."""
        self.ensure_one()
        adapter = self._shopify_adapter()
        mappings = self._shopify_location_mappings()
        bindings = self.env["retail.product.binding"].search(
            [("backend_id", "=", self.id), ("inventory_item_id", "!=", False),
             ("odoo_id.active", "=", True)]
        )
        shopify = {}  # (item id, location id) -> available
        for mapping in mappings:
            variables = {"locationId": catalog.gid("Location", mapping.external_value)}
            for node in adapter.paginate(
                catalog.LOCATION_INVENTORY_LEVELS, variables,
                path=["location", "inventoryLevels"], page_size=100,
            ):
                quantity = next((q["quantity"] for q in node["quantities"]
                                 if q["name"] == "available"), None)
                key = (catalog.numeric_id(node["item"]["id"]), str(mapping.external_value))
                shopify[key] = quantity
        odoo = {
            mapping.id: available_quantities(self.env, bindings.odoo_id, mapping.location_id)
            for mapping in mappings
        }
        drifted, levels = bindings.browse(), {}
        for binding in bindings:
            state = dict(binding.shopify_stock_state or {})
            seen = dict(state.get("levels") or {})
            drift = False
            for mapping in mappings:
                location = str(mapping.external_value)
                remote = shopify.get((binding.inventory_item_id, location))
                wanted = max(0, int(odoo[mapping.id].get(binding.odoo_id.id, 0.0) + 1e-9))
                if remote != wanted:
                    drift = True
                if remote is not None:
                    seen[location] = remote  # the next push's change-from quantity
            if drift:
                drifted |= binding
                levels[binding.id] = dict(state, levels=seen)
        fixed = 0
        if drifted:
            # marked in a short transaction, committed; then claim, commit, call, record
            with short_transaction(self.env) as env:
                for binding in drifted.with_env(env):
                    binding.write({"shopify_stock_state": levels[binding.id],
                                   "export_pending": True, "sync_hash": False})
            if not shares_test_transaction(self.env):
                self.env.invalidate_all()
            exporter = self._get_exporter("stock")
            exporter.run()
            fixed = len(drifted - exporter.failed)
        message = _(
            "Stock reconciliation: %(checked)s variants at %(locations)s locations checked, "
            "%(drifted)s drifted, %(fixed)s fixed.",
            checked=len(bindings), locations=len(mappings), drifted=len(drifted),
            fixed=fixed,
        )
        _logger.info("Shopify backend %s: %s", self.name, message)
        self.message_post(body=message)
        return message
