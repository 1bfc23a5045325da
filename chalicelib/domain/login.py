"""Shoppers' one-time login codes: how they are made, kept (as a keyed hash) and checked.

Pure: the clock is passed in, the code in clear is handed back once to be emailed, and what is
stored can only confirm a code, never reveal it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from chalicelib.domain.rma import email_key
from chalicelib.errors import AuthenticationError

CODE_DIGITS = 6
# A new code for the same email at most this often: caps the emails anyone can trigger.
RESEND_INTERVAL_SECONDS = 60


class InvalidLoginCodeError(AuthenticationError):
    """The code is wrong, expired, used up or was never sent: the shopper must try again."""

    code = "invalid_code"

    def __init__(self) -> None:
        # One answer for every refusal: telling how many attempts are left would tell whether a
        # code was sent, so whether an order number belongs to an email.
        super().__init__("That code is not valid: check it, or ask for a new code.")


def shopper_key(email: str) -> str:
    """Who a code and a session belong to: the email as RMAs are filed."""
    return email_key(email)


def new_code() -> str:
    """Six random digits, leading zeros kept: 000000 to 999999 equally likely."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


# Who signs in: shoppers to the portal, or the merchant's team to the console.
PORTAL = "portal"
CONSOLE = "console"


@dataclass(frozen=True)
class LoginRequest:
    """Someone asking for a code, as typed: whether the order is theirs (a shopper), or the
    address one of the team's (the console), is not known yet."""

    email: str
    order_number: str
    audience: str = PORTAL


@dataclass(frozen=True)
class LoginCode:
    """A code as stored: its keyed hash, and when it was issued and stops working (epoch
    seconds, `expires_at` doubling as the table's TTL)."""

    email_key: str
    code_hash: str
    issued_at: int
    expires_at: int
    attempts: int = 0


@dataclass(frozen=True)
class LoginRules:
    """How codes are hashed, how long they last and how many tries they allow."""

    secret: str = field(repr=False)
    code_minutes: int = 10
    max_attempts: int = 5

    def issue(self, email_key: str, now: float) -> tuple[str, LoginCode]:
        """A new code in clear (for the email only) and the record to store in its place."""
        code = new_code()
        issued_at = int(now)
        record = LoginCode(
            email_key=email_key,
            code_hash=self.hash_code(email_key, code),
            issued_at=issued_at,
            expires_at=issued_at + self.code_minutes * 60,
        )
        return code, record

    def hash_code(self, email_key: str, code: str) -> str:
        # Keyed, so that a copy of the table alone does not let anyone try the million codes.
        message = f"{email_key}:{code}".encode()
        return hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()

    def matches(self, record: LoginCode, typed_code: str) -> bool:
        # compare_digest: how long the comparison takes says nothing about where they differ.
        return hmac.compare_digest(self.hash_code(record.email_key, typed_code), record.code_hash)

    @staticmethod
    def resend_cutoff(now: float) -> int:
        """A stored code issued before this instant may be replaced by a new one."""
        return int(now) - RESEND_INTERVAL_SECONDS
