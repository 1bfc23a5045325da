"""The return policy, read, replaced or changed by the merchant through the admin API.

Every change names the version its editor read (`GET` answers it): a change without one is a
428, one from a version since replaced a 409, so that no one silently undoes anyone else's.
"""

from __future__ import annotations

from chalice import Blueprint
from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from chalicelib.api.auth import admin_token_guard
from chalicelib.api.models.admin import ChangePolicyRequest, PolicyResponse, ReplacePolicyRequest
from chalicelib.api.routing import Router
from chalicelib.services import container

policy = Blueprint(__name__)
routes = Router(policy, guard=admin_token_guard, security="admin", tags=("policy",))


@routes.get("/config/policy", summary="Read the return policy")
def get_policy() -> PolicyResponse:
    current, version = container.policy_service().current_with_version()
    return PolicyResponse(policy=current, version=version)


@routes.put("/config/policy", summary="Replace the return policy", errors=[409, 428])
def replace_policy(body: ReplacePolicyRequest) -> PolicyResponse:
    stored, version = container.policy_service().replace(body.policy, body.version)
    return PolicyResponse(policy=stored, version=version)


@routes.patch(
    "/config/policy", summary="Change some fields of the return policy", errors=[409, 428]
)
def change_policy(body: ChangePolicyRequest) -> PolicyResponse:
    """Change only the fields named, from the version read; answers the whole policy."""
    try:
        stored, version = container.policy_service().change(body.policy, body.version)
    except ValidationError as error:
        raise _within_body_field("policy", error) from None
    return PolicyResponse(policy=stored, version=version)


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
