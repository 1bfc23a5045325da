"""The local stack's outbox page (`make run`): every email the app sent, newest first, each shown
as the shopper would see it.

The local SES (moto) keeps sent emails instead of delivering them, but of `send_email` it keeps
one body only, the HTML part. `keep_sent_details()` has it keep what the page shows besides: the
text part, when it was sent and the email's `kind` tag. Recipients are masked, as in the logs.
Nothing is checked (no authentication): the page listens on the loopback address only.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from http.server import BaseHTTPRequestHandler
from typing import Any

from local.background_server import BackgroundServer

_EMAIL = re.compile(r"^/emails/(\d+)(\.txt)?$")


@dataclass(frozen=True)
class SentEmail:
    """One sent email as the page shows it."""

    sent_at: datetime | None
    recipients: str
    subject: str
    kind: str | None
    html: str | None
    text: str | None


def keep_sent_details() -> None:
    """Have moto's SES keep, on each message `send_email` stores, its text part (`text`), when it
    was sent (`sent_at`) and its `kind` tag (`kind`). Once per process: the patch is moto's."""
    from moto.ses.responses import EmailResponse

    if getattr(EmailResponse.send_email, "_keeps_details", False):
        return
    original = EmailResponse.send_email

    def send_email(self: Any) -> Any:
        result = original(self)
        sent_id = result.result["MessageId"]
        tags = {tag["Name"]: tag["Value"] for tag in self._get_param("Tags") or []}
        for message in reversed(self.backend.sent_messages):
            if getattr(message, "id", None) == sent_id:
                message.text = self._get_param("Message.Body.Text.Data")
                message.sent_at = datetime.now(UTC)
                message.kind = tags.get("kind")
                break
        return result

    send_email._keeps_details = True  # type: ignore[attr-defined]
    EmailResponse.send_email = send_email


def sent_email(message: Any) -> SentEmail:
    """A message of moto's outbox: `send_email`'s (its body the HTML part when there is one) or
    `send_raw_email`'s (a MIME message, whose parts are read here)."""
    from chalicelib.observability import mask_email

    sent_at, kind = getattr(message, "sent_at", None), getattr(message, "kind", None)
    raw = getattr(message, "raw_data", None)
    if raw is not None:
        parsed = email.message_from_string(raw, policy=email.policy.default)
        html_part = parsed.get_body(preferencelist=("html",))
        text_part = parsed.get_body(preferencelist=("plain",))
        return SentEmail(
            sent_at=sent_at,
            recipients=mask_email(", ".join(message.destinations)),
            subject=str(parsed.get("Subject", "")),
            kind=kind,
            html=html_part.get_content() if html_part else None,
            text=text_part.get_content() if text_part else None,
        )
    text, body = getattr(message, "text", None), message.body
    if text is not None:
        # Kept by keep_sent_details(): the body is the HTML part unless there was none.
        html = body if body != text else None
    elif _looks_like_html(body):
        html = body
    else:
        html, text = None, body
    addresses = [address for field in message.destinations.values() for address in field]
    return SentEmail(
        sent_at=sent_at,
        recipients=mask_email(", ".join(addresses)),
        subject=message.subject,
        kind=kind,
        html=html,
        text=text,
    )


def _looks_like_html(body: str) -> bool:
    return body.lstrip()[:1] == "<"


class OutboxPage:
    """The page's server: `GET /` lists the emails, `GET /emails/<n>` shows the n-th sent (1 is
    the first) as its HTML part, `GET /emails/<n>.txt` its text part."""

    def __init__(self, outbox: Callable[[], Sequence[Any]], port: int = 0) -> None:
        self._outbox = outbox
        self._server = BackgroundServer(_handler(self), port, "outbox-page")

    @property
    def url(self) -> str:
        return f"{self._server.origin}/"

    def start(self) -> OutboxPage:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def answer(self, path: str) -> tuple[int, str, str]:
        """(status, content type, body) for a GET of `path`."""
        emails = [sent_email(message) for message in list(self._outbox())]
        if path == "/":
            return 200, "text/html; charset=utf-8", _listing(emails)
        match = _EMAIL.match(path)
        number = int(match.group(1)) if match else 0
        if not 1 <= number <= len(emails):
            return 404, "text/plain; charset=utf-8", "No such email.\n"
        sent = emails[number - 1]
        if match and match.group(2):
            if sent.text is None:
                return 404, "text/plain; charset=utf-8", "This email has no text part.\n"
            return 200, "text/plain; charset=utf-8", sent.text
        return 200, "text/html; charset=utf-8", _shown(number, sent)


def _handler(page: OutboxPage) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, content_type, body = page.answer(self.path.split("?", 1)[0])
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            # The stack's output is the API's and the app's; page views would drown them.
            return

    return Handler


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ margin: 24px; font-family: system-ui, sans-serif; color: #1f2933; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: 6px 10px; border-bottom: 1px solid #e4e7eb; }}
th {{ color: #52606d; font-weight: 600; }}
iframe {{ width: 100%; max-width: 720px; height: 80vh; border: 1px solid #e4e7eb; }}
.meta {{ color: #52606d; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


def _listing(emails: list[SentEmail]) -> str:
    rows = "\n".join(
        f"<tr><td>{_time(sent)}</td><td>{escape(sent.recipients)}</td>"
        f'<td><a href="/emails/{number}">{escape(sent.subject)}</a></td>'
        f"<td>{escape(sent.kind or '')}</td>"
        + (f'<td><a href="/emails/{number}.txt">text</a></td>' if sent.text else "<td></td>")
        + "</tr>"
        for number, sent in reversed(list(enumerate(emails, start=1)))
    )
    body = (
        f'<h1>Outbox</h1><p class="meta">{len(emails)} emails sent by the local stack, newest '
        "first. Reload to see new ones.</p>"
        "<table><thead><tr><th>Sent</th><th>To</th><th>Subject</th><th>Kind</th><th></th></tr>"
        f"</thead><tbody>\n{rows}\n</tbody></table>"
    )
    return _PAGE.format(title="Outbox", body=body)


def _shown(number: int, sent: SentEmail) -> str:
    """The email's HTML part in a sandboxed frame: its own styles apply, and nothing it holds
    runs or reaches this page."""
    links = ['<a href="/">All emails</a>']
    if sent.text is not None:
        links.append(f'<a href="/emails/{number}.txt">Text part</a>')
    frame = (
        f'<iframe sandbox="allow-popups" title="{escape(sent.subject)}" '
        f'srcdoc="{escape(sent.html)}"></iframe>'
        if sent.html is not None
        else "<p>This email has no HTML part.</p>"
    )
    body = (
        f"<p>{' · '.join(links)}</p><h1>{escape(sent.subject)}</h1>"
        f'<p class="meta">To {escape(sent.recipients)} · {_time(sent)}'
        f"{' · ' + escape(sent.kind) if sent.kind else ''}</p>{frame}"
    )
    return _PAGE.format(title=escape(sent.subject), body=body)


def _time(sent: SentEmail) -> str:
    return sent.sent_at.strftime("%Y-%m-%d %H:%M:%S UTC") if sent.sent_at else ""
