"""The books after a reliability scenario, counted from the books themselves.

For each Shopify order the scenario placed, what Shopify recorded is read from the Shopify
sandbox (the order's REST resource for its name, ``total_price`` and refunds, each refund's
REST resource for its transactions, and the order's transactions over GraphQL as the
connector reads them), and what Odoo booked is read from Odoo's tables by SQL: sale orders
by the Shopify order's name, posted customer invoices and credit notes of those sale orders,
and the ``account.payment`` rows reconciled with them. Never from the connector's own
bookkeeping (events, bindings).

Per order: exactly one sale order, exactly one posted customer invoice whose total is
Shopify's ``total_price``, and the payments reconciled with it equal the order's successful
SALE/CAPTURE transactions, gateway by gateway. Per Shopify refund: exactly one posted credit
note (``ref`` "Refund <id>") whose total is the refund's successful transactions, and the
refund payments reconciled with it equal those transactions, gateway by gateway; a posted
credit note no Shopify refund explains is a mismatch too.

Duplicates are counted from the records too (``duplicates.py``): sale orders per order
reference, invoices and payments per sale order, partners per e-mail and per customer id,
products per SKU in the Shopify sandbox's store. Any of them above 0 fails the books.
"""

import json
import time
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal

from tests.e2e.harness import odoo_env
from tests.reliability import duplicates as extra_records

TRANSACTIONS = """query($id: ID!) { order(id: $id) {
  transactions { kind status gateway amountSet { shopMoney { amount } } }
} }"""
CAPTURED_KINDS = ("SALE", "CAPTURE")
CENT = Decimal("0.01")
SHOWN = 5  # mismatching orders listed in the scenario's note


def money(value):
    return Decimal(str(value or "0")).quantize(CENT)


def by_gateway(rows):
    """{gateway: amount} of (gateway, amount) rows, without zero entries."""
    totals = {}
    for gateway, amount in rows:
        totals[gateway or ""] = totals.get(gateway or "", Decimal(0)) + money(amount)
    return {gateway: amount for gateway, amount in totals.items() if amount}


def shown(amounts):
    """{gateway: amount} as text, e.g. ``manual 53.64 + gift_card 10.00``."""
    return " + ".join(f"{g} {a}" for g, a in sorted(amounts.items())) or "none"


def in_list(values, quote=False):
    if quote:
        return ",".join("'" + str(v).replace("'", "''") + "'" for v in values)
    return ",".join(str(int(v)) for v in values)


# -- Shopify: what it recorded --------------------------------------------------------------
def graphql(stack, query, variables, attempts=10):
    """POST a GraphQL query to the sandbox's Admin API, waiting out throttling."""
    shopify = stack.shopify
    body = json.dumps({"query": query, "variables": variables}).encode()
    for attempt in range(attempts):
        request = urllib.request.Request(
            shopify.graphql_url(), data=body, method="POST",
            headers={"Content-Type": "application/json",
                     "X-Shopify-Access-Token": shopify.token})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.loads(response.read())
        except OSError:  # 429/5xx: Shopify asks to retry
            answer = None
        if answer and not answer.get("errors"):
            return answer["data"]
        time.sleep(0.5 * (attempt + 1))
    raise RuntimeError(f"Shopify sandbox GraphQL kept failing: {answer}")


def captured(stack, order_id):
    """({gateway: amount}, count) of the order's successful SALE and CAPTURE transactions."""
    data = graphql(stack, TRANSACTIONS, {"id": f"gid://shopify/Order/{order_id}"})
    rows = [(t["gateway"], t["amountSet"]["shopMoney"]["amount"])
            for t in data["order"]["transactions"]
            if t["kind"] in CAPTURED_KINDS and t["status"] == "SUCCESS"]
    return by_gateway(rows), len(rows)


