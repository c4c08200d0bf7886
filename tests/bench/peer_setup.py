"""The peer of the race (OCA ``shopify_connector``, docs/peer-race.md) set up as a user would.

A second database on the same Odoo 18, with the peer installed from PyPI (bench only:
``tests/bench/requirements-peer.txt``) and its own Odoo server, whose processes trust the
sandbox's throw-away CA (``REQUESTS_CA_BUNDLE``/``SSL_CERT_FILE``): the peer only speaks
``https://``. In the sandbox the peer is another app (own token, client secret, webhook
subscriptions). Configured over XML-RPC as its README tells an administrator: instance (shop
domain, static Admin API token, client secret), *Test Connection*, *Repair Webhook
Subscriptions*, *Import Locations* mapped to WH/Stock, a tax mapping and a gateway journal,
orders auto-confirmed and invoiced when paid (what our backend does).
"""

import importlib.metadata
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.bench.peer_contract import DISTRIBUTION
from tests.e2e.harness import OdooServer, Rpc, log, odoo_env
from tests.sandbox.shopify.tls import client_env, make_certificates

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "tests" / "bench" / "requirements-peer.txt"
MODULE = "shopify_connector"
APP = "oca-peer"
TOKEN = "shpat_oca_peer_token"
SECRET = "oca-peer-client-secret"


class PeerUnavailable(RuntimeError):
    """The peer could not be installed (no PyPI?): the race cannot run, and says why."""


def pinned_version():
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith(DISTRIBUTION + "=="):
            return line.split("==", 1)[1]
    raise PeerUnavailable(f"{REQUIREMENTS.name} pins no {DISTRIBUTION}")


def ensure_peer_installed():
    """pip-install the bench-only requirements when the peer is missing or off its pin."""
    wanted = pinned_version()
    try:
        if importlib.metadata.version(DISTRIBUTION) == wanted:
            return wanted
    except importlib.metadata.PackageNotFoundError:
        pass
    log(f"Installing the peer {DISTRIBUTION}=={wanted} from PyPI (bench only)...")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
        capture_output=True, text=True)
    if result.returncode != 0:
        raise PeerUnavailable(
            f"pip install -r {REQUIREMENTS.relative_to(ROOT)} failed (is PyPI reachable?): "
            f"{result.stderr.strip()[-600:]}")
    importlib.invalidate_caches()
    return wanted


