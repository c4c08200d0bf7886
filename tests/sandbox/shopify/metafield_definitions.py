"""Metafield definitions: ``metafieldDefinition``, ``metafieldDefinitions`` and
``metafieldDefinitionCreate``, per Shopify's Admin API reference.

- Namespaces: ``$app`` (also the default when none is given) is the calling app's reserved
  namespace ``app--{app id}``, ``$app:sub`` is ``app--{app id}--sub``; reads resolve it the
  same way. A definition in another app's reserved namespace is invisible to an app unless its
  admin access is public.
- Default access: app-reserved namespaces ``MERCHANT_READ`` (the owning app writes, the
  merchant reads), others ``PUBLIC_READ_WRITE``; storefront and customer account ``NONE``.
  ``access.admin`` on a namespace that is not app-reserved is refused
  (``ADMIN_ACCESS_INPUT_NOT_ALLOWED``), as Shopify documents.
- User errors: ``TAKEN`` for an owner type + namespace + key already defined (Shopify's
  wording: "Key is in use for Product metafields on the 'ns' namespace."), ``TOO_SHORT`` /
  ``TOO_LONG`` / ``INVALID_CHARACTER`` for keys and namespaces (2-64 and 3-255 characters of
  ``[a-zA-Z0-9_-]``), ``BLANK`` for a blank name, ``INCLUSION`` for an unknown type,
  ``PINNED_LIMIT_REACHED`` past 20 pinned definitions per owner type. The wording of every
  error but ``TAKEN`` is the sandbox's (Shopify's is unverified), the codes and fields are
  Shopify's.
- Metafield values: only those ``productSet(identifier: {customId})`` writes (the value of an
  ``id`` definition on the product it creates); ``metafields`` and ``metafieldsCount`` count
  them, ``validationStatus`` is ``ALL_VALID``. Types: the table ``TYPES`` (category and value
  type per Shopify's list of metafield types; ``list.X`` is X's category as JSON).
"""

import hashlib
import re

from graphql import GraphQLError

from .connections import paginate, search
from .resolvers import connection
from .store import parse_gid

#: type name -> (category, value type, supported validations [(name, validation type)])
_TEXT_VALIDATIONS = (("min", "integer"), ("max", "integer"), ("regex", "single_line_text_field"),
                     ("choices", "list.single_line_text_field"))
TYPES = {
    "single_line_text_field": ("TEXT", "STRING", _TEXT_VALIDATIONS),
    "multi_line_text_field": ("TEXT", "STRING", _TEXT_VALIDATIONS[:3]),
    "rich_text_field": ("TEXT", "JSON_STRING", ()),
    "id": ("TEXT", "STRING", _TEXT_VALIDATIONS[:3]),
    "url": ("URL", "STRING", (("allowed_domains", "list.single_line_text_field"),)),
    "number_integer": ("NUMBER", "INTEGER", (("min", "number_integer"),
                                             ("max", "number_integer"))),
    "number_decimal": ("NUMBER", "STRING", (("min", "number_decimal"), ("max", "number_decimal"),
                                            ("max_precision", "number_integer"))),
    "boolean": ("TRUE_FALSE", "BOOLEAN", ()),
    "date": ("DATE_TIME", "STRING", (("min", "date"), ("max", "date"))),
    "date_time": ("DATE_TIME", "STRING", (("min", "date_time"), ("max", "date_time"))),
    "json": ("JSON", "JSON_STRING", (("schema", "json"),)),
    "color": ("COLOR", "STRING", ()),
    "money": ("MONEY", "JSON_STRING", ()),
    "rating": ("RATING", "JSON_STRING", (("scale_min", "number_decimal"),
                                         ("scale_max", "number_decimal"))),
    "weight": ("MEASUREMENT", "JSON_STRING", (("min", "weight"), ("max", "weight"))),
    "volume": ("MEASUREMENT", "JSON_STRING", (("min", "volume"), ("max", "volume"))),
    "dimension": ("MEASUREMENT", "JSON_STRING", (("min", "dimension"), ("max", "dimension"))),
    **{f"{name}_reference": ("REFERENCE", "STRING", ()) for name in (
        "product", "variant", "collection", "customer", "company", "page", "file",
        "metaobject", "mixed")},
}
UNIQUE_VALUE_TYPES = ("single_line_text_field", "url", "number_integer", "id")
KEY = re.compile(r"^[a-zA-Z0-9_-]+$")
PINNED_LIMIT = 20

#: Access scope an app needs to read (write) definitions of an owner type.
OWNER_SCOPES = {"PRODUCT": "products", "PRODUCTVARIANT": "products", "COLLECTION": "products",
                "CUSTOMER": "customers", "ORDER": "orders", "DRAFTORDER": "draft_orders",
                "LOCATION": "locations"}


