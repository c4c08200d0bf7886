"""Duplicates counted from the books and from the channels' stores, never from the bindings.

The bindings are unique per ``(backend, external id)``: a second sale order or partner for one
channel record would have no binding of its own, so counting bindings can never show it. These
figures count the records themselves:

* ``sale orders``: sale orders per Shopify order reference, beyond one;
* ``invoices``: posted customer invoices per sale order, beyond one;
* ``payments``: payments reconciled with an order's invoices beyond the order's successful
  SALE/CAPTURE transactions in Shopify;
* ``partners per e-mail``: top-level partners (``res_partner`` without a parent) holding one
  customer's e-mail, beyond one;
* ``partners per external id``: distinct partners one channel customer (Shopify customer id,
  Salesforce Account id) ended up as, beyond one: the partner of its binding, the top-level
  partners with its e-mail (or, for an Account, its name) and the customers of its orders'
  sale orders;
* ``products per SKU``: products in the Shopify sandbox's store carrying one SKU, beyond one
  (read from the sandbox, not from the product bindings).

``counts()`` takes what was read (plain dicts and lists) so that a unit test can feed it a
duplicate; ``read_*`` do the reading.
"""

from tests.e2e.harness import odoo_env

KINDS = ("sale orders", "invoices", "payments", "partners per e-mail",
         "partners per external id", "products per SKU")


def extra(groups):
    """Sum over ``groups`` (iterables of ids) of the members beyond the first distinct one."""
    return sum(max(0, len(set(members)) - 1) for members in groups)


def counts(*, sales=None, invoices=None, payments=None, captures=None, email_partners=None,
           external_partners=None, sku_products=None):
    """{kind: extra records} (see the module docstring).

    ``sales``: {order reference: [sale order ids]}; ``invoices``: {sale order id: [posted
    invoice ids]}; ``payments``: {order reference: [payment ids]} with ``captures``: {order
    reference: successful SALE/CAPTURE transactions in Shopify}; ``email_partners``: {e-mail:
    [partner ids]}; ``external_partners``: {external id: [partner ids]}; ``sku_products``:
    {SKU: [product ids in the channel's store]}.
    """
    captures = captures or {}
    return {
        "sale orders": extra((sales or {}).values()),
        "invoices": extra((invoices or {}).values()),
        "payments": sum(max(0, len(set(ids)) - captures.get(ref, 0))
                        for ref, ids in (payments or {}).items()),
        "partners per e-mail": extra((email_partners or {}).values()),
        "partners per external id": extra((external_partners or {}).values()),
        "products per SKU": extra((sku_products or {}).values()),
    }


def shown(figures):
    """``sale orders 0, invoices 0, ...`` (every kind, zeros too: a figure that is printed)."""
    return ", ".join(f"{kind} {figures.get(kind, 0)}" for kind in KINDS)


# -- reading ----------------------------------------------------------------------------------
def quoted(values):
    return ",".join("'" + str(v).replace("'", "''") + "'" for v in values) or "NULL"


def grouped(found, rows):
    """Append each ``(key, id)`` of ``rows`` to ``found[key]``; return ``found``."""
    for key, record_id in rows:
        found[key].append(record_id)
    return found


def partners_by_email(database, emails):
    """{e-mail (lower case): [top-level partner ids]} of ``res_partner``."""
    wanted = sorted({e.strip().lower() for e in emails if e})
    found = {email: [] for email in wanted}
    if not wanted:
        return found
    rows = odoo_env.psql(
        "SELECT lower(email_normalized), id FROM res_partner WHERE parent_id IS NULL AND "
        f"lower(email_normalized) IN ({quoted(wanted)})", database=database)
    return grouped(found, rows)


def partners_by_name(database, names, since_id=0):
    """{name: [top-level partner ids created after ``since_id``]} of ``res_partner``."""
    found = {name: [] for name in names}
    if not names:
        return found
    rows = odoo_env.psql(
        f"SELECT name, id FROM res_partner WHERE parent_id IS NULL AND id > {int(since_id)} "
        f"AND name IN ({quoted(names)})", database=database)
    return grouped(found, rows)


def bound_partners(database, backend_id, external_ids):
    """{external id: [partner ids]} of the backend's partner bindings."""
    found = {str(e): [] for e in external_ids}
    if not found:
        return found
    rows = odoo_env.psql(
        "SELECT external_id, odoo_id FROM retail_partner_binding WHERE backend_id = "
        f"{int(backend_id)} AND external_id IN ({quoted(found)})", database=database)
    return grouped(found, rows)


