"""Faults a simulated ePassport chip can be given, alone or combined.

Each fault changes the document before the chip is built (:meth:`Fault.apply_files`), the chip's
capabilities (:meth:`Fault.apply_options`) or its behaviour per command (:meth:`Fault.before_command`,
:meth:`Fault.before_read`, :meth:`Fault.after_response`). Some reproduce issuers' quirks that a reader must
take (``no-sfi``, ``sm-trailer``, ``app-selected``), others attacks it must catch (``com-omits`` with
``cloned``, ``pace-bad-token``, ``pace-bad-map``, ``bad-mac``). :func:`parse_fault` turns the command-line form (``slow:0.05``,
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
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hardware_mocks.emrtd.files import FID_COM, FID_DG, FID_SOD, ChipFiles
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

    def after_response(self, chip: EmrtdChip, apdu: bytes, response: bytes) -> bytes:
        """Return the response to send for ``apdu`` (``response`` is what the chip computed)."""
        return response


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
    """A slow contactless link: every APDU takes ``delay`` seconds more and, with ``bitrate`` (bit/s, e.g.
    106000 to 848000 for ISO/IEC 14443), each command and response byte its time on the air as well."""

    delay: float = 0.05
    bitrate: int = 0
    spec: str = "slow"

    def before_command(self, chip: EmrtdChip, apdu: bytes) -> bytes | None:
        time.sleep(self.delay + (len(apdu) * 10 / self.bitrate if self.bitrate > 0 else 0.0))
        return None

    def after_response(self, chip: EmrtdChip, apdu: bytes, response: bytes) -> bytes:
        if self.bitrate > 0:
            time.sleep(len(response) * 10 / self.bitrate)  # 8 data bits + start and parity bits a byte
        return response


@dataclass
class CryptoTime(Fault):
    """The chip's own computing time: every GENERAL AUTHENTICATE (PACE, chip authentication) and INTERNAL
    AUTHENTICATE (active authentication) takes ``seconds`` more, as a smart-card processor's ECDH or RSA does."""

    seconds: float = 0.15
    spec: str = "crypto-time"

    def before_command(self, chip: EmrtdChip, apdu: bytes) -> bytes | None:
        if len(apdu) >= 2 and apdu[1] in (0x86, 0x88):
            time.sleep(self.seconds)
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


@dataclass
class ComOmitsDataGroup(Fault):
    """EF.COM (which no signature covers) leaves out data group ``dg``, e.g. DG14 on a cloned chip so that
    a reader trusting EF.COM would skip chip authentication."""

    dg: int = 14
    spec: str = "com-omits"

    def apply_files(self, files: ChipFiles) -> ChipFiles:
        from passport.lds.com import EFCom, decode_com, encode_com
        from passport.lds.files import TAG_TO_DG

        com = decode_com(files.files[FID_COM])
        tags = tuple(t for t in com.tags if TAG_TO_DG.get(t) != self.dg)
        return files.with_file(FID_COM, encode_com(EFCom(com.lds_version, com.unicode_version, tags)))


@dataclass
class NoShortFileIds(Fault):
    """A chip that does not take READ BINARY with a short EF identifier and answers it with ``sw``
    (real chips answer 6986, 6A82, 6B00, 6A86, 6D00 or 6F00)."""

    sw: int = 0x6986
    spec: str = "no-sfi"

    def apply_options(self, options: ChipOptions) -> ChipOptions:
        return replace(options, sfi_refusal=self.sw)


@dataclass
class TrailerDiffers(Fault):
    """Every protected response carries a plain status word that differs from the one in DO'99'
    (9000 outside when DO'99' holds an error or warning, 6282 outside when DO'99' holds 9000)."""

    spec: str = "sm-trailer"

    def after_response(self, chip: EmrtdChip, apdu: bytes, response: bytes) -> bytes:
        if not _protected(apdu) or len(response) < 16 or response[-16:-14] != b"\x99\x02":
            return response
        inner = response[-14:-12]
        return response[:-2] + (b"\x62\x82" if inner == b"\x90\x00" else b"\x90\x00")


@dataclass
class StaysInApplication(Fault):
    """The eMRTD application is still selected when a new connection starts (pcscd and many readers do
    not power-cycle the card between connections): EF.CardAccess, in the master file, is then not found."""

    spec: str = "app-selected"

    def apply_options(self, options: ChipOptions) -> ChipOptions:
        return replace(options, start_in_application=True)


