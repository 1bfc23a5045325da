"""How well the chat reader reads the corpus of customer messages (`tests/chat_corpus.jsonl`):
precision and recall per field, the figures the corpus test holds to 0.95.

Per field:
- is_return_request: of the positive class, requests;
- order_number and reason: a message counts as predicted when the reader gives a value, as
  correct when that value is the expected one; recall is over the messages that have one;
- language: every message gets one, so accuracy is both its precision and its recall.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.domain.chat_intake import ChatIntent, read_message

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "chat_corpus.jsonl"
FIELDS = ("is_return_request", "order_number", "reason", "language")
TARGET = 0.95


@dataclass(frozen=True)
class FieldScore:
    field: str
    predicted: int
    expected: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0

    @property
    def ok(self) -> bool:
        return self.precision >= TARGET and self.recall >= TARGET


def load_corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def score_corpus(
    rows: Iterable[dict[str, Any]], read: Callable[[str], ChatIntent] = read_message
) -> list[FieldScore]:
    pairs = [(row, read(row["text"]).model_dump(mode="json")) for row in rows]
    return [_score(field, pairs) for field in FIELDS]


def _score(field: str, pairs: Sequence[tuple[dict[str, Any], dict[str, Any]]]) -> FieldScore:
    # A value "given": True for the request flag, anything but None for the others; the
    # language is always given.
    def given(value: Any) -> bool:
        return value is True if field == "is_return_request" else value is not None

    predicted = sum(1 for _, got in pairs if given(got[field]))
    expected = sum(1 for row, _ in pairs if given(row[field]))
    correct = sum(1 for row, got in pairs if given(got[field]) and got[field] == row[field])
    return FieldScore(field, predicted, expected, correct)


def score_table(scores: Sequence[FieldScore], messages: int) -> str:
    lines = [
        f"Chat reader on {messages} corpus messages (target {TARGET:.2f} precision and recall)",
        f"{'field':<18} | {'precision':>9} | {'recall':>6} | result",
        f"{'-' * 18}-+-{'-' * 9}-+-{'-' * 6}-+-------",
    ]
    lines += [
        f"{s.field:<18} | {s.precision:>9.3f} | {s.recall:>6.3f} | {'OK' if s.ok else 'FAIL'}"
        for s in scores
    ]
    return "\n".join(lines)


def report(path: Path = CORPUS) -> bool:
    """Prints the table; True when every field meets the target."""
    rows = load_corpus(path)
    scores = score_corpus(rows)
    print(score_table(scores, len(rows)), flush=True)
    return all(score.ok for score in scores)
