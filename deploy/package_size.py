"""`python -m deploy.package_size build/package/deployment.zip`: print the Lambda zip's size and
fail above the limit.

Every function of the stack deploys the same zip, so its size is paid on every cold start of
every function. What the runtime and the Powertools layer provide stays out of it
(requirements.txt); this check keeps a new dependency from quietly pulling botocore, or anything
else that large, back in. A failure names the largest packages in the zip.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

# Megabytes of 1,000,000 bytes, as the sizes are printed.
MAX_PACKAGE_MB = 8.0
_MB = 1_000_000
_LARGEST_SHOWN = 8


def zip_megabytes(path: Path) -> float:
    return path.stat().st_size / _MB


def largest_entries(path: Path, count: int = _LARGEST_SHOWN) -> list[tuple[str, float]]:
    """The top-level packages (or modules) of the zip that take most of it, compressed, in MB."""
    sizes: Counter[str] = Counter()
    with zipfile.ZipFile(path) as archive:
        for entry in archive.infolist():
            sizes[entry.filename.split("/", 1)[0]] += entry.compress_size
    return [(name, size / _MB) for name, size in sizes.most_common(count)]


def check_package_size(path: Path, limit_mb: float = MAX_PACKAGE_MB) -> tuple[bool, str]:
    """Whether the zip at `path` is within `limit_mb`, and the report to print."""
    size = zip_megabytes(path)
    report = f"{path}: {size:.1f} MB (limit {limit_mb:.1f} MB)"
    if size <= limit_mb:
        return True, report
    largest = "\n".join(f"  {mb:6.2f} MB  {name}" for name, mb in largest_entries(path))
    return False, f"{report}: too large; its largest parts:\n{largest}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.package_size", description=__doc__)
    parser.add_argument("zip", type=Path, help="the deployment zip `chalice package` wrote")
    parser.add_argument("--limit-mb", type=float, default=MAX_PACKAGE_MB)
    args = parser.parse_args(argv)
    within, report = check_package_size(args.zip, args.limit_mb)
    (sys.stdout if within else sys.stderr).write(report + "\n")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
