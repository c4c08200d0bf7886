from markupsafe import Markup, escape

from odoo import _, api, fields, models


class RetailBackend(models.Model):
    """The setup checklist shown at the top of a backend's form.

    Each channel lists its steps in order (:meth:`_setup_steps`): a label, whether it is
    done, and what to do when it is not. The form shows them and what is still missing.
    """

    _inherit = "retail.backend"

    setup_checklist = fields.Html(compute="_compute_setup_checklist", sanitize=False)
    setup_complete = fields.Boolean(compute="_compute_setup_checklist")

    def _setup_steps(self):
        """Return ``[(label, done, hint)]`` in the order an administrator follows them."""
        self.ensure_one()
        mappings = self.mapping_ids
        user_problem = self._integration_user_problem()
        return [
            (
                _("Company, integration user and defaults of imported orders"),
                bool(self.warehouse_id) and not user_problem,
                user_problem or _("Set the default warehouse (and pricelist, sales team) above."),
            ),
            (
                _("No mapping left to complete"),
                all(mappings.mapped("is_complete")),
                _(
                    "Complete the draft rows of the Mappings tab (locations, taxes, gateways, "
                    "shipping methods)."
                ),
            ),
        ]

    @api.depends_context("uid")
    def _compute_setup_checklist(self):
        for backend in self:
            if not backend.id:
                backend.setup_checklist = False
                backend.setup_complete = False
                continue
            steps = backend._setup_steps()
            rows = Markup("").join(
                Markup("<li>{icon} <b>{label}</b>{hint}</li>").format(
                    icon=Markup('<i class="fa fa-check text-success"></i>')
                    if done
                    else Markup('<i class="fa fa-circle-o text-warning"></i>'),
                    label=label,
                    hint=Markup("") if done else Markup(": ") + escape(hint),
                )
                for label, done, hint in steps
            )
            backend.setup_complete = all(done for _label, done, _hint in steps)
            backend.setup_checklist = Markup('<ol class="list-unstyled mb-0">{}</ol>').format(rows)
