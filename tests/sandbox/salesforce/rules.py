"""Per-object business rules of a standard org, applied by the store inside a write.

Only the rules a connector meets when it syncs accounts, contacts, products, price books and
orders: derived read-only fields (Contact.Name, PricebookEntry.Name, OrderItem.TotalPrice,
Order.TotalAmount, auto numbers) and the validations that stop bad data (standard price
before custom price, one entry per book and product, items in the order's price book, no
changes to items of an activated order).
"""

from datetime import UTC, datetime

from . import values
from .errors import ApiError

ORDER_STATUSES = {"Draft": "Draft", "Activated": "Activated"}


def _integrity(message, fields):
    return ApiError(400, "FIELD_INTEGRITY_EXCEPTION", message, fields)


def _full_name(record):
    return " ".join(part for part in (record.get("FirstName"), record.get("LastName")) if part)


def _pricebook_entry(store, record, current):
    product = store.records["Product2"][record["Product2Id"]]
    record["Name"] = product["Name"]
    record["ProductCode"] = product["ProductCode"]
    if current is not None:
        return
    book = store.records["Pricebook2"][record["Pricebook2Id"]]
    entries = [entry for entry in store.records["PricebookEntry"].values()
               if not entry["IsDeleted"] and entry["Product2Id"] == record["Product2Id"]]
    if any(entry["Pricebook2Id"] == record["Pricebook2Id"] for entry in entries):
        raise ApiError(400, "DUPLICATE_VALUE",
                       "This price definition already exists in this price book", [])
    if not book["IsStandard"]:
        standard = [entry for entry in entries
                    if store.records["Pricebook2"][entry["Pricebook2Id"]]["IsStandard"]]
        if not standard:
            raise ApiError(400, "STANDARD_PRICE_NOT_DEFINED",
                           "Before creating a custom price, create a standard price.", [])


def _order(store, record, current):
    status = record.get("Status")
    if status not in ORDER_STATUSES:
        raise ApiError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                       f"Status: bad value for restricted picklist field: {status}", ["Status"])
    record["StatusCode"] = ORDER_STATUSES[status]
    if current is None:
        store.counters["OrderNumber"] += 1
        record["OrderNumber"] = f"{store.counters['OrderNumber']:08d}"
        record["TotalAmount"] = 0.0
    if status == "Activated" and (current is None or current["Status"] != "Activated"):
        record["ActivatedDate"] = record.get("ActivatedDate") or values.format_datetime(
            datetime.now(UTC))


def _order_item(store, record, current):
    order = store.records["Order"][record["OrderId"]]
    if order["Status"] == "Activated":
        raise _integrity("You can't edit or add order products of an activated order.",
                         ["OrderId"])
    if current is None:
        entry = store.records["PricebookEntry"][record["PricebookEntryId"]]
        if order["Pricebook2Id"] is None:
            store.set_raw("Order", order["Id"], "Pricebook2Id", entry["Pricebook2Id"])
        elif order["Pricebook2Id"] != entry["Pricebook2Id"]:
            raise _integrity("field integrity exception: PricebookEntryId (pricebook entry is in "
                             "a different pricebook than the one assigned to the order)",
                             ["PricebookEntryId"])
        record["Product2Id"] = entry["Product2Id"]
        record["ListPrice"] = entry["UnitPrice"]
        store.counters["OrderItemNumber"] += 1
        record["OrderItemNumber"] = f"{store.counters['OrderItemNumber']:010d}"
    record["TotalPrice"] = round(float(record["Quantity"]) * float(record["UnitPrice"]), 2)


BEFORE_WRITE = {
    "User": lambda store, record, current: record.update(Name=_full_name(record)),
    "Contact": lambda store, record, current: record.update(Name=_full_name(record)),
    "PricebookEntry": _pricebook_entry,
    "Order": _order,
    "OrderItem": _order_item,
}


def before_write(store, object_name, record, current):
    """Fill derived fields of ``record`` and validate it; ``current`` is None on create."""
    rule = BEFORE_WRITE.get(object_name)
    if rule:
        rule(store, record, current)


def after_write(store, object_name, record):
    """Update other records that depend on ``record`` (order totals)."""
    if object_name == "OrderItem":
        order_id = record["OrderId"]
        total = sum(item["TotalPrice"] or 0 for item in store.records["OrderItem"].values()
                    if item["OrderId"] == order_id and not item["IsDeleted"])
        store.set_raw("Order", order_id, "TotalAmount", round(total, 2))


def before_delete(store, object_name, record):
    """Refuse deletes Salesforce refuses."""
    order = None
    if object_name == "OrderItem":
        order = store.records["Order"].get(record.get("OrderId"))
    if order is not None and order["Status"] == "Activated":
        raise _integrity("You can't edit or add order products of an activated order.",
                         ["OrderId"])
