"""The outbound path shared by every channel: mark dirty → coalesce → hash skip → batch.

A change in Odoo marks the binding dirty and enqueues one export job per backend and flow
(an identity key coalesces a burst of changes). The exporter then reads the current Odoo
state, builds canonical records, skips those whose hash equals the last one exported (this
also stops echo loops when the channel's webhook comes back) and sends the rest in the largest
batches the API allows.
"""

from contextlib import contextmanager
from dataclasses import dataclass, is_dataclass

from odoo import fields

from ..canonical import record_hash, to_dict
from ..errors import TransientError
from .failures import close_outbound_failures, record_outbound_failure
from .transactions import short_transaction

#: a claim older than this (seconds) is taken for a crashed export's and claimed again
CLAIM_TIMEOUT = 3600


MARK_TABLE = "retail_export_mark"


def mark_dirty(bindings, flow, insert_only=False):
    """Mark ``bindings`` for export in ``flow`` and enqueue one export job per backend.

    Does nothing inside an import (context ``retail_no_export``), so that what a channel sent
    is not echoed back to it, nor for backends whose channel does not export ``flow``
    (:meth:`retail.backend._export_flows`): their bindings stay clean for the flows they do
    export.

    ``insert_only``: write the marks as rows of ``retail.export.mark`` instead of updating
    the bindings, for changes made while an export may be updating the same bindings (a
    picking validated during a stock export): an insert never waits on a row lock nor
    fails to serialize against the export's claim and record.
    """
    if not bindings or bindings.env.context.get("retail_no_export"):
        return
    # sudo: called from the write of a product, quant or order by any user; flagging the connector's
    # bindings is not that user's right to have
    bindings = bindings.sudo()
    for backend in bindings.mapped("backend_id").filtered("active"):
        if flow not in backend._export_flows():
            continue  # this channel takes no such export (e.g. stock levels to a CRM)
        mine = bindings.filtered(lambda binding, backend=backend: binding.backend_id == backend)
        if insert_only:
            insert_marks(mine, flow)
        else:
            bump_versions(mine)
        backend._schedule_export(flow)


def insert_marks(bindings, flow):
    """Insert one export mark per binding of ``flow`` (bindings of one backend). Plain
    INSERT, not ON CONFLICT DO NOTHING on a unique key: under repeatable read, a key that
    another transaction committed after this one's snapshot makes that clause fail to
    serialize. Duplicates cost nothing: the claim takes them all at once."""
    if not bindings:
        return
    bindings.env.cr.execute(
        f"INSERT INTO {MARK_TABLE} (backend_id, flow, binding_model, binding_id) "
        "SELECT %s, %s, %s, unnest(%s::int[])",
        (bindings.backend_id.id, flow, bindings._name, bindings.ids),
    )
    bindings.invalidate_recordset(["export_dirty"])


def fold_marks(env, binding_model, backend_id, flow, binding_ids=None):
    """Take the export marks of ``flow`` (of ``binding_ids`` only, when given) that this
    transaction sees and fold them into their bindings: dirty, version moved on, claimable.
    Marks committed after this transaction's snapshot stay for the next run. Returns the
    ids of the bindings folded."""
    Binding = env[binding_model]
    Binding.flush_model(["export_pending", "sync_version", "export_claimed_at"])
    only = "AND binding_id = ANY(%s)" if binding_ids is not None else ""
    params = [backend_id, flow, binding_model]
    if binding_ids is not None:
        params.append(list(binding_ids))
    env.cr.execute(
        f"WITH taken AS (DELETE FROM {MARK_TABLE} WHERE id IN (SELECT id FROM {MARK_TABLE} "
        f"WHERE backend_id = %s AND flow = %s AND binding_model = %s {only} "
        "FOR UPDATE SKIP LOCKED) RETURNING binding_id) "
        f"UPDATE {Binding._table} SET export_pending = true, "
        "sync_version = COALESCE(sync_version, 0) + 1, export_claimed_at = NULL "
        "WHERE id IN (SELECT binding_id FROM taken) RETURNING id",
        [*params],
    )
    folded = [row[0] for row in env.cr.fetchall()]
    if folded:
        Binding.browse(folded).invalidate_recordset(
            ["export_pending", "sync_version", "export_claimed_at", "export_dirty"]
        )
    return folded