class Peer:
    """The peer's database, Odoo server and instance against ``sandbox`` (over HTTPS)."""

    def __init__(self, sandbox, database, port, workdir, *, workers=2, tls_port=0,
                 stock_quantity=100000, keep_db=None):
        self.sandbox, self.database, self.port = sandbox, database, port
        self.workdir = Path(workdir) / "peer"
        self.workers, self.tls_port, self.stock_quantity = workers, tls_port, stock_quantity
        self.keep_db = bool(os.environ.get("RC_KEEP_DB")) if keep_db is None else keep_db
        self.odoo = self.rpc = self.instance = None
        self.stock_locations = []  # complete names of the Odoo locations mapped, in order
        self.version = None
        self._created_db = False

    # -- life cycle ----------------------------------------------------------------------------
    def setup(self, products):
        """``products``: the catalogue's {"products": [...]} (seed shape) to create with stock."""
        started = time.time()
        self.version = ensure_peer_installed()
        self.workdir.mkdir(parents=True, exist_ok=True)
        certificates = make_certificates(self.workdir / "tls")
        if not self.sandbox.httpsd:
            self.sandbox.start_https(certificates, self.tls_port)
            self.ca = certificates["ca"]
        else:  # already serving HTTPS with another CA: trust that one
            self.ca = Path(self.sandbox.tls["cert"]).with_name("ca.pem")
        app = self.sandbox.store.add_app(APP, client_secret=SECRET, token=TOKEN)
        self.token, self.secret = app["token"], app["client_secret"]
        log(f"Creating database {self.database} with the peer {DISTRIBUTION} {self.version}...")
        odoo_env.create_database(self.database)
        self._created_db = True
        self.odoo = OdooServer(self.database, self.port, self.workdir, workers=self.workers,
                               modules=[MODULE], channels="root:2",
                               extra_env=client_env(self.ca))
        self.odoo.install()
        self.odoo.start()
        self.rpc = Rpc(self.odoo.url, self.database)
        self.configure(products)
        log(f"Peer ready in {time.time() - started:.0f}s: Odoo {self.odoo.url} "
            f"(log {self.odoo.logfile}), shop {self.shop_domain}")
        return self

    def close(self):
        if self.odoo:
            self.odoo.stop()
        if self._created_db and not self.keep_db:
            try:
                odoo_env.drop_database(self.database)
            except Exception as error:
                log(f"warning: could not drop {self.database}: {error}")
        self._created_db = False

    @property
    def shop_domain(self):
        """What the administrator types as *Shop Domain*: host:port of the HTTPS sandbox."""
        return f"{self.sandbox.host}:{self.sandbox.tls_port}"

    # -- configuration, as an administrator ------------------------------------------------------
    def configure(self, catalogue):
        rpc = self.rpc
        rpc.call("res.currency", "write", [rpc.ref("base.EUR")], {"active": True})
        rpc.call("ir.config_parameter", "set_param", "web.base.url", self.odoo.url)
        # Settings > Users: the administrator is made Shopify Manager (the peer's own group)
        rpc.call("res.users", "write", [rpc.uid], {
            "groups_id": [(4, rpc.ref("shopify_connector.group_shopify_manager"))]})
        self.create_products(catalogue)
        self.instance = rpc.call("shopify.instance", "create", {
            "name": "Sandbox store (OCA peer)",
            "shop_url": self.shop_domain,
            "access_token": self.token,
            "webhook_secret": self.secret,
            "order_confirmation_policy": "auto",
            "order_invoicing_policy": "paid",
        })
        rpc.button("shopify.instance", "action_test_connection", self.instance)
        rpc.button("shopify.instance", "action_repair_webhook_subscriptions", self.instance)
        rpc.button("shopify.instance", "action_import_locations", self.instance)
        locations = self.wait_for(
            lambda: rpc.call("shopify.location", "search",
                             [("instance_id", "=", self.instance)]),
            lambda found: len(found) >= len(self.sandbox.store.locations), 120,
            "the peer's location import")
        # an Odoo location maps to one Shopify location only (the peer's rule): the first
        # goes to WH/Stock, every other to an internal location of its own under WH
        stock = rpc.ref("stock.stock_location_stock")
        parent = rpc.call("stock.location", "read", [stock], ["location_id"])[0][
            "location_id"][0]
        self.stock_locations = []
        for index, row in enumerate(rpc.call("shopify.location", "read", sorted(locations),
                                             ["name"])):
            target = stock if index == 0 else rpc.call("stock.location", "create", {
                "name": row["name"], "usage": "internal", "location_id": parent})
            rpc.call("shopify.location", "write", [row["id"]], {"odoo_location_id": target})
            self.stock_locations.append(
                rpc.call("stock.location", "read", [target], ["complete_name"])[0][
                    "complete_name"])
        vat = rpc.call("account.tax", "create", {
            "name": "VAT 20% (Shopify)", "amount": 20, "type_tax_use": "sale",
            "price_include_override": "tax_excluded"})
        rpc.call("shopify.tax.mapping", "create", {
            "instance_id": self.instance, "rate": "0.2", "country_id": rpc.ref("base.fr"),
            "price_included": False, "tax_id": vat})
        bank = rpc.call("account.journal", "search", [("type", "=", "bank")], limit=1)[0]
        for gateway in ("manual", "shopify_payments"):
            rpc.call("shopify.gateway.journal", "create",
                     {"instance_id": self.instance, "gateway": gateway, "journal_id": bank})
        state = rpc.call("shopify.instance", "read", [self.instance], ["state"])[0]["state"]
        log(f"  peer instance {self.instance}: {state}, {len(locations)} locations mapped, "
            f"{len(self.subscriptions())} webhook subscriptions in the sandbox")

    def create_products(self, catalogue):
        """The same products (SKU, price, storable) and stock as ours, as a user creates them."""
        rpc, stock = self.rpc, self.rpc.ref("stock.stock_location_stock")
        for product in catalogue["products"]:
            for variant in product["variants"]:
                product_id = rpc.call("product.product", "create", {
                    "name": f"{product['title']} {variant['sku']}",
                    "default_code": variant["sku"], "list_price": float(variant["price"]),
                    "is_storable": True, "invoice_policy": "order", "taxes_id": [(5, 0, 0)],
                    # the peer matches products of the instance's company only
                    "company_id": rpc.ref("base.main_company")})
                quant = rpc.call("stock.quant", "create", {
                    "product_id": product_id, "location_id": stock,
                    "inventory_quantity": self.stock_quantity},
                    context={"inventory_mode": True})
                rpc.button("stock.quant", "action_apply_inventory", [quant])

    # -- helpers ----------------------------------------------------------------------------
    def subscriptions(self):
        store = self.sandbox.store
        with store.lock:
            return [s for s in store.webhook_subscriptions.values() if s.get("app") == APP]

    def psql(self, sql):
        return odoo_env.psql(sql, database=self.database)

    def max_job_id(self):
        return self.psql("SELECT coalesce(max(id), 0) FROM queue_job")[0][0]

    def jobs_since(self, job_id):
        """{state: count} of the peer's jobs created after ``job_id``."""
        return dict(self.psql(f"SELECT state, count(*) FROM queue_job WHERE id > {int(job_id)} "
                              "GROUP BY state"))

    def job_errors(self, job_id, limit=3):
        """The last line of the distinct failures of jobs created after ``job_id``."""
        rows = self.psql(
            "SELECT DISTINCT left(coalesce(exc_message, ''), 300) FROM queue_job "
            f"WHERE id > {int(job_id)} AND state = 'failed' LIMIT {int(limit)}")
        return [row[0] for row in rows]

    def calls(self):
        """The peer's GraphQL calls in the sandbox since the last counter reset."""
        counters = self.sandbox.counters.snapshot()
        return counters["tokens"].get(self.token, {})

    @staticmethod
    def wait_for(probe, done, timeout, what, poll=0.5):
        deadline = time.time() + timeout
        value = probe()
        while not done(value):
            if time.time() > deadline:
                raise RuntimeError(f"{what} did not finish within {timeout}s (got {value!r})")
            time.sleep(poll)
            value = probe()
        return value
