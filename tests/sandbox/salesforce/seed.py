"""Seeding: the seed format and a small demo data set.

A seed is ``{object name: [record, ...]}``. A record may carry ``"_ref": "name"``; any later
string value ``"@name"`` is replaced by that record's id (``"@standard_pricebook"`` is the
standard price book). Objects are loaded in dependency order, whatever order the dict has, and
seeded records may set read-only fields (CreatedDate, SystemModstamp, ...).
"""

from .errors import ApiError
from .schema import OBJECTS

LOAD_ORDER = list(OBJECTS)

DEMO_SEED = {
    "Account": [
        {"_ref": "acme", "Name": "Acme Retail", "Type": "Customer - Direct",
         "Phone": "+1 415 555 0100", "BillingStreet": "1 Market St",
         "BillingCity": "San Francisco", "BillingPostalCode": "94105",
         "BillingCountry": "United States", "Industry": "Retail"},
        {"_ref": "globex", "Name": "Globex Stores", "Type": "Prospect",
         "BillingCity": "Lyon", "BillingCountry": "France"},
        {"_ref": "initech", "Name": "Initech Shops", "Type": "Customer - Direct",
         "BillingCity": "Austin", "BillingCountry": "United States"},
    ],
    "Contact": [
        {"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@acme.example",
         "AccountId": "@acme", "Title": "Buyer"},
        {"FirstName": "Grace", "LastName": "Hopper", "Email": "grace@acme.example",
         "AccountId": "@acme"},
        {"FirstName": "Hubert", "LastName": "Bonisseur", "Email": "hubert@globex.example",
         "AccountId": "@globex"},
        {"FirstName": "Peter", "LastName": "Gibbons", "Email": "peter@initech.example",
         "AccountId": "@initech"},
    ],
    "Product2": [
        {"_ref": "mug", "Name": "Ceramic Mug", "ProductCode": "MUG-01",
         "StockKeepingUnit": "MUG-01", "Family": "Kitchen", "IsActive": True},
        {"_ref": "tee", "Name": "Organic T-Shirt", "ProductCode": "TEE-M",
         "StockKeepingUnit": "TEE-M", "Family": "Apparel", "IsActive": True},
        {"_ref": "tote", "Name": "Canvas Tote", "ProductCode": "TOTE-01",
         "StockKeepingUnit": "TOTE-01", "Family": "Accessories", "IsActive": True},
    ],
    "PricebookEntry": [
        {"Pricebook2Id": "@standard_pricebook", "Product2Id": "@mug", "UnitPrice": 12.5,
         "IsActive": True},
        {"Pricebook2Id": "@standard_pricebook", "Product2Id": "@tee", "UnitPrice": 25.0,
         "IsActive": True},
        {"Pricebook2Id": "@standard_pricebook", "Product2Id": "@tote", "UnitPrice": 9.9,
         "IsActive": True},
    ],
}


def load_seed(store, seed, notify=False):
    """Create the records of ``seed``; return ``{"refs": {...}, "ids": {object: [ids]}}``."""
    unknown = [name for name in seed if store.schema.resolve_object(name) is None]
    if unknown:
        raise ApiError(400, "INVALID_TYPE", f"Unknown objects in seed: {', '.join(unknown)}")
    standard = store.find_by("Pricebook2", "IsStandard", True)
    refs = {"standard_pricebook": standard[0]["Id"]} if standard else {}
    by_object = {store.schema.resolve_object(name): rows for name, rows in seed.items()}
    created = {}
    with store.atomic():
        for object_name in LOAD_ORDER:
            for row in by_object.get(object_name, []):
                data = {}
                for key, value in row.items():
                    if key == "_ref":
                        continue
                    if isinstance(value, str) and value.startswith("@") and value[1:] in refs:
                        value = refs[value[1:]]
                    data[key] = value
                record = store.create(object_name, data, trusted=True, notify=notify)
                created.setdefault(object_name, []).append(record["Id"])
                if row.get("_ref"):
                    refs[row["_ref"]] = record["Id"]
    return {"refs": refs, "ids": created}
