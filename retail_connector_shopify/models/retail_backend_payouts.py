"""Shopify Payments payouts in: one bank statement per paid payout, ready to reconcile.

Each balance transaction of a payout (charge, refund, adjustment...) becomes a statement line
of its gross amount, with the partner of the order's sale when the order is imported; each
non-zero fee becomes a second, negative line booked straight to the fee account (the
community ``counterpart_account_id`` of ``account.bank.statement.line.create``), so only
the sales are left for the reconciliation widget. The lines add up to the payout's net and the
statement closes at its opening balance plus that net.

Idempotent: a statement line carries ``unique_import_id`` =
``shopify:<backend id>:<balance transaction id>`` (``:fee`` for its fee line) and the statement
``reference`` = ``shopify:<backend id>:payout:<payout id>``; a payout seen before is skipped.
"""

import json
import logging
import uuid
from decimal import Decimal

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.retail_connector import compat
from odoo.addons.retail_connector.access import MANAGER_GROUP, requires_group
from odoo.addons.retail_connector.errors import DataError

from ..graphql import payouts as payout_documents
from ..mappers.graphql import legacy_id

_logger = logging.getLogger(__name__)

PAYOUT_TOPIC = "payouts/import"


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    # Same name and constraint as the statement import modules (OCA, enterprise), which
    # community Odoo 18 does not ship.
    unique_import_id = fields.Char(string="Import ID", readonly=True, copy=False, index=True)

    compat.sql_constraints(locals(), [
        (
            "unique_import_id",
            "unique (unique_import_id)",
            "A bank account transaction can be imported only once!",
        )
    ])


