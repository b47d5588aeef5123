"""DG2: encoded face (Doc 9303-10 §4.7.2), biometric data blocks per ISO/IEC 19794-5:2005 or 39794-5.

Layout: 75 { 7F61 { 02 count, 7F60 { A1 header template, 5F2E or 7F2E biometric data block } ... } }.
A 5F2E block is the binary ISO/IEC 19794-5 facial record ("FAC\\0" "010\\0" ...); a 7F2E block is the
DER-encoded ISO/IEC 39794-5 structure, from which the image data is located but not fully interpreted.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from passport.errors import LDSError, TLVError
from passport.lds.files import DATA_GROUPS, children, unwrap
from passport.lds.image import decode_image, image_format
from passport.tlv import TLV, encode

TAG = DATA_GROUPS[2].tag
TAG_BIT_GROUP = 0x7F61
TAG_BIT = 0x7F60
TAG_BHT = 0xA1
TAG_BDB_19794 = 0x5F2E
TAG_BDB_39794 = 0x7F2E
MAX_TEMPLATES = 16
MAX_FACES = 16
MAX_FEATURE_POINTS = 256

FORMAT_IDENTIFIER = b"FAC\x00"
VERSION_2005 = b"010\x00"
IMAGE_DATA_JPEG = 0
IMAGE_DATA_JPEG2000 = 1

_FACE_INFO = struct.Struct(">IHBBB3s2s3s3s")  # 20 bytes
_FEATURE_POINT = struct.Struct(">BBHHH")  # 8 bytes
_IMAGE_INFO = struct.Struct(">BBHHBBHH")  # 12 bytes
_HEADER = struct.Struct(">4s4sIH")  # 14 bytes


@dataclass(frozen=True)
class FeaturePoint:
    type: int
    code: int  # major code in the high nibble, minor in the low one (e.g. 0x31 = 3.1)
    x: int
    y: int
    reserved: int = 0


@dataclass(frozen=True)
class FaceImage:
    """One facial record: facial information, feature points, image information and the image bytes."""

    image_data: bytes
    width: int = 0
    height: int = 0
    image_data_type: int = IMAGE_DATA_JPEG  # 0 JPEG, 1 JPEG 2000
    face_image_type: int = 1  # 0 basic, 1 full frontal, 2 token frontal
    colour_space: int = 1  # 1 24-bit RGB
    source_type: int = 2  # 2 digital still camera
    device_type: int = 0
    quality: int = 0
    gender: int = 0
    eye_colour: int = 0
    hair_colour: int = 0
    feature_mask: bytes = b"\x00\x00\x00"
    expression: bytes = b"\x00\x00"
    pose_angle: bytes = b"\x00\x00\x00"
    pose_angle_uncertainty: bytes = b"\x00\x00\x00"
    feature_points: tuple[FeaturePoint, ...] = ()

    @property
    def image_format(self) -> str | None:
        return image_format(self.image_data)

    def decode(self) -> np.ndarray:
        """The face image as a uint8 array (h, w[, 3]).

        The width and height of the image information block are not enforced: issued test documents
        disagree with their own images (bsi2008 states 337x449 for a 413x531 JPEG 2000). See
        :meth:`header_size_matches`.
        """
        return decode_image(self.image_data)

    def header_size_matches(self, pixels: np.ndarray) -> bool:
        return pixels.shape[:2] == (self.height, self.width)


@dataclass(frozen=True)
class BiometricTemplate:
    """One biometric information template (7F60)."""

    header: tuple[tuple[int, bytes], ...]  # biometric header template elements, in stored order
    faces: tuple[FaceImage, ...]
    standard: str = "ISO/IEC 19794-5"  # or "ISO/IEC 39794-5"
    version: bytes = VERSION_2005
    raw_bdb: bytes = b""  # the 7F2E contents, kept verbatim (39794-5 only)


@dataclass(frozen=True)
class DG2:
    templates: tuple[BiometricTemplate, ...] = field(default_factory=tuple)

    @property
    def faces(self) -> list[FaceImage]:
        return [f for t in self.templates for f in t.faces]


DEFAULT_HEADER: tuple[tuple[int, bytes], ...] = (
    (0x81, b"\x02"),  # biometric type: facial features
    (0x82, b"\x00"),  # subtype: none
    (0x87, b"\x01\x01"),  # format owner: ISO/IEC JTC 1/SC 37
    (0x88, b"\x00\x08"),  # format type: face image (19794-5)
)


# ---------------------------------------------------------------------------------------------------------
# decoding


def _parse_face_record(data: bytes, offset: int) -> tuple[FaceImage, int]:
    if offset + _FACE_INFO.size > len(data):
        raise LDSError("DG2: truncated facial information block")
    (length, n_points, gender, eye, hair, mask, expression, pose, pose_unc) = _FACE_INFO.unpack_from(
        data, offset
    )
    end = offset + length
    fixed = _FACE_INFO.size + n_points * _FEATURE_POINT.size + _IMAGE_INFO.size
    if n_points > MAX_FEATURE_POINTS:
        raise LDSError(f"DG2: {n_points} feature points exceeds {MAX_FEATURE_POINTS}")
    if length < fixed or end > len(data):
        raise LDSError(f"DG2: facial record length {length} inconsistent with the data")
    pos = offset + _FACE_INFO.size
    points = []
    for _ in range(n_points):
        points.append(FeaturePoint(*_FEATURE_POINT.unpack_from(data, pos)))
        pos += _FEATURE_POINT.size
    (ftype, dtype, width, height, colour, source, device, quality) = _IMAGE_INFO.unpack_from(data, pos)
    pos += _IMAGE_INFO.size
    face = FaceImage(
        image_data=bytes(data[pos:end]),
        width=width,
        height=height,
        image_data_type=dtype,
        face_image_type=ftype,
        colour_space=colour,
        source_type=source,
        device_type=device,
        quality=quality,
        gender=gender,
        eye_colour=eye,
        hair_colour=hair,
        feature_mask=mask,
        expression=expression,
        pose_angle=pose,
        pose_angle_uncertainty=pose_unc,
        feature_points=tuple(points),
    )
    return face, end


def parse_19794_5(bdb: bytes) -> tuple[bytes, tuple[FaceImage, ...]]:
    """ISO/IEC 19794-5:2005 facial record data → (version, faces)."""
    if len(bdb) < _HEADER.size:
        raise LDSError("DG2: biometric data block shorter than the 19794-5 header")
    fmt, version, record_length, count = _HEADER.unpack_from(bdb, 0)
    if fmt != FORMAT_IDENTIFIER:
        raise LDSError(f"DG2: format identifier {fmt!r} is not 'FAC'")
    if version != VERSION_2005:
        raise LDSError(f"DG2: 19794-5 version {version!r} is not supported (only 010)")
    if record_length != len(bdb):
        raise LDSError(f"DG2: record length {record_length} but the block holds {len(bdb)} bytes")
    if not 1 <= count <= MAX_FACES:
        raise LDSError(f"DG2: {count} facial images (expected 1..{MAX_FACES})")
    faces = []
    offset = _HEADER.size
    for _ in range(count):
        face, offset = _parse_face_record(bdb, offset)
        faces.append(face)
    if offset != len(bdb):
        raise LDSError(f"DG2: {len(bdb) - offset} bytes after the last facial record")
    return version, tuple(faces)


def _child(node: TLV, tag: int) -> TLV | None:
    return node.find(tag) if node.constructed else None


def _small_int(node: TLV | None) -> int:
    if node is None or node.constructed or not 1 <= len(node.value) <= 3:
        return 0
    return int.from_bytes(node.value, "big")


def _representation_2d(block: TLV) -> TLV | None:
    """ImageRepresentation2DBlock inside a RepresentationBlock: imageRepresentation [1] → base [0] →
    imageRepresentation2DBlock [0] (CHOICEs are explicitly tagged), recognised by its [0] data and [1] info."""
    node = _child(block, 0xA1)
    for _ in range(3):
        if node is None or not node.constructed:
            return None
        if _child(node, 0x80) is not None and _child(node, 0xA1) is not None:
            return node
        node = _child(node, 0xA0)
    return None


def _faces_39794_structured(bdb: TLV) -> list[FaceImage]:
    """FaceImageDataBlock ::= [APPLICATION 5] SEQUENCE { versionBlock [0], representationBlocks [1] SEQUENCE
    OF RepresentationBlock }; the block may sit directly in 7F2E or under a [1] wrapper."""
    node: TLV | None = bdb
    for _ in range(3):
        if node is None or not node.constructed:
            return []
        if _child(node, 0xA0) is not None and _child(node, 0xA1) is not None:
            break
        node = _child(node, 0x65) or _child(node, 0xA1)
    else:
        return []
    faces = []
    for block in node.require(0xA1).children():  # type: ignore[union-attr]
        rep = _representation_2d(block)
        if rep is None:
            continue
        data = rep.require(0x80).value
        size = _child(rep.require(0xA1), 0xA7)
        width = _small_int(_child(size, 0x80)) if size is not None else 0
        height = _small_int(_child(size, 0x81)) if size is not None else 0
        fmt = image_format(data)
        dtype = IMAGE_DATA_JPEG2000 if fmt == "jpeg2000" else IMAGE_DATA_JPEG
        faces.append(FaceImage(image_data=data, width=width, height=height, image_data_type=dtype))
    return faces


def _parse_39794_5(bdb: TLV) -> tuple[FaceImage, ...]:
    """Faces of a DER-encoded ISO/IEC 39794-5 block: by its structure where it matches the schema, else
    every primitive value that holds a JPEG or JPEG 2000 image (sizes then unknown)."""
    try:
        faces = _faces_39794_structured(bdb)
        if not faces:
            for node in bdb.walk():
                if not node.constructed and image_format(node.value) is not None:
                    dtype = IMAGE_DATA_JPEG if image_format(node.value) == "jpeg" else IMAGE_DATA_JPEG2000
                    faces.append(FaceImage(image_data=node.value, image_data_type=dtype))
    except TLVError as exc:
        raise LDSError(f"DG2: malformed ISO/IEC 39794-5 block: {exc}") from exc
    if not faces:
        raise LDSError("DG2: no image data found in the ISO/IEC 39794-5 block")
    if len(faces) > MAX_FACES:
        raise LDSError(f"DG2: more than {MAX_FACES} representations")
    return tuple(faces)


def _parse_template(bit: TLV) -> BiometricTemplate:
    items = children(bit, "DG2")
    bht = [c for c in items if c.tag == TAG_BHT]
    bdbs = [c for c in items if c.tag in (TAG_BDB_19794, TAG_BDB_39794)]
    if len(bht) != 1 or len(bdbs) != 1 or len(items) != 2:
        raise LDSError("DG2: a biometric information template needs one header (A1) and one data block")
    header = tuple((c.tag, c.value) for c in children(bht[0], "DG2 header"))
    bdb = bdbs[0]
    if bdb.tag == TAG_BDB_19794:
        version, faces = parse_19794_5(bdb.value)
        return BiometricTemplate(header, faces, "ISO/IEC 19794-5", version)
    return BiometricTemplate(header, _parse_39794_5(bdb), "ISO/IEC 39794-5", b"", bdb.value)


def decode_dg2(data: bytes) -> DG2:
    tlv = unwrap(data, TAG, "DG2")  # type: ignore[arg-type]
    groups = children(tlv, "DG2")
    if len(groups) != 1 or groups[0].tag != TAG_BIT_GROUP:
        raise LDSError("DG2: expected a single biometric information group template 7F61")
    items = children(groups[0], "DG2")
    if not items or items[0].tag != 0x02 or len(items[0].value) != 1:
        raise LDSError("DG2: biometric information group lacks its instance count")
    count = items[0].value[0]
    templates = [c for c in items[1:] if c.tag == TAG_BIT]
    if len(templates) != len(items) - 1:
        raise LDSError("DG2: unexpected element in the biometric information group")
    if not 1 <= count <= MAX_TEMPLATES or count != len(templates):
        raise LDSError(f"DG2: instance count {count} but {len(templates)} templates")
    return DG2(tuple(_parse_template(t) for t in templates))


# ---------------------------------------------------------------------------------------------------------
# encoding


def _encode_face(face: FaceImage) -> bytes:
    if len(face.feature_points) > MAX_FEATURE_POINTS:
        raise LDSError("DG2: too many feature points")
    body = b"".join(_FEATURE_POINT.pack(p.type, p.code, p.x, p.y, p.reserved) for p in face.feature_points)
    body += _IMAGE_INFO.pack(
        face.face_image_type,
        face.image_data_type,
        face.width,
        face.height,
        face.colour_space,
        face.source_type,
        face.device_type,
        face.quality,
    )
    body += face.image_data
    length = _FACE_INFO.size + len(body)
    info = _FACE_INFO.pack(
        length,
        len(face.feature_points),
        face.gender,
        face.eye_colour,
        face.hair_colour,
        face.feature_mask,
        face.expression,
        face.pose_angle,
        face.pose_angle_uncertainty,
    )
    return info + body


def encode_19794_5(faces: tuple[FaceImage, ...] | list[FaceImage], version: bytes = VERSION_2005) -> bytes:
    records = b"".join(_encode_face(f) for f in faces)
    return _HEADER.pack(FORMAT_IDENTIFIER, version, _HEADER.size + len(records), len(faces)) + records


def _encode_template(t: BiometricTemplate) -> bytes:
    header = encode(TAG_BHT, b"".join(encode(tag, value) for tag, value in t.header))
    if t.standard == "ISO/IEC 39794-5":
        bdb = encode(TAG_BDB_39794, t.raw_bdb)
    else:
        bdb = encode(TAG_BDB_19794, encode_19794_5(t.faces, t.version))
    return encode(TAG_BIT, header + bdb)


def encode_dg2(dg2: DG2) -> bytes:
    if not 1 <= len(dg2.templates) <= MAX_TEMPLATES:
        raise LDSError("DG2: needs 1..16 biometric templates")
    body = encode(0x02, bytes([len(dg2.templates)])) + b"".join(_encode_template(t) for t in dg2.templates)
    return encode(TAG, encode(TAG_BIT_GROUP, body))  # type: ignore[arg-type]


def make_dg2(image_data: bytes, width: int, height: int, **face_fields: object) -> bytes:
    """DG2 bytes for one portrait (JPEG or JPEG 2000, detected from the bytes) with a standard header."""
    fmt = image_format(image_data)
    if fmt is None:
        raise LDSError("DG2: portrait must be JPEG or JPEG 2000")
    dtype = IMAGE_DATA_JPEG if fmt == "jpeg" else IMAGE_DATA_JPEG2000
    face = FaceImage(image_data=image_data, width=width, height=height, image_data_type=dtype, **face_fields)  # type: ignore[arg-type]
    return encode_dg2(DG2((BiometricTemplate(DEFAULT_HEADER, (face,)),)))
