"""The DynamoDB work a request may do, and how a measured request compares with it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bench.counting import Usage


@dataclass(frozen=True)
class Budget:
    """The most calls of each operation, items read and items written a request may cost.

    An operation the budget does not name may not be called at all; that is what keeps Scan,
    and any new round trip, from slipping onto a request path unnoticed.
    """

    calls: Mapping[str, int]
    max_items_read: int = 0
    max_items_written: int = 0

    def overruns(self, usage: Usage) -> list[str]:
        """What `usage` spent beyond this budget; empty when it stayed within."""
        problems = [
            f"{count} {operation} > {self.calls.get(operation, 0)}"
            for operation, count in sorted(usage.calls.items())
            if count > self.calls.get(operation, 0)
        ]
        if usage.items_read > self.max_items_read:
            problems.append(f"read {usage.items_read} > {self.max_items_read}")
        if usage.items_written > self.max_items_written:
            problems.append(f"wrote {usage.items_written} > {self.max_items_written}")
        return problems

    def __str__(self) -> str:
        calls = " + ".join(f"<={count} {operation}" for operation, count in self.calls.items())
        return f"{calls}; read<={self.max_items_read}, write<={self.max_items_written}"
