"""The email carrying a shopper's sign-in code to the portal, in the emails' layout."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.labels import language
from chalicelib.integrations.email import EmailMessage
from chalicelib.notifications.brand import Brand
from chalicelib.notifications.rendering import render_email


@dataclass(frozen=True)
class _LoginWording:
    subject: str
    intro: str
    expiry: str
    not_you: str


_LOGIN_WORDING = {
    "en": _LoginWording(
        subject="{merchant}: your sign-in code",
        intro="Your sign-in code is:",
        expiry="Enter it on the returns page within {minutes} minutes.",
        not_you="If you did not ask for it, ignore this email: nobody can sign in without it.",
    ),
    "fr": _LoginWording(
        subject="{merchant}: votre code de connexion",
        intro="Votre code de connexion :",
        expiry="Saisissez-le sur la page des retours dans les {minutes} minutes.",
        not_you=(
            "Si vous ne l'avez pas demandé, ignorez ce message : personne ne peut se connecter "
            "sans lui."
        ),
    ),
}


def login_code_email(code: str, *, brand: Brand, minutes: int, locale: str | None) -> EmailMessage:
    """The email carrying a shopper's login code, in French for French locales, else English."""
    lang = language(locale)
    wording = _LOGIN_WORDING[lang]
    expiry = wording.expiry.format(minutes=minutes)
    rendered = render_email(
        "login_code",
        wording.subject.format(merchant=brand.name),
        {"w": wording, "code": code, "expiry": expiry},
        brand=brand,
        lang=lang,
        # What the inbox shows under the subject: the code, without opening the email.
        preheader=f"{wording.intro} {code}",
        kind="sign-in-code",
    )
    return EmailMessage(
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        reply_to=brand.support_email,
        kind=rendered.kind,
    )
