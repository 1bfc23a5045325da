"""The Gorgias client against the real httpx stack, with respx standing in for Gorgias."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
import respx

from chalicelib.integrations.gorgias import (
    ACTING_ROLES,
    INTERNAL_NOTE_CHANNEL,
    GorgiasClient,
    GorgiasUnavailableError,
    GorgiasUnknownUserError,
    NewTicket,
    RequestSpacing,
)

API = "https://acme.gorgias.com/api"
USER_URL = f"{API}/users/7"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeSleep:
    """Records how long the client wanted to sleep, without sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def client(clock: FakeClock, sleep: FakeSleep) -> GorgiasClient:
    return GorgiasClient(
        subdomain="acme",
        api_email="bot@acme.test",
        api_key="k-123",
        role_cache_seconds=600,
        max_retry_after_seconds=3.0,
        sleep=sleep,
        clock=clock,
    )


def _role(name: str) -> httpx.Response:
    return httpx.Response(200, json={"id": 7, "role": {"name": name}})


def test_user_role_is_fetched_and_returned(respx_mock: respx.MockRouter, client: GorgiasClient):
    # Given Gorgias knows user 7 as an admin
    route = respx_mock.get(USER_URL).mock(return_value=_role("admin"))
    # When we ask for the role
    role = client.user_role(7)
    # Then the role name comes back, asked for as JSON by returns-desk
    assert role == "admin"
    request = route.calls.last.request
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == "returns-desk"


def test_user_role_sends_basic_auth(respx_mock: respx.MockRouter, client: GorgiasClient):
    # Given any user lookup
    route = respx_mock.get(USER_URL).mock(return_value=_role("agent"))
    # When the client calls Gorgias
    client.user_role(7)
    # Then it authenticates with email:api_key
    expected = base64.b64encode(b"bot@acme.test:k-123").decode()
    assert route.calls.last.request.headers["Authorization"] == f"Basic {expected}"


def test_user_role_is_cached_within_ttl(
    respx_mock: respx.MockRouter, client: GorgiasClient, clock: FakeClock
):
    # Given a role fetched once
    route = respx_mock.get(USER_URL).mock(return_value=_role("agent"))
    client.user_role(7)
    # When asked again before the cache expires
    clock.now += 599
    role = client.user_role(7)
    # Then the cached value answers and Gorgias is not called again
    assert role == "agent"
    assert route.call_count == 1


def test_user_role_is_fetched_again_after_ttl(
    respx_mock: respx.MockRouter, client: GorgiasClient, clock: FakeClock
):
    # Given a role fetched once, then changed in Gorgias
    route = respx_mock.get(USER_URL).mock(side_effect=[_role("agent"), _role("lite-agent")])
    client.user_role(7)
    # When asked again once the cache has expired
    clock.now += 600
    role = client.user_role(7)
    # Then Gorgias is asked again and the new role is returned
    assert role == "lite-agent"
    assert route.call_count == 2


def test_unknown_user_raises(respx_mock: respx.MockRouter, client: GorgiasClient):
    # Given Gorgias has no user 7
    respx_mock.get(USER_URL).mock(return_value=httpx.Response(404, json={"error": "not found"}))
    # When / Then asking for the role says the user is unknown
    with pytest.raises(GorgiasUnknownUserError):
        client.user_role(7)


def test_short_retry_after_is_slept_through(
    respx_mock: respx.MockRouter, client: GorgiasClient, sleep: FakeSleep
):
    # Given Gorgias rate-limits once with a short Retry-after, then answers
    limited = httpx.Response(429, headers={"Retry-after": "2"})
    route = respx_mock.get(USER_URL).mock(side_effect=[limited, _role("admin")])
    # When we ask for the role
    role = client.user_role(7)
    # Then the client waited as told and retried once
    assert role == "admin"
    assert sleep.calls == [2.0]
    assert route.call_count == 2


def test_long_retry_after_is_an_outage(
    respx_mock: respx.MockRouter, client: GorgiasClient, sleep: FakeSleep
):
    # Given Gorgias asks us to wait far longer than an agent would
    route = respx_mock.get(USER_URL).mock(
        return_value=httpx.Response(429, headers={"Retry-after": "60"})
    )
    # When / Then the client gives up at once, without sleeping
    with pytest.raises(GorgiasUnavailableError, match="rate limited"):
        client.user_role(7)
    assert sleep.calls == []
    assert route.call_count == 1


