"""Builds each service once per process from the settings (STYLE: created once, lru_cache)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.repositories.lifecycle_executions import LifecycleExecutions
from chalicelib.repositories.rma_repository import RmaRepository
from chalicelib.services.gorgias_decisions import GorgiasDecisionService
from chalicelib.services.rma_service import RmaService
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    # Built only where used: most requests need few of these, and Lambda cold starts pay for
    # every import.
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from chalicelib.integrations.cancellations import OrderCanceller
    from chalicelib.integrations.chat_queue import ChatQueue
    from chalicelib.integrations.email import EmailSender
    from chalicelib.integrations.gorgias import GorgiasClient
    from chalicelib.integrations.labels import LabelProvider
    from chalicelib.integrations.payments import PaymentProvider
    from chalicelib.integrations.shopify_admin import ShopifyAdmin
    from chalicelib.integrations.shopify_exchanges import ShopifyCatalog, ShopifyDraftOrders
    from chalicelib.integrations.webhook_queue import WebhookQueue
    from chalicelib.integrations.webhook_sender import WebhookSender
    from chalicelib.repositories.analytics_counters import AnalyticsCounters
    from chalicelib.repositories.cursor_codec import CursorCodec
    from chalicelib.repositories.email_outbox import EmailOutbox
    from chalicelib.repositories.inspection_files import InspectionFiles
    from chalicelib.repositories.photo_store import PhotoStore
    from chalicelib.repositories.webhook_deliveries import WebhookDeliveries
    from chalicelib.repositories.webhook_endpoints import WebhookEndpoints
    from chalicelib.services.analytics import AnalyticsService
    from chalicelib.services.chat_intake import ChatIntakeService
    from chalicelib.services.claim_settlement import ClaimSettlements
    from chalicelib.services.console_returns import ConsoleReturns
    from chalicelib.services.decision_reminder import DecisionReminder
    from chalicelib.services.gorgias_tickets import GorgiasTicketUpdates, GorgiasUpdatesDue
    from chalicelib.services.handling_service import HandlingService
    from chalicelib.services.inspection_service import InspectionService
    from chalicelib.services.intake import ReturnIntake
    from chalicelib.services.lifecycle_tasks import LifecycleTasks
    from chalicelib.services.order_requests import OrderRequestService
    from chalicelib.services.order_service import OrderService
    from chalicelib.services.policy_service import PolicyService
    from chalicelib.services.portal_auth import PortalAuthService, SessionTokens
    from chalicelib.services.portal_service import PortalService
    from chalicelib.services.replacement_orders import ReplacementOrders
    from chalicelib.services.return_events import (
        OrderRequestEventDispatcher,
        ReturnEventDispatcher,
    )
    from chalicelib.services.shopify_webhooks import ShopifyWebhooks
    from chalicelib.services.status_email_job import StatusEmailJob
    from chalicelib.services.webhook_delivery import WebhookDeliveryService
    from chalicelib.services.webhook_endpoints import WebhookEndpointService


@lru_cache(maxsize=1)
def lifecycle_executions() -> LifecycleExecutions | None:
    arn = get_settings().lifecycle_state_machine_arn
    return LifecycleExecutions(arn) if arn else None


@lru_cache(maxsize=1)
def cursor_codec() -> CursorCodec:
    import os

    from chalicelib.repositories.cursor_codec import CursorCodec

    # The listings that page are the admin API's: its token is the secret every instance
    # shares. Rotating it retires the cursors handed out before, which a client reads as a
    # bad cursor and starts over. Without one, no listing can be asked for at all.
    token = get_settings().admin_api_token
    return CursorCodec(token.get_secret_value().encode() if token else os.urandom(32))


@lru_cache(maxsize=1)
def rma_service() -> RmaService:
    return RmaService(RmaRepository(get_settings().table_name, cursors=cursor_codec()))


@lru_cache(maxsize=1)
def console_returns() -> ConsoleReturns:
    from chalicelib.services.console_returns import ConsoleReturns

    # The admin API's cursor codec: the cursors of both lists are signed alike.
    return ConsoleReturns(RmaRepository(get_settings().table_name, cursors=cursor_codec()))


@lru_cache(maxsize=1)
def email_outbox() -> EmailOutbox:
    from chalicelib.repositories.email_outbox import EmailOutbox

    return EmailOutbox(get_settings().table_name)


@lru_cache(maxsize=1)
def return_event_dispatcher() -> ReturnEventDispatcher:
    """Every reaction to a change of a return, in the order they are given each event."""
    from chalicelib.services.return_events import ReturnEventDispatcher
    from chalicelib.services.status_emails_due import StatusEmailsDue

    executions = lifecycle_executions()
    subscribers: list[Any] = []
    if executions is not None:
        from chalicelib.services.lifecycle import LifecycleHandOffs

        subscribers.append(LifecycleHandOffs(executions))
    subscribers.append(
        StatusEmailsDue(email_outbox(), label_follows_approval=executions is not None)
    )
    gorgias_updates = gorgias_updates_due()
    if gorgias_updates is not None:
        subscribers.append(gorgias_updates)
    queue = webhook_queue()
    if queue is not None:
        from chalicelib.services.webhook_subscriber import WebhooksDue

        subscribers.append(WebhooksDue(webhook_endpoints(), webhook_deliveries(), queue))
    subscribers.append(replacement_orders())
    from chalicelib.services.analytics import ReturnAnalytics

    subscribers.append(ReturnAnalytics(analytics_counters()))
    return ReturnEventDispatcher(subscribers)


@lru_cache(maxsize=1)
def replacement_orders() -> ReplacementOrders:
    """Exchanges' replacements, ordered in the shop; without the Shopify Admin API, left to
    the merchant (the return says so)."""
    from chalicelib.services.replacement_orders import ReplacementOrders

    return ReplacementOrders(rma_service(), policy_service().current, draft_orders())


@lru_cache(maxsize=1)
def draft_orders() -> ShopifyDraftOrders | None:
    """The shop's draft orders, which replacements are ordered with; None without Shopify."""
    admin = shopify_admin()
    if admin is None:
        return None
    from chalicelib.integrations.shopify_exchanges import ShopifyDraftOrders

    return ShopifyDraftOrders(admin)


