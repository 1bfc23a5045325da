"""Specification of the portal page, GET /portal/: public, in the shopper's language, with every
message of both languages for its script, its own hashed assets only, and a policy that lets
it reach nothing but the app and the returns bucket, framed only by the shop's origins."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest

from chalicelib.pages.assets import asset_url
from chalicelib.pages.portal_messages import catalogues
from chalicelib.repositories.aws import client
from tests.support import reconfigure

SHOP = "https://shop.example.com"


@pytest.fixture
def bucket(api: Any) -> None:
    client("s3").create_bucket(Bucket=os.environ["RETURNS_BUCKET"])


def policy_of(response: Any) -> dict[str, list[str]]:
    """The Content-Security-Policy, directive by directive."""
    directives = [part.split() for part in response.headers["Content-Security-Policy"].split(";")]
    return {name: sources for name, *sources in directives}


def test_the_page_is_public_and_never_cached(api: Any) -> None:
    # When a shopper opens the portal, without any credential, with or without the slash
    for path in ("/portal/", "/portal"):
        response = api.http.get(path)
        # Then it is a page, kept by no cache
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.headers["Cache-Control"] == "no-store"


def test_the_page_links_its_own_hashed_assets_and_nothing_from_elsewhere(api: Any) -> None:
    html = api.http.get("/portal/").body.decode()
    for name in ("base.css", "portal.css", "portal.js"):
        assert asset_url(name) in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(source.startswith(("/", "#", "?")) for source in sources), sources
    # And no inline script: the only script block is data
    assert re.findall(r"<script(?![^>]*(?:src=|type=\"application/json\"))", html) == []


def test_the_page_may_reach_only_the_app_and_the_returns_bucket(api: Any, bucket: None) -> None:
    policy = policy_of(api.http.get("/portal/"))
    bucket_origin = "https://returns-desk-returns-test.s3.amazonaws.com"
    assert policy["script-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'", bucket_origin]
    assert policy["img-src"] == ["'self'", "data:", "blob:", bucket_origin]
    assert all("'unsafe-inline'" not in sources for sources in policy.values())


def test_the_page_may_show_the_shoppers_photos_from_the_links_the_api_signs(
    api: Any, bucket: None
) -> None:
    from urllib.parse import urlsplit

    from chalicelib.services import container

    link = urlsplit(container.photo_store().view_url("returns/R1/photos/a.jpg"))
    assert f"{link.scheme}://{link.netloc}" in policy_of(api.http.get("/portal/"))["img-src"]


def test_the_page_is_framed_only_by_itself_and_the_shops_origins(
    api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert policy_of(api.http.get("/portal/"))["frame-ancestors"] == ["'self'"]
    reconfigure(monkeypatch, PORTAL_ALLOWED_ORIGINS=f"{SHOP},http://localhost:3000")
    assert policy_of(api.http.get("/portal/"))["frame-ancestors"] == [
        "'self'",
        SHOP,
        "http://localhost:3000",
    ]


@pytest.mark.parametrize(
    ("query", "accept_language", "expected"),
    [
        ("", None, "en"),
        ("", "fr-FR,fr;q=0.9,en;q=0.5", "fr"),
        ("", "de-DE,fr;q=0.8", "fr"),
        ("", "de-DE", "en"),
        ("?lang=fr", "en-US", "fr"),
        ("?lang=en", "fr-FR", "en"),
        ("?lang=xx", "fr-FR", "fr"),
    ],
)
def test_the_page_speaks_the_language_asked_for_else_the_browsers(
    api: Any, query: str, accept_language: str | None, expected: str
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    html = api.http.get(f"/portal/{query}", headers=headers).body.decode()
    assert f'<html lang="{expected}">' in html
    assert catalogues()[expected]["signin.title"] in html


def test_the_page_carries_every_message_in_both_languages(api: Any) -> None:
    html = api.http.get("/portal/").body.decode()
    block = re.search(r'<script type="application/json" id="portal-messages">(.*?)</script>', html)
    assert block is not None
    messages = json.loads(block.group(1))
    assert set(messages) == {"en", "fr"}
    assert set(messages["en"]) == set(messages["fr"])
    assert messages["fr"]["error.invalid_code"].startswith("Ce code")


def test_every_api_error_a_shopper_can_meet_has_its_message() -> None:
    from chalicelib.errors import ReturnsDeskError

    codes = {error.code for error in _subclasses(ReturnsDeskError)} - {"error"}
    codes |= {"validation_error", "malformed_json", "internal_error"}
    # Never answered by a portal route: the admin API's own.
    codes -= {"forbidden", "precondition_required", "refund_declined"}
    codes -= {code for code in codes if code.startswith("webhook_")}
    english = catalogues()["en"]
    assert sorted(code for code in codes if f"error.{code}" not in english) == []


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found | {deeper for sub in found for deeper in _subclasses(sub)}
