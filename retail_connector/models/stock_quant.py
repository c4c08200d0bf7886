from odoo import api, models

from ..engine.outbound import mark_dirty

PRECOMMIT_KEY = "retail_connector.stock_changed"


class StockQuant(models.Model):
    """Every change of quantity or reservation marks the product's bindings dirty (export
    marks, inserted: see ``retail.export.mark``).

    The product ids are collected during the transaction and marked once, just before commit,
    so that a picking of 500 lines enqueues one stock export job per backend, not 500.
    """

    _inherit = "stock.quant"

    @api.model
    def _update_available_quantity(self, product_id, location_id, *args, **kwargs):
        result = super()._update_available_quantity(product_id, location_id, *args, **kwargs)
        self._retail_stock_changed(product_id, location_id)
        return result

    @api.model
    def _update_reserved_quantity(self, product_id, location_id, *args, **kwargs):
        result = super()._update_reserved_quantity(product_id, location_id, *args, **kwargs)
        self._retail_stock_changed(product_id, location_id)
        return result

    @api.model
    def _retail_stock_changed(self, product, location):
        if location.usage != "internal" or self.env.context.get("retail_no_export"):
            return
        changed = self.env.cr.precommit.data.setdefault(PRECOMMIT_KEY, set())
        if not changed:
            self.env.cr.precommit.add(self._retail_flush_stock_changes)
        changed.add(product.id)

    def _retail_flush_stock_changes(self):
        product_ids = self.env.cr.precommit.data.pop(PRECOMMIT_KEY, set())
        bindings = (
            self.env["retail.product.binding"]
            # sudo: runs before commit of any user's stock move; that user need not be able to read
            # the connector's bindings
            .sudo()
            .search([("odoo_id", "in", list(product_ids)), ("backend_id.active", "=", True)])
        )
        # rows of their own: the picking never touches the bindings a stock export updates
        mark_dirty(bindings, "stock", insert_only=True)
        self.env.flush_all()
