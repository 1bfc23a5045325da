"""Which Gorgias ticket a return, a cancellation request or a claim is discussed on, and which
of its steps each ticket was told of. The only module that knows the item.

- Ticket link: pk `GORGIAS#<subject>`, sk `TICKET`, where the subject is a return's id (32 hex
  digits) or a request's reference (`C-000004`, `X-000003`): they never meet. `ticket_id` the
  ticket opened for the request, and `noted_<ticket id>` the version of the last step noted on
  that ticket. A partition of its own: reading a return or a request with its log never reads
  it, and writing it never races a change of theirs (an agent deciding while the ticket is
  being opened).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.repositories.dynamo import DynamoTable
from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY

_SORT = "TICKET"
_NOTED = "noted_"


@dataclass(frozen=True)
class TicketLink:
    ticket_id: int | None = None
    # Ticket id -> the version of the last step noted on it.
    noted: dict[int, int] = field(default_factory=dict)


class GorgiasTicketLinks(DynamoTable):
    def get(self, subject: str) -> TicketLink:
        response = self._dynamodb.get_item(
            TableName=self._table, Key=_key(subject), ConsistentRead=True
        )
        item = self._from_dynamo(response.get("Item") or {})
        ticket = item.get("ticket_id")
        return TicketLink(
            ticket_id=int(ticket) if ticket is not None else None,
            noted={
                int(name.removeprefix(_NOTED)): int(version)
                for name, version in item.items()
                if name.startswith(_NOTED)
            },
        )

    def link(self, subject: str, ticket_id: int) -> bool:
        """Remember the ticket opened for the request; False when one was linked already."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=_key(subject),
                UpdateExpression="SET ticket_id = :ticket",
                ConditionExpression="attribute_not_exists(ticket_id)",
                ExpressionAttributeValues={":ticket": {"N": str(ticket_id)}},
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def mark_noted(self, subject: str, ticket_id: int, version: int) -> None:
        """Remember that the ticket was told of the step `version` of the return or request
        (never going back to an earlier one)."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=_key(subject),
                UpdateExpression="SET #noted = :version",
                ConditionExpression="attribute_not_exists(#noted) OR #noted < :version",
                ExpressionAttributeNames={"#noted": f"{_NOTED}{ticket_id}"},
                ExpressionAttributeValues={":version": {"N": str(version)}},
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return


def _key(subject: str) -> dict[str, dict[str, str]]:
    return {PARTITION_KEY: {"S": f"GORGIAS#{subject}"}, SORT_KEY: {"S": _SORT}}
