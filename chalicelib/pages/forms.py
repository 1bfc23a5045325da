"""What the pages read from a browser's form posts."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from chalicelib.errors import InvalidRequestError, UnsupportedMediaTypeError

FORM = "application/x-www-form-urlencoded"
# A page's form is a few fields: a policy, a note. Anything larger is not one of ours.
MAX_FORM_BYTES = 64 * 1024


def read_form(request: Any) -> dict[str, str]:
    """The posted fields (a key given twice keeps its last value); 415 unless form-encoded."""
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type != FORM:
        raise UnsupportedMediaTypeError(f"Send the form as {FORM}.", {"content_type": media_type})
    raw = request.raw_body or b""
    if len(raw) > MAX_FORM_BYTES:
        raise InvalidRequestError("The form is too large.", {"max_bytes": MAX_FORM_BYTES})
    try:
        text = raw.decode() if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as error:
        raise InvalidRequestError("The form is not UTF-8 text.") from error
    return dict(parse_qsl(text, keep_blank_values=True))


def from_this_site(request: Any) -> bool:
    """Whether the browser says the post comes from a page of this site: Sec-Fetch-Site when
    it sends it (every current browser), else the Origin against the Host. A post from another
    site is refused before its fields are read, with or without a session."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host