def flow_marked_ids(env, binding_model, backend_id, flow):
    """The ids of the bindings of ``backend_id`` with an export mark of ``flow``."""
    env.cr.execute(
        f"SELECT DISTINCT binding_id FROM {MARK_TABLE} "
        "WHERE backend_id = %s AND flow = %s AND binding_model = %s",
        (backend_id, flow, binding_model),
    )
    return [row[0] for row in env.cr.fetchall()]


def marked_binding_ids(env, binding_model, binding_ids):
    """The ids among ``binding_ids`` that have an export mark not folded yet."""
    if not binding_ids:
        return set()
    env.cr.execute(
        f"SELECT DISTINCT binding_id FROM {MARK_TABLE} "
        "WHERE binding_model = %s AND binding_id = ANY(%s)",
        (binding_model, list(binding_ids)),
    )
    return {row[0] for row in env.cr.fetchall()}


def bump_versions(bindings):
    """Mark ``bindings`` dirty and move their sync version on (one UPDATE): an export that
    read an older version keeps them dirty when it records its outcome."""
    if not bindings:
        return
    bindings.flush_recordset(["export_pending", "sync_version", "export_claimed_at"])
    bindings.env.cr.execute(
        f"UPDATE {bindings._table} SET export_pending = true, "
        "sync_version = COALESCE(sync_version, 0) + 1, export_claimed_at = NULL "
        "WHERE id IN %s",
        (tuple(bindings.ids),),
    )
    bindings.invalidate_recordset(["export_pending", "sync_version", "export_claimed_at"])


@dataclass
class ExportReport:
    sent: int = 0
    skipped: int = 0
    calls: int = 0

    def __str__(self):
        return f"sent {self.sent}, unchanged {self.skipped}, in {self.calls} call(s)"