def _type_info(name):
    base = name[len("list."):] if name.startswith("list.") else name
    category, value_type, validations = TYPES[base]
    if name != base:
        value_type = "JSON_STRING"
    return {"name": name, "category": category, "valueType": value_type,
            "supportsDefinitionMigrations": False,
            "supportedValidations": [{"name": n, "type": t} for n, t in validations]}


def owner_words(owner_type):
    """How Shopify's messages name an owner type: ``PRODUCT`` -> ``Product``."""
    words = {"PRODUCTVARIANT": "Product variant", "DRAFTORDER": "Draft order",
             "CARTTRANSFORM": "Cart transform"}
    return words.get(owner_type) or owner_type.replace("_", " ").capitalize()


def app_number(store, token):
    """The calling app's id: the store's own app is 1, other apps follow by name (the same
    numbers as ``currentAppInstallation``)."""
    app = store.token_app(token)
    return 1 if app is None else 2 + sorted(store.other_apps).index(app)


def resolve_namespace(namespace, number):
    """``$app`` / ``$app:sub`` / None to the app's reserved namespace; others unchanged."""
    if namespace in (None, "", "$app"):
        return f"app--{number}"
    if namespace.startswith("$app:"):
        return f"app--{number}--{namespace[len('$app:'):]}"
    return namespace


def _app_reserved(namespace):
    return namespace.startswith("app--")


def _visible(definition, number):
    namespace = definition["namespace"]
    own = namespace == f"app--{number}" or namespace.startswith(f"app--{number}--")
    return own or not _app_reserved(namespace) or definition["access"]["admin"] in (
        "PUBLIC_READ", "PUBLIC_READ_WRITE")


def _require_scope(info, owner_type, write=False):
    from .queries import access_denied, has_scope  # queries binds this module's resolvers

    scope = OWNER_SCOPES.get(owner_type)
    if scope:
        required = ("write_" if write else "read_") + scope
        if not has_scope(info.context["scopes"], required):
            field = "metafieldDefinitionCreate" if write else info.field_name
            raise access_denied(field, required)


def _context(info):
    store = info.context["store"]
    return store, app_number(store, info.context.get("token"))


# -- queries ------------------------------------------------------------------------------------
def metafield_definition(_root, info, id=None, identifier=None):
    store, number = _context(info)
    with store.lock:
        if id is not None:
            found = store.metafield_definitions.get(parse_gid(id, "MetafieldDefinition"))
        elif identifier:
            _require_scope(info, identifier["ownerType"])
            namespace = resolve_namespace(identifier.get("namespace"), number)
            found = next((d for d in store.metafield_definitions.values()
                          if d["owner_type"] == identifier["ownerType"]
                          and d["namespace"] == namespace and d["key"] == identifier["key"]),
                         None)
        else:
            raise GraphQLError("Either id or identifier must be provided.",
                               extensions={"code": "BAD_REQUEST"})
        if found is None or not _visible(found, number):
            return None
        _require_scope(info, found["owner_type"])
        return found


SEARCH_FIELDS = {
    "id": lambda d: d["id"], "key": lambda d: d["key"], "namespace": lambda d: d["namespace"],
    "owner_type": lambda d: d["owner_type"], "type": lambda d: d["type"],
    "created_at": lambda d: d["created_at"], "updated_at": lambda d: d["updated_at"],
    "default": lambda d: f"{d['name']} {d['namespace']} {d['key']}",
}
SORT_KEYS = {"ID": lambda d: d["id"], "NAME": lambda d: d["name"],
             "RELEVANCE": lambda d: d["id"],
             "PINNED_POSITION": lambda d: d.get("pinned_position") or 0}


def metafield_definitions(_root, info, ownerType, **args):
    store, number = _context(info)
    _require_scope(info, ownerType)
    with store.lock:
        items = [d for d in store.metafield_definitions.values()
                 if d["owner_type"] == ownerType and _visible(d, number)]
        if args.get("namespace") is not None:
            namespace = resolve_namespace(args["namespace"], number)
            items = [d for d in items if d["namespace"] == namespace]
        if args.get("key") is not None:
            items = [d for d in items if d["key"] == args["key"]]
        pinned = args.get("pinnedStatus") or "ANY"
        if pinned != "ANY":
            items = [d for d in items if (d["pinned_position"] is not None) == (
                pinned == "PINNED")]
        constraint = args.get("constraintStatus")
        if constraint in ("CONSTRAINED_ONLY", "UNCONSTRAINED_ONLY"):
            items = [d for d in items if bool(d["constraints"]) == (
                constraint == "CONSTRAINED_ONLY")]
        subtype = args.get("constraintSubtype")
        if subtype:
            items = [d for d in items if not d["constraints"] or (
                d["constraints"]["key"] == subtype["key"]
                and subtype["value"] in d["constraints"]["values"])]
        items = search(items, args.get("query"), SEARCH_FIELDS, info.context,
                       info.path.as_list())
        return paginate(items, args, info.context,
                        SORT_KEYS[args.get("sortKey") or "ID"])


