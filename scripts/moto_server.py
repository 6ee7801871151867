"""moto's server, with every request handled under one lock.

moto's in-memory backends are not thread-safe: its TransactWriteItems deep-copies the
whole table before applying the items and restores that copy on a failed condition, so
two concurrent transactions can half-apply or undo each other (seen here: 20 concurrent
employee creations with the same email left the seat counter off by one). DynamoDB makes
every request atomic; this wrapper does too, by running one request at a time, while
connections stay concurrent (threaded server, keep-alive).

Second, moto rolls a failed transaction back by deep-copying every table it touches,
once per item of the transaction, before applying it: O(table size) per transaction,
which made a few thousand usage events take minutes and tens of GB. The patch below
snapshots only the items the transaction touches and restores those (the same
all-or-nothing outcome, in O(transaction)).

Third, moto answers a Query by sorting every item of the table and keeping the
partition's, or the index key's: O(table size) per Query, seconds each against a million
items. The patch below hands it the partition's items within the key condition, and for
an index Query the items whose index key matches, kept by that key's value from the keys
each write touched.

Fourth, moto's number arithmetic (`ADD`, `SET a = a + :b`) reads a number without a
dot as an `int` and prints a `Decimal` sum as Python does: `0 + 0.000000001` is stored
as `1E-9`, and every later `ADD` to it fails (`int("1E-9")`, a 500). DynamoDB adds
exactly to 38 significant digits and keeps no exponent; the patch below does too.

Fifth, moto answers every DynamoDB call through its generic response serializer, which
walks the service model for each attribute of each item: a third of the emulator's time
in the test suite. The data-plane answers are already plain JSON-ready dictionaries
(moto's `DynamoResult`), so the patch below writes them with `json.dumps` (anything it
cannot write, and every other operation, still goes through the serializer).

Last, what moto does per request that a run of the suite paid for again and again: it
lists its own package directory to route each request, lists a handler class's methods
(`inspect.getmembers`) to dispatch each call, reads the clock through naive datetimes for
every message of a queue at every SQS call, and logs every request line. The patch below
lists each once, reads `time.time()`, and logs warnings only.

Usage: python moto_server.py HOST PORT
"""

import copy
import decimal
import functools
import json
import logging
import os
import signal
import sys
import threading
import time

import moto.backends as moto_backends
import moto.core.responses as core_responses
import moto.dynamodb.models as dynamodb_models
import moto.dynamodb.models.table as table_module
import moto.dynamodb.responses as dynamodb_responses
import moto.sqs.models as sqs_models
from moto.core.utils import unix_time_millis
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.exceptions import IncorrectDataType
from moto.dynamodb.models.dynamo_type import DDBType, DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


class _TablesByReference:
    """The `copy` module as moto's DynamoDB backend sees it: tables are not deep-copied."""

    @staticmethod
    def deepcopy(value, memo=None):
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name):
        return getattr(copy, name)


class _ResultsByReference(_TablesByReference):
    """The `copy` module as moto's Query sees it: the page of items it answers is not
    deep-copied (it is only read, projected into new items and written out, under the
    server's one lock), where the copy of a page of large items cost more than the rest
    of the Query."""

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, list) and all(isinstance(item, Item) for item in value):
            return list(value)
        return copy.deepcopy(value, memo)


def _key(table, attributes):
    if table.hash_key_attr not in attributes:
        return None
    range_key = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in attributes:
            return None
        range_key = DynamoType(attributes[table.range_key_attr])
    return DynamoType(attributes[table.hash_key_attr]), range_key


def _restore(table, hash_key, range_key, item):
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
    elif item is None:
        table.items.get(hash_key, {}).pop(range_key, None)
    else:
        table.items[hash_key][range_key] = item
    _touched(table, hash_key, range_key)


