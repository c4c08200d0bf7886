"""Fixed examples of the sandbox's orders and refunds in Shopify's REST shape: the cases of
issue 12 (a fixed discount on a 159.99 line, 0.07 off 3 × 999.99, gift card + card, custom
items, tips, refund shipping lines, restocking fees, goodwill refunds, edits)."""

from decimal import Decimal


def d(value):
    return Decimal(str(value))


def place(sandbox, lines, **fields):
    fields.setdefault("customer", {"email": "shape@example.com"})
    order = sandbox.control.place_order(lines, **fields)
    return order, sandbox.control.rest("orders", order["id"])


def test_fixed_line_discount_keeps_every_cent(shopify_sandbox):
    _order, body = place(shopify_sandbox, [
        {"sku": "TSHIRT-BLUE-M", "price": "159.99", "quantity": 1,
         "discounts": [{"amount": "5.00", "title": "Loyalty"}]},
        {"sku": "TOTE-NATURAL", "price": "999.99", "quantity": 3,
         "discounts": [{"amount": "0.07", "code": "ODD"}]}])
    shirt, tote = body["line_items"]
    assert shirt["discount_allocations"][0]["amount"] == "5.00"
    assert shirt["total_discount_set"]["shop_money"]["amount"] == "5.00"
    assert d(tote["price"]) * 3 - d(tote["total_discount"]) == d("2999.90")
    assert body["subtotal_price"] == "3154.89"
    assert [a["target_selection"] for a in body["discount_applications"]] == ["explicit"] * 2
    assert body["discount_applications"][0] == {
        "target_type": "line_item", "type": "manual", "value": "5.00",
        "value_type": "fixed_amount", "allocation_method": "across",
        "target_selection": "explicit", "title": "Loyalty", "description": "Loyalty"}
    assert body["discount_codes"] == [{"code": "ODD", "amount": "0.07", "type": "fixed_amount"}]


def test_order_discount_across_lines_free_shipping_and_three_taxes(shopify_sandbox):
    _order, body = place(
        shopify_sandbox, [{"sku": "TSHIRT-BLUE-M", "quantity": 1, "price": "0.25"}] * 3,
        discounts=[{"code": "TEN", "amount": "0.10"},
                   {"code": "FREESHIP", "percentage": 100, "target": "shipping_line"}],
        shipping={"title": "Standard", "price": "4.90"},
        tax_lines=[{"title": "State", "rate": "0.10"}, {"title": "County", "rate": "0.02"},
                   {"title": "City", "rate": "0.01"}])
    assert [a["amount"] for li in body["line_items"] for a in li["discount_allocations"]] == [
        "0.04", "0.03", "0.03"]  # cents exact, the largest remainder first
    shipping = body["shipping_lines"][0]
    assert (shipping["price"], shipping["discounted_price"]) == ("4.90", "0.00")
    assert body["discount_applications"][1]["target_type"] == "shipping_line"
    state = [li["tax_lines"][0]["price"] for li in body["line_items"]]
    assert state == ["0.02", "0.02", "0.02"]  # 0.21 × 10 % and 0.22 × 10 %, rounded per line
    assert body["tax_lines"][0]["price"] == "0.06"
    assert {t["title"] for t in body["tax_lines"]} == {"State", "County", "City"}
    assert body["total_price"] == str(d(body["subtotal_price"]) + d(body["total_tax"]))


def test_tax_included_shop_keeps_the_tax_inside_the_price(shopify_sandbox):
    _order, body = place(shopify_sandbox, [{"sku": "TOTE-NATURAL", "quantity": 5,
                                            "price": "24.00"}],
                         taxes_included=True, tax_lines=[{"title": "VAT", "rate": "0.2"}])
    assert body["taxes_included"] is True
    assert (body["total_price"], body["total_tax"]) == ("120.00", "20.00")


