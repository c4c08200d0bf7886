"""What marks Salesforce bindings dirty (outbound triggers only; the exporters send).

* partners: a write of a field the accounts flow sends and Odoo owns, on a partner bound to
  a Salesforce backend (or one of its invoice/delivery contacts); never inside an import
  (``retail_no_export``), so an Account imported from Salesforce is not echoed back;
* products: creating or editing a template published to Salesforce, or (un)publishing it;
* order status: confirming or cancelling a sale order, validating its delivery, posting,
  resetting or cancelling its invoices and credit notes, (un)reconciling their payments.
  These mark the order even inside an import (a Shopify order is confirmed and paid by its
  import job): the status goes to another system, and the hash skip stops any echo.
"""

from odoo import api, fields, models

from odoo.addons.retail_connector.engine.outbound import insert_marks, mark_dirty

from ..exporters.account import ACCOUNT_EXPORT_FIELDS
from ..exporters.base import PLACEHOLDER_PREFIX

PRODUCT_FIELDS = frozenset({"sf_publish", "name", "default_code", "list_price", "active",
                            "sale_ok", "description_sale"})


def salesforce_backends(env, **domain):
    search = [("backend_type", "=", "salesforce"), ("active", "=", True)]
    search += [(name, "=", value) for name, value in domain.items()]
    # sudo: called from the write of a partner, product or order by any user, who may not read the
    # backends
    return env["retail.backend"].sudo().search(search)


class ResPartner(models.Model):
    _inherit = "res.partner"

    def write(self, vals):
        result = super().write(vals)
        if ACCOUNT_EXPORT_FIELDS & set(vals) and not self.env.context.get("retail_no_export"):
            self._sf_mark_accounts(set(vals))
        return result

    def _sf_mark_accounts(self, changed):
        # sudo: called from the write of a partner by any user; marking the connector's bindings is
        # not that user's right to have
        commercial = self.sudo().mapped("commercial_partner_id")
        # sudo: called from the write of a partner by any user; marking the connector's bindings is
        # not that user's right to have
        bindings = self.env["retail.partner.binding"].sudo().search(
            [("odoo_id", "in", commercial.ids), ("backend_id.backend_type", "=", "salesforce")])
        Rules = self.env["retail.ownership.rule"]
        dirty = bindings.filtered(
            lambda b: (changed & ACCOUNT_EXPORT_FIELDS)
            - Rules._channel_owned_fields(b.backend_id, "customer"))
        # a row of its own per change: never waits on, nor fails to serialize against, an
        # export recording its outcome on the same bindings
        mark_dirty(dirty, "accounts", insert_only=True)


class ProductTemplate(models.Model):
    _inherit = "product.template"

    sf_publish = fields.Boolean(
        string="Publish to Salesforce", copy=False,
        help="Odoo sends the variants as Salesforce Products (Product2) with their sales price "
        "in the standard price book, to every Salesforce backend of the company.")

    @api.model_create_multi
    def create(self, vals_list):
        templates = super().create(vals_list)
        templates.filtered("sf_publish")._sf_mark_products()
        return templates

    def write(self, vals):
        result = super().write(vals)
        if PRODUCT_FIELDS & set(vals):
            self.filtered(lambda t: t.sf_publish or "sf_publish" in vals)._sf_mark_products()
        return result

    def _sf_mark_products(self):
        if not self or self.env.context.get("retail_no_export"):
            return
        # sudo: called from the write of a product by any user; marking the connector's bindings is
        # not that user's right to have
        Binding = self.env["retail.product.binding"].sudo()
        # sudo: called from the write of a product by any user; marking the connector's bindings is
        # not that user's right to have
        variants = self.sudo().with_context(active_test=False).product_variant_ids
        for backend in salesforce_backends(self.env):
            bindings = Binding.search([("backend_id", "=", backend.id),
                                       ("odoo_id", "in", variants.ids)])
            for variant in variants - bindings.odoo_id:
                if variant.product_tmpl_id.sf_publish and variant.company_id in (
                        backend.company_id, variant.company_id.browse()):
                    bindings |= Binding.create({
                        "backend_id": backend.id, "odoo_id": variant.id,
                        "external_id": f"{PLACEHOLDER_PREFIX}{variant.id}"})
            mark_dirty(bindings, "products", insert_only=True)


class ProductProduct(models.Model):
    _inherit = "product.product"

    def write(self, vals):
        result = super().write(vals)
        if {"default_code", "active", "lst_price", "product_template_attribute_value_ids"} & set(
                vals):
            self.product_tmpl_id.filtered("sf_publish")._sf_mark_products()
        return result


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        result = super().action_confirm()
        self._sf_mark_status()
        return result

    def _action_cancel(self):
        result = super()._action_cancel()
        self._sf_mark_status()
        return result

    def _sf_mark_status(self):
        """Mark the status bindings of these orders on every Salesforce backend dirty."""
        # sudo: called from the write of an order by any user; marking the connector's bindings is
        # not that user's right to have
        sales = self.sudo().filtered(lambda s: s.state in ("sale", "cancel"))
        if not sales:
            return
        # sudo: called from the write of an order by any user; marking the connector's bindings is
        # not that user's right to have
        Binding = self.env["retail.sf.status.binding"].sudo()
        for backend in salesforce_backends(self.env, sf_export_order_status=True):
            mine = sales.filtered(lambda s, b=backend: s.company_id == b.company_id)
            if not mine:
                continue
            bindings = Binding.search([("backend_id", "=", backend.id),
                                       ("odoo_id", "in", mine.ids)])
            for sale in mine - bindings.odoo_id:
                origin = sale.retail_binding_ids.filtered(
                    lambda b, bk=backend: b.backend_id == bk)[:1]
                bindings |= Binding.create({
                    "backend_id": backend.id, "odoo_id": sale.id, "from_odoo": not origin,
                    "external_id": origin.external_id or f"{PLACEHOLDER_PREFIX}{sale.id}"})
            # inside imports too (see the module's docstring), hence not mark_dirty
            insert_marks(bindings, "order_status")
            backend._schedule_export("order_status")


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        self.filtered(lambda p: p.picking_type_code == "outgoing").sale_id._sf_mark_status()
        return result

    def write(self, vals):
        result = super().write(vals)
        if "retail_tracking_ref" in vals:
            self.filtered(lambda p: p.state == "done").sale_id._sf_mark_status()
        return result


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._sf_sales()._sf_mark_status()
        return posted

    def button_draft(self):
        result = super().button_draft()
        self._sf_sales()._sf_mark_status()
        return result

    def button_cancel(self):
        result = super().button_cancel()
        self._sf_sales()._sf_mark_status()
        return result

    def _sf_sales(self):
        # sudo: called from the posting of an invoice by any user; marking the connector's bindings
        # is not that user's right to have
        invoices = self.sudo().filtered(lambda m: m.move_type in ("out_invoice", "out_refund"))
        return invoices.line_ids.sale_line_ids.order_id


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def reconcile(self):
        moves = self.move_id
        result = super().reconcile()
        moves._sf_sales()._sf_mark_status()
        return result

    def remove_move_reconcile(self):
        moves = self.move_id
        result = super().remove_move_reconcile()
        moves._sf_sales()._sf_mark_status()
        return result