@lru_cache(maxsize=1)
def shopify_catalog() -> ShopifyCatalog | None:
    """The shop's variants an exchange may choose among; None without the Shopify Admin API."""
    admin = shopify_admin()
    if admin is None:
        return None
    from chalicelib.integrations.shopify_exchanges import ShopifyCatalog

    return ShopifyCatalog(admin)


@lru_cache(maxsize=1)
def analytics_counters() -> AnalyticsCounters:
    from chalicelib.repositories.analytics_counters import AnalyticsCounters

    return AnalyticsCounters(get_settings().table_name)


@lru_cache(maxsize=1)
def analytics_service() -> AnalyticsService:
    from chalicelib.services.analytics import AnalyticsService

    return AnalyticsService(analytics_counters())


@lru_cache(maxsize=1)
def policy_service() -> PolicyService:
    from chalicelib.repositories.policy_repository import PolicyRepository
    from chalicelib.services.policy_service import PolicyService

    return PolicyService(PolicyRepository(get_settings().table_name))


@lru_cache(maxsize=1)
def order_service() -> OrderService:
    from chalicelib.repositories.order_repository import OrderRepository
    from chalicelib.services.analytics import SalesCount
    from chalicelib.services.order_service import OrderService

    return OrderService(
        OrderRepository(get_settings().table_name), count_sale=SalesCount(analytics_counters())
    )


@lru_cache(maxsize=1)
def shopify_webhooks() -> ShopifyWebhooks:
    from chalicelib.services.shopify_webhooks import ShopifyWebhooks

    return ShopifyWebhooks(order_service())


@lru_cache(maxsize=1)
def session_tokens() -> SessionTokens:
    from chalicelib.services.portal_auth import build_session_tokens

    return build_session_tokens()


@lru_cache(maxsize=1)
def portal_auth() -> PortalAuthService:
    from chalicelib.services.portal_auth import portal_auth_service

    orders = order_service()
    return portal_auth_service(
        orders.belongs_to, order_locale=orders.customer_locale, tokens=session_tokens()
    )


@lru_cache(maxsize=1)
def console_sessions() -> SessionTokens:
    from chalicelib.services.console_auth import console_session_tokens

    return console_session_tokens()


@lru_cache(maxsize=1)
def console_auth() -> PortalAuthService:
    from chalicelib.services.console_auth import console_auth_service

    return console_auth_service()


@lru_cache(maxsize=1)
def photo_store() -> PhotoStore:
    from chalicelib.errors import DependencyUnavailableError
    from chalicelib.repositories.photo_store import PhotoStore

    settings = get_settings()
    if not settings.returns_bucket:
        raise DependencyUnavailableError("Photo uploads are not configured (RETURNS_BUCKET).")
    return PhotoStore(settings.returns_bucket, settings.photo_max_bytes)