def _patch_transactions():
    dynamodb_models.copy = _TablesByReference()
    apply = DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        snapshots = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            key = table and _key(table, op.get("Key") or op.get("Item") or {})
            if key:
                snapshots.append((table, *key, copy.deepcopy(table.get_item(*key))))
        try:
            apply(self, transact_items)
        except Exception:
            for snapshot in reversed(snapshots):
                _restore(*snapshot)
            raise

    DynamoDBBackend.transact_write_items = transact_write_items


class _IndexKeys:
    """One table's items by the value of each attribute an index Query has asked for.

    Built for an attribute the first time a Query names it (one walk of the table), then
    kept current from the keys every write touched since the last Query: an index Query
    reads its matching items only, as DynamoDB's does, instead of walking the table.
    """

    def __init__(self):
        self.by_attribute = {}  # name -> {(type, value) -> {(hash, range) -> item}}
        self.placed = {}  # (hash, range) -> {name: (type, value)}
        self.touched = set()

    @staticmethod
    def of(table):
        keys = table.__dict__.get("_index_keys")
        if keys is None:
            keys = table.__dict__["_index_keys"] = _IndexKeys()
        return keys

    def items(self, table, name, kind, value):
        if name not in self.by_attribute:
            self.by_attribute[name] = {}
            for hash_set in table.items.values():
                for item in hash_set.values():
                    self._place(name, (item.hash_key, item.range_key), item)
        for key in self.touched:
            for attribute in self.by_attribute:
                self._remove(attribute, key)
            item = table.items.get(key[0], {}).get(key[1])
            if item is not None:
                for attribute in self.by_attribute:
                    self._place(attribute, key, item)
        self.touched.clear()
        return list(self.by_attribute[name].get((kind, value), {}).values())

    def _place(self, name, key, item):
        found = item.attrs.get(name)
        if found is not None:
            self.by_attribute[name].setdefault((found.type, found.value), {})[key] = item
            self.placed.setdefault(key, {})[name] = (found.type, found.value)

    def _remove(self, name, key):
        value = self.placed.get(key, {}).pop(name, None)
        if value is not None:
            bucket = self.by_attribute[name][value]
            bucket.pop(key, None)
            if not bucket:
                del self.by_attribute[name][value]


def _text_condition(comparison, bounds):
    """A string sort key's condition on the text itself (moto's `compare` casts each side
    through several Python calls; a partition of thousands of items paid for it)."""
    values = [bound.value for bound in bounds]
    if any(not isinstance(value, str) for value in values):
        return None
    conditions = {
        "EQ": lambda key: key == values[0],
        "LT": lambda key: key < values[0],
        "LE": lambda key: key <= values[0],
        "GT": lambda key: key > values[0],
        "GE": lambda key: key >= values[0],
        "BEGINS_WITH": lambda key: key.startswith(values[0]),
        "BETWEEN": lambda key: values[0] <= key <= values[-1],
    }
    return conditions.get(comparison)


def _touched(table, hash_key, range_key):
    if table.range_key_attr is not None and range_key is not None:
        _IndexKeys.of(table).touched.add((hash_key, range_key))


