"""Order life cycle on the sandbox store: place, pay, cancel, refund, fulfil.

These functions are what a shopper, a payment gateway or a merchant does in a real shop. The
control API and the GraphQL mutations (``refundCreate``, ``fulfillmentCreate``,
``orderMarkAsPaid``, ``orderCancel``) both call them, so the store moves stock, totals and
statuses the same way whoever asks, and fires the webhooks Shopify would fire.
"""

from decimal import Decimal

from .store import CENTS, money, utcnow


class OrderError(ValueError):
    """A request the shop would refuse; ``field`` is the path of the offending input."""

    def __init__(self, message, field=None, code=None):
        super().__init__(message)
        self.field = field
        self.code = code


def _dec(value):
    return Decimal(str(value or "0"))


def _allocate(total, weights):
    """Split ``total`` over ``weights`` proportionally, cents exact (last share takes rest)."""
    weight_sum = sum(weights)
    if not weight_sum:
        return [Decimal("0.00")] * len(weights)
    shares = [(total * w / weight_sum).quantize(CENTS) for w in weights]
    shares[-1] += total - sum(shares)
    return shares


def place_order(store, line_items, *, customer=None, email=None, financial_status="paid",
                gateway="manual", discount=None, shipping=None, tax_rate=None, tax_title="VAT",
                shipping_address=None, billing_address=None, location_id=None, note=None,
                tags=(), test=False, taxes_included=None):
    """Create an order as checkout would, reserve stock and fire its webhooks.

    ``line_items``: ``[{"sku": "TSHIRT-BLUE-M", "quantity": 2, "price": "19.90"?}]`` (or
    ``variant_id``). ``customer``: a dict (email, first_name, ...) or an existing id.
    ``discount``: ``{"code": "SAVE10", "percentage": 10}`` or ``{"code": .., "amount": "5"}``.
    ``shipping``: ``{"title": "Standard", "code": "STD", "price": "4.90"}``.
    ``financial_status``: ``paid``, ``pending`` or ``authorized``.
    """
    with store.lock:
        if not line_items:
            raise OrderError("An order needs at least one line item", ["line_items"])
        location = (store.locations.get(int(location_id)) if location_id
                    else next(iter(store.locations.values()), None))
        if location is None:
            raise OrderError("The shop has no location", ["location_id"])
        customer_record = _resolve_customer(store, customer, email)
        rate = _dec(tax_rate)
        included = store.shop["taxes_included"] if taxes_included is None else taxes_included
        lines = [_build_line(store, spec, index) for index, spec in enumerate(line_items)]
        applications, codes = [], []
        if discount:
            _apply_discount(lines, discount, applications, codes)
        for line in lines:
            taxable_amount = _dec(line["price"]) * line["quantity"] - sum(
                _dec(a["amount"]) for a in line["discount_allocations"])
            tax = _tax_of(taxable_amount, rate, included) if line["taxable"] else Decimal(0)
            line["tax_lines"] = [{"title": tax_title, "rate": float(rate), "price": money(tax)}
                                 ] if rate else []
        shipping_lines = []
        if shipping:
            ship_price = _dec(shipping.get("price"))
            ship_tax = _tax_of(ship_price, rate, included)
            shipping_lines.append({
                "_type": "ShippingLine", "id": store.next_id(),
                "title": shipping.get("title", "Standard"), "code": shipping.get("code", "STD"),
                "source": "shopify", "price": money(ship_price),
                "tax_lines": [{"title": tax_title, "rate": float(rate),
                               "price": money(ship_tax)}] if rate else []})
        store.order_number += 1
        number = store.order_number
        address = shipping_address
        if address is None and customer_record and customer_record.get("addresses"):
            address = customer_record["addresses"][0]
        order = store.insert(
            "orders", "Order", number=number, name=f"#{number}",
            email=email or (customer_record or {}).get("email"),
            phone=(customer_record or {}).get("phone"),
            customer_id=customer_record["id"] if customer_record else None,
            processed_at=utcnow(), cancelled_at=None, cancel_reason=None, closed_at=None,
            currency=store.currency, taxes_included=included, test=test, tags=list(tags),
            note=note, financial_status="PENDING", fulfillment_status="UNFULFILLED",
            line_items=lines, shipping_lines=shipping_lines, discount_applications=applications,
            discount_codes=codes, shipping_address=store.address(address) if address else None,
            billing_address=store.address(billing_address or address) if (
                billing_address or address) else None,
            transactions=[], fulfillment_order_ids=[], fulfillment_ids=[], refund_ids=[],
            gateway=gateway, total_refunded="0.00", location_id=location["id"])
        for line in lines:
            line["order_id"] = order["id"]
            store.line_items[line["id"]] = line
        recompute_totals(order)
        _reserve_stock(store, order, location["id"])
        fulfillment_order = store.insert(
            "fulfillment_orders", "FulfillmentOrder", order_id=order["id"],
            location_id=location["id"], status="OPEN", line_items=[
                {"_type": "FulfillmentOrderLineItem", "id": store.next_id(),
                 "line_item_id": line["id"], "total_quantity": line["quantity"],
                 "remaining_quantity": line["quantity"]} for line in lines])
        order["fulfillment_order_ids"].append(fulfillment_order["id"])
        if financial_status in ("authorized", "AUTHORIZED"):
            _add_transaction(store, order, "AUTHORIZATION", order["total_price"])
            order["financial_status"] = "AUTHORIZED"
        elif financial_status in ("paid", "PAID"):
            _add_transaction(store, order, "SALE", order["total_price"])
            order["financial_status"] = "PAID"
        store.emit("orders/create", order)
        if order["financial_status"] == "PAID":
            store.emit("orders/paid", order)
        return order