def test_429_without_retry_after_is_not_retried(
    respx_mock: respx.MockRouter, client: GorgiasClient, sleep: FakeSleep
):
    # Given a 429 that does not say how long to wait
    route = respx_mock.get(USER_URL).mock(return_value=httpx.Response(429))
    # When / Then the client does not hammer Gorgias
    with pytest.raises(GorgiasUnavailableError, match="rate limited"):
        client.user_role(7)
    assert sleep.calls == []
    assert route.call_count == 1


def test_rate_limit_gives_up_after_two_retries(
    respx_mock: respx.MockRouter, client: GorgiasClient, sleep: FakeSleep
):
    # Given Gorgias keeps rate-limiting
    route = respx_mock.get(USER_URL).mock(
        return_value=httpx.Response(429, headers={"Retry-after": "1"})
    )
    # When / Then the client retries twice, then reports an outage
    with pytest.raises(GorgiasUnavailableError, match="rate limited"):
        client.user_role(7)
    assert sleep.calls == [1.0, 1.0]
    assert route.call_count == 3


def test_server_error_is_an_outage(respx_mock: respx.MockRouter, client: GorgiasClient):
    # Given Gorgias fails
    respx_mock.get(USER_URL).mock(return_value=httpx.Response(500))
    # When / Then the client reports it unavailable, with no secret in the reason
    with pytest.raises(GorgiasUnavailableError, match="500") as caught:
        client.user_role(7)
    assert "k-123" not in str(caught.value)
    assert "bot@acme.test" not in str(caught.value)


def test_timeout_is_an_outage(respx_mock: respx.MockRouter, client: GorgiasClient):
    # Given Gorgias cannot be reached in time
    respx_mock.get(USER_URL).mock(side_effect=httpx.ConnectTimeout("slow"))
    # When / Then the client reports it unavailable
    with pytest.raises(GorgiasUnavailableError, match="timed out"):
        client.user_role(7)


def test_post_internal_note_sends_the_note(respx_mock: respx.MockRouter, client: GorgiasClient):
    # Given Gorgias accepts messages on ticket 42
    route = respx_mock.post(f"{API}/tickets/42/messages").mock(
        return_value=httpx.Response(201, json={"id": 1})
    )
    # When we post a note whose text needs escaping in HTML
    client.post_internal_note(42, "Return R-001042 approved <label sent>")
    # Then the exact internal-note payload goes to the ticket's messages
    request = route.calls.last.request
    assert request.url == f"{API}/tickets/42/messages"
    assert json.loads(request.content) == {
        "channel": INTERNAL_NOTE_CHANNEL,
        "from_agent": True,
        "via": "api",
        "body_text": "Return R-001042 approved <label sent>",
        "body_html": "<p>Return R-001042 approved &lt;label sent&gt;</p>",
        "sender": {"email": "bot@acme.test"},
    }


def test_post_internal_note_keeps_given_html(respx_mock: respx.MockRouter, client: GorgiasClient):
    # Given Gorgias accepts messages on ticket 42
    route = respx_mock.post(f"{API}/tickets/42/messages").mock(return_value=httpx.Response(201))
    # When we post a note with our own HTML
    client.post_internal_note(42, "Approved", body_html="<b>Approved</b>")
    # Then that HTML is sent unchanged
    assert json.loads(route.calls.last.request.content)["body_html"] == "<b>Approved</b>"


def test_the_roles_that_may_act_are_an_allow_list():
    # Given / When / Then admins, leads and basic agents may act; observers, lite agents and
    # any role name Gorgias adds later may not
    assert frozenset({"admin", "agent", "basic-agent"}) == ACTING_ROLES
    assert INTERNAL_NOTE_CHANNEL == "internal-note"


def test_an_agent_is_found_by_email_across_pages_and_remembered(
    respx_mock: respx.MockRouter, client: GorgiasClient
) -> None:
    # Given the account's users in two pages (cursor pagination)
    pages = respx_mock.get(f"{API}/users").mock(
        side_effect=[
            httpx.Response(
                200,
                json={"data": [{"id": 1, "email": "a@acme.test"}], "meta": {"next_cursor": "c2"}},
            ),
            httpx.Response(
                200,
                json={
                    "data": [
                        {
                            "id": 7,
                            "email": "Alex@Acme.test",
                            "name": "Alex",
                            "role": {"name": "basic-agent"},
                        }
                    ],
                    "meta": {"next_cursor": None},
                },
            ),
        ]
    )
    # When the agent is looked up twice by email, in another case
    first = client.user_by_email("alex@acme.TEST")
    again = client.user_by_email("alex@acme.test")
    # Then the second page was asked with the cursor, once, and the agent is known with a role
    assert (first, again) == (again, first)
    assert (first.id, first.name, first.role) == (7, "Alex", "basic-agent")
    assert [c.request.url.params.get("cursor") for c in pages.calls] == [None, "c2"]


