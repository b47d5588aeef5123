"""Active and chip authentication, terminal side, against a chip simulated in process with the real keys of
the BSI TR-03105 test document (DG15_sk.pkcs8 for AA, DG14_sk.pkcs8 for CA), under real secure messaging."""

from __future__ import annotations

import os
import secrets

import pytest
from asn1crypto import core, keys
from conftest import shared_data
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hardware_mocks.emrtd import auth as emrtd_auth
from passport import crypto, tlv
from passport.active_auth import AAResult, active_authenticate, iso9796_2_recover, verify_aa_signature
from passport.apdu import CommandAPDU, ResponseAPDU
from passport.chip_auth import chip_authenticate, generate_ephemeral, select_protocol, shared_secret
from passport.errors import AuthenticationError, SecureMessagingError
from passport.lds.dg14 import (
    ActiveAuthenticationInfo,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    SecurityInfos,
    decode_dg14,
    encode_dg14,
)
from passport.lds.dg15 import decode_dg15
from passport.lds.public_key import load_public_key
from passport.sm import SecureChannel, SecureMessaging

CA_3DES = "0.4.0.127.0.7.2.2.3.2.1"
CA_AES128 = "0.4.0.127.0.7.2.2.3.2.2"
CA_AES256 = "0.4.0.127.0.7.2.2.3.2.4"
CA_DH_3DES = "0.4.0.127.0.7.2.2.3.1.1"


def tr03105(file: str) -> bytes:
    return (shared_data("emrtd", "tr03105") / file).read_bytes()


# --- a chip in process: secure messaging on the card side plus the commands AA/CA need ---------------------


class ChipSession:
    """Card-side secure messaging (Doc 9303-11 §9.8): verifies command MACs and protects responses."""

    def __init__(self, sm: SecureMessaging):
        self.sm = sm

    def unwrap_command(self, raw: bytes) -> CommandAPDU:
        cmd = CommandAPDU.from_bytes(raw)
        self.sm.increment()
        dos = tlv.decode(cmd.data)
        if not dos or dos[-1].tag != 0x8E:
            raise SecureMessagingError("no MAC")
        header = crypto.pad(bytes([cmd.cla, cmd.ins, cmd.p1, cmd.p2]), self.sm.block_size)
        body = b"".join(d.to_bytes() for d in dos[:-1])
        if self.sm.mac(header + body) != dos[-1].value:
            raise SecureMessagingError("command MAC does not verify")
        data, le = b"", None
        for d in dos[:-1]:
            if d.tag in (0x85, 0x87):
                data = self.sm.decrypt_data_object(d.tag, d.value)
            elif d.tag == 0x97:
                le = int.from_bytes(d.value, "big") or 256
        return CommandAPDU(cmd.cla & 0xF3, cmd.ins, cmd.p1, cmd.p2, data, le=le)

    def wrap_response(self, data: bytes, sw: int) -> bytes:
        self.sm.increment()
        body = (self.sm.data_object(data, False) if data else b"") + tlv.encode(0x99, sw.to_bytes(2, "big"))
        return body + tlv.encode(0x8E, self.sm.mac(body)) + sw.to_bytes(2, "big")


