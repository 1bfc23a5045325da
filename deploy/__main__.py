"""`python -m deploy --stage dev --out build/`: write build/merge-template.json."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from deploy.chalice_app import UnknownStageError
from deploy.inspections import QueueNameMismatchError
from deploy.layers import MixedRuntimeError
from deploy.lifecycle import UnresolvedPlaceholderError
from deploy.merge_template import LogicalIdClashError, generate
from deploy.policies import (
    PolicyAssignmentError,
    PolicyFilesOutOfDateError,
    UngroupedFunctionError,
)
from deploy.queues import QueueConsumerCountError, QueueVariableError
from deploy.return_events import StreamConsumerCountError, TableStreamMissingError
from deploy.table import UnmappedTableSettingError

MERGE_TEMPLATE = "merge-template.json"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy",
        description="Generate the merge template for `chalice package --merge-template`.",
    )
    parser.add_argument("--stage", default="dev", help="a stage of .chalice/config.json")
    parser.add_argument("--out", type=Path, default=Path("build"), help="output directory")
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="the Chalice project (default: this repository)",
    )
    parser.add_argument(
        "--table-indexes",
        type=int,
        metavar="N",
        help="deploy the table's first N indexes only: an upgrade adds one index a stack update",
    )
    args = parser.parse_args(argv)
    try:
        template = generate(
            args.project_dir.resolve(), args.stage, table_indexes=args.table_indexes
        )
    except (
        UnknownStageError,
        UnresolvedPlaceholderError,
        UnmappedTableSettingError,
        LogicalIdClashError,
        QueueConsumerCountError,
        QueueNameMismatchError,
        QueueVariableError,
        StreamConsumerCountError,
        TableStreamMissingError,
        MixedRuntimeError,
        UngroupedFunctionError,
        PolicyAssignmentError,
        PolicyFilesOutOfDateError,
    ) as error:
        parser.exit(1, f"python -m deploy: error: {error}\n")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / MERGE_TEMPLATE
    path.write_text(json.dumps(template, indent=2) + "\n")
    sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
