"""What Lambda does for the event handlers, done locally by threads: poll the inspection queue
and the table's stream and hand each batch to its consumer, and run the scheduled email job
every few seconds.

A handler that fails is logged and the loop goes on, as Lambda would: a failed batch comes back
after the queue's visibility timeout, and after the redrive count lands in the dead-letter queue.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local.sqs_events import LocalLambdaContext, deliver_batch
from local.stream_events import StreamDelivery

Handler = Callable[[dict[str, Any], Any], Any]

log = logging.getLogger("local.pumps")

# Long enough to wait for messages without a busy loop, short enough to stop promptly.
QUEUE_WAIT_SECONDS = 1
# Lambda polls a stream shard about four times a second; locally a little faster.
STREAM_POLL_SECONDS = 0.1
# After a failure of the loop itself (moto going away while stopping): wait before retrying.
_PAUSE_AFTER_ERROR_SECONDS = 1.0


class BackgroundLoop:
    """Runs `step` on a daemon thread, `interval` seconds apart, until `stop()`; the first time
    at once, or after one interval when `wait_first`."""

    def __init__(
        self, name: str, step: Callable[[], None], interval: float, *, wait_first: bool = False
    ) -> None:
        self.name = name
        self._step = step
        self._interval = interval
        self._wait_first = wait_first
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> BackgroundLoop:
        self._thread.start()
        return self

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        if self._wait_first:
            self._stopping.wait(self._interval)
        while not self._stopping.is_set():
            pause = self._interval
            try:
                self._step()
            except Exception:
                log.exception("%s: the loop failed; trying again", self.name)
                pause = max(pause, _PAUSE_AFTER_ERROR_SECONDS)
            self._stopping.wait(pause)


def queue_pump(
    sqs: Any, queue_url: str, handler: Handler, function_name: str, timeout_seconds: int
) -> BackgroundLoop:
    """Long-polls `queue_url` and hands each batch to `handler`, as Lambda's SQS poller does."""

    def step() -> None:
        context = LocalLambdaContext(function_name=function_name, timeout_seconds=timeout_seconds)
        try:
            deliver_batch(sqs, queue_url, handler, context, wait_seconds=QUEUE_WAIT_SECONDS)
        except Exception as error:
            if not _is_handler_error(error):
                raise
            _report(function_name, error, "its messages return to the queue")

    return BackgroundLoop(f"local-{function_name}", step, interval=0)


def stream_pump(delivery: StreamDelivery, interval: float = STREAM_POLL_SECONDS) -> BackgroundLoop:
    """Hands the table's stream to its consumer as it grows, as Lambda's event source mapping
    polls a stream (about four times a second)."""
    return BackgroundLoop("local-handle_return_events", delivery.deliver, interval=interval)


def schedule_pump(
    handler: Handler, function_name: str, timeout_seconds: int, interval: float
) -> BackgroundLoop:
    """Calls `handler` every `interval` seconds with EventBridge's scheduled event, the first
    time one interval after starting, as a new rate schedule does (and not while the stack is
    still starting)."""

    def step() -> None:
        context = LocalLambdaContext(function_name=function_name, timeout_seconds=timeout_seconds)
        try:
            handler(scheduled_event(), context)
        except Exception as error:
            _report(function_name, error, "it runs again on the next tick")

    return BackgroundLoop(f"local-{function_name}", step, interval=interval, wait_first=True)


def scheduled_event(region: str = "us-east-1") -> dict[str, Any]:
    """The event EventBridge hands a function on a schedule."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": {},
    }


def _is_handler_error(error: Exception) -> bool:
    """Whether `error` came from the handler rather than from talking to the queue."""
    from botocore.exceptions import BotoCoreError, ClientError

    return not isinstance(error, BotoCoreError | ClientError)


def _report(function_name: str, error: Exception, consequence: str) -> None:
    # One line, not a traceback every few seconds while a handler is not written yet.
    log.warning("%s failed (%s: %s); %s", function_name, type(error).__name__, error, consequence)
