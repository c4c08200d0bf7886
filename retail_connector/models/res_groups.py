# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

from .. import compat


class ResGroups(models.Model):
    _inherit = "res.groups"

    @api.model
    def _retail_setup_groups(self, category_xmlid, privilege_xmlid, group_xmlids, users_by_group):
        """Called by security/retail_connector_security.xml: how groups are classified and
        given users differs between series (see compat)."""
        compat.classify_groups(self.env, category_xmlid, privilege_xmlid, group_xmlids)
        for group_xmlid, user_xmlids in users_by_group.items():
            compat.add_group_users(self.env, group_xmlid, user_xmlids)
