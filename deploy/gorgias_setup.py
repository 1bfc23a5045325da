"""`python -m deploy.gorgias_setup` (`make gorgias-setup`): connect a Gorgias account to a deployed
returns-desk in one command.

It creates, or updates in place when they exist, what an admin would otherwise click together in
Gorgias's settings:

- the HTTP integration "returns-desk: returns widget", which asks `GET /gorgias/widget` for the
  ticket customer's returns when a ticket is created or updated;
- the HTTP integration "returns-desk: chat intake", which hands every new ticket message to
  `POST /gorgias/events/message`;
- the sidebar widget of the first one, from `gorgias/widget.json`, with its Approve and Reject
  buttons pointing at this API and carrying its token.

Integrations are found by name and the widget by its integration and context, in Gorgias's
paginated listings: running it again (a new endpoint, a rotated token, an edited template) sends
PUTs and creates nothing. The request shapes are those of Gorgias's REST reference; the buttons'
shape is not in it (see `gorgias/widget.json` and the README).

`DRY_RUN=1` prints each request as a JSON line instead of sending it, with `***` for the token,
and needs neither AWS (secrets given as SSM parameter names are not read) nor Gorgias.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, TextIO
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chalicelib.integrations.gorgias import GorgiasClient, GorgiasUnavailableError
from chalicelib.settings_model import Settings

PROG = "gorgias-setup"
WIDGET_TEMPLATE = Path(__file__).resolve().parent.parent / "gorgias" / "widget.json"
WIDGET_INTEGRATION_NAME = "returns-desk: returns widget"
CHAT_INTEGRATION_NAME = "returns-desk: chat intake"
# What gorgias/widget.json holds where a run puts this API's address, its token and the widget
# integration's id.
PLACEHOLDER_API_URL = "https://returns.example.com"
PLACEHOLDER_TOKEN = "<GORGIAS_WIDGET_TOKEN>"  # noqa: S105 - a placeholder, not a secret
PLACEHOLDER_INTEGRATION_ID = 0
REDACTED = "***"
JSON = "application/json"
# Every trigger of Gorgias's current reference (hyphenated; v1.1 used underscores): each is sent,
# true or false, so an update also turns off one an admin switched on by hand.
TRIGGERS = (
    "ticket-created",
    "ticket-updated",
    "ticket-message-created",
    "ticket-self-unsnoozed",
    "ticket-message-failed",
)
MANAGED = "Managed by returns-desk (make gorgias-setup): edits here are replaced on its next run."

_PAGE_SIZE = 100
# 5,000 integrations or widgets: far beyond any account, and a bounded walk.
_MAX_PAGES = 50
# The account's 40 requests / 20 s are shared with every app the merchant runs: a one-off setup
# goes slowly and waits out a 429 however long Gorgias asks, within reason.
_REQUESTS_PER_SECOND = 1.0
_MAX_RETRY_AFTER_SECONDS = 60.0
_TIMEOUT_SECONDS = 20.0
_DETAIL_CHARACTERS = 300

EXIT_FAILED = 1
EXIT_MISCONFIGURED = 2


class SetupError(Exception):
    """The setup cannot go on; the message is one line for whoever runs it."""


class MisconfiguredError(SetupError):
    """A setting is missing or invalid."""


# --- settings --------------------------------------------------------------------------------


class SetupSettings(BaseSettings):
    """What the setup needs beside returns-desk's own settings (which hold the Gorgias
    credentials and the widget token, or the names of their SSM parameters)."""

    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", frozen=True, env_ignore_empty=True
    )

    # The API's public base URL, as Gorgias's servers reach it: the stack's EndpointURL.
    public_api_url: str | None = None
    dry_run: bool = False

    @field_validator("public_api_url")
    @classmethod
    def _public_base_url(cls, value: str | None) -> str | None:
        return None if value is None else public_api_url(value)


class _DryRunSettings(Settings):
    """returns-desk's settings without SSM: a dry run shows `***` for every secret, so it only
    needs to know that each one is given, as a value or as the name of its parameter."""

    # Same name as the validator of Settings that reads SSM, which this one replaces.
    @model_validator(mode="after")
    def _secrets_from_parameter_store(self) -> _DryRunSettings:
        for secret in ("gorgias_api_key", "gorgias_widget_token"):
            if getattr(self, secret) is None and getattr(self, f"{secret}_parameter"):
                object.__setattr__(self, secret, SecretStr(REDACTED))
        return self


def public_api_url(url: str) -> str:
    """The base URL Gorgias calls, without its trailing slash; https, except on a loopback
    address (a local stack)."""
    url = url.strip()
    parts = urlsplit(url)
    if not parts.hostname or parts.query or parts.fragment or parts.username:
        raise ValueError("PUBLIC_API_URL is a base URL such as the stack's EndpointURL")
    if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname)):
        raise ValueError("PUBLIC_API_URL must use https (http only on a loopback address)")
    return url.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Connection:
    """Where Gorgias is and how it reaches returns-desk: all that a run needs."""

    gorgias_api_url: str
    api_email: str
    api_key: str = field(repr=False)
    public_api_url: str
    widget_token: str = field(repr=False)
    dry_run: bool


def load_connection() -> Connection:
    """The connection from the environment (and SSM, for a real run given parameter names)."""
    try:
        setup = SetupSettings()
        settings = (_DryRunSettings if setup.dry_run else Settings)()
    except ValidationError as error:
        raise MisconfiguredError(_first_problem(error)) from error
    missing = [
        name
        for name, given in (
            ("GORGIAS_SUBDOMAIN", settings.gorgias_subdomain),
            ("GORGIAS_API_EMAIL", settings.gorgias_api_email),
            ("GORGIAS_API_KEY (or GORGIAS_API_KEY_PARAMETER)", settings.gorgias_api_key),
            (
                "GORGIAS_WIDGET_TOKEN (or GORGIAS_WIDGET_TOKEN_PARAMETER)",
                settings.gorgias_widget_token,
            ),
            ("PUBLIC_API_URL", setup.public_api_url),
        )
        if not given
    ]
    credentials = settings.gorgias_credentials
    token = settings.gorgias_widget_token
    if missing or credentials is None or token is None or not setup.public_api_url:
        raise MisconfiguredError("missing " + ", ".join(missing))
    return Connection(
        gorgias_api_url=credentials.base_url,
        api_email=credentials.api_email,
        api_key=credentials.api_key,
        public_api_url=setup.public_api_url,
        # A dry run prints its bodies: the token never goes into them.
        widget_token=REDACTED if setup.dry_run else token.get_secret_value(),
        dry_run=setup.dry_run,
    )


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    message = str(problem["msg"]).removeprefix("Value error, ")
    where = ".".join(str(part) for part in problem["loc"]).upper()
    # Messages of the settings' own checks already name their variable.
    return message if not where or where in message else f"{where}: {message}"


# --- what is sent ----------------------------------------------------------------------------


def widget_integration(api_url: str, token: str) -> dict[str, Any]:
    """The integration whose answer the sidebar widget shows, on every ticket event."""
    return _http_integration(
        WIDGET_INTEGRATION_NAME,
        url=f"{api_url}/gorgias/widget"
        "?email={{ticket.customer.email}}&locale={{ticket.language}}",
        method="GET",
        token=token,
        form={},
        triggers={"ticket-created", "ticket-updated"},
    )


def chat_integration(api_url: str, token: str) -> dict[str, Any]:
    """The integration that hands each new message to the chat intake, which reads the ticket
    itself (and skips agents' messages): the body names the ticket, nothing more."""
    return _http_integration(
        CHAT_INTEGRATION_NAME,
        url=f"{api_url}/gorgias/events/message",
        method="POST",
        token=token,
        form={
            "ticket_id": "{{ticket.id}}",
            "customer_email": "{{ticket.customer.email}}",
            "channel": "{{ticket.channel}}",
            "language": "{{ticket.language}}",
        },
        triggers={"ticket-message-created"},
    )


def _http_integration(
    name: str,
    *,
    url: str,
    method: Literal["GET", "POST"],
    token: str,
    form: dict[str, str],
    triggers: set[str],
) -> dict[str, Any]:
    return {
        "name": name,
        "type": "http",
        "description": MANAGED,
        "http": {
            "url": url,
            "method": method,
            "headers": {"Authorization": f"Bearer {token}"},
            "form": form,
            "request_content_type": JSON,
            "response_content_type": JSON,
            "triggers": {trigger: trigger in triggers for trigger in TRIGGERS},
        },
    }


def load_widget_template(path: Path = WIDGET_TEMPLATE) -> dict[str, Any]:
    template = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(template, dict):
        raise SetupError(f"{path} does not hold a widget")
    return template


def widget_payload(
    template: Mapping[str, Any], *, api_url: str, token: str, integration_id: int
) -> dict[str, Any]:
    """The widget of `template` for this API: its address and token in the buttons, and the id
    of the integration whose answer it shows."""
    filled = _replace_in_strings(template, {PLACEHOLDER_API_URL: api_url, PLACEHOLDER_TOKEN: token})
    return {**filled, "integration_id": integration_id}


def _replace_in_strings(value: Any, replacements: Mapping[str, str]) -> Any:
    """`value` with each placeholder replaced in every string it holds, keys left alone."""
    if isinstance(value, str):
        for placeholder, replacement in replacements.items():
            value = value.replace(placeholder, replacement)
        return value
    if isinstance(value, dict):
        return {key: _replace_in_strings(item, replacements) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_in_strings(item, replacements) for item in value]
    return value


# --- how it is sent --------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    """One create (POST) or update (PUT) of Gorgias's configuration."""

    method: Literal["POST", "PUT"]
    path: str
    body: dict[str, Any]
    # Values of the body that only a real run knows (the id Gorgias gives a new integration),
    # by key, in words: a dry run prints them beside the body, which holds a placeholder.
    pending: Mapping[str, str] = field(default_factory=dict)


class GorgiasAdmin(Protocol):
    def items(self, path: str) -> Iterator[dict[str, Any]]:
        """Every object of a paginated listing (`integrations`, `widgets`)."""
        ...

    def send(self, write: Write) -> int | None:
        """Send `write`; the id of the object created or updated (None when nothing is sent)."""
        ...


class LiveAdmin:
    """Gorgias itself, through returns-desk's client (rate limits included)."""

    def __init__(self, client: GorgiasClient) -> None:
        self._client = client

    def items(self, path: str) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"limit": _PAGE_SIZE}
        for _ in range(_MAX_PAGES):
            page = _json(self._client.request("GET", path, params=params))
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise SetupError(
                    f"Gorgias answered GET /api/{path} with something else than a list"
                )
            yield from (item for item in page["data"] if isinstance(item, dict))
            cursor = (page.get("meta") or {}).get("next_cursor")
            if not cursor:
                return
            params = {"limit": _PAGE_SIZE, "cursor": cursor}
        raise SetupError(f"GET /api/{path} still had more after {_MAX_PAGES * _PAGE_SIZE} objects")

    def send(self, write: Write) -> int:
        answer = _json(self._client.request(write.method, write.path, json=write.body))
        object_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(object_id, int):
            raise SetupError(f"Gorgias answered {write.method} /api/{write.path} without an id")
        return object_id


