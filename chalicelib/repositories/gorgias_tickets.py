"""Which Gorgias ticket a return is discussed on, and which of its steps each ticket was told
of. The only module that knows the item.

- Ticket link: pk `GORGIAS#<rma id>`, sk `TICKET`; `ticket_id` the ticket opened for the
  return's request, and `noted_<ticket id>` the version of the last step noted on that ticket.
  A partition of its own: reading a return with its log never reads it, and writing it never
  races a change of the return (an agent deciding while the ticket is being opened).
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
    # Ticket id -> the version of the return's last step noted on it.
    noted: dict[int, int] = field(default_factory=dict)


class GorgiasTicketLinks(DynamoTable):
    def get(self, rma_id: str) -> TicketLink:
        response = self._dynamodb.get_item(
            TableName=self._table, Key=_key(rma_id), ConsistentRead=True
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

    def link(self, rma_id: str, ticket_id: int) -> bool:
        """Remember the ticket opened for the return; False when one was linked already."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=_key(rma_id),
                UpdateExpression="SET ticket_id = :ticket",
                ConditionExpression="attribute_not_exists(ticket_id)",
                ExpressionAttributeValues={":ticket": {"N": str(ticket_id)}},
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def mark_noted(self, rma_id: str, ticket_id: int, version: int) -> None:
        """Remember that the ticket was told of the return's step `version` (never going back
        to an earlier one)."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=_key(rma_id),
                UpdateExpression="SET #noted = :version",
                ConditionExpression="attribute_not_exists(#noted) OR #noted < :version",
                ExpressionAttributeNames={"#noted": f"{_NOTED}{ticket_id}"},
                ExpressionAttributeValues={":version": {"N": str(version)}},
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return


def _key(rma_id: str) -> dict[str, dict[str, str]]:
    return {PARTITION_KEY: {"S": f"GORGIAS#{rma_id}"}, SORT_KEY: {"S": _SORT}}
