"""`make gorgias-setup`: the two HTTP integrations and the sidebar widget, created on a first run
and updated in place on the next, against Gorgias's documented request and listing shapes (respx on
https://acme.gorgias.com/api/). The widget template Gorgias receives, shipped or filled in, is
checked against a JSON Schema of the documented widget. No AWS and no network.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import respx

from deploy import gorgias_setup
from deploy.gorgias_setup import (
    CHAT_INTEGRATION_NAME,
    TRIGGERS,
    WIDGET_INTEGRATION_NAME,
    WIDGET_TEMPLATE,
    main,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("gorgias_widget.schema.json")
GORGIAS = "https://acme.gorgias.com/api"
PUBLIC_API_URL = "https://returns.acme-shop.test/api"
WIDGET_TOKEN = "widget-token-0123456789abcdef"
API_KEY = "gorgias-api-key-0123456789"

# The widget integration's answer, as GET /gorgias/widget documents it: every path of the
# template must lead somewhere in it.
WIDGET_ANSWER: dict[str, Any] = {
    "customer": {"email": "jane.doe@example.com"},
    "total": 2,
    "open": 1,
    "returns": [
        {
            "id": "3f7c",
            "reference": "R-001042",
            "status": "REQUESTED",
            "status_label": "Awaiting approval",
            "delivery_status": "IN_TRANSIT",
            "delivery_status_label": "On its way back",
            "financial_status": "PENDING",
            "financial_status_label": "Refund pending",
            "fulfillment_status": "PENDING",
            "fulfillment_status_label": "Waiting for items",
            "expected_resolution": "REFUND",
            "expected_resolution_label": "Refund",
            "created_at": "2026-11-20T09:12:00Z",
            "order_number": "#1001",
            "items_summary": "1 x Blue T-shirt (M) (Size doesn't fit)",
            "items": [
                {
                    "sku": "TSHIRT-BLUE-M",
                    "name": "Blue T-shirt (M)",
                    "quantity": 1,
                    "reason": "SIZE_PROBLEM",
                    "reason_label": "Size doesn't fit",
                    "photo_urls": ["https://photos.example.com/1.jpg"],
                    "received_label": "",
                }
            ],
            "tracking": {
                "carrier": "colissimo",
                "number": "6A123",
                "url": "https://track.example.com/6A123",
                "status_label": "On its way back",
            },
            "console_url": "https://console.example.com/returns/R-001042",
        }
    ],
    "open_requests": "1",
    "requests": [
        {
            "reference": "C-000004",
            "kind": "CLAIM",
            "kind_label": "Order issue",
            "status": "RESOLVED",
            "status_label": "Resolved",
            "order_number": "#4930",
            "issue": "DAMAGED",
            "issue_label": "Arrived damaged or defective",
            "items_summary": "1 x Ceramic mug",
            "lines": [
                {
                    "sku": "MUG-001",
                    "name": "Ceramic mug",
                    "quantity": 1,
                    "photo_urls": ["https://photos.example.com/claim.jpg"],
                }
            ],
            "resolution": "VOUCHER",
            "resolution_label": "Store credit",
            "comment": None,
            "decision_note": None,
            "settlement": "store credit of 19.80 EUR, issued (code ending 7KQ2)",
            "created_at": "2026-11-28T10:00:00Z",
            "console_url": "https://console.example.com/requests/C-000004",
        }
    ],
}


@cache
def widget_schema() -> dict[str, Any]:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def assert_valid_widget(widget: Any) -> None:
    jsonschema.Draft202012Validator(widget_schema()).validate(widget)


def listing(*items: dict[str, Any], next_cursor: str | None = None) -> httpx.Response:
    """A page of a Gorgias listing, as `GET /api/integrations` and `GET /api/widgets` answer."""
    return httpx.Response(
        200, json={"data": list(items), "meta": {"next_cursor": next_cursor, "prev_cursor": None}}
    )


def sent(route: respx.Route) -> list[dict[str, Any]]:
    return [json.loads(call.request.content) for call in route.calls]


def root_card(widget: dict[str, Any]) -> dict[str, Any]:
    return next(w for w in widget["template"]["widgets"] if w.get("path") == "")


def buttons(widget: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["label"]: b["action"] for b in root_card(widget)["meta"]["custom"]["buttons"]}


def form(action: dict[str, Any]) -> dict[str, dict[str, Any]]:
    body = action["body"]
    assert body["contentType"] == "application/x-www-form-urlencoded"
    return {p["key"]: p for p in body["application/x-www-form-urlencoded"]}


class FakeTime:
    """A clock that moves only when slept on, and the record of every call and every wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.timeline: list[tuple[str, Any]] = []

    def sleep(self, seconds: float) -> None:
        self.timeline.append(("sleep", seconds))
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GORGIAS_SUBDOMAIN", "acme")
    monkeypatch.setenv("GORGIAS_API_EMAIL", "ops@acme-shop.test")
    monkeypatch.setenv("GORGIAS_API_KEY", API_KEY)
    monkeypatch.setenv("GORGIAS_WIDGET_TOKEN", WIDGET_TOKEN)
    monkeypatch.setenv("PUBLIC_API_URL", PUBLIC_API_URL + "/")
    for variable in (
        "DRY_RUN",
        "GORGIAS_API_URL",
        "GORGIAS_API_KEY_PARAMETER",
        "GORGIAS_WIDGET_TOKEN_PARAMETER",
    ):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def gorgias() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=GORGIAS, assert_all_called=False) as router:
        yield router


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def setup_run(settings: None, fake_time: FakeTime) -> Callable[[], tuple[int, str, str]]:
    def run() -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main([], sleep=fake_time.sleep, clock=fake_time.monotonic, stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return run


def created_with_ids(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    ids = {WIDGET_INTEGRATION_NAME: 101, CHAT_INTEGRATION_NAME: 102}
    return httpx.Response(201, json={**body, "id": ids[body["name"]]})


# --- the template ----------------------------------------------------------------------------


def test_the_shipped_widget_template_is_what_post_api_widgets_accepts() -> None:
    shipped = json.loads(WIDGET_TEMPLATE.read_text())

    assert_valid_widget(shipped)
    assert shipped["type"] == "http"
    assert shipped["context"] == "ticket"
    # The placeholder the setup replaces with the widget integration's id.
    assert shipped["integration_id"] == 0


def test_the_schema_refuses_what_gorgias_would_refuse() -> None:
    shipped = json.loads(WIDGET_TEMPLATE.read_text())
    approve = buttons(shipped)["Approve"]
    wrong: list[dict[str, Any]] = [
        {**shipped, "integration_id": "<your HTTP integration id>"},
        {key: value for key, value in shipped.items() if key != "type"},
        {**shipped, "context": "sidebar"},
    ]
    wrong_parameter = json.loads(json.dumps(shipped))
    buttons(wrong_parameter)["Approve"]["headers"][0]["type"] = "checkbox"
    wrong.append(wrong_parameter)

    assert approve["method"] == "POST"
    for widget in wrong:
        with pytest.raises(jsonschema.ValidationError):
            assert_valid_widget(widget)


def test_every_path_of_the_template_leads_into_the_widget_answer() -> None:
    def walk(node: dict[str, Any], data: Any) -> Iterator[tuple[str, Any]]:
        here = data
        path = node.get("path")
        if path:
            assert isinstance(data, dict), f"{path} is looked up in {data!r}"
            assert path in data, f"{path} is not in the answer"
            here = data[path]
        for child in node.get("widgets", []):
            if node["type"] == "list":
                for element in here or []:
                    yield from walk(child, element)
            else:
                yield from walk(child, here)
        yield node["type"], here

    template = json.loads(WIDGET_TEMPLATE.read_text())["template"]
    shown = list(walk(template, WIDGET_ANSWER))

    assert ("url", "https://photos.example.com/1.jpg") in shown
    assert ("url", "https://console.example.com/returns/R-001042") in shown
    assert ("url", "https://track.example.com/6A123") in shown
    assert ("date", "2026-11-20T09:12:00Z") in shown
    assert ("url", "https://photos.example.com/claim.jpg") in shown
    assert ("url", "https://console.example.com/requests/C-000004") in shown
    assert ("text", "store credit of 19.80 EUR, issued (code ending 7KQ2)") in shown


def test_the_return_cards_are_titled_with_reference_and_status() -> None:
    template = json.loads(WIDGET_TEMPLATE.read_text())
    returns = next(w for w in root_card(template)["widgets"] if w.get("path") == "returns")

    assert returns["type"] == "list"
    assert returns["widgets"][0]["title"] == "{{reference}} · {{status_label}}"
    assert root_card(template)["meta"]["custom"]["links"] == []


def test_the_request_cards_follow_the_returns_titled_with_reference_kind_and_status() -> None:
    template = json.loads(WIDGET_TEMPLATE.read_text())
    paths = [w.get("path") for w in root_card(template)["widgets"]]
    requests = next(w for w in root_card(template)["widgets"] if w.get("path") == "requests")

    assert paths.index("requests") > paths.index("returns")
    assert requests["type"] == "list"
    assert requests["widgets"][0]["title"] == "{{reference}} · {{kind_label}} · {{status_label}}"
    assert "{{open_requests}}" in root_card(template)["title"]


def test_both_buttons_send_the_typed_reference_the_ticket_and_the_agent_as_form_fields() -> None:
    actions = buttons(json.loads(WIDGET_TEMPLATE.read_text()))

    assert set(actions) == {"Approve", "Reject"}
    for decision, action in (
        ("approve", actions["Approve"]),
        ("reject", actions["Reject"]),
    ):
        assert action["method"] == "POST"
        assert action["url"] == f"https://returns.example.com/gorgias/actions/{decision}"
        assert action["params"] == []
        assert action["body"]["application/json"] == {}
        assert action["headers"] == [
            {
                "key": "Authorization",
                "value": "Bearer <GORGIAS_WIDGET_TOKEN>",
                "label": "Authorization",
                "type": "text",
                "editable": False,
                "mandatory": True,
            }
        ]
        fields = form(action)
        assert fields["rma"] == {
            "key": "rma",
            "value": "",
            "label": "Reference: a return (R-001042), an order issue (C-000004) or a "
            "cancellation (X-000003)",
            "type": "text",
            "editable": True,
            "mandatory": True,
        }
        filled_by_gorgias = {
            "ticket_id": "{{ticket.id}}",
            "agent_email": "{{current_user.email}}",
            "agent_name": "{{current_user.name}}",
        }
        for key, value in filled_by_gorgias.items():
            assert fields[key]["value"] == value
            assert fields[key]["editable"] is False
        assert all(p["type"] == "text" for key, p in fields.items() if key != "resolution")

    reason = form(actions["Reject"])["reason"]
    assert reason["value"] == ""
    assert reason["label"] == "Reason (the shopper reads it)"
    assert reason["editable"] is True
    assert reason["mandatory"] is True
    assert "reason" not in form(actions["Approve"])


def test_approve_offers_an_order_issues_settlement_as_an_optional_dropdown() -> None:
    # Given the shipped template's Approve button
    approve = form(buttons(json.loads(WIDGET_TEMPLATE.read_text()))["Approve"])
    # Then its form has a dropdown of the three settlements, which the agent may leave blank
    # (Gorgias starts an optional dropdown blank and sends it empty: the shopper's choice)
    assert approve["resolution"] == {
        "key": "resolution",
        "value": "Refund;Store credit;Replacement",
        "label": "An order issue's settlement (blank: as the shopper asked)",
        "type": "dropdown",
        "editable": True,
        "mandatory": False,
    }
    # And within the ten values a dropdown shows
    assert len(approve["resolution"]["value"].split(";")) <= 10
    assert "resolution" not in form(buttons(json.loads(WIDGET_TEMPLATE.read_text()))["Reject"])


# --- a first run -----------------------------------------------------------------------------


def test_a_first_run_creates_both_integrations_and_the_widget(
    gorgias: respx.MockRouter, setup_run: Callable[[], tuple[int, str, str]]
) -> None:
    gorgias.get("/integrations").mock(
        return_value=listing({"id": 9, "name": "Loop Returns", "type": "http"})
    )
    create_integration = gorgias.post("/integrations").mock(side_effect=created_with_ids)
    gorgias.get("/widgets").mock(return_value=listing())
    create_widget = gorgias.post("/widgets").mock(return_value=httpx.Response(201, json={"id": 7}))

    code, _, err = setup_run()

    assert code == 0, err
    widget_source, chat = sent(create_integration)
    assert widget_source == {
        "name": "returns-desk: returns widget",
        "type": "http",
        "description": widget_source["description"],
        "http": {
            "url": f"{PUBLIC_API_URL}/gorgias/widget"
            "?email={{ticket.customer.email}}&locale={{ticket.language}}",
            "method": "GET",
            "headers": {"Authorization": f"Bearer {WIDGET_TOKEN}"},
            "form": {},
            "request_content_type": "application/json",
            "response_content_type": "application/json",
            "triggers": {
                "ticket-created": True,
                "ticket-updated": True,
                "ticket-message-created": False,
                "ticket-self-unsnoozed": False,
                "ticket-message-failed": False,
            },
        },
    }
    assert chat["name"] == "returns-desk: chat intake"
    assert chat["http"]["url"] == f"{PUBLIC_API_URL}/gorgias/events/message"
    assert chat["http"]["method"] == "POST"
    assert chat["http"]["request_content_type"] == "application/json"
    assert chat["http"]["headers"] == {"Authorization": f"Bearer {WIDGET_TOKEN}"}
    assert chat["http"]["form"] == {
        "ticket_id": "{{ticket.id}}",
        "customer_email": "{{ticket.customer.email}}",
        "channel": "{{ticket.channel}}",
        "language": "{{ticket.language}}",
    }
    assert chat["http"]["triggers"] == {t: t == "ticket-message-created" for t in TRIGGERS}

    (widget,) = sent(create_widget)
    assert_valid_widget(widget)
    assert widget["type"] == "http"
    assert widget["context"] == "ticket"
    assert widget["integration_id"] == 101
    actions = buttons(widget)
    assert actions["Approve"]["url"] == f"{PUBLIC_API_URL}/gorgias/actions/approve"
    assert actions["Reject"]["url"] == f"{PUBLIC_API_URL}/gorgias/actions/reject"
    for action in actions.values():
        assert action["headers"][0]["value"] == f"Bearer {WIDGET_TOKEN}"
    assert "returns.example.com" not in json.dumps(widget)
    assert "<GORGIAS_WIDGET_TOKEN>" not in json.dumps(widget)

    assert "created: integration 'returns-desk: returns widget' (id 101)" in err
    assert "created: integration 'returns-desk: chat intake' (id 102)" in err
    assert "(id 7)" in err
    assert WIDGET_TOKEN not in err
    assert API_KEY not in err


def test_it_authenticates_with_the_api_email_and_key(
    gorgias: respx.MockRouter, setup_run: Callable[[], tuple[int, str, str]]
) -> None:
    listed = gorgias.get("/integrations").mock(return_value=listing())
    gorgias.post("/integrations").mock(side_effect=created_with_ids)
    gorgias.get("/widgets").mock(return_value=listing())
    gorgias.post("/widgets").mock(return_value=httpx.Response(201, json={"id": 7}))

    assert setup_run()[0] == 0

    credentials = base64.b64encode(f"ops@acme-shop.test:{API_KEY}".encode()).decode()
    assert listed.calls[0].request.headers["Authorization"] == f"Basic {credentials}"


# --- the next runs ---------------------------------------------------------------------------


def test_a_second_run_updates_what_it_finds_across_pages_and_creates_nothing(
    gorgias: respx.MockRouter, setup_run: Callable[[], tuple[int, str, str]]
) -> None:
    gorgias.get("/integrations", params={"cursor": "page-2"}).mock(
        return_value=listing(
            {"id": 101, "name": WIDGET_INTEGRATION_NAME, "type": "http"},
            {"id": 102, "name": CHAT_INTEGRATION_NAME, "type": "http"},
        )
    )
    first_page = gorgias.get("/integrations").mock(
        return_value=listing(
            {"id": 9, "name": "Loop Returns", "type": "http"}, next_cursor="page-2"
        )
    )
    gorgias.get("/widgets").mock(
        return_value=listing(
            {"id": 6, "type": "http", "context": "ticket", "integration_id": 9, "order": 0},
            {"id": 7, "type": "http", "context": "ticket", "integration_id": 101, "order": 3},
        )
    )
    created = gorgias.post(path__regex=r".*").mock(return_value=httpx.Response(201, json={"id": 1}))
    update_widget_source = gorgias.put("/integrations/101").mock(
        return_value=httpx.Response(200, json={"id": 101})
    )
    update_chat = gorgias.put("/integrations/102").mock(
        return_value=httpx.Response(200, json={"id": 102})
    )
    update_widget = gorgias.put("/widgets/7").mock(return_value=httpx.Response(200, json={"id": 7}))

    code, _, err = setup_run()

    assert code == 0, err
    assert not created.called
    assert first_page.calls[0].request.url.params["limit"] == "100"
    (widget_source,) = sent(update_widget_source)
    assert widget_source["name"] == WIDGET_INTEGRATION_NAME
    assert widget_source["http"]["triggers"]["ticket-created"] is True
    # Gorgias turns off an integration that failed 100 times in a row: this turns it back on.
    assert widget_source["deactivated_datetime"] is None
    (chat,) = sent(update_chat)
    assert chat["http"]["triggers"]["ticket-message-created"] is True
    (widget,) = sent(update_widget)
    assert_valid_widget(widget)
    assert widget["integration_id"] == 101
    # Where an admin moved it among the other widgets.
    assert widget["order"] == 3
    assert "updated: integration 'returns-desk: returns widget' (id 101)" in err
    assert "updated: widget" in err
    assert "created" not in err


# --- rate limits and failures ----------------------------------------------------------------


@pytest.mark.parametrize("retry_after", [1, 30])
def test_a_429_is_waited_out_for_as_long_as_gorgias_asks(
    gorgias: respx.MockRouter,
    setup_run: Callable[[], tuple[int, str, str]],
    fake_time: FakeTime,
    retry_after: int,
) -> None:
    answers = iter([httpx.Response(429, headers={"Retry-after": str(retry_after)}), listing()])

    def integrations(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        fake_time.timeline.append(("GET /integrations", answer.status_code))
        return answer

    gorgias.get("/integrations").mock(side_effect=integrations)
    gorgias.post("/integrations").mock(side_effect=created_with_ids)
    gorgias.get("/widgets").mock(return_value=listing())
    gorgias.post("/widgets").mock(return_value=httpx.Response(201, json={"id": 7}))

    code, _, err = setup_run()

    assert code == 0, err
    assert fake_time.timeline[:3] == [
        ("GET /integrations", 429),
        ("sleep", float(retry_after)),
        ("GET /integrations", 200),
    ]


def test_calls_are_spaced_a_second_apart(
    gorgias: respx.MockRouter,
    setup_run: Callable[[], tuple[int, str, str]],
    fake_time: FakeTime,
) -> None:
    gorgias.get("/integrations").mock(return_value=listing())
    gorgias.post("/integrations").mock(side_effect=created_with_ids)
    gorgias.get("/widgets").mock(return_value=listing())
    gorgias.post("/widgets").mock(return_value=httpx.Response(201, json={"id": 7}))

    assert setup_run()[0] == 0

    # Five calls: the first goes at once, each of the others waits its second.
    assert fake_time.timeline == [("sleep", 1.0)] * 4


def test_a_refused_request_is_one_line_with_gorgias_reason_and_no_secret(
    gorgias: respx.MockRouter, setup_run: Callable[[], tuple[int, str, str]]
) -> None:
    gorgias.get("/integrations").mock(return_value=listing())
    gorgias.post("/integrations").mock(
        return_value=httpx.Response(
            400,
            json={
                "error": {"msg": "Invalid data"},
                "data": {"http": {"headers": [f"Bearer {WIDGET_TOKEN} is not allowed"]}},
            },
        )
    )

    code, out, err = setup_run()

    assert code == gorgias_setup.EXIT_FAILED
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "POST integrations answered 400" in err
    assert "Invalid data" in err
    assert WIDGET_TOKEN not in err
    assert "Traceback" not in err


# --- the dry run -----------------------------------------------------------------------------


def test_a_dry_run_prints_every_request_as_json_and_sends_nothing(
    gorgias: respx.MockRouter,
    setup_run: Callable[[], tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DRY_RUN", "1")

    code, out, err = setup_run()

    assert code == 0, err
    assert not gorgias.calls
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["method"], line["path"]) for line in lines] == [
        ("GET", "/api/integrations"),
        ("POST", "/api/integrations"),
        ("POST", "/api/integrations"),
        ("GET", "/api/widgets"),
        ("POST", "/api/widgets"),
    ]
    widget_source, chat = lines[1]["body"], lines[2]["body"]
    assert widget_source["name"] == WIDGET_INTEGRATION_NAME
    assert widget_source["http"]["headers"] == {"Authorization": "Bearer ***"}
    assert chat["http"]["headers"] == {"Authorization": "Bearer ***"}
    widget = lines[4]["body"]
    assert_valid_widget(widget)
    # Not known before Gorgias creates the integration: a number all the same, and said so.
    assert widget["integration_id"] == 0
    assert lines[4]["pending"] == {"integration_id": "<id of returns-desk: returns widget>"}
    assert all(a["headers"][0]["value"] == "Bearer ***" for a in buttons(widget).values())
    assert WIDGET_TOKEN not in out + err
    assert API_KEY not in out + err
    assert "dry run" in err


def test_a_dry_run_needs_neither_aws_nor_gorgias() -> None:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/nonexistent"),
        "DRY_RUN": "1",
        "GORGIAS_SUBDOMAIN": "acme",
        "GORGIAS_API_EMAIL": "ops@acme-shop.test",
        # Names of SSM parameters only: a dry run must not read them.
        "GORGIAS_API_KEY_PARAMETER": "/returns-desk/prod/gorgias-api-key",
        "GORGIAS_WIDGET_TOKEN_PARAMETER": "/returns-desk/prod/gorgias-widget-token",
        "PUBLIC_API_URL": PUBLIC_API_URL,
        "AWS_ACCESS_KEY_ID": "nonsense",
        "AWS_SECRET_ACCESS_KEY": "nonsense",
        "AWS_DEFAULT_REGION": "nowhere-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_MAX_ATTEMPTS": "1",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }

    done = subprocess.run(
        [sys.executable, "-m", "deploy.gorgias_setup"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["method"] for line in lines] == ["GET", "POST", "POST", "GET", "POST"]
    assert_valid_widget(lines[-1]["body"])
    assert "Traceback" not in done.stderr


# --- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        ("GORGIAS_SUBDOMAIN", "GORGIAS_SUBDOMAIN"),
        ("GORGIAS_API_EMAIL", "GORGIAS_API_EMAIL"),
        ("GORGIAS_API_KEY", "GORGIAS_API_KEY (or GORGIAS_API_KEY_PARAMETER)"),
        ("GORGIAS_WIDGET_TOKEN", "GORGIAS_WIDGET_TOKEN (or GORGIAS_WIDGET_TOKEN_PARAMETER)"),
        ("PUBLIC_API_URL", "PUBLIC_API_URL"),
    ],
)
@pytest.mark.parametrize("dry_run", ["", "1"])
def test_a_missing_setting_is_named_in_one_line_and_exits_2(
    gorgias: respx.MockRouter,
    setup_run: Callable[[], tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
    unset: str,
    named: str,
    dry_run: str,
) -> None:
    monkeypatch.delenv(unset)
    monkeypatch.setenv("DRY_RUN", dry_run)

    code, out, err = setup_run()

    assert code == gorgias_setup.EXIT_MISCONFIGURED
    assert out == ""
    assert err == f"gorgias-setup: missing {named}\n"
    assert not gorgias.calls


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("PUBLIC_API_URL", "http://returns.acme-shop.test/api", "must use https"),
        ("PUBLIC_API_URL", "https://returns.acme-shop.test/api?x=1", "base URL"),
        ("GORGIAS_SUBDOMAIN", "acme.gorgias.com", "GORGIAS_SUBDOMAIN"),
        ("DRY_RUN", "perhaps", "DRY_RUN"),
    ],
)
def test_an_invalid_setting_is_one_line_and_exits_2(
    setup_run: Callable[[], tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    said: str,
) -> None:
    monkeypatch.setenv(variable, value)

    code, _, err = setup_run()

    assert code == gorgias_setup.EXIT_MISCONFIGURED
    assert len(err.splitlines()) == 1
    assert said in err


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:8000"]
)
def test_a_loopback_api_may_be_plain_http(
    setup_run: Callable[[], tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("PUBLIC_API_URL", url)
    monkeypatch.setenv("DRY_RUN", "1")

    code, out, err = setup_run()

    assert code == 0, err
    widget_source = json.loads(out.splitlines()[1])["body"]
    assert widget_source["http"]["url"].startswith(url.rstrip("/") + "/gorgias/widget?")
