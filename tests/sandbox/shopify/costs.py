"""GraphQL query cost (Shopify's rules) and the per-token leaky bucket.

Cost rules, applied by walking the parsed query against the schema:
scalar/enum 0, object 1, connection ``2 + first × (cost of one node)``, each root mutation
field 10. The *requested* cost uses ``first``/``last``; the *actual* cost walks the response
data and counts the nodes really returned. The bucket is debited the requested cost before the
query runs and refunded the difference afterwards, like Shopify's.
"""

import threading
import time

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    IntValueNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)

OBJECT_COST = 1
CONNECTION_BASE_COST = 2
MUTATION_COST = 10
SINGLE_QUERY_MAX_COST = 1000
DEFAULT_MAXIMUM_AVAILABLE = 2000.0
DEFAULT_RESTORE_RATE = 100.0
FREE_TYPES = {"PageInfo"}
_MISSING = object()


class CostCalculator:
    """Compute requested/actual cost of one operation of a document."""

    def __init__(self, schema, document, variables=None):
        self.schema = schema
        self.variables = variables or {}
        self.fragments = {d.name.value: d for d in document.definitions
                          if d.kind == "fragment_definition"}

    def _int_argument(self, field_node, name):
        for argument in field_node.arguments or ():
            if argument.name.value != name:
                continue
            if isinstance(argument.value, IntValueNode):
                return int(argument.value.value)
            if isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
                return int(value) if isinstance(value, int) else None
        return None

    def _fields(self, parent_type, selection_set):
        """Yield (field node, field definition) of a selection set, fragments flattened."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                field = getattr(parent_type, "fields", {}).get(name)
                if field is not None:
                    yield selection, field
            else:
                if isinstance(selection, FragmentSpreadNode):
                    fragment = self.fragments.get(selection.name.value)
                    if fragment is None:
                        continue
                    condition, sub_selection = fragment.type_condition, fragment.selection_set
                else:
                    condition, sub_selection = selection.type_condition, selection.selection_set
                target = (self.schema.get_type(condition.name.value) if condition
                          else parent_type)
                yield from self._fields(target, sub_selection)

    def selection_cost(self, parent_type, selection_set, data=_MISSING):
        total = 0
        for node, field in self._fields(parent_type, selection_set):
            key = node.alias.value if node.alias else node.name.value
            value = data.get(key, _MISSING) if isinstance(data, dict) else _MISSING
            total += self.field_cost(node, field, value)
        return total

    def field_cost(self, node, field, data=_MISSING):
        named = get_named_type(field.type)
        if is_leaf_type(named) or named.name in FREE_TYPES:
            return 0
        if named.name.endswith("Connection"):
            return self._connection_cost(node, named, data)
        sample = data
        if isinstance(data, list):
            sample = data[0] if data else None
        if sample is None:  # null object in the response costs nothing more
            return 0 if data is not _MISSING else OBJECT_COST + self._children(node, named)
        return OBJECT_COST + self._children(node, named, sample)

    def _children(self, node, named, data=_MISSING):
        if not node.selection_set:
            return 0
        if hasattr(named, "fields"):
            return self.selection_cost(named, node.selection_set, data)
        # Union: price the most expensive member, as Shopify does.
        return max((self.selection_cost(member, node.selection_set, data)
                    for member in self.schema.get_possible_types(named)), default=0)

    def _connection_cost(self, node, connection_type, data):
        """2 + per-node cost × page size (requested) or × nodes returned (actual)."""
        node_type = connection_type.fields["nodes"].type
        node_named = get_named_type(node_type)
        per_node, items = 0, None
        for child, field in self._fields(connection_type, node.selection_set):
            key = child.alias.value if child.alias else child.name.value
            child_data = data.get(key, _MISSING) if isinstance(data, dict) else _MISSING
            if child.name.value == "nodes":
                cost = OBJECT_COST + self._children(child, node_named)
                items = child_data if isinstance(child_data, list) else items
                if isinstance(child_data, list):
                    cost = sum(OBJECT_COST + self._children(child, node_named, item)
                               for item in child_data) / max(len(child_data), 1)
            elif child.name.value == "edges":
                edge_type = get_named_type(field.type)
                cost = self.selection_cost(edge_type, child.selection_set) if not isinstance(
                    child_data, list) else (sum(self.selection_cost(
                        edge_type, child.selection_set, item) for item in child_data)
                    / max(len(child_data), 1))
                items = child_data if isinstance(child_data, list) else items
            else:
                continue
            per_node = max(per_node, cost)
        if data is _MISSING:
            count = self._int_argument(node, "first") or self._int_argument(node, "last") or 0
        elif data is None:
            return 0
        else:
            count = len(items) if items is not None else 0
        return round(CONNECTION_BASE_COST + count * per_node)

    def operation_cost(self, operation, data=_MISSING):
        """Cost of a query or mutation operation (``data``: the response data, for actual)."""
        if operation.operation.value == "mutation":
            roots = [n for n in operation.selection_set.selections if isinstance(n, FieldNode)]
            return MUTATION_COST * len(roots)
        root = self.schema.query_type
        return self.selection_cost(root, operation.selection_set,
                                   data if data is not None else _MISSING)


class CostBucket:
    """A leaky bucket of query points, refilled continuously at ``restore_rate`` per second."""

    def __init__(self, maximum_available=DEFAULT_MAXIMUM_AVAILABLE,
                 restore_rate=DEFAULT_RESTORE_RATE):
        self.maximum_available = float(maximum_available)
        self.restore_rate = float(restore_rate)
        self._available = float(maximum_available)
        self._stamp = time.monotonic()

    def _refill(self):
        now = time.monotonic()
        self._available = min(self.maximum_available,
                              self._available + (now - self._stamp) * self.restore_rate)
        self._stamp = now

    def available(self):
        self._refill()
        return self._available

    def try_debit(self, cost):
        """Take ``cost`` points if the bucket holds them; return whether it did."""
        self._refill()
        if cost > self._available:
            return False
        self._available -= cost
        return True

    def refund(self, points):
        self._refill()
        self._available = min(self.maximum_available, self._available + max(points, 0))

    def configure(self, maximum_available=None, restore_rate=None, currently_available=None):
        self._refill()
        if maximum_available is not None:
            self.maximum_available = float(maximum_available)
            self._available = min(self._available, self.maximum_available)
        if restore_rate is not None:
            self.restore_rate = float(restore_rate)
        if currently_available is not None:
            self._available = min(float(currently_available), self.maximum_available)

    def status(self):
        return {"maximumAvailable": self.maximum_available,
                "currentlyAvailable": round(self.available(), 1),
                "restoreRate": self.restore_rate}


class Throttle:
    """One bucket per access token, created on first use with the current defaults."""

    def __init__(self):
        self.lock = threading.Lock()
        self.buckets = {}
        self.defaults = {"maximum_available": DEFAULT_MAXIMUM_AVAILABLE,
                         "restore_rate": DEFAULT_RESTORE_RATE}
        self.single_query_max_cost = SINGLE_QUERY_MAX_COST

    def bucket(self, token):
        with self.lock:
            if token not in self.buckets:
                self.buckets[token] = CostBucket(**self.defaults)
            return self.buckets[token]

    def configure(self, maximum_available=None, restore_rate=None, currently_available=None,
                  single_query_max_cost=None, token=None):
        """Change defaults and every existing bucket (or only ``token``'s)."""
        with self.lock:
            if token is None:
                if maximum_available is not None:
                    self.defaults["maximum_available"] = float(maximum_available)
                if restore_rate is not None:
                    self.defaults["restore_rate"] = float(restore_rate)
                if single_query_max_cost is not None:
                    self.single_query_max_cost = int(single_query_max_cost)
            targets = [self.buckets.setdefault(token, CostBucket(**self.defaults))] \
                if token else list(self.buckets.values())
        for bucket in targets:
            bucket.configure(maximum_available, restore_rate, currently_available)

    def reset(self):
        """Forget every bucket and restore the default settings."""
        with self.lock:
            self.buckets.clear()
            self.defaults = {"maximum_available": DEFAULT_MAXIMUM_AVAILABLE,
                             "restore_rate": DEFAULT_RESTORE_RATE}
            self.single_query_max_cost = SINGLE_QUERY_MAX_COST

    def describe(self):
        with self.lock:
            buckets = dict(self.buckets)
        return {"defaults": dict(self.defaults),
                "single_query_max_cost": self.single_query_max_cost,
                "buckets": {token: bucket.status() for token, bucket in buckets.items()}}
