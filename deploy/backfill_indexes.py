"""`python -m deploy.backfill_indexes --table returns-desk-prod`: give the returns stored before
an upgrade the attributes of the indexes it added.

A return enters an index once its item carries that index's key attributes, which every write
of a return sets; the returns no one has changed since the upgrade lack them and are missing
from the new lists (by delivery, financial or fulfillment status, by order, every return) until
this runs. It reads the returns through the processing status index, a Query per status, never
a Scan, and sets only the index attributes of each, conditional on the version it read. Run it
after the last index of the upgrade is active; running it again changes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

PROG = "python -m deploy.backfill_indexes"


def main(
    argv: Sequence[str] | None = None, *, dynamodb: Any | None = None, out: TextIO | None = None
) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Write the index attributes of the returns stored before."
    )
    parser.add_argument(
        "--table",
        default=os.environ.get("TABLE_NAME"),
        help="the returns-desk table (default: $TABLE_NAME)",
    )
    arguments = parser.parse_args(argv)
    if not arguments.table:
        parser.error("name the table with --table or TABLE_NAME")

    from chalicelib.repositories.rma_repository import RmaRepository

    done = RmaRepository(arguments.table, dynamodb).backfill_index_attributes()
    (out or sys.stdout).write(
        f"{PROG}: {done.rewritten} returns given their index attributes, {done.current} "
        f"already had them, {done.changed_meanwhile} written meanwhile (they have them too)\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
