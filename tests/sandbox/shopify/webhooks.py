"""Webhook sender: turns store events into signed HTTP deliveries, with retries.

For every event and every subscription of its topic, one delivery is queued with the
REST-shaped body (serialised once, signed over those exact bytes with the app's client secret)
and Shopify's headers. A background thread sends due deliveries (5 s timeout) and retries
failures on Shopify's schedule (8 retries over ~4 hours) multiplied by ``backoff_factor`` so
tests run in milliseconds. Fault rules can duplicate or reorder deliveries.
"""

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import uuid

import requests

from .mutations_orders import TOPICS
from .rest_payloads import rest_payload
from .store import utcnow

#: seconds before retry n (Shopify: 8 retries over about four hours)
RETRY_SCHEDULE = (10, 30, 60, 300, 900, 1800, 3600, 7200)


def sign(secret, body):
    """``X-Shopify-Hmac-Sha256``: base64 HMAC-SHA256 of the raw body bytes."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _triggered_at():
    now = utcnow()
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}000Z"


class WebhookDispatcher:
    """Queues and sends deliveries; see the module docstring."""

    def __init__(self, store, faults, default_version, *, backoff_factor=0.001, max_retries=8,
                 timeout=5.0):
        self.store = store
        self.faults = faults
        self.default_version = default_version
        self.backoff_factor = backoff_factor
        self.max_retries = max_retries
        self.timeout = timeout
        self.cond = threading.Condition()
        self.queue = []  # heap of (due monotonic time, sequence, delivery)
        self.held = []  # deliveries held back by a reorder fault
        self.deliveries = []
        self.in_flight = 0
        self._sequence = itertools.count()
        self._stopping = False
        self._thread = None

    # -- producing ----------------------------------------------------------------------------
    def emit(self, topic, record):
        """Store callback: queue one delivery per subscription of ``topic``."""
        subscriptions = [s for s in self.store.webhook_subscriptions.values()
                         if TOPICS.get(s["topic"]) == topic]
        if not subscriptions:
            return
        self.send(topic, rest_payload(self.store, record), subscriptions)

    def send(self, topic, payload, subscriptions=None):
        """Queue ``payload`` for ``topic`` (all its subscriptions unless given); returns ids."""
        if subscriptions is None:
            subscriptions = [s for s in self.store.webhook_subscriptions.values()
                             if TOPICS.get(s["topic"]) == topic]
        event_id, triggered_at, created = str(uuid.uuid4()), _triggered_at(), []
        for subscription in subscriptions:
            body_payload = payload
            if subscription.get("include_fields"):
                body_payload = {k: v for k, v in payload.items()
                                if k in subscription["include_fields"]}
            delivery = {
                "webhook_id": str(uuid.uuid4()), "event_id": event_id, "topic": topic,
                "subscription_id": subscription["id"], "url": subscription["callback_url"],
                "app": subscription.get("app"),
                "api_version": subscription.get("api_version") or self.default_version,
                "triggered_at": triggered_at, "body": json.dumps(body_payload).encode(),
                "state": "pending", "attempts": [], "duplicate": False}
            created.append(delivery)
        with self.cond:
            for delivery in created:
                self._admit(delivery)
            self.cond.notify_all()
        return [d["webhook_id"] for d in created]

    def _admit(self, delivery):
        self.deliveries.append(delivery)
        copies = [delivery]
        if self.faults.take(("webhook_duplicate",), target="any"):
            duplicate = dict(delivery, attempts=[], duplicate=True)
            self.deliveries.append(duplicate)
            copies.append(duplicate)
        if self.faults.take(("webhook_reorder",), target="any"):
            self.held.extend(copies)
            if not self.faults.active("webhook_reorder"):
                self._release_held()
            return
        for copy in copies:
            self._schedule(copy, 0.0)

    def _release_held(self):
        for delivery in reversed(self.held):
            self._schedule(delivery, 0.0)
        self.held = []

    def _schedule(self, delivery, delay):
        heapq.heappush(self.queue, (time.monotonic() + delay, next(self._sequence), delivery))

    # -- sending ------------------------------------------------------------------------------
    def start(self):
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="webhook-sender", daemon=True)
        self._thread.start()

    def stop(self):
        with self.cond:
            self._stopping = True
            self.cond.notify_all()
        if self._thread:
            self._thread.join(timeout=2)

    def _loop(self):
        while True:
            with self.cond:
                while not self._stopping and (
                        not self.queue or self.queue[0][0] > time.monotonic()):
                    wait = self.queue[0][0] - time.monotonic() if self.queue else None
                    self.cond.wait(timeout=wait)
                if self._stopping:
                    return
                _due, _seq, delivery = heapq.heappop(self.queue)
                self.in_flight += 1
            try:
                self._attempt(delivery)
            finally:
                with self.cond:
                    self.in_flight -= 1
                    self.cond.notify_all()

    def headers(self, delivery):
        """Every header Shopify sends with a delivery, HMAC over the exact body bytes."""
        return {
            "Content-Type": "application/json", "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": delivery["topic"],
            "X-Shopify-Hmac-Sha256": sign(self.store.app_secret(delivery.get("app")),
                                          delivery["body"]),
            "X-Shopify-Shop-Domain": self.store.shop["myshopify_domain"],
            "X-Shopify-API-Version": delivery["api_version"],
            "X-Shopify-Webhook-Id": delivery["webhook_id"],
            "X-Shopify-Event-Id": delivery["event_id"],
            "X-Shopify-Triggered-At": delivery["triggered_at"],
        }

    def _attempt(self, delivery):
        started = time.monotonic()
        attempt = {"number": len(delivery["attempts"]) + 1, "at": utcnow().isoformat(),
                   "status": None, "error": None}
        try:
            response = requests.post(delivery["url"], data=delivery["body"],
                                     headers=self.headers(delivery),
                                     timeout=(1.0, self.timeout))
            attempt["status"] = response.status_code
            ok = 200 <= response.status_code < 300
        except requests.RequestException as error:
            attempt["error"] = f"{type(error).__name__}: {error}"
            ok = False
        attempt["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        with self.cond:
            delivery["attempts"].append(attempt)
            retries_done = len(delivery["attempts"]) - 1
            if ok:
                delivery["state"] = "delivered"
            elif retries_done < self.max_retries:
                delivery["state"] = "retrying"
                delay = RETRY_SCHEDULE[min(retries_done, len(RETRY_SCHEDULE) - 1)]
                self._schedule(delivery, delay * self.backoff_factor)
            else:
                delivery["state"] = "failed"

    # -- control ------------------------------------------------------------------------------
    def flush(self, timeout=10.0, expedite=True):
        """Wait until nothing is pending; ``expedite`` makes queued retries due now."""
        deadline = time.monotonic() + timeout
        with self.cond:
            if self.held:
                self._release_held()
            while self.queue or self.in_flight:
                if expedite and self.queue:
                    now = time.monotonic()
                    self.queue = [(min(due, now), seq, d) for due, seq, d in self.queue]
                    heapq.heapify(self.queue)
                    self.cond.notify_all()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.cond.wait(timeout=min(remaining, 0.05))
            return True

    def configure(self, backoff_factor=None, max_retries=None, timeout=None):
        with self.cond:
            if backoff_factor is not None:
                self.backoff_factor = float(backoff_factor)
            if max_retries is not None:
                self.max_retries = int(max_retries)
            if timeout is not None:
                self.timeout = float(timeout)

    def reset(self):
        with self.cond:
            self.queue, self.held, self.deliveries = [], [], []

    def describe(self, topic=None):
        """Deliveries with their attempts (body decoded) for the control API."""
        with self.cond:
            rows = [dict(d, body=d["body"].decode(), attempts=list(d["attempts"]))
                    for d in self.deliveries if topic in (None, d["topic"])]
        return {"deliveries": rows, "pending": len(self.queue) + len(self.held),
                "config": {"backoff_factor": self.backoff_factor,
                           "max_retries": self.max_retries, "timeout": self.timeout}}
