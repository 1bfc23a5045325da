"""Cursors of paged listings: the ExclusiveStartKey DynamoDB returned, made opaque and signed.

A cursor is base64url of the key's JSON followed by an HMAC-SHA256 of it (truncated to 128
bits): callers cannot read the table's key layout from it, nor forge one that starts a Query
anywhere else; a cursor of another listing, an edited one, or one signed before the key
changed is refused as a bad request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Collection
from typing import Any

from chalicelib.errors import InvalidRequestError

_SIGNATURE_BYTES = 16
_SEPARATOR = "."


class CursorCodec:
    def __init__(self, secret: bytes) -> None:
        # A key of its own, derived from the secret: a cursor signature can never be replayed
        # as anything else the same secret signs.
        self._key = hmac.new(secret, b"returns-desk listing cursor", hashlib.sha256).digest()

    def encode(self, last_evaluated_key: dict[str, Any]) -> str:
        """The cursor of a key of string attributes, as DynamoDB returned it."""
        plain = {name: value["S"] for name, value in last_evaluated_key.items()}
        body = _b64(json.dumps(plain, sort_keys=True, separators=(",", ":")).encode())
        return f"{body}{_SEPARATOR}{self._sign(body)}"

    def decode(
        self, cursor: str, *, attributes: Collection[str], fixed: dict[str, str]
    ) -> dict[str, Any]:
        """The ExclusiveStartKey `cursor` stands for, if this codec signed it, it names exactly
        `attributes`, and those in `fixed` (the listing's partition) have those values."""
        body, _, signature = cursor.partition(_SEPARATOR)
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            raise _bad_cursor()
        try:
            plain = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (binascii.Error, ValueError, UnicodeDecodeError) as error:
            raise _bad_cursor() from error
        if (
            not isinstance(plain, dict)
            or set(plain) != set(attributes)
            or not all(isinstance(value, str) for value in plain.values())
            or any(plain.get(name) != value for name, value in fixed.items())
        ):
            raise _bad_cursor()
        return {name: {"S": value} for name, value in plain.items()}

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return _b64(digest[:_SIGNATURE_BYTES])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursor() -> InvalidRequestError:
    return InvalidRequestError("The cursor is not one this listing returned.", {"field": "cursor"})
