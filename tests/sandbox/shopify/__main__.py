"""Run the sandbox on its own: ``python -m tests.sandbox.shopify --port 8701``."""

import argparse
import signal
import threading

from .server import ShopifySandbox


def main(argv=None):
    parser = argparse.ArgumentParser(description="Local Shopify Admin API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--no-seed", action="store_true", help="start with an empty shop")
    parser.add_argument("--backoff-factor", type=float, default=0.001,
                        help="multiplier of Shopify's webhook retry schedule")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    sandbox = ShopifySandbox(args.host, args.port, seed=not args.no_seed,
                             webhook_backoff_factor=args.backoff_factor,
                             quiet=not args.verbose).start()
    print(f"Shopify sandbox on {sandbox.base_url}", flush=True)
    print(f"  GraphQL: {sandbox.graphql_url()}  token: {sandbox.token}  "
          f"client_secret: {sandbox.client_secret}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    sandbox.stop()


if __name__ == "__main__":
    main()
