"""`make demo`: a demo database with the three addons, served by Odoo with workers and the
queue_job runner on 127.0.0.1:8069 (settings: RC_DEMO_DB, RC_DEMO_PORT).

Later releases add the Shopify and Salesforce sandboxes and configured demo backends here.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import odoo_env

DATABASE = os.environ.get("RC_DEMO_DB", "retail_demo")
PORT = int(os.environ.get("RC_DEMO_PORT", "8069"))

CONFIG = """[options]
addons_path = {addons_path}
db_host = {db_host}
db_port = {db_port}
db_user = {db_user}
db_password = {db_password}
dbfilter = ^{database}$
list_db = False
http_interface = 127.0.0.1
http_port = {port}
workers = 2
max_cron_threads = 1
server_wide_modules = base,web,queue_job
limit_time_real = 600
data_dir = {data_dir}

[queue_job]
channels = root:2,root.retail:2
"""


def write_config(workdir):
    path = Path(workdir) / "odoo.conf"
    path.write_text(
        CONFIG.format(
            addons_path=odoo_env.addons_path(),
            db_host=odoo_env.DB_HOST,
            db_port=odoo_env.DB_PORT,
            db_user=odoo_env.DB_USER,
            db_password=odoo_env.DB_PASSWORD or "False",
            database=DATABASE,
            port=PORT,
            data_dir=Path(workdir) / "data",
        )
    )
    return path


def main():
    odoo_env.check_odoo()
    odoo_env.ensure_requirements()
    odoo_env.ensure_postgres()
    workdir = tempfile.mkdtemp(prefix="retail-demo-")
    config = write_config(workdir)
    print(f"Creating the demo database {DATABASE}...", flush=True)
    odoo_env.create_database(DATABASE)
    subprocess.run(
        [
            sys.executable,
            odoo_env.ODOO_SERVER,
            "-c",
            str(config),
            "-d",
            DATABASE,
            "-i",
            ",".join(odoo_env.ADDONS),
            "--stop-after-init",
            "--workers=0",
            "--log-level=warn",
        ],
        env=odoo_env.python_env(),
        cwd="/",
        check=True,
    )
    print(
        "\nRetail connector demo\n"
        f"  URL:      http://127.0.0.1:{PORT}/odoo/action-retail_connector.action_retail_dashboard\n"
        "  Login:    admin / admin\n"
        f"  Database: {DATABASE} (Odoo with 2 workers and the queue_job runner)\n"
        f"  Config:   {config}\n"
        "Stop with Ctrl-C.\n",
        flush=True,
    )
    server = subprocess.Popen(
        [sys.executable, odoo_env.ODOO_SERVER, "-c", str(config), "-d", DATABASE],
        env=odoo_env.python_env(),
        cwd="/",
    )
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        return server.wait()


if __name__ == "__main__":
    sys.exit(main())
