"""Fuzzing: schemathesis makes requests from the OpenAPI document, valid and invalid, and sends
them to the local stack of `make run` over HTTP with each route's own credentials. No answer may
be a 5xx, and each must be one the document declares: status, content type, headers and body.

`make test` sends about 15 generated requests per operation, the same ones on every run.
`make fuzz` (FUZZ_EXAMPLES=n) sends n per operation, new ones each run, plus schemathesis's
coverage phase: boundary values, each required field left out... some 2,000 more requests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import app
from chalicelib.api.openapi import build_openapi
from chalicelib.domain.order_requests import OrderRequestKind, format_request_reference
from chalicelib.domain.references import format_reference
from chalicelib.integrations import shopify
from chalicelib.repositories.rma_repository import FIRST_RETURN_NUMBER
from chalicelib.services.portal_auth import build_session_tokens
from chalicelib.settings import get_settings
from local.demo_orders import (
    DEMO_ORDER_NUMBER,
    RECENTLY_DELIVERED_ORDER_NUMBER,
    UNFULFILLED_ORDER_NUMBER,
)
from local.stack import RunningStack, start

FUZZ_EXAMPLES = os.environ.get("FUZZ_EXAMPLES")
LONG_RUN = FUZZ_EXAMPLES is not None
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "max-examples": int(FUZZ_EXAMPLES or 15),
            "deterministic": not LONG_RUN,
            "database": "none",
        },
        "suppress-health-check": ["all"],
        "phases": {
            "coverage": {
                "enabled": LONG_RUN,
                # Behind API Gateway, a method a path does not have never reaches the app; and
                # Chalice's local server answers some (TRACE) with a bare 501 of its own.
                "unexpected-methods": [],
            }
        },
    }
)
# The local stack answers at its root: no stage prefix.
schema = schemathesis.openapi.from_dict(build_openapi(app, server="/"), config=CONFIG)

# The returns the demo data opens, those the fuzzer opens, and a few numbers past them.
KNOWN_REFERENCES = [
    format_reference(number) for number in range(FIRST_RETURN_NUMBER, FIRST_RETURN_NUMBER + 30)
]
# The cancellation request and the claim the stack is given before the run (`stack`), those
# the fuzzer opens (one count for both kinds: each number is one or the other), and a few
# numbers past them.
KNOWN_REQUESTS = [
    format_request_reference(kind, number)
    for number in range(1, 6)
    for kind in (OrderRequestKind.CANCELLATION, OrderRequestKind.CLAIM)
]
# The demo customer's orders (the shopper the fuzzer signs in as): one to return from, one she
# may cancel, one she may report an issue with; and what they hold.
KNOWN_ORDERS = [DEMO_ORDER_NUMBER, UNFULFILLED_ORDER_NUMBER, RECENTLY_DELIVERED_ORDER_NUMBER]
KNOWN_SKUS = ["TEE-ORGANIC-M", "MUG-STONE", "BOOTS-41", "MUG-001", "TOTE-LINEN"]
_REQUEST_PATHS = ("/requests/", "/portal/requests/")


def _known_values(context: schemathesis.HookContext, name: str) -> list[str]:
    """What a parameter of this name names that exists: a return (`rma`, and the `reference` of
    a return's route), a request (the `reference` of a request's route), an order (`number`)."""
    path = context.operation.path if context.operation is not None else ""
    if name == "number":
        return KNOWN_ORDERS
    if name == "reference" and path.startswith(_REQUEST_PATHS):
        return KNOWN_REQUESTS
    return KNOWN_REFERENCES if name in ("rma", "reference") else []


def _lines_of_known_skus(lines: Any) -> st.SearchStrategy[Any] | None:
    """A body's lines (of a return, a claim) as generated, the first naming a SKU the demo
    orders hold: None when they are not lines of SKUs."""
    if not isinstance(lines, list) or not lines or not isinstance(lines[0], dict):
        return None
    if "sku" not in lines[0]:
        return None
    return st.sampled_from(KNOWN_SKUS).map(lambda sku: [{**lines[0], "sku": sku}, *lines[1:]])


def _sometimes_known(context: schemathesis.HookContext, values: Any) -> st.SearchStrategy[Any]:
    """Half of the generated names (of returns, requests, orders, SKUs) name one that exists,
    so that the routes answer for returns and requests in each status, and not only "not
    found"."""
    if not isinstance(values, dict):
        return st.just(values)
    choices = {
        name: st.sampled_from(found) for name in values if (found := _known_values(context, name))
    }
    if (lines := _lines_of_known_skus(values.get("lines"))) is not None:
        choices["lines"] = lines
    if not choices:
        return st.just(values)
    existing = st.fixed_dictionaries(choices).map(lambda chosen: {**values, **chosen})
    return st.one_of(existing, st.just(values))