def _patch_query():
    query = Table.query
    put_item, delete_item, update_item = Table.put_item, Table.delete_item, DynamoDBBackend.update_item

    def put_item_touched(self, *args, **kwargs):
        item = put_item(self, *args, **kwargs)
        _touched(self, item.hash_key, item.range_key)
        return item

    def delete_item_touched(self, hash_key, range_key):
        _touched(self, hash_key, range_key)
        return delete_item(self, hash_key, range_key)

    def update_item_touched(self, table_name, key, *args, **kwargs):
        # The update changes the item in place (no put), whether or not it succeeds after.
        table = self.get_table(table_name)
        try:
            return update_item(self, table_name, key, *args, **kwargs)
        finally:
            found = _key(table, key)
            if found:
                _touched(table, *found)

    def query_one_partition(self, hash_key, *args, **kwargs):
        index_name = kwargs["index_name"] if "index_name" in kwargs else (args[6] if len(args) > 6 else None)
        if not self.range_key_attr:
            return query(self, hash_key, *args, **kwargs)
        if index_name:
            # moto walks every item of the table, sorted, for an index query; the items
            # whose index key matches are enough (the query sorts what it keeps itself).
            conditions = kwargs.get("hash_key_conditions") or []
            wanted = [(name, value.type, value.value) for name, value in conditions]
            if not wanted:
                return query(self, hash_key, *args, **kwargs)
            name, kind, value = wanted[0]
            partition = [
                item
                for item in _IndexKeys.of(self).items(self, name, kind, value)
                if all(
                    (found := item.attrs.get(other)) is not None and found.type == t and found.value == v
                    for other, t, v in wanted[1:]
                )
            ]
        else:
            partition = list(self.items.get(hash_key, {}).values())
            # moto sorts the partition and sizes every item before it compares the sort
            # key; the items of the key condition are enough.
            comparison, bounds = args[0], args[1]
            if comparison:
                within = _text_condition(comparison, bounds) if self.range_key_type == "S" else None
                if within:
                    partition = [item for item in partition if within(item.range_key.value)]
                else:
                    partition = [item for item in partition if item.range_key.compare(comparison, bounds)]
            # In order already, moto's own sort (by DynamoType, a Python comparison per
            # step) is one pass.
            if self.range_key_type == "S":
                partition.sort(key=lambda item: item.range_key.value)
            else:
                partition.sort(key=lambda item: item.range_key.cast_value)
        # Safe only because every request runs under the server's one lock.
        self.all_items = lambda: partition
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    def sorted_items(self, hash_key_attrs, range_key_attrs, items):
        # moto sorts an index Query's items by tuples of DynamoTypes, each comparison a
        # cast of both sides (a Number's to Decimal); each item's key is cast once here.
        attributes = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        items.sort(key=lambda item: tuple(item.attrs[name].cast_value for name in attributes))
        return items

    Table.query = query_one_partition
    Table.sorted_items = sorted_items
    table_module.copy = _ResultsByReference()
    Table.put_item = put_item_touched
    Table.delete_item = delete_item_touched
    DynamoDBBackend.update_item = update_item_touched


def _plain(number: decimal.Decimal) -> str:
    """A number as DynamoDB prints it: no exponent, no trailing zeros after the point."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _patch_numbers():
    def arithmetic(operation):
        def apply(self, other):
            if self.type != other.type:
                raise TypeError("Different types of operandi is not allowed.")
            if not self.is_number():
                raise IncorrectDataType()
            with decimal.localcontext() as context:
                context.prec = 38
                result = operation(decimal.Decimal(self.value), decimal.Decimal(other.value))
            return DynamoType({DDBType.NUMBER: _plain(result)})

        return apply

    DynamoType.__add__ = arithmetic(lambda a, b: a + b)
    DynamoType.__sub__ = arithmetic(lambda a, b: a - b)


# The data-plane operations, whose answers are items and counts (no timestamps or binary
# to convert).
_PLAIN_ANSWERS = frozenset(
    ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchGetItem", "BatchWriteItem", "TransactWriteItems"]
)


def _patch_serializer():
    serialize = dynamodb_responses.DynamoResult.execute_result

    def execute_result(self, context):
        if context.operation_model.name in _PLAIN_ANSWERS:
            try:
                body = json.dumps(self.result, separators=(",", ":"))
            except TypeError:
                return serialize(self, context)
            return 200, {"Content-Type": "application/x-amz-json-1.0"}, body
        return serialize(self, context)

    dynamodb_responses.DynamoResult.execute_result = execute_result


def _patch_overheads():
    modules = tuple(moto_backends.list_of_moto_modules())
    moto_backends.list_of_moto_modules = lambda: iter(modules)
    core_responses.method_names_from_class = functools.cache(core_responses.method_names_from_class)
    sqs_models.unix_time_millis = lambda dt=None: time.time() * 1000.0 if dt is None else unix_time_millis(dt)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    _patch_transactions()
    _patch_query()
    _patch_numbers()
    _patch_serializer()
    _patch_overheads()
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    run_simple(host, port, one_at_a_time, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