# -- mutation -----------------------------------------------------------------------------------
def _error(field, message, code):
    return {"field": ["definition", *field], "message": message, "code": code,
            "elementIndex": None}


def _length_errors(name, value, low, high):
    if not value:
        return [_error([name], f"{name.capitalize()} can't be blank", "BLANK")]
    if len(value) < low:
        return [_error([name], f"{name.capitalize()} is too short (minimum is {low} "
                               "characters)", "TOO_SHORT")]
    if len(value) > high:
        return [_error([name], f"{name.capitalize()} is too long (maximum is {high} "
                               "characters)", "TOO_LONG")]
    if not KEY.match(value):
        return [_error([name], f"{name.capitalize()} contains one or more invalid characters.",
                       "INVALID_CHARACTER")]
    return []


def _validate(store, data, namespace):
    errors = []
    if not (data.get("name") or "").strip():
        errors.append(_error(["name"], "Name can't be blank", "BLANK"))
    raw_namespace = data.get("namespace")
    if raw_namespace not in (None, "") and not raw_namespace.startswith("$app"):
        errors += _length_errors("namespace", raw_namespace, 3, 255)
    errors += _length_errors("key", data["key"], 2, 64)
    type_name = data["type"]
    if (type_name[len("list."):] if type_name.startswith("list.") else type_name) not in TYPES:
        errors.append(_error(["type"], f"Type name {type_name} is not a valid type.",
                             "INCLUSION"))
    if (data.get("access") or {}).get("admin") and not _app_reserved(namespace):
        errors.append(_error(["access", "admin"], "Admin access can only be specified on "
                             "metafield definitions that have an app namespace.",
                             "ADMIN_ACCESS_INPUT_NOT_ALLOWED"))
    if not errors and any(d["owner_type"] == data["ownerType"] and d["namespace"] == namespace
                          and d["key"] == data["key"]
                          for d in store.metafield_definitions.values()):
        errors.append(_error(["key"], f"Key is in use for {owner_words(data['ownerType'])} "
                                      f"metafields on the '{namespace}' namespace.", "TAKEN"))
    if not errors and data.get("pin") and _pinned_count(store, data["ownerType"]) >= \
            PINNED_LIMIT:
        errors.append(_error(["pin"], f"Limit of {PINNED_LIMIT} pinned definitions reached "
                                      "for this owner type.", "PINNED_LIMIT_REACHED"))
    return errors


def _pinned_count(store, owner_type):
    return sum(1 for d in store.metafield_definitions.values()
               if d["owner_type"] == owner_type and d["pinned_position"] is not None)


def _capabilities(data):
    requested = data.get("capabilities") or {}

    def enabled(name):
        return bool((requested.get(name) or {}).get("enabled"))

    type_name = data["type"]
    filterable = enabled("adminFilterable")
    return {
        "adminFilterable": {"eligible": True, "enabled": filterable,
                            "status": "FILTERABLE" if filterable else "NOT_FILTERABLE"},
        "smartCollectionCondition": {
            "eligible": data["ownerType"] == "PRODUCT" and not type_name.startswith("list."),
            "enabled": enabled("smartCollectionCondition")
            or bool(data.get("useAsCollectionCondition"))},
        # an ``id`` metafield is unique by definition (it is what ``customId`` looks up)
        "uniqueValues": {"eligible": type_name in UNIQUE_VALUE_TYPES,
                         "enabled": type_name == "id" or enabled("uniqueValues")},
    }


