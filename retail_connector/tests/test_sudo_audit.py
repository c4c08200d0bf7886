"""Every ``sudo()`` left in the connector's code says why, so that the rule cannot rot.

Webhooks and jobs run as the backend's integration user; superuser mode is kept only where a
read or write truly needs more than that user (or the user of a button) has. Each such call
carries a ``# sudo: <why>`` comment on its line or in the comment block right above it.
"""

import io
import os
import tokenize

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged

ADDONS = ("retail_connector", "retail_connector_shopify", "retail_connector_salesforce")


def unexplained_sudo_calls(source):
    """Line numbers of the ``.sudo(`` calls of ``source`` with no ``# sudo:`` comment."""
    lines = source.splitlines()
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    found = []
    for index, token in enumerate(tokens[1:-1], start=1):
        if not (
            token.type == tokenize.NAME
            and token.string == "sudo"
            and tokens[index - 1].string == "."
            and tokens[index + 1].string == "("
        ):
            continue
        row = token.start[0]
        explained = "# sudo:" in lines[row - 1]
        above = row - 2
        while not explained and above >= 0 and lines[above].strip().startswith("#"):
            explained = lines[above].strip().startswith("# sudo:")
            above -= 1
        if not explained:
            found.append(row)
    return found


def addon_sources(addon):
    root = get_module_path(addon)
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in ("tests", "__pycache__")]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                yield os.path.relpath(path, os.path.dirname(root)), path


@tagged("post_install", "-at_install")
class TestSudoAudit(TransactionCase):
    def test_the_check_finds_an_unexplained_sudo_and_accepts_an_explained_one(self):
        source = (
            "a = env['x'].sudo()\n"
            "# sudo: why\n"
            "b = env['x'].sudo()\n"
            "# sudo: why, on two\n"
            "# lines\n"
            "c = (env['x']\n"
            "     .sudo())  # sudo: on the line\n"
            "d = 'text .sudo() in a string'\n"
            "e = env['x'].sudo()\n"
        )
        self.assertEqual(unexplained_sudo_calls(source), [1, 9])

    def test_every_sudo_of_the_addons_says_why(self):
        unexplained, counted = [], 0
        for addon in ADDONS:
            for name, path in addon_sources(addon):
                with open(path, encoding="utf-8") as handle:
                    source = handle.read()
                counted += source.count(".sudo(")
                unexplained += [f"{name}:{row}" for row in unexplained_sudo_calls(source)]
        self.assertGreater(counted, 0, "no sudo() found: is the scan looking at the addons?")
        self.assertEqual(unexplained, [], "sudo() without a '# sudo: why' comment")
