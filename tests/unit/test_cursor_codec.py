"""Specification of listing cursors: opaque, signed, and refused when edited or borrowed."""

from __future__ import annotations

import base64
import json

import pytest

from chalicelib.errors import InvalidRequestError
from chalicelib.repositories.cursor_codec import CursorCodec

KEY = {
    "pk": {"S": "RMA#1"},
    "sk": {"S": "RMA"},
    "status_pk": {"S": "STATUS#REQUESTED"},
    "status_sk": {"S": "2026-11-01T10:00:00+00:00#1"},
}
ATTRIBUTES = ("pk", "sk", "status_pk", "status_sk")
REQUESTED = {"status_pk": "STATUS#REQUESTED"}


def test_a_cursor_gives_back_the_key_it_was_made_from() -> None:
    codec = CursorCodec(b"secret")
    cursor = codec.encode(KEY)
    assert codec.decode(cursor, attributes=ATTRIBUTES, fixed=REQUESTED) == KEY


def test_a_cursor_does_not_show_the_table_keys_in_the_clear() -> None:
    cursor = CursorCodec(b"secret").encode(KEY)
    assert "STATUS#" not in cursor
    assert "RMA#" not in cursor


def edited(cursor: str) -> str:
    """The cursor with its key moved to another partition, keeping the signature."""
    body, _, signature = cursor.partition(".")
    plain = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    plain["pk"] = "RMA#2"
    forged = base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")
    return f"{forged}.{signature}"


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda cursor: edited(cursor), id="edited"),
        pytest.param(lambda cursor: CursorCodec(b"other").encode(KEY), id="other-secret"),
        pytest.param(lambda cursor: cursor.split(".")[0], id="unsigned"),
        pytest.param(lambda cursor: "not a cursor", id="garbage"),
    ],
)
def test_a_cursor_edited_forged_or_unsigned_is_a_bad_request(bad: object) -> None:
    codec = CursorCodec(b"secret")
    with pytest.raises(InvalidRequestError) as refused:
        codec.decode(bad(codec.encode(KEY)), attributes=ATTRIBUTES, fixed=REQUESTED)  # type: ignore[operator]
    assert refused.value.details == {"field": "cursor"}


def test_a_cursor_of_another_listing_is_refused() -> None:
    codec = CursorCodec(b"secret")
    cursor = codec.encode(KEY)
    with pytest.raises(InvalidRequestError):
        codec.decode(cursor, attributes=ATTRIBUTES, fixed={"status_pk": "STATUS#ACCEPTED"})