def shopify_side(stack, order_ids):
    """{order id: {name, total, captured, captures, refunds: {refund id: {gateway: amount}},
    customer_id, email, skus}}."""
    control = stack.shopify.control
    recorded = {}
    for order_id in order_ids:
        order = control.rest("orders", order_id)
        refunds = {}
        for summary in order.get("refunds") or []:
            refund = control.rest("refunds", summary["id"])
            refunds[str(refund["id"])] = by_gateway(
                (t["gateway"], t["amount"]) for t in refund["transactions"]
                if t["kind"] == "refund" and t["status"] == "success")
        amounts, captures = captured(stack, order_id)
        customer = order.get("customer") or {}
        recorded[str(order_id)] = {
            "name": order["name"], "total": money(order["total_price"]), "captured": amounts,
            "captures": captures, "refunds": refunds, "customer_id": customer.get("id"),
            "email": customer.get("email") or order.get("email"),
            "skus": sorted({line["sku"] for line in order.get("line_items") or []
                            if line.get("sku")})}
    return recorded


# -- Odoo: what it booked -------------------------------------------------------------------
def sale_orders(stack, names):
    """{Shopify order name: [sale order ids]}: the sale orders of the Shopify backend (or of
    none: a duplicate that lost its binding still counts) carrying the name as reference."""
    if not names:
        return {}
    rows = odoo_env.psql(
        "SELECT client_order_ref, id FROM sale_order WHERE client_order_ref IN "
        f"({in_list(names, quote=True)}) AND (retail_backend_id = "
        f"{int(stack.shopify_backend)} OR retail_backend_id IS NULL) ORDER BY id",
        database=stack.database)
    found = {}
    for name, sale_id in rows:
        found.setdefault(name, []).append(sale_id)
    return found


def posted_moves(stack, sale_ids):
    """{sale order id: [(move id, move type, total, ref)]}: posted customer invoices and credit
    notes with a line invoicing the sale order, and credit notes booking its refunds."""
    if not sale_ids:
        return {}
    ids = in_list(sale_ids)
    rows = odoo_env.psql(
        "SELECT DISTINCT sol.order_id, m.id, m.move_type, m.amount_total, coalesce(m.ref, '') "
        "FROM sale_order_line sol JOIN sale_order_line_invoice_rel rel ON "
        "rel.order_line_id = sol.id JOIN account_move_line aml ON aml.id = rel.invoice_line_id "
        "JOIN account_move m ON m.id = aml.move_id WHERE sol.order_id IN "
        f"({ids}) AND m.state = 'posted' AND m.move_type IN ('out_invoice', 'out_refund') "
        "UNION SELECT m.retail_sale_order_id, m.id, m.move_type, m.amount_total, "
        "coalesce(m.ref, '') FROM account_move m WHERE m.retail_sale_order_id IN "
        f"({ids}) AND m.state = 'posted' AND m.move_type IN ('out_invoice', 'out_refund')",
        database=stack.database)
    moves = {}
    for sale_id, move_id, move_type, total, ref in rows:
        moves.setdefault(sale_id, []).append((move_id, move_type, money(total), ref))
    return moves


def reconciled_payments(stack, move_ids):
    """{move id: {gateway: amount}} of the payments reconciled with each move: the partial
    reconciliations between the move's lines and the lines of a payment's journal entry, in
    the move's currency."""
    if not move_ids:
        return {}
    rows = odoo_env.psql(
        "SELECT ml.move_id, coalesce(p.retail_gateway, ''), sum(CASE WHEN ml.id = "
        "apr.debit_move_id THEN apr.debit_amount_currency ELSE apr.credit_amount_currency END) "
        "FROM account_move_line ml JOIN account_partial_reconcile apr ON ml.id IN "
        "(apr.debit_move_id, apr.credit_move_id) JOIN account_move_line pl ON pl.id = CASE "
        "WHEN ml.id = apr.debit_move_id THEN apr.credit_move_id ELSE apr.debit_move_id END "
        "JOIN account_payment p ON p.move_id = pl.move_id AND p.move_id <> ml.move_id "
        f"WHERE ml.move_id IN ({in_list(move_ids)}) AND p.state NOT IN "
        "('draft', 'canceled', 'rejected') GROUP BY 1, 2",
        database=stack.database)
    paid = {}
    for move_id, gateway, amount in rows:
        paid.setdefault(move_id, []).append((gateway, amount))
    return {move_id: by_gateway(pairs) for move_id, pairs in paid.items()}