@lru_cache(maxsize=1)
def intake() -> ReturnIntake:
    from chalicelib.services.intake import ReturnIntake

    return ReturnIntake(
        rma_service(),
        policy_service().current,
        orders=order_service(),
        catalog=shopify_catalog,
    )


@lru_cache(maxsize=1)
def portal_service() -> PortalService:
    from chalicelib.services.portal_service import PortalService

    return PortalService(
        rma_service(),
        intake(),
        order_service(),
        policy_service().current,
        photo_store,
        catalog=shopify_catalog,
    )


@lru_cache(maxsize=1)
def order_request_service() -> OrderRequestService:
    from chalicelib.domain.refunds import claim_settlement
    from chalicelib.repositories.order_requests import OrderRequestRepository
    from chalicelib.services.order_requests import OrderRequestService

    return OrderRequestService(
        OrderRequestRepository(get_settings().table_name, cursors=cursor_codec()),
        order_service(),
        policy_service().current,
        photo_store,
        settlement=claim_settlement,
        settler=claim_settler,
        canceller=order_canceller,
    )


@lru_cache(maxsize=1)
def order_canceller() -> OrderCanceller:
    """Accepted cancellations, canceled in the shop; without Shopify, left to a person."""
    admin = shopify_admin()
    if admin is None:
        from chalicelib.integrations.cancellations import ManualCancellation

        return ManualCancellation()
    from chalicelib.integrations.shopify_orders import ShopifyOrders

    return ShopifyOrders(admin)


@lru_cache(maxsize=1)
def claim_settler() -> ClaimSettlements:
    """Claims' refunds, store credit and replacements, by the code that settles returns."""
    from chalicelib.services.claim_settlement import ClaimSettlements
    from chalicelib.services.replacement_orders import ClaimReplacements

    return ClaimSettlements(payment_provider(), ClaimReplacements(draft_orders()))


@lru_cache(maxsize=1)
def order_request_event_dispatcher() -> OrderRequestEventDispatcher:
    """Every reaction to a change of a cancellation request or a claim."""
    from chalicelib.services.order_request_settlement import OrderRequestSettlement
    from chalicelib.services.return_events import OrderRequestEventDispatcher
    from chalicelib.services.status_emails_due import RequestEmailsDue

    subscribers: list[Any] = [
        OrderRequestSettlement(order_request_service()),
        RequestEmailsDue(email_outbox()),
    ]
    gorgias_updates = gorgias_updates_due()
    if gorgias_updates is not None:
        subscribers.append(gorgias_updates)
    queue = webhook_queue()
    if queue is not None:
        from chalicelib.services.webhook_subscriber import WebhooksDue

        subscribers.append(WebhooksDue(webhook_endpoints(), webhook_deliveries(), queue))
    from chalicelib.services.analytics import OrderRequestAnalytics

    subscribers.append(OrderRequestAnalytics(analytics_counters()))
    return OrderRequestEventDispatcher(subscribers)


@lru_cache(maxsize=1)
def handling_service() -> HandlingService:
    from chalicelib.services.handling_service import HandlingService

    return HandlingService(rma_service(), policy_service().current, payment_provider())


@lru_cache(maxsize=1)
def inspection_files() -> InspectionFiles:
    from chalicelib.repositories.inspection_files import InspectionFiles

    return InspectionFiles(get_settings().table_name, cursors=cursor_codec())


@lru_cache(maxsize=1)
def inspection_service() -> InspectionService:
    from chalicelib.services.inspection_service import InspectionService

    return InspectionService(rma_service(), inspection_files())


@lru_cache(maxsize=1)
def inspection_idempotency() -> DynamoDBPersistenceLayer:
    from chalicelib.repositories.idempotency import idempotency_store

    return idempotency_store(get_settings().table_name, "inspections")


@lru_cache(maxsize=1)
def creation_idempotency() -> DynamoDBPersistenceLayer:
    from chalicelib.repositories.idempotency import idempotency_store

    return idempotency_store(get_settings().table_name, "creations")


def label_provider() -> LabelProvider:
    from chalicelib.integrations.labels import ReturnInstructions

    return ReturnInstructions()


def payment_provider() -> PaymentProvider:
    """Refunds and store credit through the Shopify Admin API when the shop and its token are
    set; otherwise recorded for the merchant to pay in their own back office."""
    admin = shopify_admin()
    settings = get_settings()
    # The app's lasting secret is also the gift cards' code secret: a code only this shop's app
    # can make. (A Dev Dashboard app's tokens change daily; its client secret does not.)
    secret = settings.shopify_client_secret or settings.shopify_admin_token
    if admin is None or secret is None:
        from chalicelib.integrations.payments import ManualPayments

        return ManualPayments()
    from chalicelib.integrations.shopify_payments import ShopifyPayments

    return ShopifyPayments(
        admin, policy_service().current, gift_card_secret=secret.get_secret_value().encode()
    )


