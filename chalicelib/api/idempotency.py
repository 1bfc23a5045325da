"""`Idempotency-Key` on the routes that create: a client that retries (a double click, a
timeout) with the same key and body within a day gets the first answer again, and nothing is
created twice; the same key with another body is a 409. Powertools Idempotency keeps the
records in the table; only successful answers are kept (a refusal is raised, and Powertools
keeps no record of a call that raised), so a refused request may be retried with its key once
corrected."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.api.errors import JSON_HEADERS, error_response
from chalicelib.errors import InvalidRequestError

IDEMPOTENCY_HEADER = "idempotency-key"
IDEMPOTENCY_SECONDS = 24 * 60 * 60
# What clients send: a UUID, or any other printable token of reasonable length.
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def created_once(
    request: Request, scope: str, create: Callable[[], Response], lambda_context: Any = None
) -> Response:
    """`create()`'s answer, or, for a key `scope` (the caller: the admin system, a shopper)
    already used with the same body, the answer it got then. `lambda_context` bounds how long
    a request that died midway holds its key (the Lambda's timeout, not a day)."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return create()
    if not _KEY.match(key):
        raise InvalidRequestError(
            "Idempotency-Key must be 1 to 255 printable ASCII characters.",
            {"field": "Idempotency-Key"},
        )
    from aws_lambda_powertools.utilities.idempotency import (
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    from chalicelib.services import container

    config = IdempotencyConfig(
        event_key_jmespath="[scope, key]",
        payload_validation_jmespath="body",
        expires_after_seconds=IDEMPOTENCY_SECONDS,
    )
    if lambda_context is not None and hasattr(lambda_context, "get_remaining_time_in_millis"):
        config.register_lambda_context(lambda_context)

    def run(attempt: dict[str, Any]) -> dict[str, Any]:
        response = create()
        return {
            "status": response.status_code,
            "headers": dict(response.headers),
            "body": response.body,
        }

    once = idempotent_function(
        data_keyword_argument="attempt",
        persistence_store=container.creation_idempotency(),
        config=config,
    )(run)
    body_hash = hashlib.sha256(request.raw_body or b"").hexdigest()
    try:
        answer = once(attempt={"scope": scope, "key": key, "body": body_hash})
    except IdempotencyValidationError:
        return error_response(
            409,
            "idempotency_key_reused",
            "This Idempotency-Key was used with another request body.",
            {"field": "Idempotency-Key"},
        )
    except IdempotencyAlreadyInProgressError:
        return error_response(
            409,
            "request_in_progress",
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            {"field": "Idempotency-Key"},
        )
    return Response(
        body=answer["body"],
        status_code=answer["status"],
        headers={**JSON_HEADERS, **answer["headers"]},
    )
