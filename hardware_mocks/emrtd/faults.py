"""Faults a simulated ePassport chip can be given, alone or combined.

Each fault changes the document before the chip is built (:meth:`Fault.apply_files`), the chip's
capabilities (:meth:`Fault.apply_options`) or its behaviour per command (:meth:`Fault.before_command`,
:meth:`Fault.before_read`). :func:`parse_fault` turns the command-line form (``slow:0.05``,
``remove:2:8000``) into a fault.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import ecdsa
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from hardware_mocks.emrtd.files import FID_DG, FID_SOD, ChipFiles
from hardware_mocks.emrtd.vpcd import CardRemoved
from passport import tlv

if TYPE_CHECKING:
    from hardware_mocks.emrtd.chip import ChipOptions, EmrtdChip


class FaultError(ValueError):
    """A fault specification cannot be parsed or applied."""


class Fault:
    """Base: every hook does nothing."""

    spec: str = ""

    def apply_files(self, files: ChipFiles) -> ChipFiles:
        return files

    def apply_options(self, options: ChipOptions) -> ChipOptions:
        return options

    def before_command(self, chip: EmrtdChip, apdu: bytes) -> bytes | None:
        """Return a response to send instead of processing ``apdu``, or None to go on."""
        return None

    def before_read(self, chip: EmrtdChip, fid: int, offset: int, length: int) -> None:
        """Called before the chip returns ``length`` bytes of ``fid`` from ``offset``."""


@dataclass
class AlteredDataGroup(Fault):
    """A data group changed after the SOD was signed: its hash no longer matches (passive auth fails)."""

    dg: int = 1
    spec: str = "altered-dg"

    def apply_files(self, files: ChipFiles) -> ChipFiles:
        fid = FID_DG.get(self.dg)
        if fid is None or fid not in files.files:
            raise FaultError(f"altered-dg: the document has no DG{self.dg}")
        data = bytearray(files.files[fid])
        if self.dg == 1:
            # keep DG1 a valid MRZ: change the first letter of the name field (MRZ position 6)
            pos = data.find(b"\x5f\x1f") + 3 + 5
            data[pos] = ord("X") if data[pos] != ord("X") else ord("Y")
        else:
            data[-1] ^= 0x01
        return files.with_file(fid, bytes(data))


@dataclass
class ClonedChip(Fault):
    """The data was copied to another chip: the AA and CA private keys do not match DG15/DG14."""

    spec: str = "cloned"

    def apply_files(self, files: ChipFiles) -> ChipFiles:
        return replace(
            files,
            aa_private_key=_foreign_key(files.aa_private_key),
            ca_private_key=_foreign_key(files.ca_private_key),
        )


@dataclass
class ResignedSOD(Fault):
    """The SOD is re-signed by another document signer (certificate + private key, e.g. from
    :mod:`hardware_mocks.emrtd.pki`): a revoked DSC, or one no trusted CSCA issued (a forged SOD).

    Without a signer, one issued by a fresh CSCA that no trust store holds is used ("unknown DSC").
    """

    certificate: Any = None
    private_key: Any = None
    spec: str = "unknown-dsc"

    def apply_files(self, files: ChipFiles) -> ChipFiles:
        sod = files.files.get(FID_SOD)
        if sod is None:
            raise FaultError(f"{self.spec}: the document has no EF.SOD")
        if self.certificate is None or self.private_key is None:
            from hardware_mocks.emrtd.pki import make_test_pki

            signer = make_test_pki().unknown_dsc
            self.certificate, self.private_key = signer.certificate, signer.private_key
        return files.with_file(FID_SOD, resign_sod(sod, self.certificate, self.private_key))


@dataclass
class SlowLink(Fault):
    """A slow contactless link: every APDU takes ``delay`` seconds more."""

    delay: float = 0.05
    spec: str = "slow"

    def before_command(self, chip: EmrtdChip, apdu: bytes) -> bytes | None:
        time.sleep(self.delay)
        return None


@dataclass
class ShortReadsOnly(Fault):
    """A chip without extended length: extended APDUs get 6700 and responses carry at most ``max_le`` bytes."""

    max_le: int = 0xDF
    spec: str = "short-reads"

    def apply_options(self, options: ChipOptions) -> ChipOptions:
        return replace(options, extended_length=False, max_le=min(self.max_le, 256))


@dataclass
class RemovedDuringRead(Fault):
    """The passport is pulled off the reader while ``dg`` is read, once the read reaches ``offset``."""

    dg: int = 2
    offset: int = 4000
    removed: bool = field(default=False, init=False)
    spec: str = "remove"

    def before_command(self, chip: EmrtdChip, apdu: bytes) -> bytes | None:
        if self.removed:
            raise CardRemoved("the chip has left the field")
        return None

    def before_read(self, chip: EmrtdChip, fid: int, offset: int, length: int) -> None:
        if fid == FID_DG.get(self.dg) and offset + length > self.offset:
            self.removed = True
            raise CardRemoved(f"removed while reading DG{self.dg} at offset {offset}")


@dataclass
class SessionDrop(Fault):
    """The chip loses its secure-messaging session after ``after`` protected APDUs and answers 6988."""

    after: int = 10
    repeat: bool = False
    count: int = field(default=0, init=False)
    fired: bool = field(default=False, init=False)
    spec: str = "sm-drop"

    def before_command(self, chip: EmrtdChip, apdu: bytes) -> bytes | None:
        if not chip.secure_messaging_active or (self.fired and not self.repeat):
            return None
        self.count += 1
        if self.count > self.after:
            self.count = 0
            self.fired = True
            chip.drop_session()
            return b"\x69\x88"
        return None


def _foreign_key(key: Any) -> bytes | None:
    """A fresh private key (PKCS#8 DER) of the same kind as ``key``: RSA of the same size, EC on the same
    curve (explicit-parameter curves such as brainpoolP224r1 go through ``ecdsa``)."""
    if key is None:
        return None
    if not isinstance(key, bytes | bytearray):
        key = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    try:
        loaded = serialization.load_der_private_key(bytes(key), None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        loaded = None
    if isinstance(loaded, rsa.RSAPrivateKey):
        fresh: Any = rsa.generate_private_key(65537, loaded.key_size)
    elif isinstance(loaded, ec.EllipticCurvePrivateKey):
        fresh = ec.generate_private_key(loaded.curve)
    else:
        try:
            original = ecdsa.SigningKey.from_der(bytes(key))
        except (ecdsa.der.UnexpectedDER, ValueError) as exc:
            raise FaultError(f"cloned: cannot read the chip's private key: {exc}") from exc
        return ecdsa.SigningKey.generate(curve=original.curve).to_der(
            format="pkcs8", curve_parameters_encoding="explicit"
        )
    return fresh.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def resign_sod(sod: bytes, certificate: x509.Certificate, private_key: Any) -> bytes:
    """EF.SOD with the same content and signed attributes, signed again by ``private_key`` (EC or RSA)
    and carrying ``certificate`` as its document signer certificate."""
    inner, _ = tlv.decode_one(sod)
    info = cms.ContentInfo.load(inner.value)
    signed = info["content"]
    signer = signed["signer_infos"][0]
    digest = signer["digest_algorithm"]["algorithm"].native
    hash_cls = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
                "sha384": hashes.SHA384, "sha512": hashes.SHA512}[digest]
    to_sign = b"\x31" + signer["signed_attrs"].dump()[1:]
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        signature = private_key.sign(to_sign, ec.ECDSA(hash_cls()))
        algorithm = f"{digest}_ecdsa"
    else:
        signature = private_key.sign(to_sign, padding.PKCS1v15(), hash_cls())
        algorithm = f"{digest}_rsa"
    cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    signer["sid"] = cms.SignerIdentifier(
        name="issuer_and_serial_number",
        value={"issuer": cert.issuer, "serial_number": cert.serial_number},
    )
    signer["signature_algorithm"] = cms.SignedDigestAlgorithm({"algorithm": algorithm})
    signer["signature"] = signature
    signed["certificates"] = [cert]
    return tlv.encode(0x77, info.dump(force=True))


_FAULTS: dict[str, tuple[type[Fault], tuple[str, ...]]] = {
    "altered-dg": (AlteredDataGroup, ("dg",)),
    "cloned": (ClonedChip, ()),
    "unknown-dsc": (ResignedSOD, ()),
    "slow": (SlowLink, ("delay",)),
    "short-reads": (ShortReadsOnly, ("max_le",)),
    "remove": (RemovedDuringRead, ("dg", "offset")),
    "sm-drop": (SessionDrop, ("after",)),
}

FAULT_HELP = (
    "altered-dg[:DG] (default 1), cloned, unknown-dsc, slow[:SECONDS] (0.05), short-reads[:MAXLE] (0xDF), "
    "remove[:DG[:OFFSET]] (2, 4000), sm-drop[:N] (10)"
)


def parse_fault(text: str) -> Fault:
    """``name[:arg[:arg]]`` → a fault; numbers may be decimal, hex (0x..) or float for ``slow``."""
    name, *args = text.strip().split(":")
    entry = _FAULTS.get(name)
    if entry is None:
        raise FaultError(f"unknown fault {name!r}; known: {FAULT_HELP}")
    cls, params = entry
    if len(args) > len(params):
        raise FaultError(f"fault {name!r} takes at most {len(params)} argument(s)")
    kwargs: dict[str, Any] = {}
    for param, raw in zip(params, args, strict=False):
        try:
            kwargs[param] = float(raw) if param == "delay" else int(raw, 0)
        except ValueError as exc:
            raise FaultError(f"fault {name!r}: {param}={raw!r} is not a number") from exc
    fault = cls(**kwargs)
    fault.spec = text
    return fault