def test_custom_item_gift_card_tip_and_two_gateways(shopify_sandbox, shopify_graphql):
    order, body = place(
        shopify_sandbox, [{"title": "Protection plan", "price": "9.99", "quantity": 1,
                           "requires_shipping": False,
                           "properties": [{"name": "Term", "value": "2 years"}]},
                          {"gift_card": True, "title": "Gift Card", "price": "25.00"},
                          {"sku": "TSHIRT-BLUE-M", "quantity": 1,
                           "properties": [{"name": "Engraving", "value": "J.D."}]}],
        tip="3.00", tax_rate=0.2, note="Leave at the door", tags=["vip", "gift"],
        note_attributes=[{"name": "how_found", "value": "friend"}],
        payments=[{"gateway": "gift_card", "amount": "10.00"}, {"gateway": "shopify_payments"}],
        shipping_address={"first_name": "Jane", "last_name": "Doe", "company": "ACME",
                          "phone": "+33 6 12 34 56 78", "city": "Lyon"})
    custom, gift, shirt, tip = body["line_items"]
    assert (custom["product_id"], custom["variant_id"], custom["sku"]) == (None, None, None)
    assert custom["product_exists"] is False and custom["properties"] == [
        {"name": "Term", "value": "2 years"}]
    assert gift["gift_card"] is True and gift["tax_lines"] == [] and not gift[
        "requires_shipping"]
    assert shirt["properties"] == [{"name": "Engraving", "value": "J.D."}]
    assert (tip["title"], tip["fulfillment_status"], tip["taxable"]) == ("Tip", "not_eligible",
                                                                         False)
    assert body["total_tip_received"] == "3.00"
    assert body["payment_gateway_names"] == ["gift_card", "shopify_payments"]
    assert body["note_attributes"] == [{"name": "how_found", "value": "friend"}]
    assert (body["tags"], body["note"]) == ("vip, gift", "Leave at the door")
    assert body["shipping_address"]["company"] == "ACME"
    query = """query($id: ID!) { order(id: $id) { transactions { kind gateway status
      amountSet { shopMoney { amount } } } } }"""
    data = shopify_graphql(query, {"id": order["admin_graphql_api_id"]}).json()["data"]
    sales = [(t["kind"], t["gateway"], t["amountSet"]["shopMoney"]["amount"])
             for t in data["order"]["transactions"]]
    rest = str(d(body["total_price"]) - 10)
    assert sales == [("SALE", "gift_card", "10.00"), ("SALE", "shopify_payments", rest)]


def test_authorization_captured_in_two_steps(shopify_sandbox):
    control = shopify_sandbox.control
    order, body = place(shopify_sandbox, [{"sku": "TOTE-NATURAL", "quantity": 2}],
                        financial_status="authorized", payments=[{"gateway": "shopify_payments"}])
    assert body["financial_status"] == "authorized" and body["total_outstanding"] == "48.00"
    assert control.capture(order["id"], "20.00")["financial_status"] == "PARTIALLY_PAID"
    captured = control.capture(order["id"])
    assert captured["financial_status"] == "PAID"
    kinds = [(t["kind"], t["amount"], t["parent_id"] is not None)
             for t in captured["transactions"]]
    assert kinds == [("AUTHORIZATION", "48.00", False), ("CAPTURE", "20.00", True),
                     ("CAPTURE", "28.00", True)]


def test_refund_lines_and_partial_shipping_in_todays_shape(shopify_sandbox):
    control = shopify_sandbox.control
    order, body = place(shopify_sandbox, [{"sku": "TSHIRT-BLUE-M", "quantity": 3,
                                           "price": "10.00"}],
                        discounts=[{"code": "FIVE", "amount": "5.00"}], tax_rate=0.2,
                        shipping={"title": "Standard", "price": "6.00"})
    line = body["line_items"][0]
    refund = control.refund_order(order["id"], [{"line_item_id": line["id"], "quantity": 1,
                                                 "restock_type": "cancel"}],
                                  shipping={"amount": "3.00"})
    rest = control.rest("refunds", refund["id"])
    (refund_line,) = rest["refund_line_items"]
    assert (refund_line["subtotal"], refund_line["total_tax"]) == ("8.33", "1.67")
    (shipping,) = rest["refund_shipping_lines"]
    assert shipping["subtotal_amount_set"]["shop_money"]["amount"] == "3.00"
    assert shipping["tax_amount_set"]["shop_money"]["amount"] == "0.60"
    assert rest["order_adjustments"] == []
    assert [t["amount"] for t in rest["transactions"]] == ["13.60"]
    assert rest["restock"] is True
    after = control.rest("orders", order["id"])
    assert after["line_items"][0]["current_quantity"] == 2
    assert after["line_items"][0]["quantity"] == 3
    assert after["financial_status"] == "partially_refunded"
    assert d(after["current_total_price"]) == d(body["total_price"]) - d("13.60")


