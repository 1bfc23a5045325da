"""Warehouse inspection files: what came back, and in what state.

The warehouse drops files under `inspections/` in the returns bucket, either CSV with a header
(`.csv`) or JSON lines (`.jsonl` / `.ndjson`), one inspected line per row:

    return_reference   required  the return as people type it: R-001042, r-1042, #1042, 1042
    sku                required  the SKU of the RMA line
    quantity_received  required  whole number, at least 1
    product_state      required  BRAND_NEW_WITH_LABEL, BRAND_NEW_WITHOUT_LABEL, WORE, DAMAGED or
                                 DEFECTIVE, in any letter case
    notes              optional  up to 2000 characters
    photo_keys         optional  object keys of inspection photos; in CSV one cell separated by
                                 "|" or ";", in JSON lines a list or such a string
    received_at        optional  ISO 8601, e.g. 2026-11-03T09:30:00+01:00; no offset means UTC

Column and key names are case-insensitive; surrounding spaces, a UTF-8 BOM, CRLF line ends and
blank lines are tolerated. Examples: tests/events/inspection_example.csv and .jsonl.

Parsing never raises on bad input: each bad row is rejected with its line number, its raw text
and a sentence naming the field, so the good rows of the same file can still be applied.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from chalicelib.domain.references import format_reference, parse_return_number
from chalicelib.domain.rma import DomainModel, LongText, Quantity, ShortText
from chalicelib.domain.statuses import ProductState

UPLOAD_PREFIX = "inspections/"
# Reports live inside the upload prefix, so a prefix filter alone would feed them back to the
# processor. The S3 notification filters on the upload suffixes (.csv, .jsonl, .ndjson), which a
# report's `.json` never matches, and `is_inspection_upload` is the same guard in code.
RESULTS_PREFIX = f"{UPLOAD_PREFIX}results/"
UPLOAD_SUFFIXES = (".csv", ".jsonl", ".ndjson")

MAX_RAW_CHARS = 500
COLUMNS = (
    "return_reference",
    "sku",
    "quantity_received",
    "product_state",
    "notes",
    "photo_keys",
    "received_at",
)
REQUIRED_COLUMNS = ("return_reference", "sku", "quantity_received", "product_state")
_PHOTO_KEY_SEPARATORS = re.compile(r"[|;]")
_PRODUCT_STATES = ", ".join(ProductState)


class InspectionRow(DomainModel):
    """One inspected RMA line, as the warehouse reports it."""

    return_reference: str
    sku: ShortText
    quantity_received: Quantity
    product_state: ProductState
    notes: LongText | None = None
    # As many as an RMA line holds.
    photo_keys: Annotated[list[ShortText], Field(max_length=10)] = []
    received_at: datetime | None = None

    @field_validator("return_reference", mode="before")
    @classmethod
    def _normalised_reference(cls, value: Any) -> str:
        number = parse_return_number(str(value)) if isinstance(value, str | int) else None
        if number is None:
            raise PydanticCustomError(
                "return_reference",
                "{value} is not a return reference such as R-001042",
                {"value": repr(value)},
            )
        return format_reference(number)

    @field_validator("product_state", mode="before")
    @classmethod
    def _known_state(cls, value: Any) -> ProductState:
        typed = value.strip().upper() if isinstance(value, str) else value
        if typed not in ProductState.__members__:
            raise PydanticCustomError(
                "product_state",
                "{value} is not one of {allowed}",
                {"value": repr(value), "allowed": _PRODUCT_STATES},
            )
        return ProductState(typed)

    @field_validator("photo_keys", mode="before")
    @classmethod
    def _split_photo_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [key for key in _PHOTO_KEY_SEPARATORS.split(value) if key.strip()]
        return value

    @field_validator("received_at", mode="before")
    @classmethod
    def _iso_8601(cls, value: Any) -> datetime:
        # ISO 8601 only: pydantic alone would also read "1700000000" as a Unix timestamp.
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise PydanticCustomError(
                "received_at",
                "{value} is not an ISO 8601 date and time such as 2026-11-03T09:30:00Z",
                {"value": repr(value)},
            ) from None

    @field_validator("received_at")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        # Like orders: naive times are taken as UTC, so instants compare across offsets.
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class RejectedRow(DomainModel):
    """A row not applied: where it was, what it said, and why, in a sentence for people."""

    line: int
    raw: Annotated[str, Field(max_length=MAX_RAW_CHARS)]
    reason: str


@dataclass(frozen=True)
class ParsedFile:
    rows: list[tuple[int, InspectionRow]] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    # The text of each valid row by line, for the report should its return refuse it.
    raw: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InspectionUpload:
    """An uploaded file as its S3 notification names it."""

    bucket: str
    key: str
    etag: str
    version_id: str | None = None

    @property
    def identity(self) -> str:
        """Its key and content (the ETag): the same file delivered or uploaded again is the
        same upload, and is applied once."""
        return f"s3://{self.bucket}/{self.key}#{self.etag}"


class InspectionReport(DomainModel):
    """What became of an uploaded file; written to `result_key(upload_key)`."""

    file_name: str
    rows_applied: list[int]
    rows_rejected: list[RejectedRow]

    def to_json(self) -> bytes:
        return self.model_dump_json(indent=2).encode()


class ProcessedFile(DomainModel):
    """An uploaded file as the console lists it: when it was processed and how many of its
    rows were applied and refused (its report says which, and why)."""

    # The listing's own name of this processing of the file (a file sent again is listed again).
    id: str
    bucket: str
    file_name: str
    processed_at: datetime
    rows_applied: int
    rows_rejected: int


def parse_inspection_file(name: str, content: bytes) -> ParsedFile:
    lowered = name.lower()
    if not lowered.endswith(UPLOAD_SUFFIXES):
        return _file_error(f"{name!r} is neither CSV (.csv) nor JSON lines (.jsonl, .ndjson)")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return _file_error(f"the file is not UTF-8 text (byte {error.start} is invalid)")
    # Split as the csv module does (\n, \r\n or \r only), so line numbers match the file.
    lines = io.StringIO(text, newline="").readlines()
    parsed = ParsedFile()
    records = _csv_records(lines) if lowered.endswith(".csv") else _json_records(lines)
    for line, last_line, values, problem in records:
        raw = "".join(lines[line - 1 : last_line]).rstrip("\r\n")[:MAX_RAW_CHARS]
        if problem is None:
            try:
                parsed.rows.append((line, InspectionRow.model_validate(values)))
                parsed.raw[line] = raw
                continue
            except ValidationError as error:
                problem = _reason(error)
        if last_line > line:
            problem += f" (lines {line} to {last_line} were read as one row: is a quote left open?)"
        parsed.rejected.append(RejectedRow(line=line, raw=raw, reason=problem))
    return parsed


def group_by_return(
    rows: Iterable[tuple[int, InspectionRow]],
) -> dict[str, list[tuple[int, InspectionRow]]]:
    """Rows per return reference, returns and rows in file order: one write per RMA."""
    grouped: dict[str, list[tuple[int, InspectionRow]]] = {}
    for line, row in rows:
        grouped.setdefault(row.return_reference, []).append((line, row))
    return grouped


def is_inspection_upload(key: str) -> bool:
    return (
        key.startswith(UPLOAD_PREFIX)
        and not key.startswith(RESULTS_PREFIX)
        and key.lower().endswith(UPLOAD_SUFFIXES)
    )


def result_key(upload_key: str) -> str:
    """`inspections/2026/11/batch-1.csv` → `inspections/results/2026/11/batch-1.csv.json`."""
    if not is_inspection_upload(upload_key):
        raise ValueError(f"{upload_key!r} is not an inspection upload")
    return f"{RESULTS_PREFIX}{upload_key.removeprefix(UPLOAD_PREFIX)}.json"


# A record: its first and last line (a quoted CSV note may span lines), its values, and why it
# is rejected before validation, if it is.
_Record = tuple[int, int, dict[str, Any] | None, str | None]


def _csv_records(lines: list[str]) -> Iterator[_Record]:
    reader = csv.reader(lines)
    header: list[str] | None = None
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield start, reader.line_num, None, f"the line is not valid CSV ({error})"
            start = reader.line_num + 1
            continue
        line, last_line, start = start, reader.line_num, reader.line_num + 1
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if header is None:
            header = [cell.lower() for cell in cells]
            problem = _header_problem(header)
            if problem is not None:
                yield line, last_line, None, problem
                return
            continue
        if len(cells) > len(header):
            problem = f"the row has {len(cells)} values but the header names {len(header)} columns"
            yield line, last_line, None, problem
            continue
        values = {column: cell for column, cell in zip(header, cells, strict=False) if cell}
        yield line, last_line, values, None


def _header_problem(header: list[str]) -> str | None:
    unknown = [column for column in header if column not in COLUMNS]
    if unknown:
        return f"unknown columns {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}"
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        return f"the header lacks the required columns {', '.join(missing)}"
    duplicated = sorted({column for column in header if header.count(column) > 1})
    if duplicated:
        return f"the header repeats the columns {', '.join(duplicated)}"
    return None


def _json_records(lines: list[str]) -> Iterator[_Record]:
    for line, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            yield (
                line,
                line,
                None,
                f"the line is not valid JSON ({error.msg} at column {error.colno})",
            )
            continue
        if not isinstance(document, dict):
            yield line, line, None, "the line is not a JSON object"
            continue
        yield line, line, _present_values(document), None


def _present_values(document: dict[str, Any]) -> dict[str, Any]:
    """Keys matched case-insensitively; null and blank strings count as absent, like empty cells."""
    values: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, str):
            value = value.strip()
        if value is not None and value != "":
            values[str(key).strip().lower()] = value
    return values


def _reason(error: ValidationError) -> str:
    return "; ".join(_sentence(detail) for detail in error.errors(include_url=False))


def _sentence(detail: Any) -> str:
    where = ".".join(str(part) for part in detail["loc"])
    if detail["type"] == "missing":
        return f"{where}: is required"
    if detail["type"] == "extra_forbidden":
        return f"{where}: is not a known field; the fields are {', '.join(COLUMNS)}"
    if detail["type"] in {"return_reference", "product_state", "received_at"}:
        return f"{where}: {detail['msg']}"
    return f"{where}: {detail['msg']} (got {detail['input']!r})"


def _file_error(reason: str) -> ParsedFile:
    return ParsedFile(rejected=[RejectedRow(line=0, raw="", reason=reason)])
