"""The Lambda package: what goes in the zip, what the runtime and the Powertools layer provide,
and the size check `make package` ends with.

The zip itself is built by `make package` (it downloads wheels); here, the same split is checked
on the installed packages: the app imports with only the zip's, the runtime's and the layer's.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from importlib.metadata import Distribution, distribution, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from deploy.layers import POWERTOOLS_DISTRIBUTION
from deploy.package_size import MAX_PACKAGE_MB, check_package_size, largest_entries, main

ROOT = Path(__file__).resolve().parents[2]
# What the Lambda Python runtime ships (the AWS SDK), and what the Powertools layer adds: the
# library and its Tracer's X-Ray SDK (the layer holds every extra; the app needs this one).
RUNTIME = [Requirement("boto3")]
LAYER = [Requirement(f"{POWERTOOLS_DISTRIBUTION}[tracer]")]
# Chalice puts its own runtime module (chalice.app) in every zip it builds.
CHALICE_RUNTIME = [Requirement("chalice")]


def requirements(path: Path) -> list[Requirement]:
    lines = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


# --- what the zip installs -----------------------------------------------------------------------


def test_the_zip_leaves_out_what_the_runtime_and_the_layer_provide() -> None:
    # Given what requirements.txt installs into the zip, dependencies included
    in_zip = closure(requirements(ROOT / "requirements.txt"))
    # Then neither the AWS SDK nor Powertools nor the X-Ray SDK are in it
    for provided in ("boto3", "botocore", "s3transfer", POWERTOOLS_DISTRIBUTION, "aws-xray-sdk"):
        assert canonicalize_name(provided) not in in_zip, provided


def test_the_dev_install_has_everything_the_zip_and_the_layer_have() -> None:
    # Given requirements-dev.txt, which the tests and the local stack run with
    text = (ROOT / "requirements-dev.txt").read_text()
    dev = {canonicalize_name(r.name): r for r in requirements(ROOT / "requirements-dev.txt")}
    # Then it installs the zip's requirements, and Powertools with its Tracer at the version the
    # template's layer parameter defaults to (the installed one)
    assert re.search(r"^-r requirements\.txt$", text, re.MULTILINE)
    powertools = dev[canonicalize_name(POWERTOOLS_DISTRIBUTION)]
    assert powertools.extras == {"tracer"}
    assert str(powertools.specifier) == f"=={version(POWERTOOLS_DISTRIBUTION)}"


def test_the_app_imports_with_only_the_zips_the_runtimes_and_the_layers_packages(
    tmp_path: Path,
) -> None:
    # Given a directory holding only the packages of the zip, the runtime and the layer
    site = tmp_path / "site-packages"
    site.mkdir()
    provided = closure([*requirements(ROOT / "requirements.txt"), *RUNTIME, *LAYER])
    for name in sorted(provided | closure(CHALICE_RUNTIME, follow=False)):
        for entry in top_level_entries(distribution(name)):
            target = site / entry.name
            if not target.exists():
                target.symlink_to(entry, target_is_directory=entry.is_dir())
    # When a Python without its own site-packages imports the app and every chalicelib module
    script = (
        "import importlib, pkgutil, sys\n"
        f"sys.path[:0] = [{str(site)!r}, {str(ROOT)!r}]\n"
        "import app, chalicelib\n"
        "for module in pkgutil.walk_packages(chalicelib.__path__, 'chalicelib.'):\n"
        "    importlib.import_module(module.name)\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-S", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    # Then nothing is missing
    assert result.returncode == 0, result.stderr


# --- the size check ------------------------------------------------------------------------------


def test_a_zip_within_the_limit_is_reported_and_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = a_zip(tmp_path, {"chalicelib/app.py": 1_000})
    assert main([str(package)]) == 0
    assert f"{package}: 0.0 MB (limit {MAX_PACKAGE_MB:.1f} MB)" in capsys.readouterr().out


def test_a_zip_over_the_limit_fails_naming_its_largest_parts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a zip of 1.2 MB, mostly botocore
    package = a_zip(tmp_path, {"botocore/data.json": 1_000_000, "jinja2/a.py": 200_000})
    # When its limit is 1 MB
    assert main([str(package), "--limit-mb", "1"]) == 1
    # Then the failure says so, largest part first
    error = capsys.readouterr().err
    assert "1.2 MB (limit 1.0 MB): too large" in error
    assert error.index("botocore") < error.index("jinja2")
    assert [name for name, _ in largest_entries(package)] == ["botocore", "jinja2"]
    assert check_package_size(package, 2)[0]


def a_zip(directory: Path, files: dict[str, int]) -> Path:
    """A zip of these files, of these sizes, stored uncompressed (so the size is predictable)."""
    path = directory / "deployment.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, size in files.items():
            archive.writestr(name, b"x" * size)
    return path


# --- installed distributions ---------------------------------------------------------------------


def closure(roots: Iterable[Requirement], *, follow: bool = True) -> set[str]:
    """The canonical names of the installed distributions `roots` install, dependencies (for
    this platform and Python, extras included) too unless not `follow`."""
    found: set[str] = set()
    pending = list(roots)
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        found.add(name)
        if not follow:
            continue
        for dependency in distribution(name).requires or []:
            needed = Requirement(dependency)
            extras = requirement.extras or {""}
            if needed.marker is None or any(
                needed.marker.evaluate({"extra": extra}) for extra in extras
            ):
                pending.append(needed)
    return found


def top_level_entries(dist: Distribution) -> set[Path]:
    """The packages, modules and metadata (pydantic asks for email-validator's version) a
    distribution installs at the top of site-packages, as a zip built by Chalice holds them."""
    entries: set[Path] = set()
    for file in dist.files or []:
        top = file.parts[0]
        if top.endswith(".pth") or top in {"..", "__pycache__", "bin"}:
            continue
        if len(file.parts) == 1 and not top.endswith(".py"):
            continue  # data files (licences) beside the packages
        entries.add(Path(str(dist.locate_file(top))))
    return entries