class Exporter:
    """Base of the exporters of one backend and flow.

    Subclasses set :attr:`binding_model` and :attr:`batch_size` and implement :meth:`build`
    (binding → canonical record, or ``None`` to skip it) and :meth:`send` (one batch of
    ``(binding, record)``; raise a :class:`~..errors.RetailError` when the whole batch
    failed). An API that answers per record (Salesforce collections, Shopify userErrors) lets
    ``send`` return ``{binding id: RetailError}`` of the records that failed: the others are
    marked synced, a data error puts its record in the exception queue (once per content),
    and a transient one leaves it dirty for an export scheduled again shortly. ``send`` may
    count the API calls it makes in :attr:`calls`; one that does not counts as one call.
    """

    binding_model = None
    batch_size = 250
    #: claim, commit, call, record (:meth:`run_claimed`) instead of one transaction holding
    #: the dirty rows locked through the calls
    separate_transactions = False

    def __init__(self, backend, flow):
        self.backend = backend
        self.env = backend.env
        self.flow = flow
        self.calls = 0
        #: claim and record in savepoints of the caller's transaction (the caller wrote the
        #: rows itself, e.g. a retry or a reconciliation, and holds them anyway)
        self.same_transaction = False

    @contextmanager
    def transaction(self):
        """A short transaction of its own; the exporter reads through it meanwhile."""
        job_env = self.env
        with short_transaction(job_env, same=self.same_transaction) as env:
            self.env, self.backend = env, self.backend.with_env(env)
            try:
                yield env
            finally:
                self.env, self.backend = job_env, self.backend.with_env(job_env)

    def build(self, binding):
        raise NotImplementedError

    def send(self, items):
        raise NotImplementedError

    def dirty_bindings(self):
        """Lock and return the dirty bindings; rows another export holds are left to it."""
        Binding = self.env[self.binding_model]
        fold_marks(self.env, self.binding_model, self.backend.id, self.flow)
        Binding.flush_model(["backend_id", "export_pending"])
        self.env.cr.execute(
            f"SELECT id FROM {Binding._table} WHERE backend_id = %s AND export_pending "
            "ORDER BY id FOR UPDATE SKIP LOCKED",
            (self.backend.id,),
        )
        return Binding.browse([row[0] for row in self.env.cr.fetchall()])

    def run(self):
        if self.separate_transactions:
            return self.run_claimed()
        report = ExportReport()
        changed = []
        for binding in self.dirty_bindings():
            record = self.build(binding)
            digest = record_hash(record) if record is not None else binding.sync_hash
            if record is None or digest == binding.sync_hash:
                binding.export_pending = False
                report.skipped += 1
            else:
                changed.append((binding, record, digest))
        retry_after, sent = None, self.env[self.binding_model]
        for start in range(0, len(changed), self.batch_size):
            chunk = changed[start : start + self.batch_size]
            calls_before = self.calls
            failures = self.send([(binding, record) for binding, record, _digest in chunk]) or {}
            if self.calls == calls_before:
                self.calls += 1
            now = fields.Datetime.now()
            for binding, record, digest in chunk:
                error = failures.get(binding.id)
                if error is None:
                    binding.write({"sync_hash": digest, "sync_date": now, "export_pending": False})
                    sent |= binding
                    report.sent += 1
                elif isinstance(error, TransientError):
                    retry_after = max(retry_after or 0, error.retry_after or 1)
                else:
                    binding.export_pending = False
                    self.record_failure(binding, record, digest, error)
        close_outbound_failures(self.backend, self.flow, sent.odoo_id)
        report.calls = self.calls
        if retry_after is not None:
            self.backend._schedule_export(self.flow, delay=retry_after)
        return report

    def record_failure(self, binding, record, digest, error):
        """The record's open exception row (one per backend, flow and record)."""
        target = binding.odoo_id
        return record_outbound_failure(
            self.backend, self.flow, f"{target.display_name}: {error}", kind=error.kind,
            record=target,
            payload={
                "binding_model": binding._name,
                "binding_id": binding.id,
                "digest": digest,
                "record": to_dict(record) if is_dataclass(record) else record,
            },
            external_id=binding.external_id,
        )

    # ------------------------------------------------------------------
    # Claim, commit, call, record
    # ------------------------------------------------------------------
    def prepare(self):
        """Hook run before the claim, in the job's transaction (e.g. remote look-ups)."""

    def claim(self):
        """In the claim transaction: mark the dirty rows nobody is sending as being sent;
        return ``{binding id: sync version read}``. Rows locked by another transaction
        (a picking being validated) are left to the next run."""
        Binding = self.env[self.binding_model]
        fold_marks(self.env, self.binding_model, self.backend.id, self.flow)
        Binding.flush_model()
        table = Binding._table
        self.env.cr.execute(
            f"UPDATE {table} SET export_claimed_at = now() AT TIME ZONE 'UTC' "
            f"WHERE id IN (SELECT id FROM {table} WHERE backend_id = %s AND export_pending "
            "AND (export_claimed_at IS NULL OR export_claimed_at < "
            "(now() AT TIME ZONE 'UTC') - make_interval(secs => %s)) "
            "ORDER BY id FOR UPDATE SKIP LOCKED) RETURNING id, COALESCE(sync_version, 0)",
            (self.backend.id, CLAIM_TIMEOUT),
        )
        claimed = dict(self.env.cr.fetchall())
        Binding.browse(claimed).invalidate_recordset(["export_claimed_at"])
        return claimed

    def claimed_bindings(self, claimed):
        return self.env[self.binding_model].browse(sorted(claimed))

    def record_values(self, binding_id, outcome):
        """Hook: more values the record transaction writes on a binding (e.g. what the
        channel now holds); ``outcome`` is ``sent``, ``skipped``, ``failed`` or ``retry``."""
        return {}

    def run_claimed(self):
        """Claim the dirty rows and build their records (short transaction, committed),
        send them with no transaction holding them, record the outcomes (another one)."""
        report = ExportReport()
        self.prepare()
        with self.transaction():
            claimed = self.claim()
            changed, outcomes = [], {}
            for binding in self.claimed_bindings(claimed):
                record = self.build(binding)
                digest = record_hash(record) if record is not None else binding.sync_hash
                if record is None or digest == binding.sync_hash:
                    outcomes[binding.id] = ("skipped", None)
                    report.skipped += 1
                else:
                    changed.append((binding.id, record, digest))
        Binding = self.env[self.binding_model]
        retry_after, failed = None, []
        try:
            for start in range(0, len(changed), self.batch_size):
                chunk = changed[start : start + self.batch_size]
                calls_before = self.calls
                items = [(Binding.browse(bid), record) for bid, record, _digest in chunk]
                failures = self.send(items) or {}
                if self.calls == calls_before:
                    self.calls += 1
                for (binding, record), (_bid, _record, digest) in zip(items, chunk, strict=True):
                    error = failures.get(binding.id)
                    if error is None:
                        outcomes[binding.id] = ("sent", digest)
                        report.sent += 1
                    elif isinstance(error, TransientError):
                        outcomes[binding.id] = ("retry", None)
                        retry_after = max(retry_after or 0, error.retry_after or 1)
                    else:
                        outcomes[binding.id] = ("failed", None)
                        failed.append((binding, record, digest, error))
        finally:
            # what was sent is recorded even when a later batch failed (no resend)
            self.record_outcomes(claimed, outcomes)
        sent = Binding.browse([bid for bid, (outcome, _d) in outcomes.items() if outcome == "sent"])
        sent -= getattr(self, "failed", None) or Binding  # refused in part by the channel
        with self.transaction():  # exception rows: not in the job's transaction either
            for binding, record, digest, error in failed:
                # read on this transaction: the job's snapshot may predate the binding
                self.record_failure(binding.with_env(self.env), record, digest, error)
            close_outbound_failures(self.backend, self.flow, sent.with_env(self.env).odoo_id)
        report.calls = self.calls
        if retry_after is not None:
            self.backend._schedule_export(self.flow, delay=retry_after)
        return report

    def record_outcomes(self, claimed, outcomes):
        """The record transaction: a row whose version moved since the claim (changed while
        it was sent) stays dirty for the next run; a row locked right now by such a change
        is not waited for (it is dirty again anyway)."""
        if not claimed:
            return
        now = fields.Datetime.now()
        with self.transaction():
            Binding = self.env[self.binding_model]
            # changes marked while the rows were sent: their version moves on (still dirty)
            fold_marks(self.env, self.binding_model, self.backend.id, self.flow, claimed)
            Binding.flush_model()
            self.env.cr.execute(
                f"SELECT id, COALESCE(sync_version, 0) FROM {Binding._table} WHERE id IN %s "
                "ORDER BY id FOR UPDATE SKIP LOCKED",
                (tuple(claimed),),
            )
            for binding_id, version in self.env.cr.fetchall():
                outcome, digest = outcomes.get(binding_id, ("retry", None))
                values = {"export_claimed_at": False}
                unchanged = version == claimed[binding_id]
                if outcome == "sent":
                    values.update(sync_hash=digest, sync_date=now)
                elif outcome == "failed":
                    values["sync_hash"] = False  # sent again by the next change or retry
                if outcome != "retry" and unchanged:
                    values["export_pending"] = False
                values.update(self.record_values(binding_id, outcome))
                Binding.browse(binding_id).write(values)
        if not self.same_transaction:
            self.env.invalidate_all()  # the job reads what the record transaction wrote