class SimulatedChip:
    """Transport (bytes in, bytes out) answering under secure messaging, as a chip after BAC/PACE."""

    def __init__(
        self, session_keys: tuple[bytes, bytes], *, dg14=None, ca_key=None, aa_key=None, aa_hash=None
    ):
        self.session = ChipSession(SecureMessaging(*session_keys, 0x1122334455667788, "3DES"))
        self.dg14, self.ca_key, self.aa_key, self.aa_hash = dg14, ca_key, aa_key, aa_hash
        self.ef_com = tr03105("EF_COM.bin")
        self.ca_oid: str | None = None
        self.refuse: set[int] = set()
        self.seen: list[int] = []

    def transmit(self, raw: bytes) -> bytes:
        try:
            cmd = self.session.unwrap_command(raw)
        except SecureMessagingError:
            return b"\x69\x88"
        self.seen.append(cmd.ins)
        switch = None
        data, sw = b"", 0x9000
        if cmd.ins in self.refuse:
            sw = 0x6A80
        elif cmd.ins == 0x88:
            data = emrtd_auth.aa_sign(self.aa_key, cmd.data, self.aa_hash)
        elif cmd.ins == 0x22 and (cmd.p1, cmd.p2) == (0x41, 0xA6):
            fields = {d.tag: d.value for d in tlv.decode(cmd.data)}
            switch = emrtd_auth.chip_authenticate(
                self.ca_key, self.dg14, fields[0x91], key_id=fields.get(0x84)
            )
        elif cmd.ins == 0x22 and (cmd.p1, cmd.p2) == (0x41, 0xA4):
            fields = {d.tag: d.value for d in tlv.decode(cmd.data)}
            self.ca_oid = core.ObjectIdentifier.load(tlv.encode(0x06, fields[0x80])).dotted
        elif cmd.ins == 0x86:
            public = tlv.decode_one(cmd.data)[0].require(0x80).value
            switch = emrtd_auth.chip_authenticate(self.ca_key, self.dg14, public, oid=self.ca_oid)
            data = tlv.encode(0x7C, b"")
        elif cmd.ins == 0xA4:
            pass
        elif cmd.ins == 0xB0:
            offset = (cmd.p1 << 8) | cmd.p2
            data = self.ef_com[offset : offset + (cmd.le or 256)]
        else:
            sw = 0x6D00
        response = self.session.wrap_response(data, sw)
        if switch is not None:  # the answer goes under the old keys, then the chip switches
            self.session = ChipSession(switch)
        return response


def channel_to(chip_factory) -> tuple[SecureChannel, SimulatedChip]:
    keys_ = (os.urandom(16), os.urandom(16))
    chip = chip_factory(keys_)
    return SecureChannel(chip, SecureMessaging(*keys_, 0x1122334455667788, "3DES")), chip


# --- active authentication ---------------------------------------------------------------------------------


@pytest.mark.parametrize("hash_name", [None, "sha256", "sha512"])
def test_aa_rsa_with_the_documents_key(hash_name):
    channel, chip = channel_to(lambda k: SimulatedChip(k, aa_key=tr03105("DG15_sk.pkcs8"), aa_hash=hash_name))
    result = active_authenticate(channel, tr03105("DG15.bin"))
    assert result == AAResult(True, True, f"RSA ISO/IEC 9796-2 with {hash_name or 'sha1'}", "rsa")
    assert chip.seen == [0x88]


def test_aa_with_the_wrong_key_is_invalid():
    wrong_public = shared_data("emrtd", "loes2006", "DG15.bin").read_bytes()
    channel, _ = channel_to(lambda k: SimulatedChip(k, aa_key=tr03105("DG15_sk.pkcs8")))
    result = active_authenticate(channel, wrong_public)
    assert result.performed and result.valid is False


def test_aa_signature_structure_checks():
    key = decode_dg15(tr03105("DG15.bin"))
    challenge = os.urandom(8)
    signature = emrtd_auth.aa_sign(tr03105("DG15_sk.pkcs8"), challenge)
    recovered = iso9796_2_recover(key, signature)
    assert recovered.partial and recovered.hash_name == "sha1" and len(recovered.m1) == 128 - 1 - 20 - 1
    assert verify_aa_signature(key, challenge, signature)[0]
    assert not verify_aa_signature(key, os.urandom(8), signature)[0]  # another challenge
    tampered = bytearray(signature)
    tampered[5] ^= 1
    assert not verify_aa_signature(key, challenge, bytes(tampered))[0]
    valid, detail = verify_aa_signature(key, challenge, b"\x01" * 300)
    assert not valid and "modulus" in detail


def test_aa_refused_or_garbled_by_the_chip():
    channel, chip = channel_to(lambda k: SimulatedChip(k, aa_key=tr03105("DG15_sk.pkcs8")))
    chip.refuse.add(0x88)
    result = active_authenticate(channel, tr03105("DG15.bin"))
    assert result.valid is False and "6A80" in result.detail

    def garbled(cmd: CommandAPDU) -> ResponseAPDU:
        return ResponseAPDU(os.urandom(128), 0x90, 0x00)

    assert active_authenticate(garbled, tr03105("DG15.bin")).valid is False
    with pytest.raises(AuthenticationError):
        active_authenticate(garbled, tr03105("DG15.bin"), challenge=b"short")