@lru_cache(maxsize=1)
def shopify_admin() -> ShopifyAdmin | None:
    """The Shopify Admin GraphQL client, or None without SHOPIFY_SHOP_DOMAIN and the app's
    token or client credentials."""
    settings = get_settings()
    token = settings.shopify_admin_token
    client_secret = settings.shopify_client_secret
    credentials = (
        (settings.shopify_client_id, client_secret.get_secret_value())
        if settings.shopify_client_id and client_secret
        else None
    )
    if not settings.shopify_shop_domain or (token is None and credentials is None):
        return None
    from chalicelib.integrations.shopify_admin import ShopifyAdmin

    return ShopifyAdmin(
        shop_domain=settings.shopify_shop_domain,
        access_token=token.get_secret_value() if token else None,
        client_credentials=credentials,
        api_version=settings.shopify_api_version,
        timeout_seconds=settings.shopify_timeout_seconds,
        base_url=settings.shopify_api_url,
    )


@lru_cache(maxsize=1)
def lifecycle_tasks() -> LifecycleTasks:
    from chalicelib.services.lifecycle_tasks import LifecycleTasks

    executions = lifecycle_executions()
    if executions is None:
        raise RuntimeError("LIFECYCLE_STATE_MACHINE_ARN is not set; the lifecycle cannot run.")
    return LifecycleTasks(
        rma_service(),
        policy_service().current,
        executions,
        label_provider(),
        payment_provider(),
    )


@lru_cache(maxsize=2)
def gorgias_client(*, background: bool = False) -> GorgiasClient | None:
    """The Gorgias REST client, or None without API credentials. `background`: for the stream
    and the queues, which may wait out a longer 429 than an agent clicking a button."""
    settings = get_settings()
    credentials = settings.gorgias_credentials
    if credentials is None:
        return None
    # Imported only when configured: httpx is the heaviest import of the Gorgias path.
    from chalicelib.integrations.gorgias import GorgiasClient

    return GorgiasClient(
        base_url=credentials.base_url,
        api_email=credentials.api_email,
        api_key=credentials.api_key,
        timeout_seconds=settings.gorgias_timeout_seconds,
        max_retry_after_seconds=settings.gorgias_background_max_retry_after_seconds
        if background
        else settings.gorgias_max_retry_after_seconds,
        max_requests_per_second=settings.gorgias_max_rps,
        role_cache_seconds=settings.gorgias_role_cache_seconds,
    )


@lru_cache(maxsize=1)
def gorgias_ticket_updates() -> GorgiasTicketUpdates | None:
    """Tickets and notes from the return events; None without Gorgias API credentials."""
    gorgias = gorgias_client(background=True)
    if gorgias is None:
        return None
    from chalicelib.api.models.common import photo_links
    from chalicelib.repositories.gorgias_tickets import GorgiasTicketLinks
    from chalicelib.repositories.photo_store import TICKET_VIEW_SECONDS
    from chalicelib.services.gorgias_tickets import GorgiasTicketUpdates
    from chalicelib.services.links import console_link

    return GorgiasTicketUpdates(
        gorgias,
        GorgiasTicketLinks(get_settings().table_name),
        rma_service(),
        order_request_service(),
        photo_links=lambda keys: photo_links(keys, TICKET_VIEW_SECONDS),
        console_link=console_link,
    )


@lru_cache(maxsize=1)
def gorgias_updates_due() -> GorgiasUpdatesDue | None:
    """The subscriber that queues what Gorgias must hear of returns and order requests; None
    without Gorgias API credentials or the updates queue."""
    settings = get_settings()
    if settings.gorgias_credentials is None or not settings.gorgias_updates_queue_url:
        return None
    from chalicelib.integrations.gorgias_updates_queue import GorgiasUpdatesQueue
    from chalicelib.services.gorgias_tickets import GorgiasUpdatesDue

    return GorgiasUpdatesDue(GorgiasUpdatesQueue(settings.gorgias_updates_queue_url))


@lru_cache(maxsize=1)
def gorgias_decisions() -> GorgiasDecisionService:
    return GorgiasDecisionService(rma_service(), gorgias_client(), requests=order_request_service)


@lru_cache(maxsize=1)
def email_sender() -> EmailSender:
    from chalicelib.integrations.email import SesEmailSender

    return SesEmailSender(get_settings().sender_email)