def _resolve_customer(store, customer, email):
    if customer is None and not email:
        return None
    if isinstance(customer, (int, str)) and str(customer).isdigit():
        record = store.customers.get(int(customer))
        if not record:
            raise OrderError(f"Customer {customer} does not exist", ["customer"])
        return record
    data = dict(customer or {"email": email})
    existing = store.customer_by_email(data.get("email"))
    return existing or store.add_customer(**data)


def _build_line(store, spec, index):
    variant = (store.variants.get(int(spec["variant_id"])) if spec.get("variant_id")
               else store.variant_by_sku(spec.get("sku")))
    if variant is None:
        raise OrderError(f"Unknown variant {spec.get('sku') or spec.get('variant_id')}",
                         ["line_items", str(index)])
    product = store.products[variant["product_id"]]
    variant_title = store.variant_title(variant)
    quantity = int(spec.get("quantity", 1))
    return {
        "_type": "LineItem", "id": store.next_id(), "variant_id": variant["id"],
        "product_id": product["id"], "sku": variant.get("sku"), "title": product["title"],
        "variant_title": variant_title, "vendor": product.get("vendor"),
        "name": product["title"] if variant_title == "Default Title"
        else f"{product['title']} - {variant_title}",
        "quantity": quantity, "price": money(spec.get("price", variant["price"])),
        "taxable": variant["taxable"], "requires_shipping": True, "grams": 200,
        "discount_allocations": [], "tax_lines": [], "fulfilled_quantity": 0,
        "refunded_quantity": 0, "inventory_item_id": variant["inventory_item_id"]}


def _apply_discount(lines, discount, applications, codes):
    totals = [_dec(line["price"]) * line["quantity"] for line in lines]
    if "percentage" in discount:
        value, value_type = _dec(discount["percentage"]), "percentage"
        amount = (sum(totals) * value / 100).quantize(CENTS)
    else:
        value, value_type = _dec(discount.get("amount")), "fixed_amount"
        amount = min(value, sum(totals))
    code = discount.get("code")
    applications.append({
        "_type": "DiscountCodeApplication" if code else "ManualDiscountApplication",
        "index": 0, "code": code, "title": discount.get("title", code or "Discount"),
        "value": str(value), "value_type": value_type, "allocation_method": "ACROSS",
        "target_selection": "ALL", "target_type": "LINE_ITEM", "amount": money(amount)})
    if code:
        codes.append(code)
    for line, share in zip(lines, _allocate(amount, totals), strict=True):
        line["discount_allocations"] = [{"amount": money(share),
                                         "discount_application_index": 0}]


def _tax_of(amount, rate, included):
    if not rate:
        return Decimal("0.00")
    if included:
        return (amount - amount / (1 + rate)).quantize(CENTS)
    return (amount * rate).quantize(CENTS)


def recompute_totals(order):
    """Derive every order total from its lines, shipping, discounts, taxes and refunds."""
    line_total = sum(_dec(li["price"]) * li["quantity"] for li in order["line_items"])
    discounts = sum(_dec(a["amount"]) for li in order["line_items"]
                    for a in li["discount_allocations"])
    shipping = sum(_dec(s["price"]) for s in order["shipping_lines"])
    tax_by_title = {}
    for holder in order["line_items"] + order["shipping_lines"]:
        for tax_line in holder["tax_lines"]:
            key = (tax_line["title"], tax_line["rate"])
            tax_by_title[key] = tax_by_title.get(key, Decimal(0)) + _dec(tax_line["price"])
    tax = sum(tax_by_title.values(), Decimal(0))
    subtotal = line_total - discounts
    total = subtotal + shipping + (0 if order["taxes_included"] else tax)
    order.update(
        total_line_items_price=money(line_total), total_discounts=money(discounts),
        subtotal_price=money(subtotal), total_shipping_price=money(shipping),
        total_tax=money(tax), total_price=money(total),
        current_total_price=money(total - _dec(order["total_refunded"])),
        tax_lines=[{"title": title, "rate": rate, "price": money(amount)}
                   for (title, rate), amount in tax_by_title.items()])
    return order


