"""The integration user of a backend: who its webhooks and jobs run as.

A webhook arrives on a public route and a cron runs as the superuser; neither should create
orders as "Public user" nor in superuser mode. The intake and every place that enqueues a
backend's job switch to the backend's integration user (:meth:`_as_integration_user`), so that
the job queue runs the job as that user too, with its groups and record rules.
"""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)


class RetailBackend(models.Model):
    _inherit = "retail.backend"
    # Whoever may read a backend may post on its chatter: its jobs (the integration user)
    # report there without the right to edit the backend's configuration.
    _mail_post_access = "read"

    integration_user_id = fields.Many2one(
        "res.users",
        string="Odoo Integration User",
        compute="_compute_integration_user_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        ondelete="restrict",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Webhooks and jobs of this backend run as this user: it creates the imported "
        "orders, customers, invoices and payments. Defaults to the company's integration user "
        "(internal, sales, inventory and invoicing user rights, no manager rights, no "
        "password). Without an active one, webhooks are refused and no job is enqueued.",
    )

    @api.depends("company_id")
    def _compute_integration_user_id(self):
        for backend in self:
            # sudo: the users and companies of a backend's company, which the current user
            # (a manager of another company) may not read.
            user = backend.sudo().integration_user_id
            if not user or backend.company_id not in user.company_ids:
                # sudo: same reason: the company's integration user, whichever the company
                company = backend.company_id.sudo()
                backend.integration_user_id = company.retail_integration_user_id

    def _integration_user_problem(self):
        """What is wrong with the backend's integration user (a sentence), or False."""
        self.ensure_one()
        # sudo: reading the user's state, whoever asks (a public route, a Retail User).
        user = self.sudo().integration_user_id.with_context(active_test=False)
        if not user:
            return _("Backend %s has no integration user: set one on its form.", self.name)
        if not user.active:
            return _(
                "The integration user %(user)s of backend %(backend)s is archived: restore it "
                "or choose another one on the backend's form.",
                user=user.name,
                backend=self.name,
            )
        if self.company_id not in user.company_ids:
            return _(
                "The integration user %(user)s of backend %(backend)s has no access to the "
                "company %(company)s: choose another one on the backend's form.",
                user=user.name,
                backend=self.name,
                company=self.company_id.name,
            )
        return False

    def _check_integration_user(self):
        """Raise UserError saying what to fix when the backend has no active integration user
        (Test Connection: a backend that connects but cannot receive is not ready)."""
        self.ensure_one()
        problem = self._integration_user_problem()
        if problem:
            raise UserError(problem)

    def _as_integration_user(self):
        """This backend as its integration user (no superuser mode); UserError without one."""
        self._check_integration_user()
        # sudo: the user record of the backend, read to switch to it.
        user = self.sudo().integration_user_id
        return self.with_user(user).with_context(allowed_company_ids=self.company_id.ids)

    @api.model
    def _cron_ready_backends(self, domain=()):
        """The active backends matching ``domain`` whose jobs can be enqueued; each backend
        without an active integration user is logged (by name) and skipped."""
        ready = self.browse()
        for backend in self.search(list(domain)):
            problem = backend._integration_user_problem()
            if problem:
                _logger.warning("Scheduled work of backend %s skipped: %s", backend.name, problem)
                continue
            ready |= backend
        return ready

    @api.model
    def _retail_default_integration_users(self):
        """Backends without an integration user take their company's (install, upgrade)."""
        for backend in self.search([("integration_user_id", "=", False)]):
            backend.integration_user_id = backend.company_id.retail_integration_user_id
        return True
