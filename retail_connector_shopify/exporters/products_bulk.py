"""Large product loads: one ``bulkOperationRunMutation`` of ``productSet``, tracked by its
Shopify id on a ``retail.bulk.operation`` committed before anything waits on it.

A run stages a JSONL file of variables, starts the mutation, records the operation (with the
template, version, hash and product id of each input line) in a short transaction of its
own, then waits and records each result line in another. A run killed while waiting leaves
the operation's row ``running``: the next run resumes waiting on it, or reads its result, and
binds what Shopify created, instead of sending the same products again.
"""

import json
import logging

from odoo import fields

from odoo.addons.retail_connector.errors import TransientError

from .. import bulk
from ..adapter import format_user_errors
from ..graphql import admin, catalog

_logger = logging.getLogger(__name__)


class BulkProductsMixin:
    #: longest wait of one run; a longer operation is resumed by the next run
    bulk_timeout = 300.0
    bulk_poll_interval = 1.0

    def _operations(self, env=None):
        return (env or self.env)["retail.bulk.operation"]

    def open_bulk_operations(self):
        return self._operations().search(
            [("backend_id", "=", self.backend.id), ("flow", "=", self.flow),
             ("status", "=", "running")],
            order="id",
        )

    def open_bulk_templates(self):
        """Templates an operation still running will answer for: not claimed again."""
        return {
            line["template_id"]
            for operation in self.open_bulk_operations()
            for line in operation.input_keys or []
        }

    def resume_bulk(self, report):
        """Finish the operations a previous run started and did not record."""
        for operation in self.open_bulk_operations():
            _logger.info("Shopify products export of %s: resuming bulk operation %s",
                         self.backend.name, operation.shopify_id)
            self._finish_bulk(operation.id, operation.shopify_id, operation.input_keys, report)

    def _send_bulk(self, changed, report):
        """Stage, start, track (committed), then wait and record."""
        lines = [
            json.dumps(catalog.product_set_variables(item["values"], item["product_id"]))
            for item in changed
        ]
        path = self._stage_upload("\n".join(lines) + "\n")
        payload = self.adapter.mutate(
            catalog.BULK_OPERATION_RUN_MUTATION,
            {"mutation": catalog.PRODUCT_SET, "stagedUploadPath": path},
        )
        report.calls += 1
        shopify_id = payload["bulkOperation"]["id"]
        keys = [{key: item[key] for key in ("template_id", "version", "digest", "product_id")}
                for item in changed]
        with self.transaction() as env:
            operation_id = self._operations(env).create(
                {"backend_id": self.backend.id, "flow": self.flow, "shopify_id": shopify_id,
                 "input_keys": keys}
            ).id
        self._bulk_started(operation_id)
        self._finish_bulk(operation_id, shopify_id, keys, report)

    def _bulk_started(self, operation_id):
        """Hook: the operation is tracked (committed) and about to be waited on."""

    def _finish_bulk(self, operation_id, shopify_id, keys, report):
        try:
            operation = bulk.wait_for_bulk_operation(
                self.adapter, shopify_id, self.bulk_timeout, self.bulk_poll_interval
            )
        except TransientError as error:
            node = self.adapter.execute(
                admin.BULK_OPERATION_NODE, {"id": shopify_id})["node"] or {}
            if node.get("status") in bulk.FINISHED:
                # ended without a result to read: its templates are claimed again
                self._close_operation(operation_id, "failed", str(error))
            raise
        answered = set()
        for row in bulk.read_bulk_result(self.adapter, operation):
            number = row.get("__lineNumber")
            if number is None or number >= len(keys):
                continue
            answered.add(number)
            item = keys[number]
            result = (row.get("data") or {}).get("productSet") or {}
            errors = result.get("userErrors") or row.get("errors")
            if errors or not result.get("product"):
                self._failed.append((item["template_id"], format_user_errors(errors or [
                    {"message": "no product in the bulk result"}])))
                continue
            self.record_sent(item, result["product"])
            report.sent += 1
        for number, item in enumerate(keys):
            if number not in answered:
                self._failed.append((item["template_id"],
                                     "missing from the bulk operation's result"))
        self._close_operation(operation_id, "done")

    def _close_operation(self, operation_id, status, message=False):
        with self.transaction() as env:
            self._operations(env).browse(operation_id).write(
                {"status": status, "message": message, "finished_at": fields.Datetime.now()}
            )

    def _stage_upload(self, content):
        """Upload ``content`` to a staged target; return its path for the bulk mutation."""
        payload = self.adapter.mutate(
            catalog.STAGED_UPLOADS_CREATE, catalog.staged_upload_variables("products.jsonl"))
        target = payload["stagedTargets"][0]
        parameters = {p["name"]: p["value"] for p in target["parameters"]}
        self.adapter._send(
            "POST", target["url"], "staged upload",
            data=parameters,
            files={"file": ("products.jsonl", content.encode(), "text/jsonl")},
        )
        return parameters.get("key") or target["resourceUrl"]