def metafield_definition_create(_root, info, definition):
    store, number = _context(info)
    _require_scope(info, definition["ownerType"], write=True)
    with store.lock:
        namespace = resolve_namespace(definition.get("namespace"), number)
        errors = _validate(store, definition, namespace)
        if errors:
            return {"createdDefinition": None, "userErrors": errors}
        access = definition.get("access") or {}
        type_info = _type_info(definition["type"])
        validation_types = {v["name"]: v["type"] for v in type_info["supportedValidations"]}
        constraints = definition.get("constraints")
        record = store.insert(
            "metafield_definitions", "MetafieldDefinition", name=definition["name"].strip(),
            namespace=namespace, key=definition["key"], owner_type=definition["ownerType"],
            description=definition.get("description"), type=definition["type"],
            access={"admin": access.get("admin") or (
                "MERCHANT_READ" if _app_reserved(namespace) else "PUBLIC_READ_WRITE"),
                "storefront": access.get("storefront") or "NONE",
                "customerAccount": access.get("customerAccount") or "NONE"},
            capabilities=_capabilities(definition),
            constraints=({"key": constraints["key"], "values": list(constraints["values"])}
                         if constraints else None),
            validations=[{"name": v["name"], "value": v["value"],
                          "type": validation_types.get(v["name"], definition["type"])}
                         for v in definition.get("validations") or []],
            pinned_position=(_pinned_count(store, definition["ownerType"]) + 1
                             if definition.get("pin") else None))
        return {"createdDefinition": record, "userErrors": []}


# -- productSet(identifier: {customId}) ------------------------------------------------------
def _metafields(record):
    return record.setdefault("metafields", {})


def custom_id_target(store, token, custom_id):
    """``(definition, product or None, user error or None)`` of a ``customId`` identifier
    (``UniqueMetafieldValueInput``: namespace, by default the app's, key and value): the
    product whose metafield holds that value. The value needs a PRODUCT definition of type
    ``id`` (unique values) under that namespace and key."""
    number = app_number(store, token)
    namespace = resolve_namespace(custom_id.get("namespace"), number)
    definition = next((d for d in store.metafield_definitions.values()
                       if d["owner_type"] == "PRODUCT" and d["namespace"] == namespace
                       and d["key"] == custom_id["key"] and d["type"] == "id"), None)
    if definition is None:
        return None, None, {"field": ["identifier", "customId"], "code": "NOT_FOUND",
                            "message": f"Metafield definition of type 'id' is required for "
                                       f"{namespace}.{custom_id['key']}."}
    product = next((p for p in store.products.values()
                    if _metafields(p).get((namespace, custom_id["key"]), {}).get("value")
                    == custom_id["value"]), None)
    return definition, product, None


def set_metafield(store, record, definition, value):
    """Write one metafield value on ``record`` (kept on the record, keyed by namespace and
    key)."""
    key = (definition["namespace"], definition["key"])
    current = _metafields(record).get(key)
    now = store.touch({})["updated_at"]
    if current is None:
        current = _metafields(record)[key] = {
            "_type": "Metafield", "id": store.next_id(), "namespace": key[0], "key": key[1],
            "type": definition["type"], "owner_type": definition["owner_type"],
            "created_at": now, "definition_id": definition["id"]}
    current.update(value=str(value), updated_at=now)
    return current


def _values_of(definition, info):
    store = info.context["store"]
    key = (definition["namespace"], definition["key"])
    table = {"PRODUCT": store.products, "PRODUCTVARIANT": store.variants,
             "CUSTOMER": store.customers, "ORDER": store.orders,
             "DRAFTORDER": store.draft_orders}.get(definition["owner_type"], {})
    return [r["metafields"][key] for r in table.values() if key in r.get("metafields", {})]


# -- object fields ------------------------------------------------------------------------------
TYPE_RESOLVERS = {
    "MetafieldDefinition": {
        "ownerType": lambda s, i: s["owner_type"],
        "type": lambda s, i: _type_info(s["type"]),
        "pinnedPosition": lambda s, i: s["pinned_position"],
        "useAsCollectionCondition": lambda s, i: s["capabilities"][
            "smartCollectionCondition"]["enabled"],
        "validationStatus": lambda s, i: "ALL_VALID",
        "standardTemplate": lambda s, i: None,
        "metafieldsCount": lambda s, i, validationStatus=None: len(_values_of(s, i)),
        "metafields": connection(_values_of),
        "constraints": lambda s, i: s["constraints"],
    },
    "MetafieldDefinitionConstraints": {
        "values": connection(lambda s, i: [{"id": n, "value": v}
                                           for n, v in enumerate(s["values"], start=1)]),
    },
    "Metafield": {
        "ownerType": lambda s, i: s["owner_type"],
        "jsonValue": lambda s, i: s["value"],
        "compareDigest": lambda s, i: hashlib.sha256(s["value"].encode()).hexdigest(),
        "definition": lambda s, i: i.context["store"].metafield_definitions.get(
            s["definition_id"]),
    },
}

QUERIES = {"metafieldDefinition": metafield_definition,
           "metafieldDefinitions": metafield_definitions}
MUTATIONS = {"metafieldDefinitionCreate": metafield_definition_create}
