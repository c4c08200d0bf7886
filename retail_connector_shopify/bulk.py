"""Bulk queries: run one, poll it to the end, read its JSONL result line by line.

Bulk operations are exempt from the cost limits: use them for first imports and full
reconciliations. Shopify runs one bulk query per app and shop at a time (2025-01), so a
second start fails with the ``userErrors`` of ``bulkOperationRunQuery`` (a ``DataError``).
"""

import json
import time

from odoo.addons.retail_connector.errors import AuthError, TransientError

from .graphql import admin

FINISHED = {"COMPLETED", "CANCELED", "FAILED", "EXPIRED"}


def start_bulk_query(adapter, inner_query):
    """Start ``inner_query`` (connections without pagination arguments); return its id."""
    payload = adapter.mutate(admin.BULK_OPERATION_RUN_QUERY, {"query": inner_query})
    return payload["bulkOperation"]["id"]


def wait_for_bulk_operation(adapter, operation_id, timeout=600.0, poll_interval=1.0):
    """Poll the operation until it is finished; return its final state (a dict).

    :raises TransientError: still running after ``timeout`` seconds, or failed on
        Shopify's side (retry later); :class:`AuthError` when it failed for lack of access.
    """
    deadline = time.monotonic() + timeout
    while True:
        operation = adapter.execute(admin.BULK_OPERATION_NODE, {"id": operation_id})["node"]
        status = (operation or {}).get("status")
        if status in FINISHED:
            break
        if time.monotonic() > deadline:
            raise TransientError(
                f"Shopify bulk operation {operation_id} still {status} after {timeout:.0f}s",
                retry_after=60,
            )
        time.sleep(poll_interval)
    if status == "COMPLETED":
        return operation
    message = (
        f"Shopify bulk operation {operation_id} ended {status}"
        f" ({operation.get('errorCode') or 'no error code'})"
    )
    if operation.get("errorCode") == "ACCESS_DENIED":
        raise AuthError(message)
    raise TransientError(message, retry_after=60)


def read_bulk_result(adapter, operation):
    """Yield one dict per JSONL line of a completed operation (child rows carry
    ``__parentId``); nothing when the result is empty (no ``url``)."""
    url = operation.get("url")
    if not url:
        return
    response = adapter._send("GET", url, "bulk result download", stream=True)
    for line in response.iter_lines():
        if line:
            yield json.loads(line)


def run_bulk_query(adapter, inner_query, timeout=600.0, poll_interval=1.0):
    """Start, wait for and read a bulk query: a generator of result rows."""
    operation_id = start_bulk_query(adapter, inner_query)
    operation = wait_for_bulk_operation(adapter, operation_id, timeout, poll_interval)
    yield from read_bulk_result(adapter, operation)
