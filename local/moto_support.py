"""Makes moto's DynamoDB behave like the real service where returns-desk relies on it."""

from __future__ import annotations

import contextlib
import copy
import functools
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