def order_customers(database, sale_ids):
    """{sale order id: its customer's commercial partner id}."""
    if not sale_ids:
        return {}
    rows = odoo_env.psql(
        "SELECT s.id, coalesce(p.commercial_partner_id, p.id) FROM sale_order s JOIN "
        "res_partner p ON p.id = s.partner_id WHERE s.id IN "
        f"({','.join(str(int(i)) for i in sale_ids)})", database=database)
    return dict(rows)


def posted_invoices(database, sale_ids):
    """{sale order id: [posted customer invoice ids]} (a line of the invoice bills the order)."""
    found = {int(i): [] for i in sale_ids}
    if not found:
        return found
    rows = odoo_env.psql(
        "SELECT DISTINCT sol.order_id, m.id FROM sale_order_line sol JOIN "
        "sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id JOIN account_move_line "
        "aml ON aml.id = rel.invoice_line_id JOIN account_move m ON m.id = aml.move_id WHERE "
        f"sol.order_id IN ({','.join(str(i) for i in found)}) AND m.state = 'posted' AND "
        "m.move_type = 'out_invoice'", database=database)
    return grouped(found, rows)


def payment_ids(database, move_ids):
    """{move id: [ids of the account.payment rows reconciled with it]}."""
    found = {int(i): [] for i in move_ids}
    if not found:
        return found
    rows = odoo_env.psql(
        "SELECT DISTINCT ml.move_id, p.id FROM account_move_line ml JOIN "
        "account_partial_reconcile apr ON ml.id IN (apr.debit_move_id, apr.credit_move_id) "
        "JOIN account_move_line pl ON pl.id = CASE WHEN ml.id = apr.debit_move_id THEN "
        "apr.credit_move_id ELSE apr.debit_move_id END JOIN account_payment p ON p.move_id = "
        f"pl.move_id AND p.move_id <> ml.move_id WHERE ml.move_id IN "
        f"({','.join(str(i) for i in found)}) AND p.state NOT IN "
        "('draft', 'canceled', 'rejected')", database=database)
    return grouped(found, rows)


def sandbox_products_by_sku(shopify, skus=None):
    """{SKU: [product ids]} of the Shopify sandbox's store (every SKU, or those of ``skus``)."""
    found = {}
    for variant in shopify.control.state("variants"):
        sku = variant.get("sku")
        if sku and (skus is None or sku in skus):
            found.setdefault(sku, []).append(variant["product_id"])
    return found


def shopify_orders(stack, recorded, sales):
    """The duplicate figures of the Shopify orders ``recorded`` (``books.shopify_side``: name,
    customer id and e-mail, successful captures) whose sale orders are ``sales`` ({name:
    [sale order ids]})."""
    database = stack.database
    sale_ids = sorted({i for ids in sales.values() for i in ids})
    invoices = posted_invoices(database, sale_ids)
    paid = payment_ids(database, sorted({m for ids in invoices.values() for m in ids}))
    payments, captures = {}, {}
    for shop in recorded.values():
        name = shop["name"]
        captures[name] = shop.get("captures", 0)
        payments[name] = [p for sale_id in sales.get(name, []) for move in invoices[sale_id]
                          for p in paid.get(move, [])]
    emails = {shop.get("email") for shop in recorded.values() if shop.get("email")}
    by_email = partners_by_email(database, emails)
    customers = {}
    for shop in recorded.values():
        if shop.get("customer_id"):
            customers.setdefault(str(shop["customer_id"]), set()).update(
                [shop.get("email") or "", *sales.get(shop["name"], [])])
    bound = bound_partners(database, stack.shopify_backend, customers)
    buyers = order_customers(database, sale_ids)
    external = {}
    for customer_id, keys in customers.items():
        partners = set(bound.get(customer_id, []))
        for key in keys:
            if isinstance(key, int):
                partners.add(buyers.get(key))
            elif key:
                partners.update(by_email.get(key.lower(), []))
        external[customer_id] = partners - {None}
    skus = {sku for shop in recorded.values() for sku in shop.get("skus", ())}
    return counts(sales=sales, invoices=invoices, payments=payments, captures=captures,
                  email_partners=by_email, external_partners=external,
                  sku_products=sandbox_products_by_sku(stack.shopify, skus or None))
