"""Inventory mutations: ``inventorySetQuantities``, ``inventoryAdjustQuantities``,
``inventoryActivate``, with Shopify's validation codes, version drift and idempotency.

Version rules (``info.context["version"]`` is the version actually served):
- before 2026-04: unless ``ignoreCompareQuantity``, each quantity needs ``compareQuantity``
  (or, from 2026-01, ``changeFromQuantity``) equal to the stored value;
- from 2026-04: every quantity must carry ``changeFromQuantity`` (explicit null skips the
  check) and the field needs ``@idempotent(key:)``; ``compareQuantity`` and
  ``ignoreCompareQuantity`` are not in the schema served (refused as invalid variables);
- from 2026-10: ITEM_NOT_STOCKED_AT_LOCATION is gone: quantities set or adjusted at a location
  that does not stock the item stock it there.
A batch is all-or-nothing: any user error leaves stock untouched.
"""

import json
import re

from graphql import GraphQLError
from graphql.execution.values import get_directive_values

from .store import parse_gid

MAX_QUANTITIES = 250
QUANTITY_BOUND = 1_000_000_000
SET_NAMES = ("available", "on_hand")
ADJUST_NAMES = ("available", "on_hand", "damaged", "incoming", "quality_control", "reserved",
                "safety_stock")
REASONS = ("correction", "cycle_count_available", "damaged", "movement_created",
           "movement_updated", "movement_received", "movement_canceled", "other",
           "promotion", "quality_control", "received", "reservation_created",
           "reservation_deleted", "reservation_updated", "restock", "safety_stock", "shrinkage")
URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")


def user_error(field, message, code=None):
    return {"field": field, "message": message, "code": code}


def version_at_least(info, wanted):
    version = info.context.get("version") or "unstable"
    return version == "unstable" or version >= wanted


def idempotency_key(info):
    """The ``@idempotent(key:)`` of the current field, or None."""
    directive = info.schema.get_directive("idempotent")
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return (values or {}).get("key")


def run_idempotent(info, payload_name, arguments, action, required, result_key=None):
    """Run ``action()`` once per idempotency key; replay its result for the same arguments.

    A key whose attempt failed (``userErrors``) cannot be used again: Shopify answers
    ``IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED`` ("retry with a new idempotency key"). Payloads
    whose user errors have no ``code`` (``result_key`` given, e.g. ``inventoryActivate``)
    only replay."""
    key = idempotency_key(info)
    if key is None:
        if required:
            raise GraphQLError(
                f"The @idempotent directive with a key is required for {payload_name} "
                f"in API version {info.context.get('version')}.",
                extensions={"code": "BAD_REQUEST"})
        return action()
    store = info.context["store"]
    fingerprint = json.dumps([payload_name, arguments], sort_keys=True, default=str)
    with store.lock:
        previous = store.idempotency.get(key)
        empty = result_key or "inventoryAdjustmentGroup"
        if previous is not None:
            if previous[0] != fingerprint:
                return {empty: None, "userErrors": [user_error(
                    None, "The same idempotency key cannot be used with different operation "
                          "parameters.", "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")]}
            if previous[1].get("userErrors") and result_key is None:
                return {empty: None, "userErrors": [user_error(
                    None, "A previous request with this idempotency key failed. Retry with a "
                          "new idempotency key.", "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED")]}
            return previous[1]
        result = action()
        store.idempotency[key] = (fingerprint, result)
        return result


def _check_common(input_, names, errors, name_code):
    """``name_code``: the set mutation's enum says INVALID_NAME, the adjust one's
    INVALID_QUANTITY_NAME."""
    if input_["name"] not in names:
        errors.append(user_error(["input", "name"], f"The quantity name must be one of: "
                                 f"{', '.join(names)}.", name_code))
    if input_["reason"] not in REASONS:
        errors.append(user_error(["input", "reason"], "The specified reason is invalid.",
                                 "INVALID_REASON"))
    uri = input_.get("referenceDocumentUri")
    if uri is not None and not URI.match(uri):
        errors.append(user_error(["input", "referenceDocumentUri"],
                                 "The reference document URI is invalid.",
                                 "INVALID_REFERENCE_DOCUMENT"))