# -- the comparison -------------------------------------------------------------------------
@dataclass
class Books:
    orders: int = 0
    one_sale: int = 0
    invoices_exact: int = 0
    payments_exact: int = 0
    refunds: int = 0
    credit_notes_exact: int = 0
    refund_payments_exact: int = 0
    extra_credit_notes: int = 0
    mismatches: list = field(default_factory=list)
    duplicates: dict = field(default_factory=dict)  # {kind: extra records}, see duplicates.py

    @property
    def duplicated(self):
        """Records beyond one, all kinds together (``duplicates.py``)."""
        return sum(self.duplicates.values())

    @property
    def ok(self):
        return not self.mismatches and not self.duplicated

    def summary(self):
        text = (f"orders {self.one_sale}/{self.orders}, invoices {self.invoices_exact} exact, "
                f"payments {self.payments_exact} exact, credit notes "
                f"{self.credit_notes_exact}/{self.refunds}, refund payments "
                f"{self.refund_payments_exact} exact")
        if self.extra_credit_notes:
            text += f", {self.extra_credit_notes} credit notes without a Shopify refund"
        if self.duplicates:
            text += f"; duplicates: {extra_records.shown(self.duplicates)}"
        if self.mismatches:
            text += f"; {len(self.mismatches)} orders disagree: " + " | ".join(
                self.mismatches[:SHOWN])
        return text


def compare(recorded, sales, moves, payments):
    """Hold each Shopify order (``shopify_side``) to the books (the Odoo side); ``Books``."""
    books = Books(orders=len(recorded))
    for order_id, shop in recorded.items():
        problems = []
        sale_ids = sales.get(shop["name"], [])
        if len(sale_ids) == 1:
            books.one_sale += 1
        else:
            problems.append(f"{len(sale_ids)} sale orders vs 1")
        own = [move for sale_id in sale_ids for move in moves.get(sale_id, [])]
        own = list({move[0]: move for move in own}.values())  # a move once per order
        invoices = [move for move in own if move[1] == "out_invoice"]
        if [total for _id, _type, total, _ref in invoices] == [shop["total"]]:
            books.invoices_exact += 1
        else:
            problems.append(f"invoices {[str(m[2]) for m in invoices]} vs total_price "
                            f"{shop['total']}")
        paid = by_gateway((gateway, amount) for move in invoices
                          for gateway, amount in payments.get(move[0], {}).items())
        if paid == shop["captured"]:
            books.payments_exact += 1
        else:
            problems.append(f"payments {shown(paid)} vs captured {shown(shop['captured'])}")
        credit_notes = [move for move in own if move[1] == "out_refund"]
        for refund_id, refunded in shop["refunds"].items():
            books.refunds += 1
            notes = [move for move in credit_notes if move[3] == f"Refund {refund_id}"]
            wanted = sum(refunded.values(), Decimal("0.00"))
            if [move[2] for move in notes] == [wanted]:
                books.credit_notes_exact += 1
            else:
                problems.append(f"refund {refund_id}: credit notes "
                                f"{[str(m[2]) for m in notes]} vs refunded {wanted}")
            back = by_gateway((gateway, amount) for move in notes
                              for gateway, amount in payments.get(move[0], {}).items())
            if back == refunded:
                books.refund_payments_exact += 1
            else:
                problems.append(f"refund {refund_id}: refund payments {shown(back)} vs "
                                f"refunded {shown(refunded)}")
        expected_refs = {f"Refund {refund_id}" for refund_id in shop["refunds"]}
        extra = [move for move in credit_notes if move[3] not in expected_refs]
        if extra:
            books.extra_credit_notes += len(extra)
            problems.append(f"credit notes without a Shopify refund: "
                            f"{[(m[3], str(m[2])) for m in extra]}")
        if problems:
            books.mismatches.append(f"{shop['name']} ({order_id}): " + "; ".join(problems))
    return books


def check(stack, order_ids):
    """The books of the Shopify orders ``order_ids`` (see the module docstring)."""
    recorded = shopify_side(stack, order_ids)
    sales = sale_orders(stack, [shop["name"] for shop in recorded.values()])
    sale_ids = [sale_id for ids in sales.values() for sale_id in ids]
    moves = posted_moves(stack, sale_ids)
    payments = reconciled_payments(
        stack, sorted({move[0] for rows in moves.values() for move in rows}))
    books = compare(recorded, sales, moves, payments)
    books.duplicates = extra_records.shopify_orders(stack, recorded, sales)
    return books
