"""A GraphQL points budget per backend, shared by every thread of the process.

Shopify debits each query's requested cost from a leaky bucket per app and store and answers
THROTTLED when the bucket cannot pay. Rather than spend a call to learn that, every call
first *reserves* its expected cost here: when the estimated bucket level minus the cost would
fall under the reserve, the caller sleeps until the bucket has refilled enough. Each response's
``extensions.cost.throttleStatus`` then resets the estimate to what Shopify says.

The state lives in a process-wide dict keyed by backend id (Odoo workers each keep their own
estimate and each correct it from every response they get).
"""

import threading
import time

_LOCK = threading.Lock()
_BUDGETS = {}

#: Cost assumed for an operation never seen before (a small query).
DEFAULT_EXPECTED_COST = 50.0


class RateBudget:
    """The budget of one backend; ``RateBudget.for_backend(backend_id)`` shares it."""

    def __init__(self, maximum=2000.0, restore_rate=100.0):
        self.maximum = maximum
        self.available = maximum
        self.restore_rate = restore_rate
        self.updated = time.monotonic()
        self.expected_costs = {}  # operation name -> last requested cost
        self.last_status = None  # the last throttleStatus Shopify returned
        self.throttled_count = 0
        self.waited_seconds = 0.0

    @classmethod
    def for_backend(cls, backend_id):
        with _LOCK:
            return _BUDGETS.setdefault(backend_id, cls())

    @classmethod
    def forget(cls, backend_id):
        with _LOCK:
            _BUDGETS.pop(backend_id, None)

    def _refill(self, now):
        self.available = min(
            self.maximum, self.available + (now - self.updated) * self.restore_rate
        )
        self.updated = now

    def reserve(self, operation, reserve_points=0.0):
        """Debit the expected cost of ``operation``; return the seconds to sleep first.

        The reserve is capped so that a small bucket can still serve one query at a time.
        """
        with _LOCK:
            now = time.monotonic()
            self._refill(now)
            cost = min(self.expected_costs.get(operation, DEFAULT_EXPECTED_COST), self.maximum)
            keep = max(0.0, min(float(reserve_points), self.maximum - cost))
            shortfall = cost + keep - self.available
            wait = max(0.0, shortfall / self.restore_rate) if self.restore_rate else 0.0
            self.available -= cost
            return wait

    def record(self, operation, cost):
        """Update the estimate from ``extensions.cost`` of a response (may be None)."""
        if not cost:
            return
        status = cost.get("throttleStatus") or {}
        with _LOCK:
            if cost.get("requestedQueryCost") is not None:
                self.expected_costs[operation] = float(cost["requestedQueryCost"])
            if status:
                self.maximum = float(status.get("maximumAvailable") or self.maximum)
                self.restore_rate = float(status.get("restoreRate") or self.restore_rate)
                self.available = float(status.get("currentlyAvailable", self.available))
                self.updated = time.monotonic()
                self.last_status = dict(status)

    def wait_for_throttled(self, cost):
        """Seconds until a THROTTLED query's requested cost is available again."""
        status = (cost or {}).get("throttleStatus") or {}
        requested = float((cost or {}).get("requestedQueryCost") or DEFAULT_EXPECTED_COST)
        available = float(status.get("currentlyAvailable") or 0.0)
        rate = float(status.get("restoreRate") or self.restore_rate or 1.0)
        with _LOCK:
            self.throttled_count += 1
        return max(0.0, (requested - available) / rate)

    def note_wait(self, seconds):
        with _LOCK:
            self.waited_seconds += seconds

    def describe(self):
        """A one-line summary for the backend form."""
        status = self.last_status
        if not status:
            return False
        return (
            f"{status.get('currentlyAvailable', 0):.0f}/{status.get('maximumAvailable', 0):.0f}"
            f" points, +{status.get('restoreRate', 0):.0f}/s; waited {self.waited_seconds:.1f}s"
            f" in total, throttled {self.throttled_count}×"
        )
