"""Specification of the returns bucket's CORS rule: browsers post photos to it from the portal
page (at the API's address or PUBLIC_BASE_URL) and from the shop's own pages, from no other
origin, and may do nothing else there."""

from __future__ import annotations

from deploy.bucket import API_GATEWAY_ORIGINS, photo_upload_origins, returns_bucket_resource
from deploy.cfn import sub
from deploy.stage import StageNames


def test_photos_are_posted_from_the_api_the_public_address_and_the_shops_origins() -> None:
    # Given a stage with a custom domain and two shop origins
    environment = {
        "PUBLIC_BASE_URL": "https://returns.shop.example.com/",
        "PORTAL_ALLOWED_ORIGINS": "https://shop.example.com, https://www.shop.example.com/",
    }
    # Then those are the origins, the API's own address first
    assert photo_upload_origins(environment) == [
        sub(API_GATEWAY_ORIGINS),
        "https://returns.shop.example.com",
        "https://shop.example.com",
        "https://www.shop.example.com",
    ]


def test_the_bucket_takes_posts_from_those_origins_only() -> None:
    # Given a stage without a custom domain or shop origins
    origins = photo_upload_origins({})
    # When the bucket is described
    bucket = returns_bucket_resource(StageNames("returns-desk", "dev"), origins)
    # Then its one rule allows a POST from the API's address, and never from any origin
    [rule] = bucket["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedMethods"] == ["POST"]
    assert rule["AllowedOrigins"] == [sub(API_GATEWAY_ORIGINS)]
    assert "*" not in rule["AllowedOrigins"]
    assert rule["MaxAge"] == 3000
