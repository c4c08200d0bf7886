"""A paced, bounded load loop: one request every 1/rate seconds, run by a thread pool."""

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def percentile(values, fraction):
    """Nearest-rank percentile of ``values`` (``fraction`` in 0..1); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def paced(request, rate, seconds, threads=32):
    """Call ``request(i) -> (status, seconds)`` ``rate`` times a second for ``seconds``.

    Returns a dict: sent, ok (2xx), errors, latencies (s, of every answered request),
    wall (s from first scheduled send to last answer), late (sends that started more than
    10 ms after their slot, i.e. the pool was saturated).
    """
    total = int(rate * seconds)
    latencies, statuses = [], {}
    lock = threading.Lock()
    late = [0]

    def one(index, slot):
        if time.perf_counter() - slot > 0.010:
            with lock:
                late[0] += 1
        try:
            status, elapsed = request(index)
        except OSError as error:
            status, elapsed = f"error:{type(error).__name__}", None
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
            if elapsed is not None:
                latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for index in range(total):
            slot = started + index / rate
            delay = slot - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, index, slot)
    wall = time.perf_counter() - started
    ok = sum(count for status, count in statuses.items() if isinstance(status, int)
             and 200 <= status < 300)
    return {
        "sent": total, "ok": ok, "errors": total - ok, "statuses": statuses,
        "latencies": latencies, "wall": wall, "late": late[0],
        "throughput": ok / wall if wall else 0.0,
    }