def _resolve_level(store, entry, field, seen, errors, stock_anywhere=False):
    """Find the (item, location) level of one input entry, recording what is wrong."""
    item_id = parse_gid(entry["inventoryItemId"], "InventoryItem")
    location_id = parse_gid(entry["locationId"], "Location")
    if item_id not in store.inventory_items:
        errors.append(user_error([*field, "inventoryItemId"],
                                 "The specified inventory item could not be found.",
                                 "INVALID_INVENTORY_ITEM"))
        return None
    if location_id not in store.locations:
        errors.append(user_error([*field, "locationId"],
                                 "The specified location could not be found.",
                                 "INVALID_LOCATION"))
        return None
    if seen is not None and (item_id, location_id) in seen:
        errors.append(user_error(field, "The combination of inventoryItemId and locationId "
                                 "must be unique.", "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"))
        return None
    if seen is not None:
        seen.add((item_id, location_id))
    level = store.levels.get((item_id, location_id))
    if level is None and stock_anywhere:
        # 2026-10: quantities can be set at any location (the item is stocked there)
        level = store.activate(item_id, location_id, available=0)
    if level is None:
        errors.append(user_error([*field, "locationId"], "The inventory item is not stocked at "
                                 "the location.", "ITEM_NOT_STOCKED_AT_LOCATION"))
    return level


def _check_compare(info, input_, entry, current, *, field, errors):
    if version_at_least(info, "2026-04"):
        if "changeFromQuantity" not in entry:
            errors.append(user_error([*field, "changeFromQuantity"], "changeFromQuantity is "
                                     "required; pass null to skip the check.",
                                     "COMPARE_QUANTITY_REQUIRED"))
        elif entry["changeFromQuantity"] is not None and entry["changeFromQuantity"] != current:
            errors.append(user_error([*field, "changeFromQuantity"], "The changeFromQuantity "
                                     "value does not match persisted value.",
                                     "CHANGE_FROM_QUANTITY_STALE"))
        return
    if "changeFromQuantity" in entry:
        if entry["changeFromQuantity"] is not None and entry["changeFromQuantity"] != current:
            errors.append(user_error([*field, "changeFromQuantity"], "The changeFromQuantity "
                                     "value does not match persisted value.",
                                     "CHANGE_FROM_QUANTITY_STALE"))
        return
    if input_.get("ignoreCompareQuantity"):
        return
    if entry.get("compareQuantity") is None:
        errors.append(user_error([*field, "compareQuantity"], "The compareQuantity argument "
                                 "must be given to each quantity or ignored using "
                                 "ignoreCompareQuantity.", "COMPARE_QUANTITY_REQUIRED"))
    elif entry["compareQuantity"] != current:
        errors.append(user_error([*field, "compareQuantity"], "The compareQuantity value does "
                                 "not match persisted value.", "COMPARE_QUANTITY_STALE"))


def _apply(store, input_, plans):
    """Apply (level, name, delta) plans and record one adjustment group."""
    changes = []
    for level, name, delta, ledger in plans:
        store.change_quantity(level, name, delta)
        names = (name, "on_hand") if name in ("available",) else (
            (name, "available") if name == "on_hand" else (name, "on_hand"))
        if name == "incoming":
            names = (name,)
        for changed in names:
            changes.append({"name": changed, "delta": delta,
                            "quantity_after_change": store.quantity(level, changed),
                            "ledger_document_uri": ledger, "item_id": level["item_id"],
                            "location_id": level["location_id"]})
    return store.insert("adjustment_groups", "InventoryAdjustmentGroup",
                        reason=input_["reason"],
                        reference_document_uri=input_.get("referenceDocumentUri"),
                        changes=changes)


