"""Reading, replacing and changing the return policy.

Every lifecycle task and portal request reads the policy, and it changes rarely, so each
process (a warm Lambda container) keeps it for a minute: a policy change reaches every
container within `CACHE_SECONDS`, and at once the one that made it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from chalicelib.domain.policy import ReturnPolicy
from chalicelib.errors import ConcurrentModificationError, PreconditionRequiredError

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
        """Store `policy` over `expected_version`, the version its editor read; the policy and
        its new version.

        PreconditionRequiredError without a version: a policy edited from an older one than
        the stored policy would silently undo the changes made since. ConcurrentModificationError
        when the stored version is another one.
        """
        if expected_version is None:
            raise _version_required()
        try:
            version = self._repository.replace(policy, expected_version)
        except ConcurrentModificationError:
            # Someone else just stored a newer policy: ours is stale, read it next time.
            self._cached = None
            raise
        # What was just written is the freshest policy there is: no need to read it back.
        self._cached = (policy, self._clock())
        return policy, version

    def change(
        self, changes: Mapping[str, Any], expected_version: int | None
    ) -> tuple[ReturnPolicy, int]:
        """Make `changes` (see ReturnPolicy.with_changes) to the policy at `expected_version`;
        the policy and its new version. Refused as `replace` refuses, and with a ValidationError
        when the policy they make is not valid."""
        if expected_version is None:
            raise _version_required()
        stored, version = self.current_with_version()
        if version != expected_version:
            # The changes were decided looking at another policy than the stored one.
            raise ConcurrentModificationError("policy")
        return self.replace(stored.with_changes(changes), expected_version)


def _version_required() -> PreconditionRequiredError:
    return PreconditionRequiredError(
        "Send the version of the policy you edited (GET /config/policy answers it), so that no "
        "one else's change made since is undone.",
        {"field": "version"},
    )