class DryRunAdmin:
    """Prints what a real run would send, as JSON lines, and finds nothing: a first run."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def items(self, path: str) -> Iterator[dict[str, Any]]:
        self._print(
            {"method": "GET", "path": f"/api/{path}", "params": {"limit": _PAGE_SIZE}, "body": None}
        )
        yield from ()

    def send(self, write: Write) -> None:
        line: dict[str, Any] = {
            "method": write.method,
            "path": f"/api/{write.path}",
            "body": write.body,
        }
        if write.pending:
            line["pending"] = dict(write.pending)
        self._print(line)

    def _print(self, line: dict[str, Any]) -> None:
        self._out.write(json.dumps(line, ensure_ascii=False) + "\n")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise SetupError(f"Gorgias answered {response.request.url.path} without JSON") from error


# --- the setup -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What happened to one object: created or updated, and its id (None in a dry run)."""

    kind: Literal["integration", "widget"]
    name: str
    action: Literal["created", "updated"]
    id: int | None


def connect(
    admin: GorgiasAdmin, *, api_url: str, token: str, template: Mapping[str, Any]
) -> list[Outcome]:
    """Create or update the two integrations and the widget; what happened to each."""
    integrations = list(admin.items("integrations"))
    widget_source = _put_integration(admin, integrations, widget_integration(api_url, token))
    chat = _put_integration(admin, integrations, chat_integration(api_url, token))
    widget = _put_widget(admin, template, widget_source, api_url=api_url, token=token)
    return [widget_source, chat, widget]


