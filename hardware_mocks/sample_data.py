"""Where the simulated gate finds faces and test passports: ../shared/data when present, else the sample."""

from __future__ import annotations

import os
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent / "sample"
SHARED = Path(os.environ.get("EGATE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def faces_dir() -> Path:
    """A folder of ``<Person>/<image>.jpg`` faces: LFW from the shared data, or the shipped dozen."""
    shared = SHARED / "lfw" / "images"
    return shared if shared.is_dir() else SAMPLE / "faces"


def passport_dir(name: str | None = None) -> Path:
    """A test passport folder by name (``bsi2008``, ``tr03105``, ``loes2006``) or path; default the sample."""
    if name is None or name == "sample":
        return SAMPLE / "passport"
    path = Path(name)
    if path.is_dir():
        return path
    shared = SHARED / "emrtd" / name
    if shared.is_dir():
        return shared
    if name == "bsi2008":
        return SAMPLE / "passport"
    raise FileNotFoundError(f"no test passport {name!r} (looked in {SHARED / 'emrtd'} and the sample)")
