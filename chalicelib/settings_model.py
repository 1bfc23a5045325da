"""The settings model: every knob, read from the environment (and SSM Parameter Store in AWS).
Loaded by `chalicelib.settings.get_settings()` at the first reading."""

from __future__ import annotations

import re
from typing import Annotated, NamedTuple

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Sober enough for any shop until the merchant sets theirs.
DEFAULT_BRAND_COLOR = "#1f3a5f"


class Settings(BaseSettings):
    """Every knob of returns-desk. Environment variable names are the field names in capitals.

    A secret may be given directly (`ADMIN_API_TOKEN`) or as the name of an SSM SecureString
    parameter (`ADMIN_API_TOKEN_PARAMETER`), which is how the deployed stages receive them.
    """

    # An empty variable counts as unset: `ADMIN_API_TOKEN=` must never mean "the empty token".
    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", frozen=True, env_ignore_empty=True
    )

    table_name: str = "returns-desk"
    # The return lifecycle state machine; without it returns are moved by people only.
    lifecycle_state_machine_arn: str | None = None

    gorgias_widget_token: SecretStr | None = None
    gorgias_widget_token_parameter: str | None = None
    admin_api_token: SecretStr | None = None
    admin_api_token_parameter: str | None = None

    # Gorgias REST API credentials. When all three are set, approve/reject check the agent's
    # role and post an internal note on the ticket.
    gorgias_subdomain: str | None = None
    gorgias_api_email: str | None = None
    gorgias_api_key: SecretStr | None = None
    gorgias_api_key_parameter: str | None = None
    gorgias_role_cache_seconds: int = Field(default=600, ge=0)
    gorgias_timeout_seconds: float = Field(default=3.0, gt=0)
    # A 429 asking us to wait longer than this is treated as an outage rather than slept through:
    # the agent is waiting on the answer.
    gorgias_max_retry_after_seconds: float = Field(default=3.0, ge=0)
    # The background work (tickets, notes, chat replies) waits out a 429 up to this long before
    # leaving the retry to the stream or the queue.
    gorgias_background_max_retry_after_seconds: float = Field(default=20.0, ge=0)
    # The account's 40 requests / 20 s (2 a second) are shared with every other app on it:
    # returns-desk keeps to this many a second from each running function, of which at most four
    # call Gorgias in the background (two chat intakes, two Gorgias updates): the account's rate
    # at worst, in a burst, where the 429s' Retry-after is honoured. Lower makes a chat reply wait
    # longer (a reply, its tags and its note are three calls).
    gorgias_max_rps: float = Field(default=0.5, gt=0, le=40)
    # The FIFO queue between the return events and the Gorgias tickets and notes they make.
    gorgias_updates_queue_url: str | None = None
    # Only the local stack's stand-in for Gorgias: another base URL than
    # https://<subdomain>.gorgias.com/api/ is refused anywhere else.
    gorgias_api_url: str | None = None
    # The chat intake: the queue its route hands messages to, and how long a conversation that
    # still misses the order number or the reason is remembered.
    chat_intake_queue_url: str | None = None
    chat_conversation_hours: int = Field(default=48, ge=1, le=24 * 14)
    # The merchant console's address of a return is `<CONSOLE_URL>/returns/<reference>`; unset,
    # `<PUBLIC_BASE_URL>/console`, or the widget shows no link.
    console_url: str | None = None
    # Who may sign in to the merchant console (comma-separated emails; empty: no one), and for
    # how long a sign-in lasts.
    console_users: str = ""
    console_session_minutes: int = Field(default=8 * 60, ge=5, le=7 * 24 * 60)
    # Set by the local stack (`make run`) only: lets peers listen on the loopback address.
    local_stack: bool = False

    # Outgoing webhooks: the queue of their deliveries, and each attempt's timeout.
    webhook_deliveries_queue_url: str | None = None
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=30)

    # The Shopify Admin API (refunds, store credit, replacement orders). Without the shop and
    # its token, refunds are recorded for the merchant to pay in their back office.
    shopify_shop_domain: str | None = Field(
        default=None, pattern=r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$"
    )
    shopify_admin_token: SecretStr | None = None
    shopify_admin_token_parameter: str | None = None
    # An app made in the Dev Dashboard (new apps, since 2026) has no fixed token: its client id
    # and secret are exchanged for a token that lasts a day. Either these or the token above.
    shopify_client_id: str | None = None
    shopify_client_secret: SecretStr | None = None
    shopify_client_secret_parameter: str | None = None
    shopify_api_version: str = Field(default="2026-04", pattern=r"^\d{4}-\d{2}$")
    shopify_timeout_seconds: float = Field(default=10.0, gt=0, le=30)
    # Only the local stack's stand-in for Shopify: another base URL than
    # https://<shop>.myshopify.com is refused anywhere else.
    shopify_api_url: str | None = None

    # Shopify signs its webhooks with this secret (HMAC-SHA256 of the raw body).
    shopify_webhook_secret: SecretStr | None = None
    shopify_webhook_secret_parameter: str | None = None

    # The shoppers' portal: login codes are hashed and session tokens signed with this secret.
    portal_secret: SecretStr | None = None
    portal_secret_parameter: str | None = None
    portal_session_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # The function the sign-in route hands requests to (app.py's `send_login_code`, by its
    # deployed name); unset, the code is sent before the route answers (tests, bare local runs).
    login_code_function: str | None = None
    login_code_minutes: int = Field(default=10, ge=1, le=60)
    login_code_attempts: int = Field(default=5, ge=1, le=20)
    # Who the shoppers' emails come from, and whose name they carry.
    merchant_name: str = "Our store"
    sender_email: str = "returns@example.com"
    support_email: str = "support@example.com"
    # The emails' look: the merchant's logo (the one image they load) and brand colour (the
    # header's rule and the buttons).
    brand_logo_url: str | None = Field(default=None, pattern=r"^https?://")
    brand_color: str = Field(default=DEFAULT_BRAND_COLOR, pattern=r"^#[0-9a-fA-F]{6}$")
    # The shoppers' portal page; the emails' button follows a return at
    # `<PORTAL_URL>?return=<reference>`. Unset: `<PUBLIC_BASE_URL>/portal/`, or no button.
    portal_url: str | None = Field(default=None, pattern=r"^https?://")
    # The shop's origins (`https://shop.example.com`, comma-separated) that may frame the portal
    # page and call the portal API from their own pages (CORS). Never `*`: any site could then
    # read a shopper's answers.
    portal_allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # The status email job, every few minutes: at most this many emails a run (the rest wait for
    # the next), and this many tries of one email before it is set aside as failed.
    status_email_batch_size: int = Field(default=200, ge=1, le=1000)
    status_email_max_attempts: int = Field(default=5, ge=1, le=100)
    # The daily reminder of returns waiting for a decision names at most this many, oldest first.
    decision_reminder_limit: int = Field(default=50, ge=1, le=500)
    # Where shoppers upload photos of returned items (presigned uploads).
    returns_bucket: str | None = None
    photo_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)

    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    widget_size: int = Field(default=5, ge=1, le=20)
    public_base_url: str | None = None

    @field_validator("portal_allowed_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> tuple[str, ...]:
        listed = value.split(",") if isinstance(value, str) else value or ()
        # Browsers send an origin in lower case, without a trailing slash.
        origins = tuple(o for o in (str(x).strip().rstrip("/").lower() for x in listed) if o)
        for origin in origins:
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{origin!r} is not an origin: scheme://host[:port], no path, no wildcard"
                )
        return origins

    @model_validator(mode="after")
    def _secrets_from_parameter_store(self) -> Settings:
        for field in (
            "gorgias_widget_token",
            "admin_api_token",
            "gorgias_api_key",
            "shopify_webhook_secret",
            "portal_secret",
            "shopify_admin_token",
            "shopify_client_secret",
        ):
            parameter = getattr(self, f"{field}_parameter")
            if getattr(self, field) is None and parameter:
                object.__setattr__(self, field, SecretStr(_read_secure_parameter(parameter)))
        return self

    @model_validator(mode="after")
    def _gorgias_is_gorgias(self) -> Settings:
        # Outgoing calls never reach a private or loopback address outside the local stack:
        # the subdomain names a host under gorgias.com, and only the local stack may point the
        # client anywhere else.
        if self.gorgias_subdomain and not _SUBDOMAIN.fullmatch(self.gorgias_subdomain):
            raise ValueError("GORGIAS_SUBDOMAIN is the `acme` of acme.gorgias.com")
        if self.gorgias_api_url and not self.local_stack:
            raise ValueError("GORGIAS_API_URL is for the local stack only")
        if self.shopify_api_url and not self.local_stack:
            raise ValueError("SHOPIFY_API_URL is for the local stack only")
        return self

    @property
    def console_page_url(self) -> str | None:
        """The console's public address: CONSOLE_URL, else PUBLIC_BASE_URL's `/console`."""
        if self.console_url:
            return self.console_url
        return f"{self.public_base_url.rstrip('/')}/console" if self.public_base_url else None

    @property
    def portal_page_url(self) -> str | None:
        """The portal page's public address: PORTAL_URL, else PUBLIC_BASE_URL's `/portal/`."""
        if self.portal_url:
            return self.portal_url
        return f"{self.public_base_url.rstrip('/')}/portal/" if self.public_base_url else None

    @property
    def gorgias_credentials(self) -> GorgiasCredentials | None:
        """The Gorgias REST API credentials, or None unless all three are set."""
        if self.gorgias_subdomain and self.gorgias_api_email and self.gorgias_api_key:
            return GorgiasCredentials(
                self.gorgias_api_url or f"https://{self.gorgias_subdomain}.gorgias.com/api/",
                self.gorgias_api_email,
                self.gorgias_api_key.get_secret_value(),
            )
        return None


_SUBDOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?")


class GorgiasCredentials(NamedTuple):
    base_url: str
    api_email: str
    api_key: str


def _read_secure_parameter(name: str) -> str:
    # Imported here: only deployed stages read SSM, and the import pulls in boto3.
    from aws_lambda_powertools.utilities.parameters import get_parameter

    return str(get_parameter(name, decrypt=True))