def _put_integration(
    admin: GorgiasAdmin, existing: Iterable[dict[str, Any]], body: dict[str, Any]
) -> Outcome:
    name = body["name"]
    found = _oldest(i for i in existing if i.get("type") == "http" and i.get("name") == name)
    if found is None:
        return Outcome(
            "integration", name, "created", admin.send(Write("POST", "integrations", body))
        )
    # Gorgias turns an integration off after 100 failed calls in a row (an outage, an expired
    # token): setting up again turns it back on. `deactivated_datetime` is among the fields of
    # the reference's Integration object; its use to reactivate is not confirmed there.
    update = {**body, "deactivated_datetime": None}
    admin.send(Write("PUT", f"integrations/{found['id']}", update))
    return Outcome("integration", name, "updated", found["id"])


def _put_widget(
    admin: GorgiasAdmin,
    template: Mapping[str, Any],
    source: Outcome,
    *,
    api_url: str,
    token: str,
) -> Outcome:
    name = f"{source.name} (sidebar)"
    known = source.id is not None
    body = widget_payload(
        template,
        api_url=api_url,
        token=token,
        integration_id=source.id if source.id is not None else PLACEHOLDER_INTEGRATION_ID,
    )
    # Listed even in a dry run, where the id is not known yet: it prints what a run sends.
    widgets = list(admin.items("widgets"))
    found = _oldest(
        w
        for w in widgets
        if known
        and w.get("type") == "http"
        and w.get("integration_id") == source.id
        and w.get("context") == body["context"]
    )
    if found is None:
        pending = {} if known else {"integration_id": f"<id of {source.name}>"}
        return Outcome(
            "widget", name, "created", admin.send(Write("POST", "widgets", body, pending))
        )
    # An admin may have moved the widget among the others: keep its place.
    if isinstance(found.get("order"), int):
        body["order"] = found["order"]
    admin.send(Write("PUT", f"widgets/{found['id']}", body))
    return Outcome("widget", name, "updated", found["id"])