def inventory_set_quantities(_root, info, input):
    store = info.context["store"]
    if len(input["quantities"]) > MAX_QUANTITIES:
        raise GraphQLError(f"The input array size of {len(input['quantities'])} is greater "
                           f"than the maximum allowed of {MAX_QUANTITIES}.",
                           extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"})

    def action():
        with store.lock:
            errors, plans, seen = [], [], set()
            _check_common(input, SET_NAMES, errors, "INVALID_NAME")
            for index, entry in enumerate(input["quantities"]):
                field = ["input", "quantities", str(index)]
                quantity = entry["quantity"]
                if quantity > QUANTITY_BOUND:
                    errors.append(user_error([*field, "quantity"], "The quantity can't be "
                                             "higher than 1,000,000,000.",
                                             "INVALID_QUANTITY_TOO_HIGH"))
                    continue
                if quantity < -QUANTITY_BOUND:
                    errors.append(user_error([*field, "quantity"], "The quantity can't be "
                                             "lower than -1,000,000,000.",
                                             "INVALID_QUANTITY_TOO_LOW"))
                    continue
                if quantity < 0 and input["name"] == "on_hand":
                    errors.append(user_error([*field, "quantity"], "The quantity can't be "
                                             "negative.", "INVALID_QUANTITY_NEGATIVE"))
                    continue
                level = _resolve_level(store, entry, field, seen, errors,
                                       stock_anywhere=version_at_least(info, "2026-10"))
                if level is None or input["name"] not in SET_NAMES:
                    continue
                current = store.quantity(level, input["name"])
                _check_compare(info, input, entry, current, field=field, errors=errors)
                plans.append((level, input["name"], quantity - current, None))
            if errors:
                return {"inventoryAdjustmentGroup": None, "userErrors": errors}
            return {"inventoryAdjustmentGroup": _apply(store, input, plans), "userErrors": []}

    return run_idempotent(info, "inventorySetQuantities", input, action,
                          required=version_at_least(info, "2026-04"))


def inventory_adjust_quantities(_root, info, input):
    store = info.context["store"]

    def action():
        with store.lock:
            # Shopify's adjust error codes have no "duplicate pair" one: changes of the
            # same level apply one after the other.
            errors, plans = [], []
            _check_common(input, ADJUST_NAMES, errors, "INVALID_QUANTITY_NAME")
            for index, entry in enumerate(input["changes"]):
                field = ["input", "changes", str(index)]
                ledger = entry.get("ledgerDocumentUri")
                if input["name"] != "available" and not ledger:
                    errors.append(user_error([*field, "ledgerDocumentUri"], "A ledger document "
                                             "URI is required for this quantity name.",
                                             "INVALID_REFERENCE_DOCUMENT"))
                    continue
                if ledger and (ledger.startswith("gid://shopify/") or not URI.match(ledger)):
                    errors.append(user_error([*field, "ledgerDocumentUri"], "The ledger "
                                             "document URI is invalid.",
                                             "INVALID_REFERENCE_DOCUMENT"))
                    continue
                level = _resolve_level(store, entry, field, None, errors,
                                       stock_anywhere=version_at_least(info, "2026-10"))
                if level is not None and input["name"] in ADJUST_NAMES:
                    plans.append((level, input["name"], entry["delta"], ledger))
            if errors:
                return {"inventoryAdjustmentGroup": None, "userErrors": errors}
            return {"inventoryAdjustmentGroup": _apply(store, input, plans), "userErrors": []}

    return run_idempotent(info, "inventoryAdjustQuantities", input, action,
                          required=version_at_least(info, "2026-04"))


def inventory_activate(_root, info, inventoryItemId, locationId, available=None, onHand=None,
                       stockAtLegacyLocation=None):
    store = info.context["store"]
    item_id = parse_gid(inventoryItemId, "InventoryItem")
    location_id = parse_gid(locationId, "Location")

    def action():
        if item_id not in store.inventory_items:
            return {"inventoryLevel": None, "userErrors": [
                {"field": ["inventoryItemId"], "message": "Inventory item does not exist"}]}
        if location_id not in store.locations:
            return {"inventoryLevel": None, "userErrors": [
                {"field": ["locationId"], "message": "Location does not exist"}]}
        level = store.activate(item_id, location_id, available=available or onHand or 0)
        return {"inventoryLevel": level, "userErrors": []}

    arguments = [inventoryItemId, locationId, available, onHand]
    return run_idempotent(info, "inventoryActivate", arguments, action,
                          required=version_at_least(info, "2026-04"),
                          result_key="inventoryLevel")


MUTATIONS = {
    "inventorySetQuantities": inventory_set_quantities,
    "inventoryAdjustQuantities": inventory_adjust_quantities,
    "inventoryActivate": inventory_activate,
}
