from . import controllers, models, wizards


def post_init_hook(env):
    """Give every existing company its integration user (later ones get it on creation)."""
    env["res.company"].search([])._retail_ensure_integration_user()
    env["retail.backend"].with_context(active_test=False)._retail_default_integration_users()
