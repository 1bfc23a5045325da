"""`python -m local.drop_inspection <aws endpoint> <file>`: put a warehouse inspection file into
the local stack's returns bucket, as the warehouse would, under `inspections/`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.domain.inspection import UPLOAD_PREFIX
from chalicelib.repositories.aws import client
from local.stack import RETURNS_BUCKET, ProcessEnvironment, configure_environment


def upload_key(file: Path, now: datetime) -> str:
    """A key of its own for each drop, so dropping the same file twice is two uploads."""
    return f"{UPLOAD_PREFIX}{now:%Y/%m/%d/%H%M%S}-{file.name}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.drop_inspection", description=__doc__)
    parser.add_argument("endpoint", help="the local stack's AWS endpoint, from its banner")
    parser.add_argument("file", type=Path, help="a .csv, .jsonl or .ndjson inspection file")
    args = parser.parse_args(argv)
    # This process's clients talk to the stack's moto, as the stack's own do.
    configure_environment(args.endpoint, ProcessEnvironment())
    key = upload_key(args.file, datetime.now(UTC))
    client("s3").put_object(Bucket=RETURNS_BUCKET, Key=key, Body=args.file.read_bytes())
    sys.stdout.write(f"s3://{RETURNS_BUCKET}/{key}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
