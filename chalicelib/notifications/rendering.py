"""From templates to an email: the one Jinja environment, and the HTML part with its CSS
inlined on each element, since some mail clients strip or ignore a `<style>` block."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from css_inline import CSSInliner
    from jinja2 import Environment

    from chalicelib.notifications.brand import Brand

_TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    # Which email it is, as EmailMessage.kind.
    kind: str


@dataclass(frozen=True)
class Button:
    """The one call to action of an email: a button in HTML, a line in the text."""

    label: str
    url: str


@dataclass(frozen=True)
class _LayoutWording:
    questions: str
    # French sets a space before a colon.
    colon: str


_LAYOUT_WORDING = {
    "en": _LayoutWording(questions="Questions? Write to", colon=":"),
    "fr": _LayoutWording(questions="Une question ? Écrivez à", colon=" :"),
}


def render_email(
    template: str,
    subject: str,
    context: dict[str, Any],
    *,
    brand: Brand,
    lang: str,
    preheader: str,
    kind: str,
) -> RenderedEmail:
    """`<template>.txt.j2` and `<template>.html.j2` rendered with `context`, in the layout of
    `brand` and `lang`. `preheader` is what inboxes show after the subject."""
    templates = environment()
    context = {
        **context,
        "subject": subject,
        "brand": brand,
        "lang": lang,
        "preheader": preheader,
        "layout": _LAYOUT_WORDING[lang],
    }
    return RenderedEmail(
        subject=subject,
        text=templates.get_template(f"{template}.txt.j2").render(context),
        html=_inliner().inline(templates.get_template(f"{template}.html.j2").render(context)),
        kind=kind,
    )


@cache
def environment() -> Environment:
    """The templates, loaded on the first email rather than at import (cold start): every
    request imports the notifications through the RMA service, few of them render an email."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(_TEMPLATES),
        # HTML escapes every value; plain text must not, or "O'Brien" reads "O&#39;Brien".
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _inliner() -> CSSInliner:
    # Imported on the first email, like Jinja. The media queries stay in the head: phones apply
    # them, and they cannot be inlined. Nothing is fetched: the layout links no stylesheet.
    import css_inline

    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