def _explicit_ec_private_key() -> emrtd_auth.ChipPrivateKey:
    """A brainpoolP256r1 key whose public half is written with EXPLICIT domain parameters."""
    generated = ec.generate_private_key(ec.BrainpoolP256R1()).public_key()
    named = load_public_key(
        generated.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    domain = named.ec_domain
    d = secrets.randbelow(domain.n - 1) + 1
    spki = keys.PublicKeyInfo(
        {
            "algorithm": {
                "algorithm": "ec",
                "parameters": keys.ECDomainParameters("specified", domain.to_specified()),
            },
            "public_key": domain.encode_point(*domain.generator_multiply(d)),
        }
    )
    return emrtd_auth.ChipPrivateKey("ec", d, load_public_key(spki.dump()))


def test_aa_ecdsa_with_explicit_curve_and_active_authentication_info():
    key = _explicit_ec_private_key()
    assert keys.PublicKeyInfo.load(key.public.spki_der)["algorithm"]["parameters"].name == "specified"
    info_sha256 = ActiveAuthenticationInfo("2.23.136.1.1.5", 1, "0.4.0.127.0.7.1.1.4.1.3")
    info_sha1 = ActiveAuthenticationInfo("2.23.136.1.1.5", 1, "0.4.0.127.0.7.1.1.4.1.1")
    dg14 = encode_dg14([info_sha256])
    channel, _ = channel_to(lambda k: SimulatedChip(k, aa_key=key, aa_hash="sha256"))
    result = active_authenticate(channel, key.public, dg14)
    assert result.valid and result.detail == "ECDSA with sha256"
    channel, _ = channel_to(lambda k: SimulatedChip(k, aa_key=key, aa_hash="sha256"))
    assert active_authenticate(channel, key.public, info_sha1).valid is False
    channel, _ = channel_to(lambda k: SimulatedChip(k, aa_key=key, aa_hash="sha384"))
    inferred = active_authenticate(channel, key.public, None)
    assert inferred.valid and "inferred" in inferred.detail
    other = _explicit_ec_private_key()
    channel, _ = channel_to(lambda k: SimulatedChip(k, aa_key=other, aa_hash="sha256"))
    assert active_authenticate(channel, key.public, info_sha256).valid is False


# --- chip authentication -----------------------------------------------------------------------------------


def test_ca_key_agreement_is_consistent_on_both_sides():
    infos = decode_dg14(tr03105("DG14.bin"))
    ca, key_info = select_protocol(infos)
    assert ca.protocol == CA_3DES
    chip_key = emrtd_auth.load_private_key(tr03105("DG14_sk.pkcs8"))
    assert chip_key.public.ec_point == key_info.public_key.ec_point  # the private key matches DG14
    ephemeral = generate_ephemeral(key_info.public_key)
    terminal_secret = shared_secret(key_info.public_key, ephemeral.private)
    chip_secret = emrtd_auth.ca_chip_agreement(tr03105("DG14_sk.pkcs8"), ephemeral.public)
    assert terminal_secret == chip_secret and len(terminal_secret) == 28  # brainpoolP224r1 x-coordinate


def test_ca_3des_switches_secure_messaging_and_is_confirmed():
    dg14 = tr03105("DG14.bin")
    channel, chip = channel_to(lambda k: SimulatedChip(k, dg14=dg14, ca_key=tr03105("DG14_sk.pkcs8")))
    old_sm = channel.sm
    result = chip_authenticate(channel, dg14)
    assert result.performed and result.valid, result.detail
    assert result.protocol == CA_3DES and chip.seen[0] == 0x22 and 0x86 not in chip.seen
    assert channel.sm is result.sm and channel.sm is not old_sm
    assert (result.sm.ks_enc, result.sm.ks_mac) == (chip.session.sm.ks_enc, chip.session.sm.ks_mac)
    assert result.sm.cipher == "3DES"
    # the channel keeps working under the new keys
    assert channel.transmit(CommandAPDU(0x00, 0xB0, 0, 0, le=4)).data == tr03105("EF_COM.bin")[:4]


@pytest.mark.parametrize("oid, key_bytes", [(CA_AES128, 16), (CA_AES256, 32)])
def test_ca_aes_uses_set_at_and_general_authenticate(oid, key_bytes):
    pk = decode_dg14(tr03105("DG14.bin")).chip_auth_public_keys[0]
    dg14 = encode_dg14([pk, ChipAuthenticationInfo(CA_3DES, 1, None), ChipAuthenticationInfo(oid, 2, None)])
    channel, chip = channel_to(lambda k: SimulatedChip(k, dg14=dg14, ca_key=tr03105("DG14_sk.pkcs8")))
    result = chip_authenticate(channel, dg14)
    assert result.valid, result.detail
    assert result.protocol == oid and chip.ca_oid == oid  # AES preferred over 3DES
    assert chip.seen[:2] == [0x22, 0x86]
    assert result.sm.cipher == "AES" and len(result.sm.ks_enc) == key_bytes


def test_ca_with_a_cloned_chip_lacking_the_private_key_fails():
    dg14 = tr03105("DG14.bin")
    genuine = emrtd_auth.load_private_key(tr03105("DG14_sk.pkcs8"))
    clone_key = emrtd_auth.ChipPrivateKey(
        "ec", secrets.randbelow(genuine.public.ec_domain.n - 2) + 1, genuine.public
    )
    channel, _ = channel_to(lambda k: SimulatedChip(k, dg14=dg14, ca_key=clone_key))
    result = chip_authenticate(channel, dg14)
    assert result.performed and result.valid is False
    assert "does not verify" in result.detail or "under the new keys" in result.detail


def test_ca_refused_by_the_chip():
    dg14 = tr03105("DG14.bin")
    channel, chip = channel_to(lambda k: SimulatedChip(k, dg14=dg14, ca_key=tr03105("DG14_sk.pkcs8")))
    chip.refuse.add(0x22)
    result = chip_authenticate(channel, dg14)
    assert result.valid is False and "6A80" in result.detail and result.sm is None


def test_ca_with_dh_and_3des():
    # a 768-bit safe prime (p = 2q + 1) generated by OpenSSL for this test; small keeps the test fast
    p = int(
        "bf6ba0b29fc5638f8d184df86a6152795cf9858236d665d1125542511667e503d9a28366ad6139569357550bb776cd9f"
        "206efa6a5ce4081b985aaaf38db397880e4c2d645497f4b3d210c50124c6b16a8eeecda13dc4a21711501a1171f946e7",
        16,
    )
    g, q = 2, (p - 1) // 2
    x = secrets.randbelow(q - 2) + 2
    spki = keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "dh", "parameters": {"p": p, "g": g, "q": q}},
            "public_key": core.Integer(pow(g, x, p)),
        }
    )
    public = load_public_key(spki.dump())
    dg14 = encode_dg14(
        [
            ChipAuthenticationPublicKeyInfo("0.4.0.127.0.7.2.2.1.1", public, None),
            ChipAuthenticationInfo(CA_DH_3DES, 1, None),
        ]
    )
    chip_key = emrtd_auth.ChipPrivateKey("dh", x, public)
    channel, chip = channel_to(lambda k: SimulatedChip(k, dg14=dg14, ca_key=chip_key))
    result = chip_authenticate(channel, dg14)
    assert result.valid, result.detail
    assert result.sm.ks_enc == chip.session.sm.ks_enc


def test_ca_needs_a_usable_dg14():
    with pytest.raises(AuthenticationError):
        select_protocol(SecurityInfos(()))
    pk = decode_dg14(tr03105("DG14.bin")).chip_auth_public_keys[0]
    # key only (early DG14): CA v1 with 3DES is implied
    ca, _ = select_protocol(SecurityInfos((pk,)))
    assert ca.protocol == CA_3DES
    # a DH protocol for an EC key: nothing matches
    with pytest.raises(AuthenticationError):
        select_protocol(SecurityInfos((pk, ChipAuthenticationInfo(CA_DH_3DES, 1, None))))