class RetailBackend(models.Model):
    """Shopify Payments payouts: configuration, the button, the daily job."""

    _inherit = "retail.backend"

    shopify_import_payouts = fields.Boolean(
        string="Import Payouts Daily",
        help="The store uses Shopify Payments: import its paid payouts every day as bank "
        "statements of the payout journal.",
    )
    shopify_payout_journal_id = fields.Many2one(
        "account.journal",
        string="Payout Journal",
        domain="[('type', '=', 'bank')]",
        check_company=True,
        help="Bank journal of the account Shopify Payments pays out to: each paid payout "
        "becomes one of its statements.",
    )
    shopify_payout_fee_account_id = fields.Many2one(
        "account.account",
        string="Payment Fees Account",
        domain=compat.USABLE_ACCOUNTS
        + " + [('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        check_company=True,
        help="Expense account the Shopify Payments processing fees are booked to.",
    )

    # ------------------------------------------------------------------
    # Configuration
    # ------------------------------------------------------------------
    def _shopify_payout_config_error(self):
        """A sentence saying what to set before payouts can be imported, or None."""
        self.ensure_one()
        if self.backend_type != "shopify":
            return _("%s is not a Shopify backend.", self.name)
        missing = []
        if not self.shopify_payout_journal_id:
            missing.append(_("a Payout Journal (bank)"))
        if not self.shopify_payout_fee_account_id:
            missing.append(_("a Payment Fees Account"))
        if missing:
            return _(
                "Shopify payouts of %(name)s cannot be imported: set %(missing)s on the "
                "Shopify page of the backend.",
                name=self.name,
                missing=_(" and ").join(missing),
            )
        if self.shopify_payout_journal_id.type != "bank":
            return _(
                "The Payout Journal %s is not a bank journal.",
                self.shopify_payout_journal_id.display_name,
            )
        return None

    # ------------------------------------------------------------------
    # Entry points: button, cron, job, exception queue retry
    # ------------------------------------------------------------------
    @requires_group(MANAGER_GROUP)
    def action_shopify_import_payouts(self):
        """Import the paid payouts now; a missing setting is a UserError, nothing created."""
        for backend in self:
            error = backend._shopify_payout_config_error()
            if error:
                raise UserError(error)
            report = backend._shopify_run(backend._shopify_import_payouts)
            backend.message_post(body=report)
        return True

    @api.model
    def _cron_shopify_import_payouts(self):
        """Enqueue one payout import per Shopify backend that imports its payouts."""
        for backend in self._cron_ready_backends(
            [("backend_type", "=", "shopify"), ("shopify_import_payouts", "=", True)]
        ):
            backend._enqueue_job(
                "_shopify_run_payout_import", "shopify-payouts", "Shopify payouts import"
            )

    def _shopify_run_payout_import(self):
        """Job: import the payouts; a failure lands in the exception queue."""
        self.ensure_one()
        error = self._shopify_payout_config_error()
        if error:
            self._shopify_payout_failure(error)
            return error
        wait = self._circuit_check()
        if wait:
            return f"circuit open: payout import skipped, next run in {wait}s"
        outcome, value = self._call_guarded(self._shopify_import_payouts)
        if outcome == "done":
            return value
        if outcome == "data":
            self._shopify_payout_failure(str(value))
        return f"payout import ended with a {outcome} failure: {value}"

    def _shopify_payout_failure(self, message):
        """One open failed ``payouts/import`` event per backend, updated when it fails again;
        Retry on it runs the import again."""
        Event = self.env["retail.event"]
        event = Event.search(
            [("backend_id", "=", self.id), ("topic", "=", PAYOUT_TOPIC), ("state", "=", "failed")],
            limit=1,
        )
        if not event:
            event = Event.create(
                {
                    "backend_id": self.id,
                    "direction": "in",
                    "topic": PAYOUT_TOPIC,
                    "idempotency_key": f"{PAYOUT_TOPIC}:{uuid.uuid4().hex}",
                    "payload": json.dumps({"flow": "payouts"}),
                }
            )
        event._mark_failed("data", message)
        _logger.warning("Shopify backend %s: %s", self.name, message)
        return event

    def _shopify_payout_event(self, _event, prepared=None):
        """Handler of a ``payouts/import`` event (a retried failed import): books what the
        call step read (read here when called directly)."""
        error = self._shopify_payout_config_error()
        if error:
            raise DataError(error)
        return self._shopify_import_payouts(fetched=(prepared or {}).get("fetched"))

    def _shopify_payout_call(self, _event):
        """Call step of a ``payouts/import`` event: read the payouts, nothing written."""
        error = self._shopify_payout_config_error()
        if error:
            raise DataError(error)
        return {"fetched": self._shopify_fetch_payouts()}

    # ------------------------------------------------------------------
    # The import
    # ------------------------------------------------------------------
    def _shopify_import_payouts(self, adapter=None, fetched=None):
        """Create a bank statement per paid payout not imported yet; return a report.
        ``fetched``: what :meth:`_shopify_fetch_payouts` read (read here when not given):
        every call to Shopify happens before the first statement is written."""
        self.ensure_one()
        error = self._shopify_payout_config_error()
        if error:
            raise DataError(error)
        if fetched is None:
            fetched = self._shopify_fetch_payouts(adapter)
        # sudo: payouts are booked as bank statements, which invoicing users (the integration user)
        # may only read
        Statement = self.env["account.bank.statement"].sudo()
        # sudo: payouts are booked as bank statements, which invoicing users (the integration user)
        # may only read
        Line = self.env["account.bank.statement.line"].sudo()
        created, seen = Statement.browse(), fetched["seen"]
        for payout, payout_id, transactions in fetched["payouts"]:
            if Statement.search_count([("reference", "=", self._shopify_payout_reference(
                    payout_id))]):
                continue  # imported meanwhile
            keys = [self._shopify_line_key(node) for node in transactions]
            if keys and Line.search_count([("unique_import_id", "in", keys)]):
                continue  # imported before under another statement: never twice
            created |= self._shopify_create_payout_statement(payout, payout_id, transactions)
        report = _(
            "Shopify payouts: %(seen)s paid, %(created)s imported (%(lines)s statement lines), "
            "%(known)s already imported.",
            seen=seen,
            created=len(created),
            lines=len(created.line_ids),
            known=seen - len(created),
        )
        _logger.info("Shopify backend %s: %s", self.name, report)
        return report

    def _shopify_fetch_payouts(self, adapter=None):
        """Read the paid payouts and, for those not imported yet, their balance transactions
        (nothing written). Returns ``{"seen": paid payouts, "payouts": [(payout, payout id,
        transactions)]}``."""
        self.ensure_one()
        adapter = adapter or self._shopify_adapter()
        # sudo: as in _shopify_import_payouts, the statements of every journal are looked up
        Statement = self.env["account.bank.statement"].sudo()
        fetched = {"seen": 0, "payouts": []}
        for payout in adapter.paginate(
            payout_documents.PAYOUTS,
            {"query": payout_documents.paid_filter()},
            path=payout_documents.PAYOUTS_PATH,
            page_size=payout_documents.PAYOUTS_PAGE_SIZE,
        ):
            if payout.get("status") != "PAID":
                continue
            fetched["seen"] += 1
            payout_id = payout.get("legacyResourceId") or legacy_id(payout["id"])
            if Statement.search_count([("reference", "=", self._shopify_payout_reference(
                    payout_id))]):
                continue
            transactions = [
                node
                for node in adapter.paginate(
                    payout_documents.PAYOUT_TRANSACTIONS,
                    {"query": payout_documents.payout_filter(payout_id)},
                    path=payout_documents.TRANSACTIONS_PATH,
                    page_size=payout_documents.TRANSACTIONS_PAGE_SIZE,
                )
                if node.get("type") not in payout_documents.TRANSFER_TYPES
                and (node.get("associatedPayout") or {}).get("id") in (None, payout["id"])
            ]
            fetched["payouts"].append((payout, payout_id, transactions))
        return fetched

    def _shopify_payout_reference(self, payout_id):
        return f"shopify:{self.id}:payout:{payout_id}"

    def _shopify_line_key(self, transaction):
        return f"shopify:{self.id}:{legacy_id(transaction['id'])}"

    def _shopify_payout_partners(self, transactions):
        """Order legacy id -> commercial partner of its imported sale."""
        order_ids = {
            str(legacy_id((node.get("associatedOrder") or {}).get("id")))
            for node in transactions
            if node.get("associatedOrder")
        }
        bindings = self.env["retail.order.binding"].search(
            [("backend_id", "=", self.id), ("external_id", "in", list(order_ids))]
        )
        return {b.external_id: b.odoo_id.partner_id.commercial_partner_id for b in bindings}

    def _shopify_create_payout_statement(self, payout, payout_id, transactions):
        """The statement of one payout; raises DataError (nothing created) when the
        transactions do not add up to the payout's net or the currencies differ."""
        journal = self.shopify_payout_journal_id
        fee_account = self.shopify_payout_fee_account_id
        currency = journal.currency_id or journal.company_id.currency_id
        net = Decimal(str(payout["net"]["amount"]))
        if payout.get("transactionType") == "WITHDRAWAL":
            net = -abs(net)
        currencies = {payout["net"]["currencyCode"]} | {
            node["amount"]["currencyCode"] for node in transactions
        }
        if currencies != {currency.name}:
            raise DataError(
                _(
                    "Shopify payout %(payout)s is in %(theirs)s but the Payout Journal "
                    "%(journal)s is in %(ours)s: choose a journal in that currency.",
                    payout=payout_id,
                    theirs=", ".join(sorted(currencies)),
                    journal=journal.display_name,
                    ours=currency.name,
                )
            )
        date = fields.Date.to_date(payout["issuedAt"][:10])
        partners = self._shopify_payout_partners(transactions)
        lines, total = [], Decimal(0)
        for node in transactions:
            amount = Decimal(str(node["amount"]["amount"]))
            fee = Decimal(str(node["fee"]["amount"]))
            order = node.get("associatedOrder") or {}
            kind = node["type"].lower().replace("_", " ")
            label = f"{order['name']} {kind}" if order.get("name") else kind.capitalize()
            key = self._shopify_line_key(node)
            partner = partners.get(str(legacy_id(order.get("id"))))
            common = {"date": date, "journal_id": journal.id}
            lines.append(
                {
                    **common,
                    "payment_ref": label,
                    "amount": float(amount),
                    "partner_id": partner.id if partner else False,
                    "unique_import_id": key,
                }
            )
            if fee:
                lines.append(
                    {
                        **common,
                        "payment_ref": _("Fees %s", label),
                        "amount": float(-fee),
                        "unique_import_id": f"{key}:fee",
                        "counterpart_account_id": fee_account.id,
                    }
                )
            total += amount - fee
        if not transactions or total != net:
            raise DataError(
                _(
                    "Shopify payout %(payout)s does not balance: its %(count)s balance "
                    "transactions net %(total)s, the payout %(net)s. Nothing was imported.",
                    payout=payout_id,
                    count=len(transactions),
                    total=total,
                    net=net,
                )
            )
        statement = (
            self.env["account.bank.statement"]
            # sudo: payouts are booked as bank statements, which invoicing users (the integration
            # user) may only read
            .sudo()
            .with_company(journal.company_id)
            .create(
                {
                    "name": _("Shopify payout %s", payout_id),
                    "reference": self._shopify_payout_reference(payout_id),
                    "line_ids": [Command.create(values) for values in lines],
                }
            )
        )
        statement.balance_end_real = currency.round(statement.balance_start + float(net))
        return statement
