"""One-time sign-in codes in DynamoDB (shoppers' and the console's). The only module that
knows their key.

Item layout: pk `LOGIN#<email key>` (shoppers) or `LOGIN#<AUDIENCE>#<email key>` (the console),
sk `CODE`, holding `code_hash`, `issued_at`, `attempts` and `expires_at` (epoch seconds, the
table's TTL attribute). One item per email and audience: a new code replaces the previous one,
and a shopper's code never signs anyone in to the console.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from chalicelib.domain.login import LoginCode
from chalicelib.repositories.dynamo import DynamoTable
from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE


class LoginRepository(DynamoTable):
    def __init__(
        self, table_name: str, dynamodb: Any | None = None, *, audience: str | None = None
    ) -> None:
        super().__init__(table_name, dynamodb)
        self._prefix = f"LOGIN#{audience.upper()}#" if audience else "LOGIN#"

    def _code_key(self, email_key: str) -> dict[str, str]:
        return {PARTITION_KEY: f"{self._prefix}{email_key}", SORT_KEY: "CODE"}

    def issue(self, code: LoginCode, *, replacing_issued_before: int) -> bool:
        """Store `code` unless the email has one issued at or after the cutoff; whether it was
        stored. One conditional Put: two logins racing cannot both send a code."""
        item = {
            **self._code_key(code.email_key),
            "code_hash": code.code_hash,
            "issued_at": code.issued_at,
            "attempts": code.attempts,
            TTL_ATTRIBUTE: code.expires_at,
        }
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=self._to_dynamo(item),
                ConditionExpression="attribute_not_exists(#pk) OR issued_at < :cutoff",
                ExpressionAttributeNames={"#pk": PARTITION_KEY},
                ExpressionAttributeValues=self._to_dynamo({":cutoff": replacing_issued_before}),
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def record_attempt(self, email_key: str, *, max_attempts: int, now: int) -> LoginCode | None:
        """Count one more try of the email's code and return it, or None when there is no code
        still usable: none, expired (TTL deletion is lazy) or out of attempts."""
        try:
            response = self._dynamodb.update_item(
                TableName=self._table,
                Key=self._to_dynamo(self._code_key(email_key)),
                UpdateExpression="SET attempts = attempts + :one",
                ConditionExpression=(
                    "attribute_exists(#pk) AND attempts < :max AND #expires_at > :now"
                ),
                ExpressionAttributeNames={"#pk": PARTITION_KEY, "#expires_at": TTL_ATTRIBUTE},
                ExpressionAttributeValues=self._to_dynamo(
                    {":one": 1, ":max": max_attempts, ":now": now}
                ),
                ReturnValues="ALL_NEW",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return None
        stored = self._from_dynamo(response["Attributes"])
        return LoginCode(
            email_key=email_key,
            code_hash=stored["code_hash"],
            issued_at=int(stored["issued_at"]),
            expires_at=int(stored[TTL_ATTRIBUTE]),
            attempts=int(stored["attempts"]),
        )

    def discard(self, code: LoginCode) -> None:
        """Delete `code` (used, or never delivered), unless a newer code has replaced it."""
        with suppress(self._dynamodb.exceptions.ConditionalCheckFailedException):
            self._dynamodb.delete_item(
                TableName=self._table,
                Key=self._to_dynamo(self._code_key(code.email_key)),
                ConditionExpression="issued_at = :issued_at",
                ExpressionAttributeValues=self._to_dynamo({":issued_at": code.issued_at}),
            )