@lru_cache(maxsize=1)
def status_email_job() -> StatusEmailJob:
    from chalicelib.notifications.brand import brand_from
    from chalicelib.services.status_email_job import StatusEmailJob

    settings = get_settings()
    return StatusEmailJob(
        email_outbox(),
        email_sender(),
        policy_service().current,
        brand=brand_from(settings),
        batch_size=settings.status_email_batch_size,
        max_attempts=settings.status_email_max_attempts,
    )


@lru_cache(maxsize=1)
def decision_reminder() -> DecisionReminder:
    from chalicelib.notifications.brand import brand_from
    from chalicelib.services.decision_reminder import DecisionReminder

    settings = get_settings()
    return DecisionReminder(
        RmaRepository(settings.table_name),
        email_sender(),
        policy_service().current,
        brand=brand_from(settings),
        limit=settings.decision_reminder_limit,
    )


@lru_cache(maxsize=1)
def webhook_queue() -> WebhookQueue | None:
    """Where webhook deliveries wait for their attempts; None without
    WEBHOOK_DELIVERIES_QUEUE_URL (no webhook is sent)."""
    url = get_settings().webhook_deliveries_queue_url
    if not url:
        return None
    from chalicelib.integrations.webhook_queue import WebhookQueue

    return WebhookQueue(url)


@lru_cache(maxsize=1)
def webhook_sender() -> WebhookSender:
    from chalicelib.integrations.webhook_sender import WebhookSender

    settings = get_settings()
    # Only the local stack may deliver to its own receiver on the loopback address.
    return WebhookSender(
        allow_local=settings.local_stack,
        timeout_seconds=settings.webhook_timeout_seconds,
        resolver=webhook_resolver(),
    )


@lru_cache(maxsize=1)
def webhook_delivery() -> WebhookDeliveryService:
    from chalicelib.services.webhook_delivery import WebhookDeliveryService

    return WebhookDeliveryService(webhook_endpoints(), webhook_deliveries(), webhook_sender())


@lru_cache(maxsize=1)
def webhook_endpoints() -> WebhookEndpoints:
    from chalicelib.repositories.webhook_endpoints import WebhookEndpoints

    return WebhookEndpoints(get_settings().table_name)


@lru_cache(maxsize=1)
def webhook_deliveries() -> WebhookDeliveries:
    from chalicelib.repositories.webhook_deliveries import WebhookDeliveries

    # The admin API's cursor codec: the delivery log pages like the other listings.
    return WebhookDeliveries(get_settings().table_name, cursors=cursor_codec())


def webhook_resolver() -> Callable[..., Any]:
    """How the hosts of webhook URLs are looked up: the system's resolver (tests put theirs
    here, so that no check of a URL needs DNS)."""
    import socket

    return socket.getaddrinfo


@lru_cache(maxsize=1)
def webhook_endpoint_service() -> WebhookEndpointService:
    from functools import partial

    from chalicelib.integrations.webhook_targets import check_target
    from chalicelib.services.webhook_endpoints import WebhookEndpointService

    return WebhookEndpointService(
        webhook_endpoints(),
        webhook_deliveries(),
        webhook_queue(),
        check_target=partial(check_target, resolver=webhook_resolver()),
        # Only the local stack may name its own receivers on the loopback address.
        allow_local=get_settings().local_stack,
    )


@lru_cache(maxsize=1)
def chat_queue() -> ChatQueue | None:
    """Where the chat message route hands its events; None without CHAT_INTAKE_QUEUE_URL."""
    url = get_settings().chat_intake_queue_url
    if not url:
        return None
    from chalicelib.integrations.chat_queue import ChatQueue

    return ChatQueue(url)


@lru_cache(maxsize=1)
def chat_intake() -> ChatIntakeService | None:
    """Returns asked for in a Gorgias chat; None without Gorgias API credentials."""
    gorgias = gorgias_client(background=True)
    if gorgias is None:
        return None
    from chalicelib.domain.chat_intake import read_message
    from chalicelib.repositories.chat_conversations import ChatConversations
    from chalicelib.services.chat_intake import ChatIntakeService
    from chalicelib.services.links import console_link

    settings = get_settings()
    return ChatIntakeService(
        gorgias,
        ChatConversations(settings.table_name),
        order_service(),
        intake(),
        rma_service(),
        policy_service().current,
        read_message,
        conversation_hours=settings.chat_conversation_hours,
        console_link=console_link,
        portal_url=settings.portal_page_url,
    )


def reset() -> None:
    """Forget every built service and the settings (tests and the local stack change them):
    every factory of this module is cached, so none can be left out."""
    for value in list(globals().values()):
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()
