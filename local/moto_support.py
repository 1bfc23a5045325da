"""Makes moto's DynamoDB behave like the real service where returns-desk relies on it."""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

_lock = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
# moto's reads walk the table's items while another thread may be adding one ("dictionary
# changed size during iteration"): DynamoDB serves a read beside any write. (BatchGetItem is
# GetItem per key in moto.)
_READS = ("get_item", "query", "scan")


def patch_moto_dynamodb() -> None:
    """Idempotent; call before the first request to moto's DynamoDB.

    - Transactions roll back item by item. moto deep-copies every table a transaction names,
      once per item it writes, so that it can restore them if the transaction fails: its cost
      grows with the table, where DynamoDB's grows with the items written. Snapshotting just
      those items keeps the all-or-nothing behaviour and makes the benchmarks, which compare a
      transaction per return with single writes, measure our work rather than moto's copying.
      A failed transaction leaves nothing in the table's stream either.
    - A Query reads its partition. moto's reads every item of the table, sorted by key (a
      second a Query once a table holds ten thousand items), then keeps the partition's: for
      the base table it now reads that partition only, and for an index the table's items
      unsorted, as it sorts what it keeps anyway.
    - Writes are serialized. DynamoDB checks a condition and writes atomically; moto checks,
      then writes, and two threads can interleave in between. Holding one lock per write
      restores the atomicity that conditional writes (and the tests of concurrent transitions)
      depend on. Reads hold it too: moto's walk a table's items as a write changes them.
    """
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend.transact_write_items, "_patched", False):
        return
    _roll_back_items_not_tables(models, DynamoDBBackend)
    _query_reads_its_partition(models.Table)
    for name in (*_WRITES, *_READS):
        original = getattr(DynamoDBBackend, name)

        def locked(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _lock:
                return __original(*args, **kwargs)

        functools.update_wrapper(locked, original)
        setattr(DynamoDBBackend, name, locked)
    DynamoDBBackend.transact_write_items._patched = True  # type: ignore[attr-defined]


@contextlib.contextmanager
def stream_paused(table_name: str) -> Iterator[None]:
    """Writes to moto's table `table_name` (in this process, any account and region) are kept
    out of its stream for the block: bulk loads of history."""
    from moto.dynamodb.models import dynamodb_backends

    paused = []
    for _, _, backend in dynamodb_backends.iter_backends():
        table = backend.tables.get(table_name)
        if table is not None and table.stream_shard is not None:
            paused.append((table, table.stream_shard))
            table.stream_shard = None
    try:
        yield
    finally:
        for table, shard in paused:
            table.stream_shard = shard


def load_history(table_name: str, items: list[dict[str, Any]]) -> None:
    """Put `items` (DynamoDB-typed) straight into moto's table `table_name` in this process,
    kept out of its stream: history to load in bulk. Ten times quicker than BatchWriteItem
    over moto's HTTP server, whose requests and answers are the cost of a bulk load."""
    from moto.dynamodb.models import dynamodb_backends

    tables = [
        backend.tables[table_name]
        for _, _, backend in dynamodb_backends.iter_backends()
        if table_name in backend.tables
    ]
    with _lock, stream_paused(table_name):
        for table in tables:
            for item in items:
                table.put_item(item)


# What a Query of the base table or of an index asks all_items() for, while it runs.
_WHOLE_TABLE = object()


def _query_reads_its_partition(table_class: Any) -> None:
    original_query, original_all_items = table_class.query, table_class.all_items
    index_name_at = list(inspect.signature(original_query).parameters).index("index_name")

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        # args[0] is the hash key; the index's name comes by position from the backend.
        positional = args[index_name_at - 1] if len(args) >= index_name_at else None
        index_name = kwargs.get("index_name", positional)
        self._queried_partition = _WHOLE_TABLE if index_name else args[0]
        try:
            return original_query(self, *args, **kwargs)
        finally:
            del self._queried_partition

    def all_items(self: Any) -> list[Any]:
        queried = getattr(self, "_queried_partition", None)
        if queried is None:
            return list(original_all_items(self))
        partitions = self.items.values() if queried is _WHOLE_TABLE else [self.items.get(queried)]
        found: list[Any] = []
        for partition in partitions:
            if partition is None:
                continue
            if self.range_key_attr:
                found.extend(partition.values())
            else:
                found.append(partition)
        return found

    functools.update_wrapper(query, original_query)
    functools.update_wrapper(all_items, original_all_items)
    table_class.query, table_class.all_items = query, all_items


def _roll_back_items_not_tables(models: Any, backend_class: Any) -> None:
    from moto.dynamodb.models.table import Table

    def deepcopy_but_tables(value: Any, memo: Any = None) -> Any:
        # moto's own rollback then puts back the very table it holds: a no-op.
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = SimpleNamespace(**{**vars(copy), "deepcopy": deepcopy_but_tables})
    original = backend_class.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        named = _named_items(self, transact_items)
        before = [
            (table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key)))
            for table, hash_key, range_key in named
        ]
        streamed = {id(table): (table, _stream_length(table)) for table, _, _ in named}
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(before):
                _restore(table, hash_key, range_key, item)
            # DynamoDB streams a transaction whole or not at all; moto has streamed the writes
            # that came before the failing one.
            for table, length in streamed.values():
                if length is not None:
                    del table.stream_shard.items[length:]
            raise

    functools.update_wrapper(transact_write_items, original)
    backend_class.transact_write_items = transact_write_items


def _named_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    named = []
    for entry in transact_items:
        for operation in entry.values():
            table = backend.tables.get(operation.get("TableName"))
            if table is None:
                continue
            key = operation.get("Key")
            if key is None:
                attributes = operation.get("Item", {})
                key = {
                    name: attributes[name]
                    for name in (table.hash_key_attr, table.range_key_attr)
                    if name is not None and name in attributes
                }
            if table.hash_key_attr not in key:
                continue  # a malformed key: moto itself refuses the call
            named.append((table, *backend.get_keys_value(table, key)))
    return named


def _stream_length(table: Any) -> int | None:
    shard = getattr(table, "stream_shard", None)
    return None if shard is None else len(shard.items)


def _restore(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    if item is None:
        table.delete_item(hash_key, range_key)
    elif range_key is not None:
        table.items[hash_key][range_key] = item
    else:
        table.items[hash_key] = item
