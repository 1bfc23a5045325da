"""A small client for the Gorgias REST API: users and their roles, tickets, their messages and
tags, and (for the one-command connect) integrations and widgets.

The account's rate limit (40 requests / 20 s for an API key) is shared with every other app the
merchant runs: the client spaces its own calls (`max_requests_per_second`), waits out a 429 when
Gorgias asks for a short wait, and otherwise reports the outage so that the caller's retry (the
stream, the queue) tries again later.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from chalicelib.observability import logger

# Believed value per the Gorgias docs; a constant so a correction is a one-line change.
INTERNAL_NOTE_CHANNEL = "internal-note"
CHAT_CHANNEL = "chat"
# The roles that may approve or reject, as an allow-list: a role name Gorgias renames or adds
# fails safe. Gorgias itself keeps Observer and Lite agents from running integration actions.
ACTING_ROLES = frozenset({"admin", "agent", "basic-agent"})

_MAX_RETRIES = 2
_PAGE_SIZE = 100
# Users listed to find an agent by email: more than any support team, and a bounded walk.
_MAX_USER_PAGES = 20
_HEADERS = {"Accept": "application/json", "User-Agent": "returns-desk"}


class GorgiasUnavailableError(Exception):
    """Gorgias could not be reached or answered with an error; carries a short reason."""


class GorgiasUnknownUserError(Exception):
    """Gorgias has no user with the given id or email."""


@dataclass(frozen=True)
class GorgiasUser:
    id: int
    email: str | None
    name: str | None
    role: str | None


@dataclass(frozen=True)
class TicketMessage:
    """One message of a ticket, as much of it as returns-desk reads."""

    id: int
    channel: str
    from_agent: bool
    body_text: str
    sender_email: str | None
    created_datetime: str | None

    @property
    def is_customer_message(self) -> bool:
        return not self.from_agent and self.channel != INTERNAL_NOTE_CHANNEL


@dataclass(frozen=True)
class NewTicket:
    customer_email: str
    subject: str
    body_text: str
    body_html: str
    tags: tuple[str, ...]
    customer_name: str | None = None


def gorgias_api_url(subdomain: str) -> str:
    return f"https://{subdomain}.gorgias.com/api/"


class RequestSpacing:
    """At most `per_second` calls a second from this process, each waiting its turn."""

    def __init__(
        self,
        per_second: float | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = 1 / per_second if per_second else 0.0
        self._sleep = sleep
        self._clock = clock
        self._next_slot = 0.0
        self._lock = threading.Lock()

    def wait_turn(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
        if slot > now:
            self._sleep(slot - now)


class GorgiasClient:
    """Calls Gorgias with an API key; collaborators can be passed in so tests need no network."""

    def __init__(
        self,
        *,
        subdomain: str | None = None,
        base_url: str | None = None,
        api_email: str,
        api_key: str,
        timeout_seconds: float = 3.0,
        max_retry_after_seconds: float = 3.0,
        max_requests_per_second: float | None = None,
        role_cache_seconds: float = 600,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if base_url is None:
            if not subdomain:
                raise ValueError("a Gorgias subdomain or base URL is required")
            base_url = gorgias_api_url(subdomain)
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._api_email = api_email
        self._auth = httpx.BasicAuth(api_email, api_key)
        self._timeout = httpx.Timeout(timeout_seconds)
        self._max_retry_after_seconds = max_retry_after_seconds
        self._role_cache_seconds = role_cache_seconds
        self._http = http_client or httpx.Client()
        self._sleep = sleep
        self._clock = clock
        self._spacing = RequestSpacing(max_requests_per_second, sleep=sleep, clock=clock)
        # user id -> (fetched at, role name); email -> (fetched at, user). Roles rarely change,
        # and every approve/reject asks.
        self._roles: dict[int, tuple[float, str]] = {}
        self._users_by_email: dict[str, tuple[float, GorgiasUser | None]] = {}

    # --- users -------------------------------------------------------------------------------

    def user_role(self, user_id: int) -> str:
        """The role name of a Gorgias user (`admin`, `agent`, `lite-agent`, ...)."""
        cached = self._roles.get(user_id)
        if cached is not None and self._fresh(cached[0]):
            return cached[1]
        response = self.request("GET", f"users/{user_id}", allow_not_found=True)
        if response.status_code == 404:
            raise GorgiasUnknownUserError(f"Gorgias has no user {user_id}")
        user = _user(_json(response))
        if user is None or user.role is None:
            raise GorgiasUnavailableError("unexpected user payload from Gorgias")
        self._roles[user_id] = (self._clock(), user.role)
        return user.role

    def user_by_email(self, email: str) -> GorgiasUser:
        """The helpdesk user (agent) with this email, from the account's user list (cached:
        a team changes seldom, and every button click may ask)."""
        key = email.strip().lower()
        cached = self._users_by_email.get(key)
        if cached is None or not self._fresh(cached[0]):
            found = next((u for u in self._users() if u.email and u.email.lower() == key), None)
            cached = (self._clock(), found)
            self._users_by_email[key] = cached
        if cached[1] is None:
            raise GorgiasUnknownUserError(f"Gorgias has no user {email}")
        return cached[1]

    def _users(self) -> Iterator[GorgiasUser]:
        for item in self._pages("users", _MAX_USER_PAGES):
            user = _user(item)
            if user is not None:
                yield user

    # --- tickets -----------------------------------------------------------------------------

    def create_ticket(self, ticket: NewTicket) -> int:
        """Open a ticket from the customer, as if they had written it; its id."""
        customer: dict[str, Any] = {"email": ticket.customer_email}
        if ticket.customer_name:
            customer["name"] = ticket.customer_name
        payload = {
            "customer": customer,
            "subject": ticket.subject,
            "channel": "api",
            "via": "api",
            "from_agent": False,
            "tags": [{"name": tag} for tag in ticket.tags],
            "messages": [
                {
                    "channel": "api",
                    "via": "api",
                    "from_agent": False,
                    "sender": {"email": ticket.customer_email},
                    "subject": ticket.subject,
                    "body_text": ticket.body_text,
                    "body_html": ticket.body_html,
                }
            ],
        }
        body = _json(self.request("POST", "tickets", json=payload))
        ticket_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(ticket_id, int):
            raise GorgiasUnavailableError("Gorgias answered a ticket without an id")
        return ticket_id

    def post_internal_note(
        self,
        ticket_id: int,
        body_text: str,
        body_html: str | None = None,
        *,
        sender_id: int | None = None,
    ) -> None:
        """Add a note on the ticket that only agents see, attributed to `sender_id` (the agent
        who acted) when known, to the API user otherwise."""
        self._post_message(
            ticket_id,
            channel=INTERNAL_NOTE_CHANNEL,
            body_text=body_text,
            body_html=body_html,
            sender={"id": sender_id} if sender_id else {"email": self._api_email},
        )

    def post_chat_reply(self, ticket_id: int, body_text: str, *, customer_email: str) -> None:
        """Answer the customer in the ticket's chat, as the API user."""
        self._post_message(
            ticket_id,
            channel=CHAT_CHANNEL,
            body_text=body_text,
            body_html=None,
            sender={"email": self._api_email},
            receiver={"email": customer_email},
        )

    def _post_message(
        self,
        ticket_id: int,
        *,
        channel: str,
        body_text: str,
        body_html: str | None,
        sender: dict[str, Any],
        receiver: dict[str, Any] | None = None,
    ) -> None:
        payload: dict[str, Any] = {
            "channel": channel,
            "from_agent": True,
            "via": "api",
            "body_text": body_text,
            "body_html": body_html if body_html is not None else _paragraphs(body_text),
            "sender": sender,
        }
        if receiver is not None:
            payload["receiver"] = receiver
        self.request("POST", f"tickets/{ticket_id}/messages", json=payload)

    def add_tags(self, ticket_id: int, names: list[str]) -> None:
        """Add tags to the ticket, keeping those it has (`PUT` would replace them)."""
        self.request("POST", f"tickets/{ticket_id}/tags", json={"names": names})

    def ticket_messages(self, ticket_id: int) -> list[TicketMessage]:
        """The ticket's messages, oldest first."""
        messages = [_message(item) for item in self._pages(f"tickets/{ticket_id}/messages", 5)]
        found = [m for m in messages if m is not None]
        return sorted(found, key=lambda m: (m.created_datetime or "", m.id))

    # --- the calls ---------------------------------------------------------------------------

    def _pages(self, path: str, max_pages: int) -> Iterator[Any]:
        """The items of a cursor-paginated listing (`data`, `meta.next_cursor`)."""
        params: dict[str, Any] = {"limit": _PAGE_SIZE}
        for _ in range(max_pages):
            body = _json(self.request("GET", path, params=params))
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise GorgiasUnavailableError(f"unexpected listing from Gorgias for {path}")
            yield from body["data"]
            cursor = (body.get("meta") or {}).get("next_cursor")
            if not cursor:
                return
            params = {"limit": _PAGE_SIZE, "cursor": cursor}

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        allow_not_found: bool = False,
    ) -> httpx.Response:
        """Send one call, waiting out short rate limits; any other failure is an outage."""
        for attempt in range(_MAX_RETRIES + 1):
            self._spacing.wait_turn()
            try:
                response = self._http.request(
                    method,
                    self._base_url + path,
                    json=json,
                    params=params,
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
            # Someone may be waiting on the answer: a long wait, or none given, means give up
            # now and let the caller's own retry come back later.
            if wait is None or not 0 <= wait <= self._max_retry_after_seconds:
                raise GorgiasUnavailableError(f"rate limited on {method} {path}")
            if attempt == _MAX_RETRIES:
                raise GorgiasUnavailableError(f"rate limited on {method} {path} after retries")
            logger.warning("Gorgias rate limit, retrying", extra={"path": path, "wait": wait})
            self._sleep(wait)
        if response.is_success or (allow_not_found and response.status_code == 404):
            return response
        raise GorgiasUnavailableError(f"{method} {path} answered {response.status_code}")

    def _fresh(self, fetched_at: float) -> bool:
        return self._clock() - fetched_at < self._role_cache_seconds


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise GorgiasUnavailableError("Gorgias answered something other than JSON") from exc


def _user(item: Any) -> GorgiasUser | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        return None
    role = item.get("role")
    role_name = role.get("name") if isinstance(role, dict) else None
    return GorgiasUser(
        id=item["id"],
        email=item.get("email") if isinstance(item.get("email"), str) else None,
        name=item.get("name") if isinstance(item.get("name"), str) else None,
        role=role_name if isinstance(role_name, str) else None,
    )


def _message(item: Any) -> TicketMessage | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        return None
    sender = item.get("sender") if isinstance(item.get("sender"), dict) else {}
    return TicketMessage(
        id=item["id"],
        channel=str(item.get("channel") or ""),
        from_agent=bool(item.get("from_agent")),
        body_text=str(item.get("body_text") or item.get("stripped_text") or ""),
        sender_email=sender.get("email") if isinstance(sender.get("email"), str) else None,
        created_datetime=item.get("created_datetime")
        if isinstance(item.get("created_datetime"), str)
        else None,
    )


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(part)}</p>" for part in text.split("\n\n") if part.strip())


def _retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds from `Retry-after` (Gorgias sends a number); None when absent or unreadable."""
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None
