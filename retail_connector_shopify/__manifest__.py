# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Retail Connector: Shopify",
    "summary": "Connect Shopify to Odoo through the retail connector engine",
    "version": "18.0.1.0.0",
    "category": "Sales/Connector",
    "license": "LGPL-3",
    "author": "Retail Connector Team",
    "website": "https://github.com/retail-connector/retail-connector",
    "depends": ["retail_connector"],
    "external_dependencies": {"python": ["requests", "ShopifyAPI"]},
    "data": [
        "security/ir.model.access.csv",
        "data/queue_job_data.xml",
        "data/retail_ownership_rule_data.xml",
        "data/ir_cron.xml",
        "views/retail_backend_views.xml",
        "views/product_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["retail_connector_shopify/static/tests/tours/*.js"],
    },
    "installable": True,
}
