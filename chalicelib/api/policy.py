"""The return policy, read, replaced or changed by the merchant through the admin API.

Every change names the version its editor read (`GET` answers it): a change without one is a
428, one from a version since replaced a 409, so that no one silently undoes anyone else's.
"""

from __future__ import annotations

from typing import Annotated, Any

from chalice import Blueprint, Response
from pydantic import Field, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from chalicelib.api.http import bearer_token_guard, json_response, parse_body, route
from chalicelib.api.representations import ResponseModel
from chalicelib.api.requests import RequestModel
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.services import container
from chalicelib.settings import get_settings

policy = Blueprint(__name__)
_guard = bearer_token_guard(lambda: get_settings().admin_api_token)


# Optional to the parser only, so that a body without it is answered 428 (precondition
# required), which says what to do, rather than a 400 like any invalid field.
EditedVersion = Annotated[
    Annotated[int, Field(ge=0)] | None,
    Field(
        description="The version the policy was read at (GET /config/policy). Required: a "
        "change without it is refused with 428, one from an older version with 409."
    ),
]


class ReplacePolicyRequest(RequestModel):
    """Body of `PUT /config/policy`: the whole policy, and the version it was edited from."""

    policy: ReturnPolicy
    version: EditedVersion = None


class ChangePolicyRequest(RequestModel):
    """Body of `PATCH /config/policy`: the fields to change (objects field by field, any other
    value replaced, null clearing what may be empty), and the version they were decided on."""

    policy: dict[str, Any]
    version: EditedVersion = None


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
    errors=[409, 428],
)
def replace_policy() -> Response:
    request = parse_body(policy.current_request, ReplacePolicyRequest)
    stored, version = container.policy_service().replace(request.policy, request.version)
    return json_response(PolicyResponse(policy=stored, version=version))


@route(
    policy,
    "/config/policy",
    methods=["PATCH"],
    guard=_guard,
    security="admin",
    summary="Change some fields of the return policy",
    tags=("policy",),
    body=ChangePolicyRequest,
    responses={200: PolicyResponse},
    errors=[409, 428],
)
def change_policy() -> Response:
    """Change only the fields named, from the version read; answers the whole policy."""
    request = parse_body(policy.current_request, ChangePolicyRequest)
    try:
        stored, version = container.policy_service().change(request.policy, request.version)
    except ValidationError as error:
        raise _within_body_field("policy", error) from None
    return json_response(PolicyResponse(policy=stored, version=version))


def _within_body_field(field: str, error: ValidationError) -> ValidationError:
    """`error` about the policy the changes make, its fields named from the body's `field` as
    the caller wrote them (`policy.return_fee`), as a PUT names them."""
    problems: list[InitErrorDetails] = [
        {
            "type": PydanticCustomError(problem["type"], problem["msg"]),
            "loc": (field, *problem["loc"]),
            "input": problem["input"],
        }
        for problem in error.errors()
    ]
    return ValidationError.from_exception_data(error.title, problems)
