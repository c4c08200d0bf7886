"""The sObjects the sandbox knows, as data, and their describe output.

Each object lists its fields as ``(name, type, flags)``: ``type`` is a Salesforce field type
(``reference:Account`` names the referenced object), ``flags`` a space-separated subset of:

- ``required``   must be given on create (REQUIRED_FIELD_MISSING otherwise)
- ``readonly``   computed by the org; writes give INVALID_FIELD_FOR_INSERT_UPDATE
- ``createonly`` may be set on create, not on update
- ``defaulted``  filled by the org on create when absent
- ``external``   an External ID + Unique field usable for upsert

System fields (Id, IsDeleted, CreatedDate, ...) are added to every object. The custom external
id field ``Odoo_Id__c`` exists on every object by default; more custom fields can be added at
run time with ``Schema.add_field`` (control API ``POST /_sandbox/schema/{object}/fields``).
"""

import copy
import threading

DEFAULT_EXTERNAL_ID_FIELD = "Odoo_Id__c"

SYSTEM_FIELDS = [
    ("Id", "id", "readonly"),
    ("IsDeleted", "boolean", "readonly"),
    ("CreatedDate", "datetime", "readonly"),
    ("CreatedById", "reference:User", "readonly"),
    ("LastModifiedDate", "datetime", "readonly"),
    ("LastModifiedById", "reference:User", "readonly"),
    ("SystemModstamp", "datetime", "readonly"),
]

ADDRESS_PARTS = [("Street", "textarea"), ("City", "string"), ("State", "string"),
                 ("PostalCode", "string"), ("Country", "string")]


def _address(prefix):
    return [(prefix + part, field_type, "") for part, field_type in ADDRESS_PARTS]


OBJECTS = {
    "User": {"key_prefix": "005", "label": "User", "fields": [
        ("Username", "string", "required"), ("LastName", "string", "required"),
        ("FirstName", "string", ""), ("Name", "string", "readonly"), ("Email", "email", ""),
        ("IsActive", "boolean", "defaulted"),
    ]},
    "Account": {"key_prefix": "001", "label": "Account", "fields": [
        ("Name", "string", "required"), ("AccountNumber", "string", ""),
        ("Type", "picklist", ""), ("Phone", "phone", ""), ("Fax", "phone", ""),
        ("Website", "url", ""), ("Industry", "picklist", ""),
        ("ParentId", "reference:Account", ""), ("Description", "textarea", ""),
        *_address("Billing"), *_address("Shipping"),
        ("OwnerId", "reference:User", "defaulted"),
    ]},
    "Contact": {"key_prefix": "003", "label": "Contact", "fields": [
        ("LastName", "string", "required"), ("FirstName", "string", ""),
        ("Name", "string", "readonly"), ("Salutation", "picklist", ""),
        ("AccountId", "reference:Account", ""), ("Email", "email", ""), ("Phone", "phone", ""),
        ("MobilePhone", "phone", ""), ("Title", "string", ""), ("Department", "string", ""),
        *_address("Mailing"), ("OwnerId", "reference:User", "defaulted"),
    ]},
    "Product2": {"key_prefix": "01t", "label": "Product", "fields": [
        ("Name", "string", "required"), ("ProductCode", "string", ""),
        ("IsActive", "boolean", "defaulted"), ("Family", "picklist", ""),
        ("Description", "textarea", ""), ("QuantityUnitOfMeasure", "picklist", ""),
        ("StockKeepingUnit", "string", ""),
    ]},
    "Pricebook2": {"key_prefix": "01s", "label": "Price Book", "fields": [
        ("Name", "string", "required"), ("IsActive", "boolean", "defaulted"),
        ("IsStandard", "boolean", "readonly"), ("Description", "textarea", ""),
    ]},
    "PricebookEntry": {"key_prefix": "01u", "label": "Price Book Entry", "fields": [
        ("Pricebook2Id", "reference:Pricebook2", "required createonly"),
        ("Product2Id", "reference:Product2", "required createonly"),
        ("UnitPrice", "currency", "required"), ("IsActive", "boolean", "defaulted"),
        ("UseStandardPrice", "boolean", "defaulted"), ("Name", "string", "readonly"),
        ("ProductCode", "string", "readonly"),
    ]},
    "Order": {"key_prefix": "801", "label": "Order", "fields": [
        ("AccountId", "reference:Account", "required"), ("EffectiveDate", "date", "required"),
        ("Status", "picklist", "required"), ("StatusCode", "picklist", "readonly"),
        ("Pricebook2Id", "reference:Pricebook2", ""), ("OrderNumber", "string", "readonly"),
        ("TotalAmount", "currency", "readonly"), ("Type", "picklist", ""),
        ("PoNumber", "string", ""), ("Description", "textarea", ""),
        ("ActivatedDate", "datetime", ""),
        *_address("Billing"), *_address("Shipping"),
        ("OwnerId", "reference:User", "defaulted"),
    ]},
    "OrderItem": {"key_prefix": "802", "label": "Order Product", "fields": [
        ("OrderId", "reference:Order", "required createonly"),
        ("PricebookEntryId", "reference:PricebookEntry", "required createonly"),
        ("Product2Id", "reference:Product2", "createonly defaulted"),
        ("Quantity", "double", "required"), ("UnitPrice", "currency", "required"),
        ("ListPrice", "currency", "readonly"), ("TotalPrice", "currency", "readonly"),
        ("OrderItemNumber", "string", "readonly"), ("ServiceDate", "date", ""),
        ("EndDate", "date", ""), ("Description", "string", ""),
    ]},
}

