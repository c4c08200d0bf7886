"""Configure the demo database over XML-RPC, as an administrator would in the UI.

One Shopify backend on the Shopify sandbox (test connection, locations mapped to WH/Stock,
taxes, shipping and gateway mapped, webhooks registered) and one Salesforce backend on the
Salesforce sandbox (password login, test connection, first poll). Products matching the
sandbox catalogue are created in Odoo with stock, so orders flow end to end.
"""

import xmlrpc.client

DEMO_SF_USER = ("demo@retail.example", "demo-password", "DEMOTOKEN")


class Odoo:
    def __init__(self, url, database, login="admin", password="admin"):
        self.url, self.database, self.password = url, database, password
        common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common", allow_none=True)
        self.uid = common.authenticate(database, login, password, {})
        self.models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def call(self, model, method, *args, **kwargs):
        return self.models.execute_kw(
            self.database, self.uid, self.password, model, method, list(args), kwargs
        )

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        rows = self.call(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        return rows[0]["res_id"]

    def button(self, model, method, record_ids):
        """Click a button; Odoo answers None for many of them, which XML-RPC may refuse."""
        ids = record_ids if isinstance(record_ids, list) else [record_ids]
        try:
            return self.call(model, method, ids)
        except xmlrpc.client.Fault as fault:
            if "cannot marshal None" not in str(fault):
                raise
            return None


def configure(odoo, shopify, salesforce, catalogue, stock_quantity=100):
    """Create the catalogue's products with stock and configure one backend per sandbox
    (no Salesforce backend when ``salesforce`` is None); return their ids."""
    odoo.call("res.currency", "write", [odoo.ref("base.EUR")], {"active": True})
    products = create_products(odoo, catalogue)
    stock = odoo.ref("stock.stock_location_stock")
    for product_id in products:
        odoo.call(
            "stock.quant",
            "create",
            {
                "product_id": product_id,
                "location_id": stock,
                "inventory_quantity": stock_quantity,
            },
            context={"inventory_mode": True},
        )
    quants = odoo.call("stock.quant", "search", [("product_id", "in", products)])
    odoo.button("stock.quant", "action_apply_inventory", quants)
    shopify_id = configure_shopify(odoo, shopify, stock)
    salesforce_id = configure_salesforce(odoo, salesforce) if salesforce else None
    return shopify_id, salesforce_id


def variant_name(product, variant):
    options = " ".join(variant.get("options", {}).values())
    return f"{product['title']} {options}".strip()


def create_products(odoo, catalogue):
    ids = []
    for product in catalogue["products"]:
        for variant in product["variants"]:
            ids.append(
                odoo.call(
                    "product.product",
                    "create",
                    {
                        "name": variant_name(product, variant),
                        "default_code": variant["sku"],
                        "barcode": variant.get("barcode") or False,
                        "list_price": float(variant["price"]),
                        "is_storable": True,
                        "invoice_policy": "order",
                        "taxes_id": [(5, 0, 0)],
                    },
                )
            )
    return ids


def configure_shopify(odoo, shopify, stock):
    vat = odoo.call(
        "account.tax",
        "create",
        {
            "name": "VAT 20% (Shopify)",
            "amount": 20,
            "type_tax_use": "sale",
            "price_include_override": "tax_excluded",
        },
    )
    shipping = odoo.call(
        "product.product",
        "create",
        {
            "name": "Shipping (Shopify)",
            "type": "service",
            "invoice_policy": "order",
            "taxes_id": [(5, 0, 0)],
        },
    )
    bank = odoo.call("account.journal", "search", [("type", "=", "bank")], limit=1)[0]
    backend = odoo.call(
        "retail.backend",
        "create",
        {
            "name": "Demo Shopify store",
            "backend_type": "shopify",
            "shopify_shop_domain": "sandbox-retail.myshopify.com",
            "shopify_api_version": "2026-04",
            "shopify_api_base_url": shopify.base_url,
            "shopify_access_token": shopify.token,
            "shopify_public_base_url": odoo.url,
            "webhook_secret": shopify.client_secret,
            "alert_silence_minutes": 10,
        },
    )
    odoo.button("retail.backend", "action_shopify_test_connection", backend)
    odoo.button("retail.backend", "action_shopify_import_locations", backend)
    locations = odoo.call(
        "retail.value.mapping", "search", [("backend_id", "=", backend), ("kind", "=", "location")]
    )
    odoo.call("retail.value.mapping", "write", locations, {"location_id": stock})
    for kind, value, values in (
        ("tax", "VAT 20%", {"tax_id": vat}),
        ("shipping", "STD", {"product_id": shipping}),
        ("gateway", "manual", {"journal_id": bank, "payment_workflow": "invoice_pay"}),
        ("gateway", "shopify_payments", {"journal_id": bank, "payment_workflow": "invoice_pay"}),
    ):
        odoo.call(
            "retail.value.mapping",
            "create",
            {"backend_id": backend, "kind": kind, "external_value": value, **values},
        )
    odoo.button("retail.backend", "action_shopify_register_webhooks", backend)
    return backend


def configure_salesforce(odoo, salesforce):
    username, password, token = DEMO_SF_USER
    salesforce.control.add_user(username, password, token)
    # The custom fields an administrator adds to Order for the status written by Odoo.
    for field in ("Odoo_Status__c", "Odoo_Tracking__c"):
        salesforce.control.add_field("Order", field)
    backend = odoo.call(
        "retail.backend",
        "create",
        {
            "name": "Demo Salesforce org",
            "backend_type": "salesforce",
            "sf_auth_method": "password",
            "sf_login_domain": "login",
            "sf_username": username,
            "sf_password": password,
            "sf_security_token": token,
            "sf_api_base_url": salesforce.base_url,
            "sf_poll_interval": 1,
        },
    )
    odoo.button("retail.backend", "action_sf_test_connection", backend)
    odoo.button("retail.backend", "action_sf_poll_now", backend)
    return backend
