"""GET /portal/: the shoppers' return portal, a page over the portal API.

The server renders the page's shell in the shopper's language with every message of both
languages in it; the page's script (static/portal.js) signs in and calls the portal API from
the browser. The shop may link to the page or frame it (PORTAL_ALLOWED_ORIGINS); photos go
from the browser straight to the returns bucket, and the shopper's own are shown from it with
the links the API signs: the bucket is the one other origin the page may reach.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from chalice import Blueprint, Response

from chalicelib.errors import DependencyUnavailableError
from chalicelib.pages.portal_messages import catalogues, page_language
from chalicelib.pages.rendering import base_path, content_security_policy, page
from chalicelib.pages.routing import PageRouter
from chalicelib.settings import get_settings

portal_page = Blueprint(__name__)
pages = PageRouter(portal_page)


@pages.get("/portal")
def portal() -> Response:
    request = portal_page.current_request
    query = request.query_params or {}
    settings = get_settings()
    lang = page_language(query.get("lang"), request.headers.get("accept-language"))
    bucket = photo_upload_origin()
    uploads = (bucket,) if bucket else ()
    policy = content_security_policy(
        images=("blob:", *uploads),
        connect=uploads,
        frame_ancestors=("'self'", *settings.portal_allowed_origins),
    )
    messages = catalogues()
    context = {
        "lang": lang,
        "base": base_path(request),
        "merchant_name": settings.merchant_name,
        "messages": messages,
        # Read by the script; `</` cannot close the script block from inside JSON text.
        "messages_json": json.dumps(messages, ensure_ascii=False).replace("</", "<\\/"),
        # A link's `?lang=` is the shopper's choice: the order's language does not replace it.
        "lang_from_query": query.get("lang") == lang,
    }
    return page("portal/page.html.j2", context, policy=policy)


def photo_upload_origin() -> str | None:
    """Where the browser posts photos, and loads them from: the origin of the returns bucket's
    presigned POST URL (S3's, or the local stack's moto), which its presigned GET links share,
    signed here without a call; None without a bucket."""
    from chalicelib.services import container

    try:
        upload = container.photo_store().presign_upload("portal/origin", "image/png")
    except DependencyUnavailableError:
        return None
    parts = urlsplit(upload.url)
    return f"{parts.scheme}://{parts.netloc}"
