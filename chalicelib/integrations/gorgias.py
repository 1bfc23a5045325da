"""A small client for the Gorgias REST API: agent roles and internal notes on tickets."""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Any

import httpx

from chalicelib.observability import logger

# Believed value per the Gorgias docs; a constant so a correction is a one-line change.
INTERNAL_NOTE_CHANNEL = "internal-note"
# Gorgias does not let these roles run integration actions, so neither do we.
RESTRICTED_ROLES = frozenset({"observer-agent", "lite-agent"})

_MAX_RETRIES = 2
_HEADERS = {"Accept": "application/json", "User-Agent": "returns-desk"}


class GorgiasUnavailableError(Exception):
    """Gorgias could not be reached or answered with an error; carries a short reason."""


class GorgiasUnknownUserError(Exception):
    """Gorgias has no user with the given id."""


class GorgiasClient:
    """Calls Gorgias with an API key; collaborators can be passed in so tests need no network."""

    def __init__(
        self,
        *,
        subdomain: str,
        api_email: str,
        api_key: str,
        timeout_seconds: float = 3.0,
        max_retry_after_seconds: float = 3.0,
        role_cache_seconds: float = 600,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base_url = f"https://{subdomain}.gorgias.com/api/"
        self._api_email = api_email
        self._auth = httpx.BasicAuth(api_email, api_key)
        self._timeout = httpx.Timeout(timeout_seconds)
        self._max_retry_after_seconds = max_retry_after_seconds
        self._role_cache_seconds = role_cache_seconds
        self._http = http_client or httpx.Client()
        self._sleep = sleep
        self._clock = clock
        # user id -> (fetched at, role name). Roles rarely change; every approve/reject asks.
        self._roles: dict[int, tuple[float, str]] = {}

    def user_role(self, user_id: int) -> str:
        """The role name of a Gorgias user (`admin`, `agent`, `lite-agent`, ...)."""
        cached = self._roles.get(user_id)
        if cached is not None and self._clock() - cached[0] < self._role_cache_seconds:
            return cached[1]
        response = self._request("GET", f"users/{user_id}", allow_not_found=True)
        if response.status_code == 404:
            raise GorgiasUnknownUserError(f"Gorgias has no user {user_id}")
        try:
            role = response.json()["role"]["name"]
        except (ValueError, KeyError, TypeError) as exc:
            raise GorgiasUnavailableError("unexpected user payload from Gorgias") from exc
        if not isinstance(role, str):
            raise GorgiasUnavailableError("unexpected user payload from Gorgias")
        self._roles[user_id] = (self._clock(), role)
        return role

    def post_internal_note(
        self, ticket_id: int, body_text: str, body_html: str | None = None
    ) -> None:
        """Add a note on the ticket that only agents see."""
        payload = {
            "channel": INTERNAL_NOTE_CHANNEL,
            "from_agent": True,
            "via": "api",
            "body_text": body_text,
            "body_html": body_html if body_html is not None else f"<p>{html.escape(body_text)}</p>",
            "sender": {"email": self._api_email},
        }
        self._request("POST", f"tickets/{ticket_id}/messages", json=payload)

    def _request(
        self, method: str, path: str, *, json: Any = None, allow_not_found: bool = False
    ) -> httpx.Response:
        """Send one call, waiting out short rate limits; any other failure is an outage."""
        for attempt in range(_MAX_RETRIES + 1):
            try:
                response = self._http.request(
                    method,
                    self._base_url + path,
                    json=json,
                    auth=self._auth,
                    headers=_HEADERS,
                    timeout=self._timeout,
                )
            except httpx.TimeoutException as exc:
                raise GorgiasUnavailableError(f"{method} {path} timed out") from exc
            except httpx.TransportError as exc:
                raise GorgiasUnavailableError(f"{method} {path} could not connect") from exc
            if response.status_code != 429:
                break
            wait = _retry_after_seconds(response)
            # An agent is waiting on the answer: a long wait, or none given, means give up now.
            if wait is None or not 0 <= wait <= self._max_retry_after_seconds:
                raise GorgiasUnavailableError(f"rate limited on {method} {path}")
            if attempt == _MAX_RETRIES:
                raise GorgiasUnavailableError(f"rate limited on {method} {path} after retries")
            logger.warning("Gorgias rate limit, retrying", extra={"path": path, "wait": wait})
            self._sleep(wait)
        if response.is_success or (allow_not_found and response.status_code == 404):
            return response
        raise GorgiasUnavailableError(f"{method} {path} answered {response.status_code}")


def _retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds from `Retry-after` (Gorgias sends a number); None when absent or unreadable."""
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None
