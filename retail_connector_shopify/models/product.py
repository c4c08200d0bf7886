from odoo import api, fields, models

#: Template fields whose change is sent to Shopify (productSet).
TEMPLATE_EXPORT_FIELDS = {
    "name", "description_sale", "list_price", "barcode", "default_code", "active",
    "sale_ok", "attribute_line_ids", "shopify_publish", "shopify_backend_ids",
    "shopify_vendor",
}
#: Variant fields whose change is sent to Shopify.
VARIANT_EXPORT_FIELDS = {"barcode", "default_code", "active", "lst_price",
                         "product_template_attribute_value_ids"}


class ProductTemplate(models.Model):
    """Odoo owns the item master: published templates are created and updated in Shopify."""

    _inherit = "product.template"

    shopify_publish = fields.Boolean(
        string="Publish to Shopify",
        copy=False,
        help="Create and keep this product (its variants, prices, barcodes and SKUs) up to "
        "date in the selected Shopify stores.",
    )
    shopify_backend_ids = fields.Many2many(
        "retail.backend",
        "product_template_shopify_backend_rel",
        "template_id",
        "backend_id",
        string="Shopify Stores",
        domain=[("backend_type", "=", "shopify")],
        copy=False,
        help="The Shopify backends this product is published to.",
    )
    shopify_vendor = fields.Char(
        string="Shopify Vendor", help="The brand shown in Shopify; default: the company name."
    )
    shopify_export_pending = fields.Boolean(
        copy=False, index=True, help="Changed since its last export to the Shopify stores."
    )
    shopify_export_done_ids = fields.Many2many(
        "retail.backend",
        "product_template_shopify_done_rel",
        "template_id",
        "backend_id",
        copy=False,
        help="Stores the pending change was exported to already.",
    )
    shopify_sync_version = fields.Integer(
        copy=False, readonly=True,
        help="Bumped by every change to export: an export marks the template done only when "
        "the version it read has not moved while it was sending.",
    )
    shopify_export_state = fields.Json(
        copy=False, help="Per backend id: hash of the last productSet and the Shopify product id."
    )

    @api.model_create_multi
    def create(self, vals_list):
        templates = super().create(vals_list)
        templates._shopify_mark_dirty()
        return templates

    def write(self, vals):
        result = super().write(vals)
        if TEMPLATE_EXPORT_FIELDS.intersection(vals):
            self._shopify_mark_dirty()
        return result

    def _shopify_mark_dirty(self):
        """Flag published templates for the products export and enqueue one job per store.

        Nothing happens inside an import (``retail_no_export``): what a channel sent is not
        echoed back to it.
        """
        if self.env.context.get("retail_no_export"):
            return
        # sudo: a user who may edit products need not see the backends
        templates = self.sudo().filtered(lambda t: t.shopify_publish and t.shopify_backend_ids)
        if not templates:
            return
        templates.with_context(retail_no_export=True).write(
            {"shopify_export_pending": True, "shopify_export_done_ids": [fields.Command.clear()]}
        )
        templates.flush_recordset(["shopify_sync_version"])
        self.env.cr.execute(
            "UPDATE product_template SET shopify_sync_version = "
            "COALESCE(shopify_sync_version, 0) + 1 WHERE id IN %s",
            (tuple(templates.ids),),
        )
        templates.invalidate_recordset(["shopify_sync_version"])
        for backend in templates.shopify_backend_ids.filtered("active"):
            backend._schedule_export("products")


class ProductProduct(models.Model):
    _inherit = "product.product"

    @api.model_create_multi
    def create(self, vals_list):
        products = super().create(vals_list)
        products.product_tmpl_id._shopify_mark_dirty()
        return products

    def write(self, vals):
        result = super().write(vals)
        if VARIANT_EXPORT_FIELDS.intersection(vals):
            self.product_tmpl_id._shopify_mark_dirty()
        return result


class RetailProductBinding(models.Model):
    _inherit = "retail.product.binding"

    shopify_stock_state = fields.Json(
        copy=False,
        help="Stock export state: quantity last sent per Shopify location (the next "
        "changeFromQuantity) and a send sequence (part of the idempotency key).",
    )
