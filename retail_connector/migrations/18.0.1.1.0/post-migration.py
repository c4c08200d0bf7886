"""Databases that had the connector before the integration user: give each company its
integration user and each backend its company's (the install hook does it on a new install)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.company"].search([])._retail_ensure_integration_user()
    env["retail.backend"].with_context(active_test=False)._retail_default_integration_users()
