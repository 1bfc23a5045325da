"""Webhook receivers' names in tests: a resolver answering from a table, so that no test asks
DNS and each says what a name resolves to."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Any

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


class FakeResolver:
    """getaddrinfo's answers for the names it is given; any other name does not resolve.
    A name in `later` answers differently from its second lookup on (DNS rebinding)."""

    def __init__(
        self,
        answers: dict[str, Sequence[str]],
        *,
        later: dict[str, Sequence[str]] | None = None,
    ) -> None:
        self.answers = answers
        self.later = later or {}
        self.asked: list[str] = []

    def __call__(self, host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        table = self.later if host in self.asked and host in self.later else self.answers
        self.asked.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [_answer(address, port) for address in table[host]]


def _answer(address: str, port: int) -> tuple[Any, ...]:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
