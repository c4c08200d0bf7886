"""Take the README's screenshots from the running demo (dashboard, backend, exceptions).

Starts `make demo`'s processes for a timed run, lets orders flow for a while, then drives
headless Chromium over the DevTools protocol with an Odoo session cookie and saves PNGs in
docs/screenshots/. Run: python3 scripts/screenshots.py (needs Debian's chromium).
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
ODOO = "http://127.0.0.1:8069"
DEVTOOLS_PORT = 9333
PAGES = {
    "dashboard.png": "/odoo/action-retail_connector.action_retail_dashboard",
    "backend.png": "/odoo/action-retail_connector.action_retail_backend/1",
    "exceptions.png": "/odoo/action-retail_connector.action_retail_event",
    "orders.png": "/odoo/action-sale.action_orders",
}


def odoo_session(database="retail_demo"):
    body = json.dumps(
        {"jsonrpc": "2.0", "params": {"db": database, "login": "admin", "password": "admin"}}
    ).encode()
    request = urllib.request.Request(
        f"{ODOO}/web/session/authenticate", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        cookie = response.headers["Set-Cookie"]
    return cookie.split("session_id=", 1)[1].split(";", 1)[0]


class Browser:
    def __init__(self):
        binary = shutil.which("chromium") or shutil.which("google-chrome")
        if not binary:
            sys.exit("Chromium is needed: apt-get install chromium")
        self.profile = tempfile.mkdtemp(prefix="rc-shots-")
        self.process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--remote-debugging-port={DEVTOOLS_PORT}",
                f"--user-data-dir={self.profile}",
                "--window-size=1440,900",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _attempt in range(50):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{DEVTOOLS_PORT}/json") as reply:
                    pages = [p for p in json.load(reply) if p["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        self.socket = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                return message.get("result", {})

    def shoot(self, url, path, wait=6):
        self.call("Page.navigate", url=url)
        time.sleep(wait)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    env = dict(os.environ, RC_DEMO_SECONDS="90", RC_DEMO_ORDER_SECONDS="3")
    demo = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        for line in demo.stdout:
            print(line, end="", flush=True)
            if line.startswith("A shopper places an order"):
                break
        time.sleep(40)  # let orders, invoices and events accumulate
        browser = Browser()
        try:
            browser.call("Network.enable")
            browser.call(
                "Network.setCookie",
                name="session_id",
                value=odoo_session(),
                domain="127.0.0.1",
                path="/",
            )
            OUT.mkdir(parents=True, exist_ok=True)
            # The first page loads the web client's assets: give it time before shooting.
            browser.call("Page.navigate", url=ODOO + "/odoo")
            time.sleep(15)
            for name, path in PAGES.items():
                browser.shoot(ODOO + path, OUT / name)
                print(f"saved {OUT / name}", flush=True)
        finally:
            browser.close()
    finally:
        demo.terminate()
        demo.wait(timeout=60)


if __name__ == "__main__":
    main()
