"""Chat conversations in DynamoDB, one item per Gorgias ticket; the only module knowing their key.

Item layout: pk `CHAT#<ticket id>`, sk `CONVERSATION`, holding the conversation's fields (see
domain/chat_conversation.py), `version`, and `expires_at` (epoch seconds, the table's TTL
attribute). Every write is conditional on the version read, so that of two workers reading one
ticket at once only one acts; the other reads again. TTL deletion is lazy (up to days late): an
item past its expiry is read as absent and may be replaced.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.domain.chat_conversation import (
    Attempt,
    ChatConversation,
    Step,
    StepKind,
    as_language,
)
from chalicelib.domain.statuses import ReturnReason
from chalicelib.repositories.dynamo import DynamoTable
from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE


def _key(ticket_id: int) -> dict[str, str]:
    return {PARTITION_KEY: f"CHAT#{ticket_id}", SORT_KEY: "CONVERSATION"}


class ChatConversations(DynamoTable):
    def get(self, ticket_id: int, *, now: datetime) -> ChatConversation | None:
        """The ticket's conversation, read strongly consistent; None when there is none, or
        only one past its expiry."""
        response = self._dynamodb.get_item(
            TableName=self._table, Key=self._to_dynamo(_key(ticket_id)), ConsistentRead=True
        )
        item = response.get("Item")
        if item is None:
            return None
        stored = self._from_dynamo(item)
        if int(stored[TTL_ATTRIBUTE]) <= now.timestamp():
            return None
        return _conversation(ticket_id, stored)

    def save(
        self, conversation: ChatConversation, *, expires_at: datetime, now: datetime
    ) -> ChatConversation | None:
        """Store `conversation` as its next version, unless another write came first since it
        was read (or, for a new one, another conversation of the ticket was stored meanwhile):
        then None, and nothing is written."""
        saved = replace(conversation, version=conversation.version + 1)
        item = {
            **_key(conversation.ticket_id),
            **_document(saved),
            TTL_ATTRIBUTE: int(expires_at.timestamp()),
        }
        if conversation.version:
            condition: dict[str, Any] = {
                "ConditionExpression": "version = :read",
                "ExpressionAttributeValues": self._to_dynamo({":read": conversation.version}),
            }
        else:
            condition = {
                "ConditionExpression": "attribute_not_exists(#pk) OR #expires_at <= :now",
                "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#expires_at": TTL_ATTRIBUTE},
                "ExpressionAttributeValues": self._to_dynamo({":now": int(now.timestamp())}),
            }
        try:
            self._dynamodb.put_item(TableName=self._table, Item=self._to_dynamo(item), **condition)
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return None
        return saved


def _document(conversation: ChatConversation) -> dict[str, Any]:
    attempt = conversation.attempt
    return {
        "version": conversation.version,
        "handled": list(conversation.handled),
        "return_request": conversation.return_request,
        "order_number": conversation.order_number,
        "reason": conversation.reason.value if conversation.reason else None,
        "language": conversation.language,
        "texts": list(conversation.texts),
        "last_answer": conversation.last_answer,
        "answer_repeats": conversation.answer_repeats,
        "attempt": {
            "order_number": attempt.order_number,
            "reason": attempt.reason.value,
            "skus": list(attempt.skus),
        }
        if attempt
        else None,
        "return_reference": conversation.return_reference,
        "steps": [
            {
                "kind": step.kind.value,
                "text": step.text,
                "tags": list(step.tags),
                "after_message_id": step.after_message_id,
            }
            for step in conversation.steps
        ],
        "lease_until": conversation.lease_until.isoformat() if conversation.lease_until else None,
    }


def _conversation(ticket_id: int, stored: dict[str, Any]) -> ChatConversation:
    attempt = stored.get("attempt")
    lease = stored.get("lease_until")
    return ChatConversation(
        ticket_id=ticket_id,
        version=int(stored["version"]),
        handled=tuple(int(message_id) for message_id in stored.get("handled") or []),
        return_request=bool(stored.get("return_request")),
        order_number=stored.get("order_number"),
        reason=ReturnReason(stored["reason"]) if stored.get("reason") else None,
        language=as_language(stored.get("language")),
        texts=tuple(stored.get("texts") or []),
        last_answer=stored.get("last_answer"),
        answer_repeats=int(stored.get("answer_repeats") or 0),
        attempt=Attempt(
            order_number=attempt["order_number"],
            reason=ReturnReason(attempt["reason"]),
            skus=tuple(attempt["skus"]),
        )
        if attempt
        else None,
        return_reference=stored.get("return_reference"),
        steps=tuple(
            Step(
                kind=StepKind(step["kind"]),
                text=step.get("text") or "",
                tags=tuple(step.get("tags") or []),
                after_message_id=int(step.get("after_message_id") or 0),
            )
            for step in stored.get("steps") or []
        ),
        lease_until=datetime.fromisoformat(lease) if lease else None,
    )
