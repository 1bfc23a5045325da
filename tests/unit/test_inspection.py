"""Specification of how warehouse inspection files are read, grouped and reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.domain.inspection import (
    InspectionReport,
    RejectedRow,
    group_by_return,
    is_inspection_upload,
    parse_inspection_file,
    result_key,
)
from chalicelib.domain.statuses import ProductState

EVENTS = Path(__file__).parent.parent / "events"
HEADER = "return_reference,sku,quantity_received,product_state,notes,photo_keys,received_at"


def csv_file(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


def jsonl_file(*rows: dict) -> bytes:
    return "\n".join(json.dumps(row) for row in rows).encode()


def test_a_valid_csv_row_becomes_an_inspection_row() -> None:
    # Given a CSV row with every column filled
    content = csv_file(
        "R-001042,JEANS-32,2,WORE,Small stain,a.jpg|b.jpg,2026-11-03T09:30:00+01:00",
    )

    # When it is parsed
    parsed = parse_inspection_file("batch.csv", content)

    # Then it is kept at its line, with every value typed
    assert parsed.rejected == []
    [(line, row)] = parsed.rows
    assert line == 2
    assert row.return_reference == "R-001042"
    assert row.sku == "JEANS-32"
    assert row.quantity_received == 2
    assert row.product_state is ProductState.WORE
    assert row.notes == "Small stain"
    assert row.photo_keys == ["a.jpg", "b.jpg"]
    assert row.received_at == datetime(2026, 11, 3, 8, 30, tzinfo=UTC)


def test_optional_csv_columns_may_be_empty_or_absent() -> None:
    # Given one row with empty optional cells, and a file whose header has only required columns
    with_empty_cells = csv_file("R-001042,JEANS-32,1,DAMAGED,,,")
    required_only = b"return_reference,sku,quantity_received,product_state\nR-1,A,1,DAMAGED\n"

    # When both are parsed
    rows = [
        row
        for content in (with_empty_cells, required_only)
        for _, row in parse_inspection_file("batch.csv", content).rows
    ]

    # Then the optional values are absent
    assert [(r.notes, r.photo_keys, r.received_at) for r in rows] == [(None, [], None)] * 2


def test_valid_json_lines_become_inspection_rows() -> None:
    # Given JSON lines, photo keys as a list or as a separated string, a null note
    content = jsonl_file(
        {
            "return_reference": "R-001042",
            "sku": "JEANS-32",
            "quantity_received": 2,
            "product_state": "WORE",
            "photo_keys": ["a.jpg", "b.jpg"],
            "received_at": "2026-11-03T09:30:00Z",
        },
        {
            "Return_Reference": 1043,
            "SKU": "CAP",
            "quantity_received": "1",
            "product_state": "defective",
            "photo_keys": "c.jpg; d.jpg",
            "notes": None,
        },
    )

    # When they are parsed as .ndjson
    parsed = parse_inspection_file("batch.ndjson", content)

    # Then both are kept
    assert parsed.rejected == []
    assert [(line, row.return_reference, row.photo_keys) for line, row in parsed.rows] == [
        (1, "R-001042", ["a.jpg", "b.jpg"]),
        (2, "R-001043", ["c.jpg", "d.jpg"]),
    ]
    assert parsed.rows[1][1].product_state is ProductState.DEFECTIVE


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (
            "R-001042,JEANS-32,1,USED,,,",
            "product_state: 'USED' is not one of BRAND_NEW_WITH_LABEL, BRAND_NEW_WITHOUT_LABEL, "
            "WORE, DAMAGED, DEFECTIVE",
        ),
        ("order-9,JEANS-32,1,WORE,,,", "return_reference: 'order-9' is not a return reference"),
        ("R-001042,JEANS-32,0,WORE,,,", "quantity_received: Input should be greater than"),
        ("R-001042,JEANS-32,two,WORE,,,", "quantity_received: Input should be a valid integer"),
        ("R-001042,JEANS-32,1.5,WORE,,,", "quantity_received: Input should be a valid integer"),
        ("R-001042,,1,WORE,,,", "sku: is required"),
        ("R-001042,JEANS-32,,WORE,,,", "quantity_received: is required"),
        ("R-001042,JEANS-32,1,WORE,,,yesterday", "received_at: 'yesterday' is not an ISO 8601"),
        ("R-001042,JEANS-32,1,WORE,,,1700000000", "received_at: '1700000000' is not an ISO 8601"),
        (f"R-001042,JEANS-32,1,WORE,{'x' * 2001},,", "notes: String should have at most 2000"),
        ("R-001042,JEANS-32,1,WORE,,,,extra", "the row has 8 values but the header names 7"),
    ],
)
def test_a_bad_csv_row_is_rejected_with_its_reason_and_line_while_good_rows_are_kept(
    bad_row: str, reason: str
) -> None:
    # Given a bad row between two good ones
    content = csv_file("R-1,A,1,WORE,,,", bad_row, "R-2,B,1,WORE,,,")

    # When the file is parsed
    parsed = parse_inspection_file("batch.csv", content)

    # Then the good rows are kept and the bad one is rejected at line 3, naming the field
    assert [line for line, _ in parsed.rows] == [2, 4]
    [rejected] = parsed.rejected
    assert rejected.line == 3
    assert rejected.raw == bad_row[:500]
    assert rejected.reason.startswith(reason)


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        ("{not json", "the line is not valid JSON"),
        ("[1, 2]", "the line is not a JSON object"),
        (
            '{"return_reference": "R-1", "sku": "A", "quantity_received": 1, '
            '"product_state": "WORE", "colour": "red"}',
            "colour: is not a known field",
        ),
        (
            '{"return_reference": "R-1", "sku": "A", "quantity_received": 1, '
            '"product_state": "WORE", "photo_keys": 7}',
            "photo_keys: Input should be a valid list",
        ),
        (
            '{"return_reference": "R-1", "sku": "A", "quantity_received": 1, '
            '"product_state": "WORE", "received_at": 1700000000}',
            "received_at: 1700000000 is not an ISO 8601",
        ),
    ],
)
def test_a_bad_json_line_is_rejected_with_its_reason_and_line_while_good_lines_are_kept(
    bad_line: str, reason: str
) -> None:
    # Given a bad line after a good one
    good = (
        '{"return_reference": "R-1", "sku": "A", "quantity_received": 1, "product_state": "WORE"}'
    )
    content = f"{good}\n{bad_line}\n".encode()

    # When the file is parsed
    parsed = parse_inspection_file("batch.jsonl", content)

    # Then the good line is kept and the bad one rejected at line 2
    assert [line for line, _ in parsed.rows] == [1]
    assert [(r.line, r.raw) for r in parsed.rejected] == [(2, bad_line)]
    assert parsed.rejected[0].reason.startswith(reason)


def test_every_problem_of_a_row_is_named_in_one_reason() -> None:
    # Given a row wrong in two fields
    content = csv_file("R-1,A,0,USED,,,")

    # When it is parsed
    [rejected] = parse_inspection_file("batch.csv", content).rejected

    # Then the reason names both
    assert "quantity_received:" in rejected.reason
    assert "product_state:" in rejected.reason


def test_the_raw_text_of_a_rejected_row_is_cut_at_500_characters() -> None:
    # Given a long bad row
    content = csv_file(f"R-1,{'A' * 1000},1,USED,,,")

    # When it is parsed
    [rejected] = parse_inspection_file("batch.csv", content).rejected

    # Then its raw text is cut
    assert len(rejected.raw) == 500


def test_a_bom_crlf_blank_lines_spaces_and_any_letter_case_are_tolerated() -> None:
    # Given a spreadsheet export: BOM, CRLF, blank and empty rows, padded cells, mixed case
    content = (
        "\ufeff Return_Reference , SKU ,Quantity_Received,PRODUCT_STATE\r\n"
        "\r\n"
        "  r-1042 ,  JEANS-32 , 2 , Brand_New_With_Label \r\n"
        ",,,\r\n"
        "   \r\n"
        "#1043,CAP,1,damaged\r\n"
    ).encode()

    # When it is parsed
    parsed = parse_inspection_file("Batch.CSV", content)

    # Then both rows are kept at their physical line numbers
    assert parsed.rejected == []
    assert [(line, r.return_reference, r.sku, r.product_state) for line, r in parsed.rows] == [
        (3, "R-001042", "JEANS-32", ProductState.BRAND_NEW_WITH_LABEL),
        (6, "R-001043", "CAP", ProductState.DAMAGED),
    ]


def test_a_quoted_note_spanning_lines_keeps_later_line_numbers_right() -> None:
    # Given a note with a line break inside quotes
    content = csv_file('R-1,A,1,WORE,"first\nsecond",,', "R-2,B,1,USED,,,")

    # When it is parsed
    parsed = parse_inspection_file("batch.csv", content)

    # Then the note keeps its break and the next row is at line 4
    assert parsed.rows[0][1].notes == "first\nsecond"
    assert [r.line for r in parsed.rejected] == [4]


def test_an_unclosed_quote_is_pointed_out() -> None:
    # Given a row whose quote is never closed, swallowing the next line
    content = csv_file('R-1,"A,1,WORE,,,', "R-2,B,1,WORE,,,")

    # When it is parsed
    [rejected] = parse_inspection_file("batch.csv", content).rejected

    # Then the reason says which lines were read together
    assert rejected.line == 2
    assert "lines 2 to 3 were read as one row: is a quote left open?" in rejected.reason


@pytest.mark.parametrize("typed", ["R-001042", "r-1042", "1042", "#1042", " R1042 ", "r 1042"])
def test_references_typed_in_any_form_name_the_same_return(typed: str) -> None:
    # Given a reference typed in some way
    csv_content = csv_file(f'"{typed}",A,1,WORE,,,')
    jsonl_content = jsonl_file(
        {"return_reference": typed, "sku": "A", "quantity_received": 1, "product_state": "WORE"}
    )

    # When it is parsed from either format
    references = [
        row.return_reference
        for name, content in (("b.csv", csv_content), ("b.jsonl", jsonl_content))
        for _, row in parse_inspection_file(name, content).rows
    ]

    # Then it is the canonical reference
    assert references == ["R-001042", "R-001042"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"return_reference,sku,quantity\nR-1,A,1\n", "unknown columns quantity"),
        (
            b"return_reference,sku,quantity_received\nR-1,A,1\n",
            "the header lacks the required columns product_state",
        ),
        (
            b"return_reference,sku,sku,quantity_received,product_state\n",
            "the header repeats the columns sku",
        ),
    ],
)
def test_a_bad_header_rejects_the_file_once(content: bytes, reason: str) -> None:
    # When a file with a bad header is parsed
    parsed = parse_inspection_file("batch.csv", content)

    # Then one rejection at the header says why, and nothing is kept
    assert parsed.rows == []
    [rejected] = parsed.rejected
    assert rejected.line == 1
    assert rejected.reason.startswith(reason)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("batch.xlsx", b"PK\x03\x04", "'batch.xlsx' is neither CSV"),
        ("batch.csv", b"\xff\xfe\x00r", "the file is not UTF-8 text"),
    ],
)
def test_a_file_that_cannot_be_read_is_rejected_as_a_whole(
    name: str, content: bytes, reason: str
) -> None:
    # When a file of another type or encoding is parsed
    parsed = parse_inspection_file(name, content)

    # Then a single file-level rejection (line 0) says why
    assert parsed.rows == []
    assert [(r.line, r.raw) for r in parsed.rejected] == [(0, "")]
    assert parsed.rejected[0].reason.startswith(reason)


@pytest.mark.parametrize("name", ["inspection_example.csv", "inspection_example.jsonl"])
def test_the_documented_example_files_are_read_without_rejections(name: str) -> None:
    # When an example file is parsed
    parsed = parse_inspection_file(name, (EVENTS / name).read_bytes())

    # Then every row is kept, with its reference normalised
    assert parsed.rejected == []
    assert [row.return_reference for _, row in parsed.rows] == [
        "R-001042",
        "R-001042",
        "R-001043",
        "R-001044",
    ]


def test_rows_are_grouped_per_return_in_file_order() -> None:
    # Given rows of two returns, interleaved, the second typed differently
    content = csv_file("R-2,A,1,WORE,,,", "R-1,B,1,WORE,,,", "#2,C,1,WORE,,,", "r-1,D,1,WORE,,,")
    parsed = parse_inspection_file("batch.csv", content)

    # When they are grouped
    grouped = group_by_return(parsed.rows)

    # Then returns come in order of first appearance, each with its rows in file order
    assert list(grouped) == ["R-000002", "R-000001"]
    assert [(line, row.sku) for line, row in grouped["R-000002"]] == [(2, "A"), (4, "C")]
    assert [(line, row.sku) for line, row in grouped["R-000001"]] == [(3, "B"), (5, "D")]


def test_the_report_lists_applied_lines_and_rejected_rows_as_json() -> None:
    # Given a report of one applied and one rejected row
    report = InspectionReport(
        file_name="inspections/2026/11/batch-1.csv",
        rows_applied=[2],
        rows_rejected=[RejectedRow(line=3, raw="R-1,A,1,USED", reason="product_state: ...")],
    )

    # When it is written
    document = json.loads(report.to_json())

    # Then it has the documented shape
    assert document == {
        "file_name": "inspections/2026/11/batch-1.csv",
        "rows_applied": [2],
        "rows_rejected": [{"line": 3, "raw": "R-1,A,1,USED", "reason": "product_state: ..."}],
    }


def test_the_report_of_an_upload_lives_under_the_results_prefix() -> None:
    assert (
        result_key("inspections/2026/11/batch-1.csv")
        == "inspections/results/2026/11/batch-1.csv.json"
    )
    assert result_key("inspections/batch.jsonl") == "inspections/results/batch.jsonl.json"


@pytest.mark.parametrize(
    "key",
    ["inspections/results/2026/11/batch-1.csv.json", "inspections/results/x.csv", "other/x.csv"],
)
def test_reports_and_keys_outside_inspections_are_not_uploads(key: str) -> None:
    # Reports must never be processed as uploads (the S3 notification also filters on suffix).
    assert not is_inspection_upload(key)
    with pytest.raises(ValueError, match="is not an inspection upload"):
        result_key(key)


def test_ten_thousand_rows_are_parsed() -> None:
    # Given a 10,000-row file over 500 returns
    rows = [
        f"R-{n % 500 + 1},SKU-{n},1,WORE,note {n},p{n}.jpg,2026-11-03T09:30:00Z"
        for n in range(10_000)
    ]
    content = csv_file(*rows)

    # When it is parsed
    parsed = parse_inspection_file("big.csv", content)

    # Then every row is kept and grouped per return
    assert len(parsed.rows) == 10_000
    assert parsed.rejected == []
    assert len(group_by_return(parsed.rows)) == 500