def test_restocking_fee_and_goodwill_refund_become_discrepancies(shopify_sandbox):
    control = shopify_sandbox.control
    order, body = place(shopify_sandbox, [{"sku": "TOTE-NATURAL", "quantity": 2}])
    line_id = body["line_items"][0]["id"]
    kept = control.refund_order(order["id"], [{"line_item_id": line_id, "quantity": 1,
                                               "restock_type": "no_restock"}],
                                transactions=[{"gateway": "manual", "amount": "20.00"}])
    (adjustment,) = control.rest("refunds", kept["id"])["order_adjustments"]
    assert (adjustment["kind"], adjustment["amount"]) == ("refund_discrepancy", "4.00")
    goodwill = control.rest("refunds", control.refund_order(
        order["id"], [], amount="5.00")["id"])
    assert goodwill["refund_line_items"] == [] and goodwill["refund_shipping_lines"] == []
    assert goodwill["order_adjustments"][0]["amount"] == "-5.00"
    assert control.rest("orders", order["id"])["current_total_price"] == "23.00"


def test_edit_lowers_current_quantity_not_quantity(shopify_sandbox):
    control = shopify_sandbox.control
    order, _body = place(shopify_sandbox, [{"sku": "TSHIRT-BLUE-M", "quantity": 2}],
                         tax_rate=0.2)
    control.edit_order(order["id"], 1, sku="TSHIRT-BLUE-M")
    body = control.rest("orders", order["id"])
    line = body["line_items"][0]
    assert (line["quantity"], line["current_quantity"]) == (2, 1)
    assert (body["total_price"], body["current_total_price"]) == ("47.76", "23.88")
    assert body["current_subtotal_price"] == "19.90"


def test_test_orders_and_their_transactions_say_so(shopify_sandbox):
    order, body = place(shopify_sandbox, [{"sku": "TOTE-NATURAL", "quantity": 1}], test=True)
    assert body["test"] is True
    refund = shopify_sandbox.control.refund_order(order["id"])
    assert shopify_sandbox.control.rest("refunds", refund["id"])["transactions"][0]["test"]


def test_graphql_refund_with_explicit_transaction(shopify_sandbox, shopify_graphql):
    order, _body = place(shopify_sandbox, [{"sku": "TOTE-NATURAL", "quantity": 1}],
                        shipping={"price": "5.00"})
    mutation = """mutation($input: RefundInput!) { refundCreate(input: $input) {
      refund { totalRefundedSet { shopMoney { amount } }
        refundShippingLines(first: 2) { nodes { subtotalAmountSet { shopMoney { amount } } } }
        orderAdjustments(first: 2) { nodes { reason amountSet { shopMoney { amount } } } }
        transactions(first: 2) { nodes { kind gateway parentTransaction { kind } } } }
      userErrors { field message } } }"""
    result = shopify_graphql(mutation, {"input": {
        "orderId": order["admin_graphql_api_id"], "shipping": {"fullRefund": True},
        "transactions": [{"orderId": order["admin_graphql_api_id"], "gateway": "manual",
                          "kind": "REFUND", "amount": "3.00"}]}}).json()
    refund = result["data"]["refundCreate"]["refund"]
    assert refund["totalRefundedSet"]["shopMoney"]["amount"] == "3.00"
    assert refund["refundShippingLines"]["nodes"][0]["subtotalAmountSet"]["shopMoney"][
        "amount"] == "5.00"
    assert refund["orderAdjustments"]["nodes"] == [
        {"reason": "RESTOCK", "amountSet": {"shopMoney": {"amount": "2.00"}}}]
    assert refund["transactions"]["nodes"] == [
        {"kind": "REFUND", "gateway": "manual", "parentTransaction": {"kind": "SALE"}}]
