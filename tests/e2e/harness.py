"""The whole stack for end-to-end runs (bench, reliability): sandboxes, a database with the
three addons, Odoo with workers and the queue_job runner, configured backends.

Everything listens on 127.0.0.1. Odoo runs in its own process group, so that it can be stopped
or killed (SIGKILL of the whole group) and restarted on the same database. ``Stack.close()``
stops Odoo and the sandboxes and drops the database it created (``RC_KEEP_DB=1`` or
``keep_db=True`` keeps it). ``make demo`` runs on this same stack.
"""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import xmlrpc.client
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _path in (str(ROOT / "scripts"), str(ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import demo_setup  # noqa: E402
import odoo_env  # noqa: E402

SHOP_DOMAIN = "sandbox-retail.myshopify.com"
WEBHOOK_ROUTE = "/retail/shopify/webhook"

CONFIG = """[options]
addons_path = {addons_path}
db_host = {db_host}
db_port = {db_port}
db_user = {db_user}
db_password = {db_password}
db_name = {database}
list_db = False
http_interface = 127.0.0.1
http_port = {port}
gevent_port = {gevent_port}
workers = {workers}
max_cron_threads = {cron_threads}
server_wide_modules = {server_wide}
limit_time_real = 600
limit_memory_soft = 2147483648
limit_memory_hard = 2684354560
log_level = {log_level}
data_dir = {data_dir}

[queue_job]
channels = {channels}
"""


def log(message):
    print(message, flush=True)


class OdooServer:
    """One Odoo server (prefork: master, HTTP workers, cron worker, queue_job runner)."""

    def __init__(self, database, port, workdir, *, workers=2, cron_threads=1, runner=True,
                 channels="root:2,root.retail:2", log_level="warn", modules=None,
                 extra_env=None):
        self.database, self.port, self.workdir = database, port, Path(workdir)
        # modules: what install() installs (our addons by default); extra_env: added to the
        # environment of the Odoo processes (e.g. the CA the peer race's Odoo trusts)
        self.modules = modules or odoo_env.ADDONS
        self.extra_env = dict(extra_env or {})
        self.workers, self.cron_threads, self.runner = workers, cron_threads, runner
        self.channels, self.log_level = channels, log_level
        self.process = None
        self.starts = 0
        self.url = f"http://127.0.0.1:{port}"

    def write_config(self, runner=None):
        runner = self.runner if runner is None else runner
        path = self.workdir / "odoo.conf"
        path.write_text(
            CONFIG.format(
                addons_path=odoo_env.addons_path(),
                db_host=odoo_env.DB_HOST,
                db_port=odoo_env.DB_PORT,
                db_user=odoo_env.DB_USER,
                db_password=odoo_env.DB_PASSWORD or "False",
                database=self.database,
                port=self.port,
                gevent_port=self.port + 3,
                workers=self.workers,
                cron_threads=self.cron_threads,
                server_wide="base,web,queue_job" if runner else "base,web",
                channels=self.channels,
                log_level=self.log_level,
                data_dir=self.workdir / "data",
            )
        )
        return path

    def install(self):
        config = self.write_config(runner=False)
        subprocess.run(
            [sys.executable, odoo_env.ODOO_SERVER, "-c", str(config), "-d", self.database,
             "-i", ",".join(self.modules), "--stop-after-init", "--workers=0",
             "--log-level=warn", odoo_env.NO_DEMO],
            env=self.env(), cwd="/", check=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def env(self):
        return dict(odoo_env.python_env(), **self.extra_env)

    def start(self, runner=None, timeout=120):
        """Start Odoo (with the queue_job runner unless ``runner=False``) and wait for it."""
        config = self.write_config(runner)
        self.starts += 1
        self.logfile = self.workdir / f"odoo-{self.starts}.log"
        self.process = subprocess.Popen(
            [sys.executable, odoo_env.ODOO_SERVER, "-c", str(config), "-d", self.database,
             f"--logfile={self.logfile}"],
            env=self.env(), cwd="/", start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo exited ({self.process.returncode}); see {self.logfile}")
            try:
                with urllib.request.urlopen(f"{self.url}/web/health", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"Odoo did not answer on {self.url} within {timeout}s")

    def stop(self, timeout=30):
        if not self.process or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        except ProcessLookupError:
            pass
        self._reap_group()

    def kill(self):
        """SIGKILL of the whole process group (master, workers, runner), as a crash would."""
        if not self.process:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        self._reap_group()

    def _reap_group(self):
        """Wait until no process of the group is left (workers may outlive the master)."""
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def processes(self):
        """psutil processes of this server: the master and its children (workers, runner)."""
        import psutil

        if not self.process or self.process.poll() is not None:
            return []
        try:
            master = psutil.Process(self.process.pid)
            return [master, *master.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []


class MemorySampler:
    """Samples the RSS of the Odoo processes in a thread; keeps the peak per kind."""

    def __init__(self, server, interval=0.5):
        self.server, self.interval = server, interval
        self.peak_worker = 0
        self.peak_total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self):
        import psutil

        while not self._stop.is_set():
            total = 0
            master_pid = self.server.process.pid if self.server.process else None
            for process in self.server.processes():
                try:
                    rss = process.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                if process.pid != master_pid:
                    self.peak_worker = max(self.peak_worker, rss)
            self.peak_total = max(self.peak_total, total)
            self._stop.wait(self.interval)


class Rpc(demo_setup.Odoo):
    """XML-RPC as admin, tolerant of None answers and with a longer-lived transport."""

    def __init__(self, url, database):
        for _attempt in range(30):
            try:
                super().__init__(url, database)
                return
            except (OSError, xmlrpc.client.ProtocolError):
                time.sleep(1)
        super().__init__(url, database)

    def call(self, model, method, *args, **kwargs):
        models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        return models.execute_kw(
            self.database, self.uid, self.password, model, method, list(args), kwargs
        )


class Stack:
    """Sandboxes + database + Odoo + configured Shopify (and optionally Salesforce) backend."""

    def __init__(self, database, *, odoo_port, shopify_port, salesforce_port=None,
                 salesforce=False, runner=True, cron_threads=1, webhook_backoff=0.05,
                 stock_quantity=100000, channels="root:2,root.retail:2", log_level="warn",
                 keep_db=None, workers=None):
        self.database = database
        self.odoo_port, self.shopify_port, self.salesforce_port = (
            odoo_port, shopify_port, salesforce_port)
        self.with_salesforce = salesforce
        self.runner, self.cron_threads = runner, cron_threads
        self.webhook_backoff = webhook_backoff
        self.stock_quantity = stock_quantity
        self.channels = channels
        self.log_level = log_level
        # HTTP workers of Odoo: RC_ODOO_WORKERS, 2 by default (one per core here).
        self.workers = workers or int(os.environ.get("RC_ODOO_WORKERS", "2"))
        self.keep_db = bool(os.environ.get("RC_KEEP_DB")) if keep_db is None else keep_db
        self.shopify = self.salesforce = self.odoo = self.rpc = None
        self.shopify_backend = self.salesforce_backend = None
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{database}-"))
        self._created_db = False

    def __enter__(self):
        try:
            self.setup()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def setup(self):
        from tests.sandbox.shopify import RETAIL_CATALOGUE, ShopifySandbox

        odoo_env.check_odoo()
        odoo_env.ensure_requirements()
        odoo_env.ensure_postgres()
        started = time.time()
        self.shopify = ShopifySandbox(
            port=self.shopify_port, webhook_backoff_factor=self.webhook_backoff).start()
        if self.with_salesforce:
            from tests.sandbox.salesforce import SalesforceSandbox

            self.salesforce = SalesforceSandbox(
                port=self.salesforce_port or 0, outbound_backoff_factor=0.05).start()
            self.salesforce.control.seed(demo=True)
        log(f"Creating database {self.database} with the addons...")
        odoo_env.create_database(self.database)
        self._created_db = True
        self.odoo = OdooServer(
            self.database, self.odoo_port, self.workdir,
            workers=self.workers, cron_threads=self.cron_threads, runner=self.runner,
            channels=self.channels, log_level=self.log_level)
        self.odoo.install()
        self.odoo.start()
        self.rpc = Rpc(self.odoo.url, self.database)
        self.configure(RETAIL_CATALOGUE)
        log(f"Stack ready in {time.time() - started:.0f}s: Odoo {self.odoo.url} "
            f"(log {self.odoo.logfile}), Shopify sandbox {self.shopify.base_url}")

    def configure(self, catalogue):
        self.shopify_backend, self.salesforce_backend = demo_setup.configure(
            self.rpc, self.shopify, self.salesforce, catalogue, self.stock_quantity)

    # -- helpers -------------------------------------------------------------------------------
    @property
    def webhook_url(self):
        return f"{self.odoo.url}{WEBHOOK_ROUTE}/{self.shopify_backend}"

    def pause_webhooks(self):
        """Stop the sandbox from firing webhooks (orders are then found by the catch-up poll
        or delivered by the caller); returns the subscriptions to give to resume_webhooks."""
        store = self.shopify.store
        with store.lock:
            saved = dict(store.webhook_subscriptions)
            store.webhook_subscriptions.clear()
        return saved

    def resume_webhooks(self, saved):
        store = self.shopify.store
        with store.lock:
            store.webhook_subscriptions.update(saved)

    def restart_odoo(self, kill=False):
        if kill:
            self.odoo.kill()
        else:
            self.odoo.stop()
        self.odoo.start()
        self.rpc = Rpc(self.odoo.url, self.database)

    def close(self):
        if self.odoo:
            self.odoo.stop()
        for sandbox in (self.shopify, self.salesforce):
            if sandbox:
                try:
                    sandbox.stop()
                except Exception as error:
                    log(f"warning: sandbox stop: {error}")
        if self._created_db and not self.keep_db:
            try:
                odoo_env.drop_database(self.database)
            except Exception as error:
                log(f"warning: could not drop {self.database}: {error}")
        self._created_db = False