@schema.hook("flatmap_path_parameters")
def _path_names_known_things(
    context: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    return _sometimes_known(context, path_parameters)


@schema.hook("flatmap_body")
def _body_names_known_things(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy:
    return _sometimes_known(context, body)


# The headers that satisfy a security scheme, for a request to a running stack.
Credentials = dict[str, Callable[[schemathesis.Case, RunningStack], dict[str, str]]]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def shopper_session(case: schemathesis.Case, stack: RunningStack) -> dict[str, str]:
    """A portal session of the demo customer, signed with the stack's secret (it runs here)."""
    return bearer(build_session_tokens().issue(stack.demo.customer_email).token)


def shopify_signature(case: schemathesis.Case, stack: RunningStack) -> dict[str, str]:
    """Shopify's signature of the bytes schemathesis sends: a JSON body as `requests` encodes
    `json=`, or nothing."""
    body = b"" if case.media_type is None else json.dumps(case.body).encode()
    secret = get_settings().shopify_webhook_secret
    assert secret is not None
    return {shopify.SIGNATURE_HEADER: shopify.sign(secret.get_secret_value(), body)}


# Each security scheme of the document, as its rightful callers satisfy it.
CREDENTIALS: Credentials = {
    "gorgias": lambda case, stack: bearer(stack.widget_token),
    "admin": lambda case, stack: bearer(stack.admin_token),
    "portal": shopper_session,
    "shopify_hmac": shopify_signature,
}


def credentials(
    case: schemathesis.Case, stack: RunningStack, callers: Credentials
) -> dict[str, str]:
    """The headers of the first security requirement of the case's operation."""
    requirements = case.operation.definition.raw.get("security") or [{}]
    return {
        name: value
        for scheme in requirements[0]
        for name, value in callers[scheme](case, stack).items()
    }


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    with pytest.MonkeyPatch.context() as environment:
        running = start(port=0, environment=environment)
        open_requests(running)
        yield running
        running.stop()


def open_requests(stack: RunningStack) -> None:
    """The demo customer asks to cancel her unshipped order and reports a mug missing from the
    delivered one: requests for the admin routes to read, accept and refuse (and refuse again)."""
    shopper = bearer(build_session_tokens().issue(stack.demo.customer_email).token)
    asked = {
        f"/portal/orders/{quote(UNFULFILLED_ORDER_NUMBER)}/cancellation": {},
        f"/portal/orders/{quote(RECENTLY_DELIVERED_ORDER_NUMBER)}/claims": {
            "issue": "MISSING_ITEM",
            "lines": [{"sku": "MUG-001", "quantity": 1}],
        },
    }
    for path, payload in asked.items():
        answer = httpx.post(f"{stack.url}{path}", json=payload, headers=shopper, timeout=10)
        assert answer.status_code == 201, answer.text
        assert answer.json()["reference"] in KNOWN_REQUESTS


def test_the_fuzzer_holds_credentials_for_every_security_scheme_in_use() -> None:
    # Given the security schemes the document's operations require
    used = {
        scheme
        for operation in schema.get_all_operations()
        for requirement in operation.ok().definition.raw.get("security", [])
        for scheme in requirement
    }
    # Then the fuzzer can call each operation as its rightful caller
    missing = sorted(used - set(CREDENTIALS))
    assert not missing, f"Add the headers for {missing} to CREDENTIALS in {__name__}"


# The parametrization by callers also gives each operation's test a node id of its own: under
# pytest 9, schemathesis 4.32 names them all alike, and pytest-xdist would run only the first.
@schema.parametrize()
@pytest.mark.parametrize("callers", [CREDENTIALS], ids=["rightful-callers"])
def test_the_api_answers_as_its_document_says(
    case: schemathesis.Case, stack: RunningStack, callers: Credentials
) -> None:
    # Given a generated request, sent with its operation's credentials
    # When the local stack answers it
    # Then the answer is no 5xx, and is what the document declares
    case.call_and_validate(
        base_url=stack.url, headers=credentials(case, stack, callers), checks=CHECKS, timeout=10
    )
