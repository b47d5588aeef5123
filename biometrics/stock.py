"""The stock ``face_recognition`` package: the reference pipeline that ``egate bench match`` compares with, and
the face landmarks the simulated camera draws with. The gate's own matcher does not use it.

It is not among the dependencies pip resolves: its metadata requires the ``dlib`` source package, whose build
takes a quarter of an hour, while ``dlib-bin`` (a dependency) is the same library prebuilt. scripts/setup.sh
installs it with ``pip install --no-deps``; :func:`face_recognition_module` says so when it is missing.
"""

from __future__ import annotations

from types import ModuleType

INSTALL_HINT = "pip install --no-deps face_recognition==1.3.0 (scripts/setup.sh does this)"


class StockUnavailable(ImportError):
    """face_recognition is not installed."""


def face_recognition_module() -> ModuleType:
    """``face_recognition``, or :class:`StockUnavailable` with the command that installs it."""
    try:
        import face_recognition
    except ImportError as exc:
        raise StockUnavailable(f"the face_recognition package is not installed: {INSTALL_HINT}") from exc
    return face_recognition
