"""Run the sandbox on its own: ``python -m tests.sandbox.salesforce --port 8702 [--demo]``."""

import argparse
import signal
import threading

from .seed import DEMO_SEED, load_seed
from .server import SalesforceSandbox


def main(argv=None):
    parser = argparse.ArgumentParser(description="Local Salesforce API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8702)
    parser.add_argument("--demo", action="store_true", help="load the demo accounts/products")
    parser.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD[:TOKEN]",
                        help="register a login user (repeatable)")
    parser.add_argument("--client", action="append", default=[], metavar="KEY:SECRET",
                        help="register a client-credentials connected app (repeatable)")
    parser.add_argument("--session-ttl", type=float, default=7200.0)
    parser.add_argument("--daily-api-limit", type=int, default=15000)
    parser.add_argument("--outbound-backoff-factor", type=float, default=1.0)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    sandbox = SalesforceSandbox(host=args.host, port=args.port, session_ttl=args.session_ttl,
                                daily_api_limit=args.daily_api_limit,
                                outbound_backoff_factor=args.outbound_backoff_factor,
                                verbose=args.verbose).start()
    for spec in args.user:
        name, password, *token = spec.split(":")
        sandbox.app.auth.add_user(name, password, token[0] if token else "")
    for spec in args.client:
        key, secret = spec.split(":", 1)
        sandbox.app.auth.add_app(key, secret)
    if args.demo:
        load_seed(sandbox.app.store, DEMO_SEED)
    print(f"Salesforce sandbox listening on {sandbox.base_url} (org {sandbox.app.org_id})",
          flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    sandbox.stop()


if __name__ == "__main__":
    main()
