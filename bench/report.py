"""Plain-text rendering of the bench's figures: what was loaded, what each request cost, imports."""

from __future__ import annotations

from collections.abc import Sequence

from bench.counting import Usage
from bench.dataset import Dataset
from bench.imports import IMPORT_RATIO_TARGET, ImportCost
from bench.measure import Measurement

_HEADER = ("operation", "DynamoDB calls", "items read", "writes", "target", "result")


def dataset_summary(dataset: Dataset) -> str:
    spec = dataset.spec
    seconds = dataset.build_seconds + dataset.write_seconds
    return (
        f"Loaded {spec.rmas:,} RMAs over {spec.customers:,} customers "
        f"({len(dataset.requested_numbers):,} REQUESTED): {dataset.items_written:,} items in "
        f"{dataset.batch_calls:,} BatchWriteItem calls, {seconds:.1f} s "
        f"(service + repository mapping {dataset.build_seconds:.1f} s, "
        f"batch writes {dataset.write_seconds:.1f} s)"
    )


def measurement_table(measurements: Sequence[Measurement]) -> str:
    rows = [_HEADER] + [
        (
            m.scenario.name,
            describe_calls(m.usage),
            str(m.usage.items_read),
            str(m.usage.items_written),
            str(m.scenario.budget),
            "OK" if m.ok else "FAIL: " + "; ".join(m.problems),
        )
        for m in measurements
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_HEADER))]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def describe_calls(usage: Usage) -> str:
    return " + ".join(f"{count} {operation}" for operation, count in sorted(usage.calls.items()))


def scan_summary(scans: int) -> str:
    if scans:
        return f"FAIL: {scans} Scan call(s) during the run; no request path may Scan."
    return "Scan calls during the whole run (load and requests): 0"


def import_summary(cost: ImportCost, first_request_seconds: float | None = None) -> str:
    verdict = "OK" if cost.ok else "FAIL"
    lines = [
        f"import app    {cost.app_seconds * 1000:7.1f} ms  (median of {cost.runs} runs each)",
        f"import boto3  {cost.boto3_seconds * 1000:7.1f} ms",
        f"ratio         {cost.ratio:7.2f} x   target <= {IMPORT_RATIO_TARGET} x  {verdict}",
    ]
    if first_request_seconds is not None:
        lines.append(
            f"first request {first_request_seconds * 1000:7.1f} ms  (fresh interpreter: import "
            "app, then GET /gorgias/widget against a moto server; median of 5)"
        )
    lines += [
        "heaviest top-level packages under `import app` (self time, -X importtime):",
    ]
    width = max(len(package.package) for package in cost.heaviest)
    lines += [
        f"  {package.package.ljust(width)}  {package.milliseconds:6.1f} ms"
        for package in cost.heaviest
    ]
    return "\n".join(lines)
