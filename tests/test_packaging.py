"""Packaging: every third-party package the code imports is declared, nothing declared goes unused, and the
runtime wheel holds the gate and its licence but not the simulators, sample faces or test passports."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_PACKAGES = ("passport", "biometrics", "devices", "gatectl", "ui_kiosk")
OURS = {*RUNTIME_PACKAGES, "hardware_mocks", "tests", "conftest"}
# Declared, but never imported under their own name: dlib-bin installs the module ``dlib``;
# setuptools is there for ``pkg_resources``, which face_recognition_models imports.
PROVIDERS = {"dlib-bin": "dlib", "setuptools": "pkg_resources"}
# Imported, deliberately not resolved by pip (biometrics/stock.py says why).
NOT_RESOLVED = {"face_recognition"}


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def requirement_name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].strip().lower().replace("_", "-")


def imported_modules(packages: tuple[str, ...]) -> set[str]:
    """Top-level names of every import (also the lazy ones inside functions) in ``packages``."""
    names: set[str] = set()
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in OURS and n != "__future__"}


def distributions_of(modules: set[str]) -> dict[str, set[str]]:
    """Module -> the installed distributions that provide it (normalised names)."""
    provided = metadata.packages_distributions()
    return {m: {d.lower().replace("_", "-") for d in provided.get(m, [])} for m in modules}


def test_every_imported_package_is_declared() -> None:
    project = pyproject()["project"]
    runtime = {requirement_name(r) for r in project["dependencies"]}
    extras = {requirement_name(r) for reqs in project["optional-dependencies"].values() for r in reqs}
    undeclared = {}
    for module, dists in distributions_of(imported_modules(RUNTIME_PACKAGES) - NOT_RESOLVED).items():
        dists |= {name for name, provided in PROVIDERS.items() if provided == module}
        if not dists & runtime and module not in {"matplotlib"}:
            undeclared[module] = sorted(dists) or ["not installed"]
    assert not undeclared, f"imported by the gate but not in dependencies: {undeclared}"
    # matplotlib draws the optional DET plot only: the extra egate[plots]
    assert "matplotlib" in extras and "matplotlib" not in runtime


def test_every_declared_dependency_is_imported() -> None:
    imported = imported_modules((*RUNTIME_PACKAGES, "hardware_mocks"))
    provided = metadata.packages_distributions()
    used = {d.lower().replace("_", "-") for m in imported for d in provided.get(m, [])}
    unused = [
        name for name in map(requirement_name, pyproject()["project"]["dependencies"])
        if name not in used and PROVIDERS.get(name) not in imported and name != "setuptools"
    ]
    assert not unused, f"declared but never imported: {unused}"


def test_licence_is_the_apache_text() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text and pyproject()["project"]["license"] == "Apache-2.0"


def test_runtime_wheel_content(tmp_path: Path) -> None:
    """Builds the wheel offline (about 3 s) with the venv's setuptools and reads its file list.

    From a copy of the working tree: setuptools would otherwise reuse whatever an earlier build left in build/.
    """
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "__pycache__", ".hypothesis", ".ruff_cache", ".pytest_cache", "out"))
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path),
         str(source)],
        capture_output=True, text=True, timeout=120,
    )
    if out.returncode and "bdist_wheel" in out.stderr:
        pytest.fail("the venv's setuptools cannot build wheels; scripts/setup.sh installs setuptools>=77")
    assert out.returncode == 0, out.stderr[-2000:]
    (wheel,) = tmp_path.glob("egate-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.startswith("egate-")}
    assert tops == set(RUNTIME_PACKAGES)
    assert "gatectl/simulated_gate.toml" in names and "ui_kiosk/templates/technician.html" in names
    assert not [n for n in names if n.lower().endswith((".jpg", ".jpeg", ".png", ".bin"))]
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names)
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(meta).decode()
    assert "Requires-Dist: matplotlib" in text and 'extra == "plots"' in text
    assert not re.search(r"^Requires-Dist: face.recognition[^_]", text, re.M | re.I)


def test_simulator_commands_without_hardware_mocks_say_where_it_is(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gatectl.cli import SIMULATORS_MISSING, main

    monkeypatch.setitem(sys.modules, "hardware_mocks", None)  # as in an installed wheel: not importable
    monkeypatch.setitem(sys.modules, "hardware_mocks.rig", None)
    assert main(["demo", "--rounds", "1"]) == 2
    assert SIMULATORS_MISSING in capsys.readouterr().err


def test_missing_face_recognition_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from biometrics.stock import INSTALL_HINT, StockUnavailable, face_recognition_module

    monkeypatch.setitem(sys.modules, "face_recognition", None)
    with pytest.raises(StockUnavailable, match="--no-deps face_recognition"):
        face_recognition_module()
    assert "scripts/setup.sh" in INSTALL_HINT