@dataclass
class BadResponseMac(Fault):
    """The MAC of ``count`` protected responses, from the ``after``-th on, is corrupted (a tampered or
    relayed answer)."""

    after: int = 5
    count: int = 1
    seen: int = field(default=0, init=False)
    spec: str = "bad-mac"

    def after_response(self, chip: EmrtdChip, apdu: bytes, response: bytes) -> bytes:
        if not _protected(apdu) or len(response) < 12:
            return response
        self.seen += 1
        if not self.after <= self.seen < self.after + self.count:
            return response
        return response[:-3] + bytes([response[-3] ^ 0x01]) + response[-2:]


@dataclass
class PaceRefused(Fault):
    """The chip refuses MSE:Set AT for PACE with ``sw`` (before any key agreement): BAC may follow."""

    sw: int = 0x6A80
    spec: str = "pace-refused"

    def before_command(self, chip: EmrtdChip, apdu: bytes) -> bytes | None:
        if len(apdu) >= 4 and apdu[0] == 0x00 and apdu[1:4] == b"\x22\xc1\xa4":
            return self.sw.to_bytes(2, "big")
        return None


@dataclass
class PaceBadToken(Fault):
    """The chip's PACE authentication token T_IC is wrong (the last GENERAL AUTHENTICATE)."""

    spec: str = "pace-bad-token"

    def after_response(self, chip: EmrtdChip, apdu: bytes, response: bytes) -> bytes:
        if len(apdu) < 4 or apdu[:2] != b"\x00\x86" or response[-2:] != b"\x90\x00":
            return response
        at = response.find(b"\x86\x08")
        if at < 0:
            return response
        out = bytearray(response)
        out[at + 9] ^= 0x01
        return bytes(out)


@dataclass
class PaceBadMapping(Fault):
    """The chip's mapping public key (GENERAL AUTHENTICATE step 2) is not a valid group element."""

    spec: str = "pace-bad-map"

    def after_response(self, chip: EmrtdChip, apdu: bytes, response: bytes) -> bytes:
        if len(apdu) < 8 or apdu[:2] != b"\x10\x86" or b"\x82" not in response[:4]:
            return response
        if response[-2:] != b"\x90\x00" or len(response) < 8:
            return response
        return response[:-3] + bytes([response[-3] ^ 0x01]) + response[-2:]


def _protected(apdu: bytes) -> bool:
    return len(apdu) >= 4 and apdu[0] & 0x0C == 0x0C


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
    from hardware_mocks.emrtd.pki import sign_attributes

    to_sign = b"\x31" + signer["signed_attrs"].dump()[1:]
    signature, algorithm = sign_attributes(private_key, to_sign, digest)
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
    "slow": (SlowLink, ("delay", "bitrate")),
    "crypto-time": (CryptoTime, ("seconds",)),
    "short-reads": (ShortReadsOnly, ("max_le",)),
    "remove": (RemovedDuringRead, ("dg", "offset")),
    "sm-drop": (SessionDrop, ("after",)),
    "com-omits": (ComOmitsDataGroup, ("dg",)),
    "no-sfi": (NoShortFileIds, ("sw",)),
    "sm-trailer": (TrailerDiffers, ()),
    "app-selected": (StaysInApplication, ()),
    "bad-mac": (BadResponseMac, ("after", "count")),
    "pace-refused": (PaceRefused, ("sw",)),
    "pace-bad-token": (PaceBadToken, ()),
    "pace-bad-map": (PaceBadMapping, ()),
}

FAULT_HELP = (
    "altered-dg[:DG] (default 1), cloned, unknown-dsc, slow[:SECONDS[:BITRATE]] (0.05, none), crypto-time[:SECONDS] (0.15), short-reads[:MAXLE] (0xDF), "
    "remove[:DG[:OFFSET]] (2, 4000), sm-drop[:N] (10), com-omits[:DG] (14), no-sfi[:SW] (0x6986), "
    "sm-trailer, app-selected, bad-mac[:N[:COUNT]] (5, 1), pace-refused[:SW] (0x6A80), pace-bad-token, "
    "pace-bad-map"
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
            kwargs[param] = float(raw) if param in ("delay", "seconds") else int(raw, 0)
        except ValueError as exc:
            raise FaultError(f"fault {name!r}: {param}={raw!r} is not a number") from exc
    fault = cls(**kwargs)
    fault.spec = text
    return fault
