"""Short transactions beside a job's own: claim rows, commit, call the channel, record.

A job that holds row locks (or a snapshot that later writes conflict with) while it waits on
a remote API blocks the warehouse: a picking validation that marks the same bindings dirty
waits, or fails to serialize. The exporters therefore claim their dirty rows in a short
transaction of their own, commit, call the channel with no transaction holding those rows,
then record the outcome in another short transaction.
"""

from contextlib import contextmanager

import odoo
from odoo import api

from .. import compat


def shares_test_transaction(env):
    """Whether ``env`` runs on the single transaction of a test case (TransactionCase).

    A new cursor would not see what the test created and not yet committed: the short
    transactions are then savepoints of that transaction (same steps, same order).
    """
    test = odoo.modules.module.current_test
    return (
        bool(test)
        and not compat.registry_in_test_mode(env.registry)
        and env.cr is getattr(test, "cr", None)
    )


@contextmanager
def short_transaction(env, same=False):
    """Yield ``env`` on a new cursor whose transaction is committed on a normal exit (rolled
    back on an error); a savepoint of ``env``'s own transaction when ``same`` is true (the
    caller holds the rows already, e.g. it has just written them) or inside a test case's
    single transaction."""
    if same or shares_test_transaction(env):
        env.flush_all()
        with env.cr.savepoint():
            yield env
            env.flush_all()
        return
    with env.registry.cursor() as cr:
        yield environment(env.registry, cr, env.uid, env.context, env.su)


def environment(registry, cr, uid, context, su=False):
    """An environment on ``cr`` of ``registry`` known already: without it, the first
    environment of a cursor looks its registry up under the registries' global lock, which a
    thread of the server may hold for long (e.g. while it loads modules or runs tests)."""
    if cr.transaction is None:
        cr.transaction = compat.new_transaction(registry)
    return api.Environment(cr, uid, context, su=su)


@contextmanager
def between_transactions(env):
    """Yield ``env`` on a new cursor that keeps no transaction open between its statements
    (autocommit: each read is a transaction of its own), for a step that reads, then waits
    on a channel, then reads again: no snapshot nor lock is held while the channel answers.
    Such a step writes to Odoo only in short transactions of its own. Inside a test case's
    single transaction (or the registry's test mode), the test's cursor stands in for it."""
    if shares_test_transaction(env):
        yield env
        return
    with env.registry.cursor() as cr:
        connection = None if compat.registry_in_test_mode(env.registry) else cr._cnx
        if connection is not None:
            cr.commit()  # autocommit can only be switched outside a transaction
            connection.autocommit = True
        try:
            yield environment(env.registry, cr, env.uid, env.context, env.su)
        finally:
            if connection is not None:
                connection.autocommit = False
