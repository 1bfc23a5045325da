"""Reading and replacing the return policy.

Every lifecycle task and portal request reads the policy, and it changes rarely, so each
process (a warm Lambda container) keeps it for a minute: a policy change reaches every
container within `CACHE_SECONDS`, and at once the one that made it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from chalicelib.domain.policy import ReturnPolicy
from chalicelib.errors import ConcurrentModificationError

CACHE_SECONDS = 60.0


class PolicyStore(Protocol):
    """What the service needs of storage (PolicyRepository; a fake in tests)."""

    def get(self) -> tuple[ReturnPolicy, int]: ...

    def replace(self, policy: ReturnPolicy, expected_version: int) -> int: ...


class PolicyService:
    def __init__(
        self,
        repository: PolicyStore,
        *,
        clock: Callable[[], float] = time.monotonic,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._cache_seconds = cache_seconds
        # The policy last read or written, and when by `clock`.
        self._cached: tuple[ReturnPolicy, float] | None = None

    def current(self) -> ReturnPolicy:
        """The policy in force, as read at most `cache_seconds` ago."""
        if self._cached is not None:
            policy, read_at = self._cached
            if self._clock() - read_at < self._cache_seconds:
                return policy
        return self.current_with_version()[0]

    def current_with_version(self) -> tuple[ReturnPolicy, int]:
        """The stored policy and its version, read now: what an editor must start from."""
        policy, version = self._repository.get()
        self._cached = (policy, self._clock())
        return policy, version

    def replace(
        self, policy: ReturnPolicy, expected_version: int | None
    ) -> tuple[ReturnPolicy, int]:
        """Store `policy` over `expected_version`, or over whatever is stored when None.

        Even then the write is conditional on the version just read: of two replacements at
        once, one fails with ConcurrentModificationError rather than being silently lost.
        """
        if expected_version is None:
            expected_version = self._repository.get()[1]
        try:
            version = self._repository.replace(policy, expected_version)
        except ConcurrentModificationError:
            # Someone else just stored a newer policy: ours is stale, read it next time.
            self._cached = None
            raise
        # What was just written is the freshest policy there is: no need to read it back.
        self._cached = (policy, self._clock())
        return policy, version
