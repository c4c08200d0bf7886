# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Retail Connector: Salesforce",
    "summary": "Connect Salesforce to Odoo through the retail connector engine",
    "version": "18.0.1.0.0",
    "category": "Sales/Connector",
    "license": "LGPL-3",
    "author": "Retail Connector Team",
    "website": "https://github.com/retail-connector/retail-connector",
    "depends": ["retail_connector"],
    "external_dependencies": {"python": ["requests", "simple-salesforce"]},
    "data": [
        "security/ir.model.access.csv",
        "security/retail_connector_salesforce_rules.xml",
        "data/queue_job_data.xml",
        "data/retail_ownership_rule_data.xml",
        "views/retail_backend_views.xml",
    ],
    "installable": True,
}