RELATIONSHIP_NAMES = {"ParentId": "Parent", "OwnerId": "Owner", "CreatedById": "CreatedBy",
                      "LastModifiedById": "LastModifiedBy"}

TYPE_LENGTHS = {"string": 255, "textarea": 32000, "picklist": 255, "phone": 40, "url": 255,
                "email": 80, "id": 18, "reference": 18}

SOAP_TYPES = {"id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean",
              "datetime": "xsd:dateTime", "date": "xsd:date", "double": "xsd:double",
              "currency": "xsd:double", "int": "xsd:int"}


def make_field(name, field_type, flags=""):
    """Build a describe-style field dict from one table row."""
    flag_set = set(flags.split())
    reference_to = []
    if field_type.startswith("reference:"):
        field_type, target = field_type.split(":", 1)
        reference_to = [target]
    readonly = "readonly" in flag_set or name == "Id"
    external = "external" in flag_set
    relationship = None
    if reference_to:
        relationship = RELATIONSHIP_NAMES.get(name, name[:-2] if name.endswith("Id") else None)
    return {
        "name": name,
        "label": name.replace("__c", "").replace("_", " "),
        "type": field_type,
        "length": TYPE_LENGTHS.get(field_type, 0),
        "soapType": SOAP_TYPES.get(field_type, "xsd:string"),
        "nillable": not ("required" in flag_set or field_type == "boolean" or name == "Id"),
        "createable": not readonly,
        "updateable": not readonly and "createonly" not in flag_set,
        "defaultedOnCreate": "defaulted" in flag_set or readonly,
        "externalId": external,
        "unique": external and "nonunique" not in flag_set,
        "idLookup": external or name == "Id",
        "custom": name.endswith("__c"),
        "picklistValues": [],
        "referenceTo": reference_to,
        "relationshipName": relationship,
        "required": "required" in flag_set,
    }


class Schema:
    """The live field definitions of every object, safe to change from any thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._objects = {}
        for name, spec in OBJECTS.items():
            rows = SYSTEM_FIELDS + spec["fields"]
            if name != "User":
                rows = [*rows, (DEFAULT_EXTERNAL_ID_FIELD, "string", "external")]
            self._objects[name] = {
                "name": name, "label": spec["label"], "key_prefix": spec["key_prefix"],
                "fields": {row[0]: make_field(*row) for row in rows},
            }

    def object_names(self):
        return list(self._objects)

    def resolve_object(self, name):
        """Return the canonical object name for a case-insensitive name, or None."""
        for known in self._objects:
            if known.lower() == (name or "").lower():
                return known
        return None

    def key_prefix(self, object_name):
        return self._objects[object_name]["key_prefix"]

    def object_for_prefix(self, prefix):
        for name, spec in self._objects.items():
            if spec["key_prefix"] == prefix:
                return name
        return None

    def fields(self, object_name):
        """Return ``{field name: field dict}`` in declaration order (do not mutate)."""
        return self._objects[object_name]["fields"]

    def field(self, object_name, field_name):
        """Return the field dict for a case-insensitive field name, or None."""
        fields = self._objects[object_name]["fields"]
        if field_name in fields:
            return fields[field_name]
        lowered = field_name.lower()
        for name, field in fields.items():
            if name.lower() == lowered:
                return field
        return None

    def add_field(self, object_name, name, field_type="string", external_id=False,
                  required=False, unique=None):
        """Add (or replace) a custom field, e.g. another external id for upserts.

        An external id is unique unless ``unique=False`` (Salesforce lets an External ID be
        created without the Unique attribute: several records may then share a value)."""
        flags = " ".join(flag for flag, on in (("external", external_id),
                                                ("required", required),
                                                ("nonunique", unique is False)) if on)
        with self._lock:
            self._objects[object_name]["fields"][name] = make_field(name, field_type, flags)
        return self._objects[object_name]["fields"][name]

    def describe(self, object_name, base_path):
        """The ``sobjects/{object}/describe`` body."""
        spec = self._objects[object_name]
        fields = [dict(field) for field in spec["fields"].values()]
        for field in fields:
            field.pop("required")
        return {**self.summary(object_name, base_path), "fields": copy.deepcopy(fields),
                "childRelationships": [], "recordTypeInfos": []}

    def summary(self, object_name, base_path):
        """One entry of the global describe (``sobjects``)."""
        spec = self._objects[object_name]
        url = f"{base_path}/sobjects/{object_name}"
        return {
            "name": object_name, "label": spec["label"], "labelPlural": spec["label"] + "s",
            "keyPrefix": spec["key_prefix"], "custom": False, "createable": True,
            "updateable": True, "deletable": True, "queryable": True, "retrieveable": True,
            "searchable": True, "replicateable": True, "layoutable": True,
            "urls": {"sobject": url, "describe": url + "/describe",
                     "rowTemplate": url + "/{ID}"},
        }
