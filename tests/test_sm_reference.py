"""AES secure messaging and PACE-CAM checked independently of the project's own code.

The simulated chip reuses ``passport.sm`` and ``passport.pace``, so reader-against-chip runs cannot catch a
bug they share. Here the project's terminal (``passport.sm.SecureMessaging``) and the simulated chip's half
(``hardware_mocks.emrtd.access.ChipSecureMessaging``) are compared byte for byte with an independent
reference written from the standard (``reference_sm_aes``), on many random commands and responses in both
directions, and replayed against a PACE-CAM + AES transcript and vectors published by another
implementation (``sm_vectors``: gmrtd). The reference's CMAC is checked on the RFC 4493 vectors first.
"""

from __future__ import annotations

import random

import pytest
from reference_sm_aes import PlainCommand, ReferenceSM, ReferenceSMError, cmac
from sm_vectors import (
    CAM_DE_FINAL_SSC,
    CAM_DE_K_PI,
    CAM_DE_KS_ENC,
    CAM_DE_KS_MAC,
    CAM_DE_OID,
    CAM_DE_PACE_STEPS,
    CAM_DE_PARAMETER_ID,
    CAM_DE_SK_IFD,
    CAM_DE_SK_MAP_IFD,
    CAM_DE_TRANSCRIPT_HEX,
    DECRYPT_AES256,
    ENCODE_AES,
)

from hardware_mocks.emrtd.access import ChipSecureMessaging
from passport.apdu import CommandAPDU
from passport.errors import SecureMessagingError
from passport.lds.card_access import decode_card_security
from passport.pace import PaceInfo, perform_pace
from passport.sm import SecureMessaging

TRANSCRIPT = [(bytes.fromhex(c), bytes.fromhex(r)) for c, r in CAM_DE_TRANSCRIPT_HEX]
RANDOM_CASES = 250


# RFC 4493 §4: AES-128 CMAC of the empty string, 16, 40 and 64 bytes of the NIST message.
RFC4493_KEY = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
RFC4493_MESSAGE = bytes.fromhex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52ef"
    "f69f2445df4f9b17ad2b417be66c3710"
)
RFC4493 = [
    (0, "bb1d6929e95937287fa37d129b756746"),
    (16, "070a16b46b4d4144f79bdd9dd04a287c"),
    (40, "dfa66747de9ae63030ca32611497c827"),
    (64, "51f0bebf7e3b9d92fc49741779363cfe"),
]


@pytest.mark.parametrize(("length", "tag"), RFC4493)
def test_reference_cmac_matches_rfc_4493(length: int, tag: str) -> None:
    assert cmac(RFC4493_KEY, RFC4493_MESSAGE[:length]).hex() == tag


# --- random commands and responses, both ways ---------------------------------------------------------------


def _random_case(rng: random.Random) -> tuple[bytes, bytes, int, PlainCommand, bytes, int]:
    key_length = rng.choice([16, 24, 32])
    ks_enc, ks_mac = rng.randbytes(key_length), rng.randbytes(key_length)
    ssc = rng.choice([0, rng.getrandbits(32), (1 << 128) - 1 - rng.randrange(3)])
    ins = rng.choice([0xA4, 0xB0, 0xB1, 0x82, 0x84, 0x88, 0x2A, 0x22, 0x86, 0xCB])
    data = rng.randbytes(rng.choice([0, rng.randrange(1, 17), rng.randrange(17, 300)]))
    le = rng.choice([None, rng.randrange(1, 257), rng.randrange(257, 65537), 65536])
    cmd = PlainCommand(rng.choice([0x00, 0x10]), ins, rng.randrange(256), rng.randrange(256), data, le)
    reply = rng.randbytes(rng.choice([0, rng.randrange(1, 16), rng.randrange(16, 1000)]))
    sw = rng.choice([0x9000, 0x6282, 0x6A82, 0x6B00, 0x6982])
    return ks_enc, ks_mac, ssc, cmd, reply, sw


def _project_command(cmd: PlainCommand) -> CommandAPDU:
    return CommandAPDU(cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data, le=cmd.le)


def test_project_terminal_and_reference_agree_byte_for_byte() -> None:
    rng = random.Random(9303)
    for _ in range(RANDOM_CASES):
        ks_enc, ks_mac, ssc, cmd, reply, sw = _random_case(rng)
        terminal = SecureMessaging(ks_enc, ks_mac, ssc, "AES")
        reference_terminal, reference_chip = (
            ReferenceSM(ks_enc, ks_mac, ssc),
            ReferenceSM(ks_enc, ks_mac, ssc),
        )
        wrapped = terminal.wrap(_project_command(cmd)).to_bytes()
        assert wrapped == reference_terminal.wrap_command(cmd)
        assert reference_chip.unwrap_command(wrapped) == PlainCommand(cmd.cla, cmd.ins, cmd.p1, cmd.p2,
                                                                       cmd.data, cmd.le)  # fmt: skip
        response = reference_chip.wrap_response(reply, sw, odd_ins=bool(cmd.ins & 1))
        plain = terminal.unwrap(response)
        assert (plain.data, plain.sw) == (reply, sw)
        assert reference_terminal.unwrap_response(response) == (reply, sw)
        assert terminal.ssc == reference_terminal.ssc == (ssc + 2) % (1 << 128)


