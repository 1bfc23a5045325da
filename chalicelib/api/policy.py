"""The return policy, read and replaced by the merchant through the admin API."""

from __future__ import annotations

from typing import Annotated

from chalice import Blueprint, Response
from pydantic import Field

from chalicelib.api.http import bearer_token_guard, json_response, parse_body, route
from chalicelib.api.representations import ResponseModel
from chalicelib.api.requests import RequestModel
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.services import container
from chalicelib.settings import get_settings

policy = Blueprint(__name__)
_guard = bearer_token_guard(lambda: get_settings().admin_api_token)


class ReplacePolicyRequest(RequestModel):
    """Body of `PUT /config/policy`: the whole policy, and the version it was edited from."""

    policy: ReturnPolicy
    # The version the editor read; without it the last writer wins.
    version: Annotated[int, Field(ge=0)] | None = None


class PolicyResponse(ResponseModel):
    policy: ReturnPolicy
    version: int


@route(
    policy,
    "/config/policy",
    guard=_guard,
    security="admin",
    summary="Read the return policy",
    tags=("policy",),
    responses={200: PolicyResponse},
)
def get_policy() -> Response:
    current, version = container.policy_service().current_with_version()
    return json_response(PolicyResponse(policy=current, version=version))


@route(
    policy,
    "/config/policy",
    methods=["PUT"],
    guard=_guard,
    security="admin",
    summary="Replace the return policy",
    tags=("policy",),
    body=ReplacePolicyRequest,
    responses={200: PolicyResponse},
    errors=[409],
)
def replace_policy() -> Response:
    request = parse_body(policy.current_request, ReplacePolicyRequest)
    stored, version = container.policy_service().replace(request.policy, request.version)
    return json_response(PolicyResponse(policy=stored, version=version))