def _reserve_stock(store, order, location_id):
    for line in order["line_items"]:
        item = store.inventory_items.get(line["inventory_item_id"])
        if not item or not item["tracked"]:
            continue
        level = store.activate(item["id"], location_id)
        store.change_quantity(level, "committed", line["quantity"], announce=False)
        store.change_quantity(level, "available", -line["quantity"])


def _add_transaction(store, order, kind, amount, parent_id=None):
    transaction = {
        "_type": "OrderTransaction", "id": store.next_id(), "kind": kind, "status": "SUCCESS",
        "gateway": order["gateway"], "amount": money(amount), "parent_id": parent_id,
        "created_at": utcnow(), "order_id": order["id"], "test": order["test"]}
    order["transactions"].append(transaction)
    return transaction


def get_order(store, order_id):
    order = store.orders.get(int(order_id)) if str(order_id).isdigit() else None
    if order is None:
        raise OrderError("Order does not exist", ["id"], "NOT_FOUND")
    return order


def mark_paid(store, order_id):
    """Capture or record payment of the outstanding amount; fires orders/paid + updated."""
    with store.lock:
        order = get_order(store, order_id)
        if order["cancelled_at"]:
            raise OrderError("Order is cancelled", ["id"], "INVALID")
        if order["financial_status"] == "PAID":
            return order
        authorization = next((t for t in order["transactions"]
                              if t["kind"] == "AUTHORIZATION"), None)
        if authorization:
            _add_transaction(store, order, "CAPTURE", order["total_price"], authorization["id"])
        else:
            _add_transaction(store, order, "SALE", order["total_price"])
        order["financial_status"] = "PAID"
        store.touch(order)
        store.emit("orders/paid", order)
        store.emit("orders/updated", order)
        return order


def cancel(store, order_id, reason="CUSTOMER", restock=True, refund=False):
    """Cancel an order, release reserved stock, optionally refund; fires orders/cancelled."""
    with store.lock:
        order = get_order(store, order_id)
        if order["cancelled_at"]:
            raise OrderError("Order has already been cancelled", ["orderId"], "INVALID")
        if refund and order["financial_status"] in ("PAID", "PARTIALLY_REFUNDED"):
            remaining = [{"line_item_id": li["id"],
                          "quantity": li["quantity"] - li["refunded_quantity"],
                          "restock_type": "CANCEL" if restock else "NO_RESTOCK"}
                         for li in order["line_items"]
                         if li["quantity"] - li["refunded_quantity"] > 0]
            from .aftersale import create_refund

            create_refund(store, order["id"], remaining, shipping_full=True,
                          note="Order cancelled", announce_order=False)
        elif restock:
            _release_unfulfilled(store, order)
        if order["financial_status"] in ("PENDING", "AUTHORIZED"):
            order["financial_status"] = "VOIDED"
        order["cancelled_at"] = utcnow()
        order["cancel_reason"] = str(reason or "OTHER").upper()
        order["closed_at"] = order["cancelled_at"]
        for fo_id in order["fulfillment_order_ids"]:
            fulfillment_order = store.fulfillment_orders[fo_id]
            if fulfillment_order["status"] != "CLOSED":
                fulfillment_order["status"] = "CANCELLED"
                store.touch(fulfillment_order)
        store.touch(order)
        store.emit("orders/cancelled", order)
        store.emit("orders/updated", order)
        return order


def _release_unfulfilled(store, order):
    for fo_id in order["fulfillment_order_ids"]:
        fulfillment_order = store.fulfillment_orders[fo_id]
        for fo_line in fulfillment_order["line_items"]:
            quantity = fo_line["remaining_quantity"]
            line = _line(order, fo_line["line_item_id"])
            _unreserve(store, line, fulfillment_order["location_id"], quantity)
            fo_line["remaining_quantity"] = 0


def _unreserve(store, line, location_id, quantity):
    level = store.levels.get((line["inventory_item_id"], location_id))
    if level and quantity > 0:
        store.change_quantity(level, "committed", -quantity, announce=False)
        store.change_quantity(level, "available", quantity)


def _line(order, line_item_id):
    return next((li for li in order["line_items"] if li["id"] == int(line_item_id)), None)