def test_simulated_chip_and_reference_agree_byte_for_byte() -> None:
    rng = random.Random(1103)
    for _ in range(RANDOM_CASES):
        ks_enc, ks_mac, ssc, cmd, reply, sw = _random_case(rng)
        chip = ChipSecureMessaging(ks_enc, ks_mac, ssc, "AES")
        reference = ReferenceSM(ks_enc, ks_mac, ssc)
        unwrapped = chip.unwrap_command(reference.wrap_command(cmd))
        assert (unwrapped.cla, unwrapped.ins, unwrapped.p1, unwrapped.p2) == (
            cmd.cla,
            cmd.ins,
            cmd.p1,
            cmd.p2,
        )
        assert (unwrapped.data, unwrapped.le) == (cmd.data, cmd.le)
        response = chip.wrap_response(reply, sw, odd_ins=bool(cmd.ins & 1))
        assert response == ReferenceSM(ks_enc, ks_mac, (ssc + 1) % (1 << 128)).wrap_response(
            reply, sw, odd_ins=bool(cmd.ins & 1)
        )
        assert reference.unwrap_response(response) == (reply, sw)


def test_every_single_byte_change_of_a_response_is_refused_by_both() -> None:
    rng = random.Random(7)
    ks_enc, ks_mac = rng.randbytes(16), rng.randbytes(16)
    response = ReferenceSM(ks_enc, ks_mac, 41).wrap_response(rng.randbytes(40), 0x9000)
    for position in range(len(response) - 2):  # the plain trailer is not authenticated (DO'99' is)
        tampered = bytearray(response)
        tampered[position] ^= 1 << rng.randrange(8)
        with pytest.raises(SecureMessagingError):
            SecureMessaging(ks_enc, ks_mac, 41, "AES").unwrap(bytes(tampered))
        with pytest.raises(ReferenceSMError):
            ReferenceSM(ks_enc, ks_mac, 41).unwrap_response(bytes(tampered))


# --- published vectors (gmrtd) -------------------------------------------------------------------------------


def test_published_aes_command_encoding() -> None:
    v = ENCODE_AES
    cla, ins, p1, p2 = v["header"]
    terminal = SecureMessaging(v["ks_enc"], v["ks_mac"], v["ssc"], "AES")
    assert terminal.wrap(CommandAPDU(cla, ins, p1, p2, v["data"])).to_bytes() == v["protected"]
    assert terminal.ssc == v["ssc"] + 1
    reference = ReferenceSM(v["ks_enc"], v["ks_mac"], v["ssc"])
    assert reference.wrap_command(PlainCommand(cla, ins, p1, p2, v["data"])) == v["protected"]


def test_published_aes256_data_object_decryption() -> None:
    v = DECRYPT_AES256
    sm = SecureMessaging(v["ks_enc"], v["ks_mac"], v["ssc"], "AES")
    assert sm.decrypt_data_object(0x87, v["do87_value"]) == v["plain"]


def test_published_pace_cam_and_aes_secure_messaging_transcript() -> None:
    """PACE-CAM with a real chip, then EF.CardSecurity read under AES SM: every command byte for byte, every
    response verified and decrypted by the project and by the reference, CAM checked against the chip
    authentication key that EF.CardSecurity carries."""
    pace_part, sm_part = TRANSCRIPT[:CAM_DE_PACE_STEPS], TRANSCRIPT[CAM_DE_PACE_STEPS:]
    script = list(pace_part)

    class Replay:
        def transmit(self, apdu: bytes) -> bytes:
            expected, response = script.pop(0)
            assert apdu == expected
            return response

    result = perform_pace(Replay(), b"-", "MRZ", PaceInfo(CAM_DE_OID, 2, CAM_DE_PARAMETER_ID),
                          mapping_key=CAM_DE_SK_MAP_IFD, agreement_key=CAM_DE_SK_IFD, k_pi=CAM_DE_K_PI,
                          send_parameter_id=False)  # fmt: skip
    assert not script and result.mapping == "CAM"
    assert (result.sm.ks_enc, result.sm.ks_mac, result.sm.ssc) == (CAM_DE_KS_ENC, CAM_DE_KS_MAC, 0)

    reference = ReferenceSM(CAM_DE_KS_ENC, CAM_DE_KS_MAC, 0)
    card_security = b""
    for command, response in sm_part:
        plain = reference.unwrap_command(command)
        assert result.sm.wrap(CommandAPDU(plain.cla, plain.ins, plain.p1, plain.p2, plain.data, le=plain.le)
                              ).to_bytes() == command  # fmt: skip
        answer = result.sm.unwrap(response)
        assert (answer.data, answer.sw) == reference.unwrap_response(response)
        assert answer.sw == 0x9000
        if plain.ins == 0xB0:
            card_security += answer.data
    assert result.sm.ssc == reference.ssc == CAM_DE_FINAL_SSC

    keys = decode_card_security(card_security).infos.chip_auth_public_keys
    assert keys, "EF.CardSecurity carries no chip authentication public key"
    assert any(result.verify_chip_authentication(k.public_key.ec_point) for k in keys)
    assert not result.verify_chip_authentication(result.chip_mapping_public_key or b"")