def _oldest(candidates: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The first created of several matches (a copy made by hand is left alone)."""
    ids = [c for c in candidates if isinstance(c.get("id"), int)]
    return min(ids, key=lambda c: c["id"]) if ids else None


def summary(outcomes: Sequence[Outcome], *, dry_run: bool) -> list[str]:
    if dry_run:
        return [
            *(f"would be {o.action}: {o.kind} {o.name!r}" for o in outcomes),
            "dry run: nothing was sent; a real run updates what it finds instead of creating it",
        ]
    return [f"{o.action}: {o.kind} {o.name!r} (id {o.id})" for o in outcomes]


class _FailureDetail:
    """The start of Gorgias's answer to the last refused call (a 400 says which field it
    refused), for the error message: the client reports only the status."""

    def __init__(self) -> None:
        self.text = ""

    def __call__(self, response: httpx.Response) -> None:
        if response.status_code >= 400 and response.status_code != 429:
            response.read()
            self.text = " ".join(response.text.split())[:_DETAIL_CHARACTERS]


def run(
    connection: Connection,
    *,
    out: TextIO,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[Outcome]:
    template = load_widget_template()
    if connection.dry_run:
        return connect(
            DryRunAdmin(out),
            api_url=connection.public_api_url,
            token=connection.widget_token,
            template=template,
        )
    detail = _FailureDetail()
    with httpx.Client(event_hooks={"response": [detail]}) as http:
        client = GorgiasClient(
            base_url=connection.gorgias_api_url,
            api_email=connection.api_email,
            api_key=connection.api_key,
            timeout_seconds=_TIMEOUT_SECONDS,
            max_retry_after_seconds=_MAX_RETRY_AFTER_SECONDS,
            max_requests_per_second=_REQUESTS_PER_SECOND,
            http_client=http,
            sleep=sleep,
            clock=clock,
        )
        try:
            return connect(
                LiveAdmin(client),
                api_url=connection.public_api_url,
                token=connection.widget_token,
                template=template,
            )
        except GorgiasUnavailableError as error:
            message = f"{error}: {detail.text}" if detail.text else str(error)
            # Gorgias may quote what it refused: never print the secrets along.
            for secret in (connection.widget_token, connection.api_key):
                message = message.replace(secret, REDACTED)
            raise SetupError(message) from error


def main(
    argv: Sequence[str] | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    argparse.ArgumentParser(
        prog=f"python -m deploy.gorgias_setup ({PROG})",
        description="Create or update returns-desk's Gorgias integrations and widget.",
        epilog="Settings from the environment: GORGIAS_SUBDOMAIN, GORGIAS_API_EMAIL, "
        "GORGIAS_API_KEY (or GORGIAS_API_KEY_PARAMETER), GORGIAS_WIDGET_TOKEN (or "
        "GORGIAS_WIDGET_TOKEN_PARAMETER), PUBLIC_API_URL, DRY_RUN=1 to print without sending.",
    ).parse_args(argv)
    try:
        connection = load_connection()
    except MisconfiguredError as error:
        err.write(f"{PROG}: {error}\n")
        return EXIT_MISCONFIGURED
    except Exception as error:
        # Reading SSM fails in as many ways as AWS can (credentials, region, access): each is
        # a setting to fix, said in one line.
        err.write(f"{PROG}: could not read the settings: {type(error).__name__}: {error}\n")
        return EXIT_MISCONFIGURED
    try:
        outcomes = run(connection, out=out, sleep=sleep, clock=clock)
    except SetupError as error:
        err.write(f"{PROG}: {error}\n")
        return EXIT_FAILED
    for line in summary(outcomes, dry_run=connection.dry_run):
        err.write(f"{PROG}: {line}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