def test_an_email_no_user_has_is_unknown(
    respx_mock: respx.MockRouter, client: GorgiasClient
) -> None:
    respx_mock.get(f"{API}/users").respond(200, json={"data": [], "meta": {"next_cursor": None}})
    with pytest.raises(GorgiasUnknownUserError):
        client.user_by_email("nobody@acme.test")


def test_a_ticket_is_opened_from_the_customer_with_its_tags(
    respx_mock: respx.MockRouter, client: GorgiasClient
) -> None:
    # Given Gorgias opens tickets
    route = respx_mock.post(f"{API}/tickets").respond(201, json={"id": 555, "subject": "x"})
    # When a return request's ticket is opened
    ticket_id = client.create_ticket(
        NewTicket(
            customer_email="jane@example.com",
            customer_name="Jane",
            subject="Return request R-001042 — order #1001",
            body_text="text",
            body_html="<p>text</p>",
            tags=("returns-desk", "return-request"),
        )
    )
    # Then its id is answered, and the ticket is the customer's, with its first message
    assert ticket_id == 555
    sent = json.loads(route.calls.last.request.content)
    assert sent["customer"] == {"email": "jane@example.com", "name": "Jane"}
    assert sent["tags"] == [{"name": "returns-desk"}, {"name": "return-request"}]
    [message] = sent["messages"]
    assert message["from_agent"] is False
    assert message["sender"] == {"email": "jane@example.com"}
    assert (message["channel"], message["via"]) == ("api", "api")


def test_tags_are_added_and_chat_replies_go_to_the_customer(
    respx_mock: respx.MockRouter, client: GorgiasClient
) -> None:
    tags = respx_mock.post(f"{API}/tickets/42/tags").respond(201)
    messages = respx_mock.post(f"{API}/tickets/42/messages").respond(201, json={"id": 3})
    client.add_tags(42, ["return-request", "rma:R-001042"])
    client.post_chat_reply(42, "Thanks!", customer_email="jane@example.com")
    assert json.loads(tags.calls.last.request.content) == {
        "names": ["return-request", "rma:R-001042"]
    }
    reply = json.loads(messages.calls.last.request.content)
    assert (reply["channel"], reply["from_agent"]) == ("chat", True)
    assert reply["receiver"] == {"email": "jane@example.com"}


def test_a_tickets_messages_are_read_oldest_first(
    respx_mock: respx.MockRouter, client: GorgiasClient
) -> None:
    respx_mock.get(f"{API}/tickets/42/messages").respond(
        200,
        json={
            "data": [
                {
                    "id": 2,
                    "channel": "chat",
                    "from_agent": True,
                    "body_text": "Hi",
                    "created_datetime": "2026-12-01T10:01:00",
                },
                {
                    "id": 1,
                    "channel": "chat",
                    "from_agent": False,
                    "body_text": "Broken mug",
                    "sender": {"email": "jane@example.com"},
                    "created_datetime": "2026-12-01T10:00:00",
                },
                {
                    "id": 3,
                    "channel": "internal-note",
                    "from_agent": True,
                    "body_text": "note",
                    "created_datetime": "2026-12-01T10:02:00",
                },
            ],
            "meta": {"next_cursor": None},
        },
    )
    messages = client.ticket_messages(42)
    assert [m.id for m in messages] == [1, 2, 3]
    assert [m.is_customer_message for m in messages] == [True, False, False]


def test_calls_are_spaced_to_the_configured_rate(clock: FakeClock, sleep: FakeSleep) -> None:
    # Given at most 2 calls a second
    spacing = RequestSpacing(2, sleep=sleep, clock=clock)
    # When three calls come at once
    for _ in range(3):
        spacing.wait_turn()
    # Then the second waits half a second and the third a second
    assert sleep.calls == [0.5, 1.0]
