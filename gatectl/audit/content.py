"""What may go into an audit record: JSON values with no biometric data and no personal data in clear.

A record body is refused (:class:`ForbiddenContentError`, naming the field, never its value) when it holds
- bytes or any value that is not plain JSON (str, int, float, bool, None, dict, list);
- a field whose name says it carries an image or a template (``portrait``, ``face_image``, ``template``,
  ``descriptor``, ``embedding``, ...);
- a document number or MRZ in clear (``document_number``, ``mrz``, ...; a ``..._hash`` field is fine: use
  :meth:`AuditLog.document_hash`);
- names, dates or places of birth (``full_name``, ``surname``, ``date_of_birth``, ...);
- a string longer than :data:`MAX_STRING_CHARS`, a ``data:`` URI, or a string shaped like an MRZ line.
"""

from __future__ import annotations

import math
import re
from typing import Any

from gatectl.audit.errors import ForbiddenContentError

MAX_STRING_CHARS = 2000
MAX_DEPTH = 12

# Name tokens (a field name split at "_", "-" and case changes) that mark biometric data.
_BIOMETRIC_TOKENS = {
    "image", "images", "img", "portrait", "portraits", "photo", "photos", "picture", "jpeg", "jpg", "jp2",
    "png", "template", "templates", "descriptor", "descriptors", "embedding", "embeddings", "encoding",
    "encodings", "biometric", "biometrics", "dg2", "dg3", "dg4", "fingerprint", "fingerprints", "iris",
}
# Whole field names (normalised) that carry personal data in clear.
_PERSONAL_FIELDS = {
    "document_number", "doc_number", "documentnumber", "passport_number", "card_number", "number_of_document",
    "mrz", "mrz_lines", "mrz_line", "mrz_line1", "mrz_line2", "mrz_line3", "mrz_text", "dg1",
    "full_name", "names", "alias", "aliases", "surname", "surnames", "given_name", "given_names", "first_name", "last_name", "middle_name",
    "primary_identifier", "secondary_identifier", "holder_name", "traveller_name", "name_of_holder",
    "date_of_birth", "birth_date", "dob", "birth", "place_of_birth", "birth_place", "address",
    "personal_number", "optional_data",
}
_ALLOWED_SUFFIXES = ("_hash", "_hmac", "_present", "_ok", "_count", "_verified", "_match")
_MRZ_LINE = re.compile(r"^[A-Z0-9<]{28,44}$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _normalise(key: str) -> str:
    return _CAMEL.sub("_", key).lower().replace("-", "_").replace(" ", "_")


def _key_problem(key: str) -> str | None:
    name = _normalise(key)
    if name.endswith(_ALLOWED_SUFFIXES):
        return None
    if name in _PERSONAL_FIELDS:
        return "personal data in clear is never recorded (document numbers only as keyed hashes)"
    if set(name.split("_")) & _BIOMETRIC_TOKENS:
        return "images and biometric templates are never recorded"
    return None


def _string_problem(value: str) -> str | None:
    if len(value) > MAX_STRING_CHARS:
        return f"a string longer than {MAX_STRING_CHARS} characters (images are never recorded)"
    if value[:5].lower() == "data:":
        return "a data URI (images are never recorded)"
    if "<<" in value and _MRZ_LINE.match(value):
        return "a string shaped like an MRZ line (personal data in clear is never recorded)"
    return None


def check_body(body: Any, path: str = "body", depth: int = 0) -> None:
    """Raise :class:`ForbiddenContentError` at the first field that may not be recorded."""
    if depth > MAX_DEPTH:
        raise ForbiddenContentError(path, f"nested deeper than {MAX_DEPTH} levels")
    if body is None or isinstance(body, bool | int):
        return
    if isinstance(body, float):
        if not math.isfinite(body):
            raise ForbiddenContentError(path, "not a finite number")
        return
    if isinstance(body, str):
        problem = _string_problem(body)
        if problem:
            raise ForbiddenContentError(path, problem)
        return
    if isinstance(body, dict):
        for key, value in body.items():
            if not isinstance(key, str):
                raise ForbiddenContentError(path, "a field name that is not a string")
            problem = _key_problem(key)
            if problem:
                raise ForbiddenContentError(f"{path}.{key}", problem)
            check_body(value, f"{path}.{key}", depth + 1)
        return
    if isinstance(body, list | tuple):
        for i, value in enumerate(body):
            check_body(value, f"{path}[{i}]", depth + 1)
        return
    kind = "bytes" if isinstance(body, bytes | bytearray | memoryview) else type(body).__name__
    raise ForbiddenContentError(path, f"a {kind} value (only JSON values are recorded; never raw data)")
