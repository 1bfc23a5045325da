"""A stand-in for Gorgias on the laptop (`make run` without real Gorgias credentials).

It answers the REST calls returns-desk makes, in the shapes Gorgias documents (listings are
`{"data": [...], "meta": {"next_cursor": null}}`), keeps tickets, their messages and tags in
memory, and prints every request it receives as one line. And, like the chat-intake HTTP
integration of a real account (see `make gorgias-setup`), when a customer writes (a message
posted with `from_agent: false`, or a new ticket with a customer message) it tells returns-desk
with `POST /gorgias/events/message`, the integration's body and bearer token.

One liberty for the demo: a message posted to a ticket that does not exist opens it, with the
sender as its customer, so that a conversation can be played by hand with a ticket id chosen
in advance. Nothing is checked (no authentication, no rate limit): it is a stand-in.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from local.background_server import BackgroundServer

# The one user of the account: the API user returns-desk writes as, an admin.
ADMIN_USER = {
    "id": 1,
    "email": "local@returns-desk.example",
    "name": "Local Admin",
    "firstname": "Local",
    "lastname": "Admin",
    "role": {"name": "admin"},
}
# Tickets returns-desk opens get ids from here; pick lower ones by hand for the demo.
FIRST_TICKET_ID = 1001
_TICKET_MESSAGES = re.compile(r"^/api/tickets/(\d+)/messages$")
_TICKET_TAGS = re.compile(r"^/api/tickets/(\d+)/tags$")
_USER = re.compile(r"^/api/users/(\d+)$")
# A printed line shows this much of a message's text.
_SHOWN_CHARACTERS = 160


@dataclass
class Ticket:
    id: int
    customer_email: str | None
    channel: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass
class ReturnsDesk:
    """Where the chat-intake integration posts, and with which token."""

    url: str
    token: str


class GorgiasStandIn:
    """The server, its tickets, and the lines it printed (`log`, for the tests)."""

    def __init__(self, port: int = 0, *, echo: bool = True) -> None:
        self.tickets: dict[int, Ticket] = {}
        self.log: list[str] = []
        self._echo = echo
        self._lock = threading.Lock()
        self._next_ticket = FIRST_TICKET_ID
        self._next_message = 1
        self._returns_desk: ReturnsDesk | None = None
        self._server = BackgroundServer(_handler(self), port, "gorgias-standin")

    @property
    def api_url(self) -> str:
        """The base URL of its REST API, as `GORGIAS_API_URL` takes it."""
        return f"{self._server.origin}/api/"

    def start(self) -> GorgiasStandIn:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def notify(self, returns_desk: ReturnsDesk) -> None:
        """Tell returns-desk of each customer message from now on."""
        self._returns_desk = returns_desk

    def replies(self, ticket_id: int) -> list[str]:
        """The chat messages agents (returns-desk) sent on a ticket, oldest first."""
        ticket = self.tickets.get(ticket_id)
        return [
            m["body_text"]
            for m in (ticket.messages if ticket else [])
            if m["from_agent"] and m["channel"] == "chat"
        ]

    # --- the REST API --------------------------------------------------------------------------

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        """(status, JSON answer) for one call; the request printed on the way."""
        with self._lock:
            return self._answer(method, path, body)

    def _answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "GET" and path == "/api/users":
            self._print(method, path, "")
            return 200, _listing([ADMIN_USER])
        if method == "GET" and (match := _USER.match(path)):
            self._print(method, path, "")
            if int(match.group(1)) != ADMIN_USER["id"]:
                return 404, {"error": {"msg": "Resource not found."}}
            return 200, ADMIN_USER
        if method == "POST" and path == "/api/tickets":
            return self._create_ticket(path, body)
        if match := _TICKET_MESSAGES.match(path):
            ticket_id = int(match.group(1))
            if method == "GET":
                ticket = self.tickets.get(ticket_id)
                self._print(method, path, "")
                if ticket is None:
                    return 404, {"error": {"msg": "Resource not found."}}
                return 200, _listing(ticket.messages)
            if method == "POST":
                return self._post_message(path, ticket_id, body)
        if method == "POST" and (match := _TICKET_TAGS.match(path)):
            ticket = self.tickets.get(int(match.group(1)))
            names = [str(n) for n in (body or {}).get("names", [])]
            self._print(method, path, "tags: " + ", ".join(names))
            if ticket is None:
                return 404, {"error": {"msg": "Resource not found."}}
            ticket.tags.extend(n for n in names if n not in ticket.tags)
            return 201, {"data": [{"name": n} for n in ticket.tags]}
        self._print(method, path, "(not a call returns-desk makes)")
        return 404, {"error": {"msg": "Resource not found."}}

    def _create_ticket(self, path: str, body: Any) -> tuple[int, Any]:
        body = body if isinstance(body, dict) else {}
        customer = body.get("customer") or {}
        # _open moves the next ticket's id past this one.
        ticket = self._open(self._next_ticket, customer.get("email"), body.get("channel"))
        first = (body.get("messages") or [{}])[0]
        message = self._add_message(ticket, first)
        self._print("POST", path, f"ticket {ticket.id} — {_said(message)}")
        if not message["from_agent"]:
            self._tell_returns_desk(ticket)
        return 201, {"id": ticket.id, "channel": ticket.channel, "messages": ticket.messages}

    def _post_message(self, path: str, ticket_id: int, body: Any) -> tuple[int, Any]:
        body = body if isinstance(body, dict) else {}
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            sender = (body.get("sender") or {}).get("email")
            ticket = self._open(ticket_id, sender, body.get("channel"))
        message = self._add_message(ticket, body)
        self._print("POST", path, _said(message))
        if not message["from_agent"]:
            self._tell_returns_desk(ticket)
        return 201, message

    def _open(self, ticket_id: int, customer_email: str | None, channel: Any) -> Ticket:
        ticket = Ticket(ticket_id, customer_email, str(channel or "chat"))
        self.tickets[ticket_id] = ticket
        self._next_ticket = max(self._next_ticket, ticket_id + 1)
        return ticket

    def _add_message(self, ticket: Ticket, body: dict[str, Any]) -> dict[str, Any]:
        from_agent = bool(body.get("from_agent"))
        message = {
            "id": self._next_message,
            "ticket_id": ticket.id,
            "channel": str(body.get("channel") or ticket.channel),
            "via": str(body.get("via") or ("api" if from_agent else ticket.channel)),
            "from_agent": from_agent,
            "sender": body.get("sender") or {"email": ticket.customer_email},
            "receiver": body.get("receiver"),
            "body_text": str(body.get("body_text") or ""),
            "body_html": body.get("body_html"),
            "created_datetime": datetime.now(UTC).isoformat(),
        }
        self._next_message += 1
        ticket.messages.append(message)
        return message

    def _tell_returns_desk(self, ticket: Ticket) -> None:
        """The chat-intake integration's call, from a thread of its own: Gorgias calls its
        integrations after it has answered, and does not wait for them."""
        returns_desk = self._returns_desk
        if returns_desk is None:
            return
        payload = {
            "ticket_id": str(ticket.id),
            "customer_email": ticket.customer_email or "",
            "channel": ticket.channel,
            # Gorgias detects a language; the stand-in leaves it empty, as Gorgias does when
            # it cannot tell.
            "language": "",
        }
        threading.Thread(target=self._post_event, args=(returns_desk, payload), daemon=True).start()

    def _post_event(self, returns_desk: ReturnsDesk, payload: dict[str, Any]) -> None:
        request = urllib.request.Request(  # noqa: S310 - the local API, http by design
            f"{returns_desk.url}/gorgias/events/message",
            data=json.dumps(payload).encode(),
            headers={
                "Authorization": f"Bearer {returns_desk.token}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
                status = answer.status
        except OSError as error:
            status = getattr(error, "code", None) or type(error).__name__
        self._emit(
            f"→ returns-desk POST /gorgias/events/message ticket {payload['ticket_id']}: {status}"
        )

    def _print(self, method: str, path: str, what: str) -> None:
        self._emit(f"{method} {path}" + (f" {what}" if what else ""))

    def _emit(self, line: str) -> None:
        line = f"[gorgias] {line}"
        self.log.append(line)
        if self._echo:
            print(line, flush=True)


def _listing(items: list[Any]) -> dict[str, Any]:
    return {"data": items, "meta": {"next_cursor": None, "prev_cursor": None}}


def _said(message: dict[str, Any]) -> str:
    """`chat reply: "…"`, `internal note: "…"` or `customer (chat): "…"`, on one line."""
    if message["channel"] == "internal-note":
        who = "internal note"
    elif message["from_agent"]:
        who = f"{message['channel']} reply"
    else:
        who = f"customer ({message['channel']})"
    text = " ".join(message["body_text"].split())
    if len(text) > _SHOWN_CHARACTERS:
        text = text[: _SHOWN_CHARACTERS - 1] + "…"
    return f'{who}: "{text}"'


def _handler(stand_in: GorgiasStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._reply(*stand_in.answer("GET", self._path(), None))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                self._reply(400, {"error": {"msg": "The body is not JSON."}})
                return
            self._reply(*stand_in.answer("POST", self._path(), body))

        def do_PUT(self) -> None:
            self._reply(*stand_in.answer("PUT", self._path(), None))

        def _path(self) -> str:
            return self.path.split("?")[0]

        def _reply(self, status: int, document: Any) -> None:
            data = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            # Each request is printed once, by the stand-in, in its own words.
            return

    return Handler
