"""Specification of the console's inspection uploads: the files the warehouse sent, newest
first, read with one Query of their list, and each file's report with the rows refused and
why."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from tests.console_support import sign_in
from tests.inspection_support import Inbox, csv_file, open_inbox
from tests.integration.test_admin_routes import open_return, walk

PAGE = "/console/inspections"


@pytest.fixture
def inbox(console: Any) -> Inbox:
    return open_inbox()


def text(page: Any) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.body.decode())))


def report_links(page: Any) -> list[str]:
    return [
        unescape(link)
        for link in re.findall(r'href="(/console/inspections/report\?[^"]+)"', page.body.decode())
    ]


def test_no_file_yet_says_so(console: Any) -> None:
    page = console.http.get(PAGE, headers={"Cookie": sign_in(console)})
    assert page.status_code == 200
    assert "No inspection file has been processed yet." in text(page)


def test_the_files_processed_are_listed_newest_first_with_their_refused_rows(
    console: Any, inbox: Inbox
) -> None:
    # Given an approved return, and two files from the warehouse: a clean one, then one with
    # a row for a return that does not exist
    open_return(console)
    walk(console, "R-001001", "submit", "accept")
    inbox.upload("2026/11/first.csv", csv_file("R-001001,TSHIRT-BLUE-M,1,WORE,,,"))
    inbox.deliver()
    inbox.upload("2026/11/second.csv", csv_file("R-009999,SKU-X,1,WORE,,,"))
    inbox.deliver()
    cookie = sign_in(console)
    # When the merchant opens the inspection uploads
    page = console.http.get(PAGE, headers={"Cookie": cookie})
    # Then both are listed, the newest first, with what became of their rows
    words = text(page)
    assert words.index("inspections/2026/11/second.csv") < words.index(
        "inspections/2026/11/first.csv"
    )
    assert re.search(r"second\.csv \S+ \S+ \S+, \S+ UTC 0 1 Report", words)
    assert re.search(r"first\.csv \S+ \S+ \S+, \S+ UTC 1 0 Report", words)
    # When they open the second file's report
    second, first = report_links(page)
    report = console.http.get(second, headers={"Cookie": cookie})
    # Then the refused row is in a table: its line, why, and as it was written
    assert report.status_code == 200
    assert "Line Why As written in the file 2 No return matches 'R-009999'." in text(report)
    assert "R-009999,SKU-X,1,WORE,,," in text(report)
    # And the first file's report says every row was applied
    assert "Every row was applied." in text(console.http.get(first, headers={"Cookie": cookie}))


def test_the_list_pages_through_older_files(
    console: Any, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given three files processed, and a page of two
    monkeypatch.setattr("chalicelib.api.console_inspections_page.FILES_A_PAGE", 2)
    for name in ("a", "b", "c"):
        inbox.upload(f"{name}.csv", csv_file("R-009999,SKU-X,1,WORE,,,"))
        inbox.deliver()
    cookie = sign_in(console)
    # When the merchant reads the first page, then the older files
    page = console.http.get(PAGE, headers={"Cookie": cookie})
    older = re.search(r'href="(/console/inspections\?after=[^"]+)"', page.body.decode())
    assert older
    rest = console.http.get(unescape(older.group(1)), headers={"Cookie": cookie})
    # Then every file is listed once
    assert "c.csv" in text(page)
    assert "b.csv" in text(page)
    assert "a.csv" not in text(page)
    assert "a.csv" in text(rest)
    assert "b.csv" not in text(rest)


def test_a_report_the_list_does_not_hold_is_not_found(console: Any) -> None:
    answer = console.http.get(f"{PAGE}/report?file=nothing", headers={"Cookie": sign_in(console)})
    assert answer.status_code == 404
