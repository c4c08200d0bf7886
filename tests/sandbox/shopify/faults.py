"""Fault injection rules: what goes wrong, how often, and for which calls.

A rule fires for the next ``count`` matching calls (None = until cleared) with probability
``ratio``. Kinds and their parameters, as data:
"""

import itertools
import random
import threading

#: kind -> (default parameters, what it does)
FAULT_KINDS = {
    "http_error": ({"status": 503}, "answer with an HTTP 5xx (or any status) and no data"),
    "rate_limit": ({"retry_after": 2.0}, "HTTP 429 with Retry-After, REST-style body"),
    "throttled": ({}, "GraphQL THROTTLED error (HTTP 200) whatever the bucket holds"),
    "latency": ({"seconds": 0.5}, "sleep before answering normally (combines with others)"),
    "timeout": ({"seconds": 30.0}, "sleep past the client's timeout, then answer 504"),
    "webhook_duplicate": ({}, "deliver the next webhook twice (same X-Shopify-Webhook-Id)"),
    "webhook_reorder": ({}, "hold the next `count` webhooks, then send them in reverse order"),
}
API_KINDS = ("http_error", "rate_limit", "throttled", "timeout")
HTTP_ERROR_BODIES = {
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout", 423: "Locked", 402: "Payment Required",
}


def kind_is_webhook(rule):
    """Webhook faults apply to deliveries whatever target the rule names."""
    return rule["kind"].startswith("webhook_")


class FaultInjector:
    """Thread-safe list of fault rules; ``seed`` makes ratio draws reproducible."""

    def __init__(self, seed=None):
        self.lock = threading.Lock()
        self.random = random.Random(seed)
        self.rules = []
        self._ids = itertools.count(1)

    def add(self, kind, count=None, ratio=1.0, operation=None, target="graphql", **params):
        """Add a rule; ``operation`` limits it to one GraphQL operation name or root field,
        ``target`` is ``graphql``, ``token`` (the OAuth endpoint) or ``any``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        rule = dict(FAULT_KINDS[kind][0], **params)
        rule.update(id=next(self._ids), kind=kind, count=count, ratio=float(ratio),
                    operation=operation, target=target, fired=0)
        with self.lock:
            self.rules.append(rule)
        return dict(rule)

    def clear(self):
        with self.lock:
            self.rules.clear()

    def describe(self):
        with self.lock:
            return [dict(rule) for rule in self.rules]

    def active(self, kind):
        with self.lock:
            return any(rule["kind"] == kind for rule in self.rules)

    def take(self, kinds, operation=None, target="graphql"):
        """Return the first rule of ``kinds`` that fires for this call (consuming one use)."""
        with self.lock:
            for rule in list(self.rules):
                if rule["kind"] not in kinds:
                    continue
                if rule["target"] not in ("any", target) and not kind_is_webhook(rule):
                    continue
                if rule["operation"] and rule["operation"] != operation:
                    continue
                if rule["ratio"] < 1.0 and self.random.random() >= rule["ratio"]:
                    continue
                rule["fired"] += 1
                if rule["count"] is not None:
                    rule["count"] -= 1
                    if rule["count"] <= 0:
                        self.rules.remove(rule)
                return dict(rule)
        return None

    def for_request(self, operation=None, target="graphql"):
        """Faults of one API call: (latency seconds, terminal rule or None)."""
        latency = self.take(("latency",), operation, target)
        terminal = self.take(API_KINDS, operation, target)
        return (latency["seconds"] if latency else 0.0), terminal
