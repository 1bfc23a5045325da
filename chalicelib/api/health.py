"""GET /health, for load balancers and uptime checks."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.models.common import HealthResponse
from chalicelib.api.routing import Router

liveness = Blueprint(__name__)
routes = Router(liveness, tags=("health",))


@routes.get("/health", summary="Liveness")
def health() -> HealthResponse:
    """The one route without auth: load balancers and uptime checks call it."""
    return HealthResponse(status="ok")
