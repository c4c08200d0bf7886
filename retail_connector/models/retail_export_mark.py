from odoo import fields, models
from odoo.tools.sql import create_index


class RetailExportMark(models.Model):
    """A change to export, written by the transaction that made it (a picking's stock
    moves) as a row of its own: an insert never waits on, nor conflicts with, the export
    that updates the binding rows meanwhile (see ``engine.outbound``). The export's claim
    takes the marks of its flow and folds them into its bindings (dirty, version moved on);
    a mark committed after the claim stays for the next run.

    Plain integers, no foreign key: the insert locks no other row.
    """

    _name = "retail.export.mark"
    _description = "Retail Connector Export Mark"
    _log_access = False

    backend_id = fields.Integer(required=True)
    flow = fields.Char(required=True)
    binding_model = fields.Char(required=True)
    binding_id = fields.Integer(required=True)

    def init(self):
        super().init()
        create_index(
            self.env.cr, "retail_export_mark_flow_idx", self._table,
            ["backend_id", "flow", "binding_model"],
        )
        create_index(
            self.env.cr, "retail_export_mark_binding_idx", self._table,
            ["binding_model", "binding_id"],
        )
