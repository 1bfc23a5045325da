"""What importing the app adds to a cold start: `import app` against `import boto3` alone.

Every figure comes from a fresh interpreter, since a second import in the same process is free.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import median

# `import app` may cost at most this many times `import boto3`, the floor of any Lambda here.
IMPORT_RATIO_TARGET = 1.4

_REPOSITORY = Path(__file__).resolve().parents[1]
_TIMED_IMPORT = (
    "import time; started = time.perf_counter(); import {module}; "
    "print(time.perf_counter() - started)"
)
_IMPORTTIME_PREFIX = "import time:"
# A cold start's first answer in a fresh interpreter: the app imported, then the widget asked for
# a customer's returns, against a moto server another process runs (so that nothing of moto, nor
# of boto3, is loaded before the clock starts).
_FIRST_REQUEST = """
import time
started = time.perf_counter()
from chalice.test import Client
from app import app
with Client(app, stage_name="bench") as client:
    answer = client.http.get(
        "/gorgias/widget?email=first.request%40example.com",
        headers={"Authorization": "Bearer widget-token"},
    )
assert answer.status_code == 200, answer.body
print(time.perf_counter() - started)
"""


@dataclass(frozen=True)
class PackageCost:
    package: str
    milliseconds: float


@dataclass(frozen=True)
class ImportCost:
    app_seconds: float
    boto3_seconds: float
    runs: int
    # Where `import app` spends its time, by top-level package, heaviest first.
    heaviest: tuple[PackageCost, ...]

    @property
    def ratio(self) -> float:
        return self.app_seconds / self.boto3_seconds

    @property
    def ok(self) -> bool:
        return self.ratio <= IMPORT_RATIO_TARGET


def measure_import_cost(runs: int = 7, top: int = 8) -> ImportCost:
    """Median import times over `runs` fresh interpreters each, and the `top` heaviest packages."""
    # One unmeasured run each writes the bytecode caches a deployed package would ship with.
    _timed_import("app")
    _timed_import("boto3")
    app_seconds: list[float] = []
    boto3_seconds: list[float] = []
    # Interleaved, so that a busy moment of the machine weighs on both alike.
    for _ in range(runs):
        app_seconds.append(_timed_import("app"))
        boto3_seconds.append(_timed_import("boto3"))
    return ImportCost(
        app_seconds=median(app_seconds),
        boto3_seconds=median(boto3_seconds),
        runs=runs,
        heaviest=heaviest_packages("app", top),
    )


def measure_first_request(endpoint_url: str, runs: int = 5) -> float:
    """Median seconds from a fresh interpreter's start to the widget's first answer, against the
    moto server at `endpoint_url` (whose table the bench created)."""
    environment = {"AWS_ENDPOINT_URL": endpoint_url}
    _python("-c", _FIRST_REQUEST, extra_environment=environment)
    return median(
        float(_python("-c", _FIRST_REQUEST, extra_environment=environment).stdout)
        for _ in range(runs)
    )


def heaviest_packages(module: str, top: int) -> tuple[PackageCost, ...]:
    """Self time (under `-X importtime`) of everything `import module` loads, summed by
    top-level package: `pydantic_core.core_schema` counts towards `pydantic_core`."""
    report = _python("-X", "importtime", "-c", f"import {module}").stderr
    by_package: Counter[str] = Counter()
    for name, microseconds in _modules_loaded_by(module, report):
        by_package[name.split(".")[0]] += microseconds
    return tuple(
        PackageCost(package, microseconds / 1000)
        for package, microseconds in by_package.most_common(top)
    )


def _modules_loaded_by(module: str, report: str) -> list[tuple[str, int]]:
    """(name, self µs) of `module` and everything imported on its behalf.

    `-X importtime` prints a module after the modules it imported, indented two spaces per
    level; so `module`'s subtree is the run of indented lines just before its unindented line.
    """
    subtree: list[tuple[str, int]] = []
    for line in report.splitlines():
        if not line.startswith(_IMPORTTIME_PREFIX) or "imported package" in line:
            continue
        self_field, _, name_field = line.removeprefix(_IMPORTTIME_PREFIX).split("|")
        name = name_field.strip()
        subtree.append((name, int(self_field)))
        top_level = not name_field[1:].startswith(" ")
        if top_level:
            if name == module:
                return subtree
            subtree = []
    raise RuntimeError(f"-X importtime did not report `import {module}`")


def _timed_import(module: str) -> float:
    return float(_python("-c", _TIMED_IMPORT.format(module=module)).stdout)


def _python(
    *arguments: str, extra_environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """This interpreter, from the repository root, with this process's (bench) environment.
    Bytecode is written and read as a deployed package's would be, whatever the machine says:
    without it every run compiles every module again, which no warm Lambda image does."""
    environment = {**os.environ, **(extra_environment or {})}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, *arguments],
        cwd=_REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
