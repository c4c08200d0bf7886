"""The thread-safe record store: validation, system fields, uniqueness, recycle bin, undo.

All writes go through ``Store.create/update/upsert/delete``. They enforce what Salesforce
enforces for the objects the connector uses (unknown and read-only fields, required fields,
unique external ids, references to live records) and keep the system fields (Id, CreatedDate,
LastModifiedDate, SystemModstamp, IsDeleted). Deleted records stay in the store with
``IsDeleted = true`` (the Recycle Bin) so ``queryAll`` and ``deleted`` can see them.

``atomic()`` groups writes: if the block raises, every record it touched is restored. The
sObject Collections ``allOrNone`` and composite requests use it. Change events are published to
listeners (the Outbound Message sender) only once the outermost block commits.
"""

import contextlib
import copy
import threading
from datetime import UTC, datetime, timedelta

from . import ids, rules, values
from .errors import ApiError, no_such_column

DEFAULT_USER_NAME = "integration@sandbox.example"


class Store:
    """Records of every object, keyed by 18-character id."""

    def __init__(self, schema, org_id):
        self.schema = schema
        self.org_id = org_id
        self.lock = threading.RLock()
        self.listeners = []
        self.clock_offset = timedelta(0)
        self._last_stamp = None
        self._undo = None
        self._events = None
        self.reset()

    # ----------------------------------------------------------------- lifecycle
    def reset(self):
        """Empty every object, then add the default user and the standard price book."""
        with self.lock:
            self.records = {name: {} for name in self.schema.object_names()}
            self.deleted_log = []
            self.counters = {"OrderNumber": 100, "OrderItemNumber": 1}
            self.default_user_id = None
            user = self.create("User", {"Username": DEFAULT_USER_NAME, "LastName": "Integration",
                                        "Email": DEFAULT_USER_NAME}, trusted=True, notify=False)
            self.default_user_id = user["Id"]
            self.records["User"][user["Id"]]["CreatedById"] = user["Id"]
            self.records["User"][user["Id"]]["LastModifiedById"] = user["Id"]
            self.create("Pricebook2", {"Name": "Standard Price Book", "IsActive": True,
                                       "IsStandard": True}, trusted=True, notify=False)

    def now(self):
        """The sandbox clock: strictly increasing milliseconds, shifted by ``clock_offset``."""
        moment = datetime.now(UTC) + self.clock_offset
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        if self._last_stamp is not None and moment <= self._last_stamp:
            moment = self._last_stamp + timedelta(milliseconds=1)
        self._last_stamp = moment
        return moment

    # ----------------------------------------------------------------- transactions
    @contextlib.contextmanager
    def atomic(self):
        """Run a block of writes all-or-nothing; nested blocks join the outer one."""
        with self.lock:
            if self._undo is not None:
                yield
                return
            self._undo, self._events = {}, []
            deleted_len = len(self.deleted_log)
            counters = dict(self.counters)
            try:
                yield
            except BaseException:
                for (object_name, record_id), before in self._undo.items():
                    if before is None:
                        self.records[object_name].pop(record_id, None)
                    else:
                        self.records[object_name][record_id] = before
                del self.deleted_log[deleted_len:]
                self.counters = counters
                self._undo = self._events = None
                raise
            events, self._undo, self._events = self._events, None, None
        for event in events:
            for listener in list(self.listeners):
                listener(event)

    def _remember(self, object_name, record_id):
        key = (object_name, record_id)
        if key not in self._undo:
            before = self.records[object_name].get(record_id)
            self._undo[key] = copy.deepcopy(before)

    def _publish(self, kind, object_name, record, notify):
        if notify:
            self._events.append({"kind": kind, "object": object_name, "id": record["Id"],
                                 "record": copy.deepcopy(record)})

    # ----------------------------------------------------------------- reads
    def object_name(self, name):
        """Canonical object name or 404 NOT_FOUND (the REST answer for an unknown sObject)."""
        canonical = self.schema.resolve_object(name)
        if canonical is None:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        return canonical

    def get(self, object_name, record_id, include_deleted=False):
        """Return a copy of a record; NOT_FOUND or ENTITY_IS_DELETED otherwise."""
        full = ids.to_18(record_id)
        with self.lock:
            record = self.records[object_name].get(full) if full else None
            if record is None:
                raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
            if record["IsDeleted"] and not include_deleted:
                raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted")
            return copy.deepcopy(record)

    def find_any(self, record_id):
        """Return ``(object name, record)`` for an id of any object, or ``(None, None)``."""
        full = ids.to_18(record_id) if isinstance(record_id, str) else None
        object_name = self.schema.object_for_prefix(full[:3]) if full else None
        if object_name is None:
            return None, None
        return object_name, self.records[object_name].get(full)

    def all(self, object_name, include_deleted=False):
        """Copies of all records of an object, oldest first."""
        with self.lock:
            return [copy.deepcopy(record) for record in self.records[object_name].values()
                    if include_deleted or not record["IsDeleted"]]

    def find_by(self, object_name, field_name, value):
        """Live records whose ``field_name`` equals ``value`` (case-insensitive for text)."""
        field = self.schema.field(object_name, field_name)
        wanted = values.comparable(field["type"], value)
        with self.lock:
            return [copy.deepcopy(record) for record in self.records[object_name].values()
                    if not record["IsDeleted"]
                    and values.comparable(field["type"], record.get(field["name"])) == wanted]

    # ----------------------------------------------------------------- writes
    def create(self, object_name, data, user_id=None, trusted=False, notify=True):
        """Insert a record and return a copy of it.

        ``trusted`` writes (seeding from the control API) may set read-only fields such as
        CreatedDate or SystemModstamp.
        """
        with self.atomic():
            clean = self._validate(object_name, data, None, trusted, from_text=False)
            record = dict.fromkeys(self.schema.fields(object_name))
            now = values.format_datetime(self.now())
            user_id = user_id or self.default_user_id
            record.update({"Id": ids.new_id(self.schema.key_prefix(object_name)),
                           "IsDeleted": False, "CreatedDate": now, "LastModifiedDate": now,
                           "SystemModstamp": now, "CreatedById": user_id,
                           "LastModifiedById": user_id})
            for name, field in self.schema.fields(object_name).items():
                if field["type"] == "boolean" and name not in clean and name != "IsDeleted":
                    record[name] = name == "IsActive" and object_name == "User"
            if "OwnerId" in record:
                record["OwnerId"] = user_id
            record.update(clean)
            missing = [name for name, field in self.schema.fields(object_name).items()
                       if field["required"] and record.get(name) in (None, "")]
            if missing:
                raise ApiError(400, "REQUIRED_FIELD_MISSING",
                               f"Required fields are missing: [{', '.join(missing)}]", missing)
            rules.before_write(self, object_name, record, None)
            self._check_unique(object_name, record)
            self._remember(object_name, record["Id"])
            self.records[object_name][record["Id"]] = record
            rules.after_write(self, object_name, record)
            self._publish("created", object_name, record, notify)
            return copy.deepcopy(record)

    def update(self, object_name, record_id, data, user_id=None, trusted=False, notify=True):
        """Update fields of a live record and return a copy of it."""
        with self.atomic():
            current = self.get(object_name, record_id)
            clean = self._validate(object_name, data, current, trusted, from_text=False)
            record = {**current, **clean}
            missing = [name for name in clean if self.schema.fields(object_name)[name]["required"]
                       and record[name] in (None, "")]
            if missing:
                raise ApiError(400, "REQUIRED_FIELD_MISSING",
                               f"Required fields are missing: [{', '.join(missing)}]", missing)
            rules.before_write(self, object_name, record, current)
            self._check_unique(object_name, record)
            now = values.format_datetime(self.now())
            record["LastModifiedDate"] = clean.get("LastModifiedDate", now)
            record["SystemModstamp"] = clean.get("SystemModstamp", now)
            record["LastModifiedById"] = user_id or self.default_user_id
            self._remember(object_name, record["Id"])
            self.records[object_name][record["Id"]] = record
            rules.after_write(self, object_name, record)
            self._publish("updated", object_name, record, notify)
            return copy.deepcopy(record)

    def upsert(self, object_name, field_name, value, data, user_id=None, update_only=False):
        """Create or update by an external id field; return ``(record, created)``."""
        field = self.schema.field(object_name, field_name)
        if field is None or not (field["externalId"] or field["name"] == "Id"):
            raise ApiError(404, "NOT_FOUND", "Provided external ID field does not exist or is "
                                             f"not accessible: {field_name}")
        with self.atomic():
            if field["name"] == "Id":
                if value:
                    return self.update(object_name, value, data, user_id), False
                return self.create(object_name, data, user_id), True
            matches = self.find_by(object_name, field["name"], value)
            given = data.get(field["name"])
            if given is not None and values.comparable("string", given) != values.comparable(
                    "string", value):
                raise ApiError(400, "INVALID_FIELD",
                               f"Value in URL and body for {field['name']} do not match",
                               [field["name"]])
            if len(matches) > 1:
                raise ApiError(300, "MULTIPLE_CHOICES", "More than one record found",
                               [match["Id"] for match in matches])
            if matches:
                return self.update(object_name, matches[0]["Id"], data, user_id), False
            if update_only:
                raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
            return self.create(object_name, {**data, field["name"]: value}, user_id), True

    def delete(self, object_name, record_id, notify=True):
        """Move a record to the Recycle Bin (IsDeleted = true)."""
        with self.atomic():
            current = self.get(object_name, record_id)
            rules.before_delete(self, object_name, current)
            self._remember(object_name, current["Id"])
            stamp = self.now()
            record = self.records[object_name][current["Id"]]
            record["IsDeleted"] = True
            record["SystemModstamp"] = values.format_datetime(stamp)
            self.deleted_log.append((object_name, record["Id"], stamp))
            rules.after_write(self, object_name, record)
            self._publish("deleted", object_name, record, notify)

    def set_raw(self, object_name, record_id, field_name, value):
        """Set a derived field without validation (used by rules inside a write)."""
        self._remember(object_name, record_id)
        self.records[object_name][record_id][field_name] = value

    # ----------------------------------------------------------------- validation
    def _validate(self, object_name, data, current, trusted, from_text):
        if not isinstance(data, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
        clean = {}
        readonly = []
        for key, value in data.items():
            if key == "attributes":
                continue
            field = self.schema.field(object_name, key)
            if field is None:
                raise no_such_column(key, object_name)
            name = field["name"]
            writable = field["createable"] if current is None else field["updateable"]
            if not writable and not trusted:
                readonly.append(name)
                continue
            clean[name] = values.coerce(field, value, from_text)
            if field["type"] == "reference" and clean[name] is not None:
                self._check_reference(field, clean[name])
        if readonly:
            verb = "create" if current is None else "update"
            raise ApiError(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                           f"Unable to {verb} fields: {', '.join(readonly)}. Please check the "
                           "security settings of this field and verify that it is read/write "
                           "for your role", readonly)
        return clean

    def _check_reference(self, field, value):
        object_name, record = self.find_any(value)
        if record is None or object_name not in field["referenceTo"]:
            raise ApiError(400, "INVALID_CROSS_REFERENCE_KEY",
                           f"invalid cross reference id: {value}", [field["name"]])
        if record["IsDeleted"]:
            raise ApiError(400, "ENTITY_IS_DELETED", "entity is deleted", [field["name"]])

    def _check_unique(self, object_name, record):
        for name, field in self.schema.fields(object_name).items():
            if not field["unique"] or record.get(name) in (None, ""):
                continue
            wanted = values.comparable(field["type"], record[name])
            for other in self.records[object_name].values():
                if (other["Id"] != record["Id"] and not other["IsDeleted"]
                        and values.comparable(field["type"], other.get(name)) == wanted):
                    raise ApiError(400, "DUPLICATE_VALUE",
                                   f"duplicate value found: {name} duplicates value on record "
                                   f"with id: {other['Id']}", [name])

    def coerce_text_row(self, object_name, row):
        """Convert a Bulk CSV row (all strings) to typed values; empty cells are skipped."""
        typed = {}
        for key, text in row.items():
            field = self.schema.field(object_name, key)
            if field is None:
                raise no_such_column(key, object_name)
            if text == "":
                continue
            typed[field["name"]] = values.coerce(field, text, from_text=True)
        return typed
