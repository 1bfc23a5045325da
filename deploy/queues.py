"""SQS queues of the stack: the inspection uploads, their dead letters and the return events'."""

from __future__ import annotations

from typing import Any

from deploy.cfn import Resource

# The longest SQS keeps a message: time to notice the alarm and act on what waits.
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60


def queue_resource(name: str, **properties: Any) -> Resource:
    """A queue encrypted with SSE-SQS: S3 and Lambda can send to it without a KMS key policy,
    and the functions need no kms: action."""
    return {
        "Type": "AWS::SQS::Queue",
        "Properties": {"QueueName": name, "SqsManagedSseEnabled": True, **properties},
    }
