"""BAC and secure messaging against ICAO 9303-11 Appendix D (D.1-D.4), every intermediate value asserted,
plus terminal <-> chip runs in process (3DES and AES), tampering, and hostile responses."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware_mocks.emrtd.access import BacChip, ChipSecureMessaging
from passport import crypto
from passport.apdu import CommandAPDU, ResponseAPDU, read_binary, read_binary_odd, select_file
from passport.bac import BacKeys, cryptogram, open_cryptogram, perform_bac
from passport.errors import AccessControlError, SecureMessagingError
from passport.mrz import mrz_information, mrz_key_seed
from passport.sm import SecureChannel, SecureMessaging, UnprotectedStatusError


def h(text: str) -> bytes:
    """Bytes from hex written with spaces and line breaks, as the worked examples print it."""
    return bytes.fromhex("".join(text.split()))


class ScriptedTransport:
    """Replays the responses of a transcript and checks that every command matches it byte for byte."""

    def __init__(self, script: list[tuple[bytes, bytes]]):
        self.script = list(script)
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes) -> bytes:
        assert self.script, f"unexpected extra command {apdu.hex().upper()}"
        expected, response = self.script.pop(0)
        self.sent.append(bytes(apdu))
        assert apdu.hex().upper() == expected.hex().upper()
        return response

    @property
    def finished(self) -> bool:
        return not self.script


EF_COM = h("60145F0104303130365F36063034303030305C026175")


class MiniChip:
    """Routes raw APDUs to a BAC or PACE engine, then to secure messaging over a one-file file system."""

    def __init__(self, access: object, files: dict[int, bytes] | None = None):
        self.access = access
        self.files = files if files is not None else {0x011E: EF_COM}
        self.current: bytes | None = None
        self.log: list[tuple[bytes, bytes]] = []

    @property
    def session(self):  # noqa: ANN201 - ChipSecureMessaging | None
        return self.access.session  # type: ignore[attr-defined]

    def transmit(self, apdu: bytes) -> bytes:
        session = self.session
        if session is not None and session.active and session.is_protected(apdu):
            out = session.process(apdu, self._file_system)
        else:
            cmd = CommandAPDU.from_bytes(apdu)
            handled = self.access.handles(cmd)  # type: ignore[attr-defined]
            out = self.access.process(cmd).to_bytes() if handled else b"\x69\x82"  # type: ignore[attr-defined]
        self.log.append((bytes(apdu), out))
        return out

    def _file_system(self, cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.ins == 0xA4 and cmd.p1 == 0x02:
            fid = int.from_bytes(cmd.data, "big")
            if fid not in self.files:
                return ResponseAPDU.status(0x6A82)
            self.current = self.files[fid]
            return ResponseAPDU.status(0x9000)
        if cmd.ins == 0xB0 and self.current is not None:
            offset = (cmd.p1 << 8) | cmd.p2
            chunk = self.current[offset : offset + (cmd.le or 256)]
            sw = 0x9000 if offset + (cmd.le or 256) <= len(self.current) else 0x6282
            return ResponseAPDU.status(sw, chunk)
        if cmd.ins == 0xB1 and self.current is not None:  # odd INS: offset in DO'54'
            offset = int.from_bytes(cmd.data[2:], "big")
            return ResponseAPDU.status(0x9000, b"\x53" + bytes([len(self.current[offset:])]) + self.current[offset:])
        if cmd.ins == 0xD6:  # UPDATE BINARY, used to push large command data through SM
            self.files[0xFFFF] = cmd.data
            return ResponseAPDU.status(0x9000)
        return ResponseAPDU.status(0x6D00)


# --- Appendix D values (ICAO Doc 9303 Part 11) ----------------------------------------------------------

D_KSEED = h("239AB9CB282DAF66231DC5A4DF6BFBAE")
D_KENC = h("AB94FDECF2674FDFB9B391F85D7F76F2")
D_KMAC = h("7962D9ECE03D1ACD4C76089DCE131543")
D_RND_IC = h("4608F91988702212")
D_RND_IFD = h("781723860C06C226")
D_K_IFD = h("0B795240CB7049B01C19B33E32804F0B")
D_K_IC = h("0B4F80323EB3191CB04970CB4052790B")
D_S = h("781723860C06C2264608F91988702212 0B795240CB7049B01C19B33E32804F0B")
D_E_IFD = h("72C29C2371CC9BDB65B779B8E8D37B29 ECC154AA56A8799FAE2F498F76ED92F2")
D_M_IFD = h("5F1448EEA8AD90A7")
D_CMD_DATA = h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA 56A8799FAE2F498F76ED92F25F1448EEA8AD90A7")
D_R = h("4608F91988702212781723860C06C226 0B4F80323EB3191CB04970CB4052790B")
D_E_IC = h("46B9342A41396CD7386BF5803104D7CE DC122B9132139BAF2EEDC94EE178534F")
D_M_IC = h("2F2D235D074D7449")
D_RESP_DATA = h("46B9342A41396CD7386BF5803104D7CEDC122B91 32139BAF2EEDC94EE178534F2F2D235D074D7449")
D_SESSION_SEED = h("0036D272F5C350ACAC50C3F572D23600")
D_KS_ENC = h("979EC13B1CBFE9DCD01AB0FED307EAE5")
D_KS_MAC = h("F1CB1F1FB5ADF208806B89DC579DC1F8")
D_SSC = 0x887022120C06C226

# D.4: (unprotected command, protected command, response APDU, decrypted data, SSC after command and response,
# MAC input N of the command, its CC, MAC input K of the response, its CC')
D4_STEPS = [
    (
        select_file(0x011E),
        h("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"),
        h("990290008E08FA855A5D4C50A8ED9000"),
        b"",
        (0x887022120C06C227, 0x887022120C06C228),
        h("887022120C06C2270CA4020C80000000 8709016375432908C044F68000000000"),
        h("BF8B92D635FF24F8"),
        h("887022120C06C2289902900080000000"),
        h("FA855A5D4C50A8ED"),
    ),
    (
        read_binary(0, 4),
        h("0CB000000D9701048E08ED6705417E96BA5500"),
        h("8709019FF0EC34F992265199029000 8E08AD55CC17140B2DED9000"),
        h("60145F01"),
        (0x887022120C06C229, 0x887022120C06C22A),
        h("887022120C06C2290CB00000 800000009701048000000000"),
        h("ED6705417E96BA55"),
        h("887022120C06C22A8709019F F0EC34F99226519902900080"),
        h("AD55CC17140B2DED"),
    ),
    (
        read_binary(4, 0x12),
        h("0CB000040D9701128E082EA28A70F3C7B53500"),
        h("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42 C8E2FFF224A990290008E08C8B2787EAEA07D749000"),
        h("04303130365F36063034303030305C026175"),
        (0x887022120C06C22B, 0x887022120C06C22C),
        h("887022120C06C22B0CB00004 800000009701128000000000"),
        h("2EA28A70F3C7B535"),
        h("887022120C06C22C871901FB9235F4E4037F232 7DCC8964F1F9B8C30F42C8E2FFF224A99029000"),
        h("C8B2787EAEA07D74"),
    ),
]

D3_TRANSCRIPT = [
    (h("0084000008"), D_RND_IC + h("9000")),
    (h("0082000028") + D_CMD_DATA + h("28"), D_RESP_DATA + h("9000")),
]


def test_d1_key_derivation_from_seed() -> None:
    d_enc = D_KSEED + h("00000001")
    assert d_enc == h("239AB9CB282DAF66231DC5A4DF6BFBAE00000001")
    assert hashlib.sha1(d_enc).digest() == h("AB94FCEDF2664EDFB9B291F85D7F77F27F2F4A9D")
    assert crypto.adjust_parity(h("AB94FCEDF2664EDF")) == h("AB94FDECF2674FDF")
    assert crypto.adjust_parity(h("B9B291F85D7F77F2")) == h("B9B391F85D7F76F2")
    d_mac = D_KSEED + h("00000002")
    assert hashlib.sha1(d_mac).digest() == h("7862D9ECE03C1BCD4D77089DCF131442814EA70A")
    assert crypto.adjust_parity(h("7862D9ECE03C1BCD")) == h("7962D9ECE03D1ACD")
    assert crypto.adjust_parity(h("4D77089DCF131442")) == h("4C76089DCE131543")
    assert crypto.kdf(D_KSEED, 1) == D_KENC
    assert crypto.kdf(D_KSEED, 2) == D_KMAC
    assert BacKeys.from_seed(D_KSEED) == BacKeys(D_KENC, D_KMAC)


def test_d2_basic_access_keys_from_mrz() -> None:
    info = mrz_information("L898902C<", "690806", "940623")
    assert info == "L898902C<369080619406236"
    assert hashlib.sha1(info.encode()).digest() == h("239AB9CB282DAF66231DC5A4DF6BFBAEDF477565")
    assert mrz_key_seed("L898902C<", "690806", "940623") == D_KSEED
    assert mrz_information("D23145890734", "340712", "950712") == "D23145890734934071279507122"


def test_d3_cryptograms_and_session_keys() -> None:
    keys = BacKeys(D_KENC, D_KMAC)
    assert D_RND_IFD + D_RND_IC + D_K_IFD == D_S
    assert crypto.des3_cbc_encrypt(D_KENC, D_S) == D_E_IFD
    assert crypto.retail_mac(D_KMAC, D_E_IFD) == D_M_IFD
    assert cryptogram(keys, D_RND_IFD, D_RND_IC, D_K_IFD) == D_CMD_DATA == D_E_IFD + D_M_IFD
    assert D_RND_IC + D_RND_IFD + D_K_IC == D_R
    assert crypto.des3_cbc_encrypt(D_KENC, D_R) == D_E_IC
    assert crypto.retail_mac(D_KMAC, D_E_IC) == D_M_IC
    assert D_RESP_DATA == D_E_IC + D_M_IC
    assert open_cryptogram(keys, D_RESP_DATA) == D_R
    assert bytes(a ^ b for a, b in zip(D_K_IFD, D_K_IC, strict=True)) == D_SESSION_SEED
    assert crypto.kdf(D_SESSION_SEED, 1) == D_KS_ENC
    assert crypto.kdf(D_SESSION_SEED, 2) == D_KS_MAC


def test_d3_terminal_against_the_published_transcript() -> None:
    transport = ScriptedTransport(D3_TRANSCRIPT)
    sm = perform_bac(transport, D_KSEED, rnd_ifd=D_RND_IFD, k_ifd=D_K_IFD)
    assert transport.finished
    assert (sm.ks_enc, sm.ks_mac, sm.ssc, sm.cipher) == (D_KS_ENC, D_KS_MAC, D_SSC, "3DES")


def test_d3_chip_reproduces_the_published_transcript() -> None:
    chip = MiniChip(BacChip(D_KSEED, rnd_ic=D_RND_IC, k_ic=D_K_IC))
    sm = perform_bac(chip, D_KSEED, rnd_ifd=D_RND_IFD, k_ifd=D_K_IFD)
    assert chip.log == D3_TRANSCRIPT
    assert chip.session is not None and chip.session.ssc == D_SSC
    assert (sm.ks_enc, sm.ks_mac, sm.ssc) == (D_KS_ENC, D_KS_MAC, D_SSC)


def test_d4_select_intermediate_values() -> None:
    sm = SecureMessaging(D_KS_ENC, D_KS_MAC, D_SSC, "3DES")
    assert crypto.pad(h("0CA4020C"), 8) == h("0CA4020C80000000")
    assert crypto.pad(h("011E"), 8) == h("011E800000000000")
    assert crypto.des3_cbc_encrypt(D_KS_ENC, h("011E800000000000")) == h("6375432908C044F6")
    assert sm.data_object(h("011E"), odd_ins=False) == h("8709016375432908C044F6")
    sm.increment()
    assert sm.ssc_bytes == h("887022120C06C227")
    m = h("0CA4020C800000008709016375432908C044F6")
    assert crypto.pad(sm.ssc_bytes + m, 8) == h("887022120C06C2270CA4020C80000000 8709016375432908C044F68000000000")
    assert sm.mac(m) == h("BF8B92D635FF24F8")


@pytest.mark.parametrize("step", range(3))
def test_d4_protected_apdus_terminal_side(step: int) -> None:
    sm = SecureMessaging(D_KS_ENC, D_KS_MAC, D_SSC, "3DES")
    for i, (plain, protected, rapdu, data, sscs, n, cc, k, cc_resp) in enumerate(D4_STEPS[: step + 1]):
        wrapped = sm.wrap(plain)
        assert sm.ssc == sscs[0]
        assert wrapped.to_bytes() == protected
        assert crypto.pad(sm.ssc_bytes + crypto.pad(protected[:4], 8) + protected[5:-11], 8) == n
        assert crypto.retail_mac(D_KS_MAC, n, padded=True) == cc
        assert protected[-11:-1] == h("8E08") + cc
        resp = sm.unwrap(rapdu)
        assert sm.ssc == sscs[1]
        # The published K of the third response ends without its padding byte '80'; the others include it.
        mac_input = crypto.pad(sm.ssc_bytes + rapdu[: -12], 8)
        assert mac_input == (k if len(k) % 8 == 0 else k + b"\x80")
        assert crypto.retail_mac(D_KS_MAC, mac_input, padded=True) == cc_resp
        assert rapdu[-12:-2] == h("8E08") + cc_resp
        assert resp == ResponseAPDU(data, 0x90, 0x00), i
    if step == 2:
        whole = b"".join(s[3] for s in D4_STEPS)
        assert whole == EF_COM
        assert len(EF_COM) == 0x14 + 2


def test_d4_chip_side_reproduces_the_protected_responses() -> None:
    chip_sm = ChipSecureMessaging(D_KS_ENC, D_KS_MAC, D_SSC, "3DES")
    chip = MiniChip(BacChip(D_KSEED))
    for plain, protected, rapdu, *_ in D4_STEPS:
        assert chip_sm.unwrap_command(protected) == plain
        resp = chip._file_system(plain)
        assert chip_sm.wrap_response(resp.data, resp.sw) == rapdu
    assert chip_sm.ssc == 0x887022120C06C22C


def test_bac_then_secure_channel_end_to_end_with_random_values() -> None:
    seed = mrz_key_seed("L898902C<", "690806", "940623")
    chip = MiniChip(BacChip(seed))
    channel = SecureChannel(chip, perform_bac(chip, seed))
    assert channel.transmit(select_file(0x011E)).ok
    assert channel.transmit(read_binary(0, 4)).data == EF_COM[:4]
    assert channel.transmit(read_binary(4, 0x12)).data == EF_COM[4:]
    missing = channel.transmit(select_file(0x0101))
    assert missing.sw == 0x6A82  # a protected error answer, authenticated like any other
    tail = channel.transmit(read_binary(16, 32))
    assert (tail.sw, tail.data) == (0x6282, EF_COM[16:])
    odd = channel.transmit(read_binary_odd(20, 16))  # odd INS: DO'85' both ways
    assert odd.data == b"\x53\x02" + EF_COM[20:]


def test_bac_wrong_mrz_is_an_access_control_error() -> None:
    chip = MiniChip(BacChip(mrz_key_seed("L898902C<", "690806", "940623")))
    with pytest.raises(AccessControlError):
        perform_bac(chip, mrz_key_seed("L898902C<", "690806", "940624"))
    assert chip.log[-1][1] == h("6300")
    assert chip.session is None


def test_bac_terminal_rejects_a_forged_chip_answer() -> None:
    forged = bytearray(D_RESP_DATA)
    forged[-1] ^= 1
    transport = ScriptedTransport([D3_TRANSCRIPT[0], (D3_TRANSCRIPT[1][0], bytes(forged) + h("9000"))])
    with pytest.raises(AccessControlError):
        perform_bac(transport, D_KSEED, rnd_ifd=D_RND_IFD, k_ifd=D_K_IFD)


@pytest.mark.parametrize("position", [0, 5, 11, -5, -3])
def test_tampered_response_is_a_secure_messaging_error(position: int) -> None:
    sm = SecureMessaging(D_KS_ENC, D_KS_MAC, D_SSC, "3DES")
    sm.wrap(D4_STEPS[0][0])
    sm.unwrap(D4_STEPS[0][2])
    sm.wrap(D4_STEPS[1][0])
    tampered = bytearray(D4_STEPS[1][2])
    tampered[position] ^= 0x40
    with pytest.raises(SecureMessagingError):
        sm.unwrap(bytes(tampered))


@pytest.mark.parametrize("sw", ["6987", "6988"])
def test_bare_sm_error_reports_a_dropped_session(sw: str) -> None:
    sm = SecureMessaging(D_KS_ENC, D_KS_MAC, D_SSC, "3DES")
    sm.wrap(select_file(0x011E))
    with pytest.raises(UnprotectedStatusError, match="ended secure messaging") as err:
        sm.unwrap(h(sw))
    assert err.value.sw == int(sw, 16)


def test_bare_success_without_mac_is_rejected() -> None:
    sm = SecureMessaging(D_KS_ENC, D_KS_MAC, D_SSC, "3DES")
    sm.wrap(select_file(0x011E))
    with pytest.raises(SecureMessagingError, match="no secure-messaging MAC"):
        sm.unwrap(h("9000"))


def test_unprotected_data_with_valid_looking_status_is_rejected() -> None:
    sm = SecureMessaging(D_KS_ENC, D_KS_MAC, D_SSC, "3DES")
    sm.wrap(read_binary(0, 4))
    with pytest.raises(SecureMessagingError):
        sm.unwrap(h("60145F019000"))


@pytest.mark.parametrize(("cipher", "key_length"), [("3DES", 16), ("AES", 16), ("AES", 24), ("AES", 32)])
def test_terminal_and_chip_sessions_agree(cipher: str, key_length: int) -> None:
    ks_enc, ks_mac = bytes(range(1, key_length + 1)), bytes(range(101, 101 + key_length))
    ssc = 0 if cipher == "AES" else D_SSC
    terminal = SecureMessaging(ks_enc, ks_mac, ssc, cipher)  # type: ignore[arg-type]
    chip_sm = ChipSecureMessaging(ks_enc, ks_mac, ssc, cipher)  # type: ignore[arg-type]
    big = bytes(i % 251 for i in range(700))
    chip = MiniChip(BacChip(D_KSEED), files={0x011E: EF_COM, 0x0102: big})
    chip.access.session = chip_sm  # type: ignore[attr-defined]
    channel = SecureChannel(chip, terminal)
    assert channel.transmit(select_file(0x0102)).ok
    long_read = CommandAPDU(0x00, 0xB0, 0x00, 0x00, le=600)  # Le > 256: extended protected APDU
    wrapped_len = len(chip.log) + 1
    assert channel.transmit(long_read).data == big[:600]
    assert chip.log[wrapped_len - 1][0][4] == 0x00  # extended length marker
    assert channel.transmit(CommandAPDU(0x00, 0xD6, 0, 0, big[:300])).ok  # data > 255: extended
    assert chip.files[0xFFFF] == big[:300]
    assert terminal.ssc == chip_sm.ssc == ssc + 6


def test_chip_ends_the_session_on_a_bad_command_mac() -> None:
    terminal = SecureMessaging(D_KS_ENC, D_KS_MAC, D_SSC, "3DES")
    chip_sm = ChipSecureMessaging(D_KS_ENC, D_KS_MAC, D_SSC, "3DES")
    protected = bytearray(terminal.wrap(select_file(0x011E)).to_bytes())
    protected[-3] ^= 1  # inside DO'8E'
    chip = MiniChip(BacChip(D_KSEED))
    assert chip_sm.process(bytes(protected), chip._file_system) == h("6988")
    assert not chip_sm.active
    with pytest.raises(UnprotectedStatusError):
        terminal.unwrap(h("6988"))


def test_chip_ends_the_session_on_a_plain_command_or_missing_mac() -> None:
    chip_sm = ChipSecureMessaging(D_KS_ENC, D_KS_MAC, D_SSC, "3DES")
    chip = MiniChip(BacChip(D_KSEED))
    assert chip_sm.process(select_file(0x011E).to_bytes(), chip._file_system) == h("6987")
    assert not chip_sm.active
    chip_sm = ChipSecureMessaging(D_KS_ENC, D_KS_MAC, D_SSC, "3DES")
    assert chip_sm.process(h("0CA4020C0B8709016375432908C044F600"), chip._file_system) == h("6987")
    with pytest.raises(SecureMessagingError):
        chip_sm.unwrap_command(D4_STEPS[0][1])  # the session is over


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_unwrap_random_bytes_only_secure_messaging_error(data: bytes) -> None:
    sm = SecureMessaging(D_KS_ENC, D_KS_MAC, D_SSC, "3DES")
    with pytest.raises(SecureMessagingError):
        sm.unwrap(data)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 26), st.integers(1, 255), st.integers(0, 26))
def test_unwrap_mutated_published_response_only_secure_messaging_error(pos: int, flip: int, cut: int) -> None:
    original = D4_STEPS[1][2]
    response = bytearray(original)
    pos %= len(original)
    response[pos] ^= flip
    for candidate, mutated in ((bytes(response), True), (bytes(original[:cut]), False)):
        sm = SecureMessaging(D_KS_ENC, D_KS_MAC, 0x887022120C06C229, "3DES")
        if mutated and pos >= len(original) - 2:
            # only the plain trailer changed: DO'99' (under the MAC) is believed, the difference recorded
            protected, plain = int.from_bytes(original[-2:], "big"), int.from_bytes(candidate[-2:], "big")
            assert sm.unwrap(candidate).sw == protected and sm.trailer_mismatch == (protected, plain)
            continue
        with pytest.raises(SecureMessagingError):
            sm.unwrap(candidate)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80))
def test_unwrap_well_formed_objects_with_random_content(payload: bytes) -> None:
    from passport.tlv import encode

    sm = SecureMessaging(bytes(16), bytes(16), 0, "AES")
    body = encode(0x87, b"\x01" + payload) + encode(0x99, h("9000")) + encode(0x8E, payload[:8].ljust(8, b"\0"))
    with pytest.raises(SecureMessagingError):
        sm.unwrap(body + h("9000"))


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=4, max_size=120))
def test_chip_unwrap_random_commands_only_secure_messaging_error(data: bytes) -> None:
    chip_sm = ChipSecureMessaging(D_KS_ENC, D_KS_MAC, D_SSC, "3DES")
    with pytest.raises(SecureMessagingError):
        chip_sm.unwrap_command(data)
