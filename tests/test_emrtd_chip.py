"""The simulated ePassport chip and the read sequence, in process (no pcscd): protocol and fault behaviour."""

from __future__ import annotations

import pytest
from conftest import shared_data
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware_mocks.emrtd.chip import ChipOptions, EmrtdChip, build_chip
from hardware_mocks.emrtd.faults import (
    Fault,
    FaultError,
    RemovedDuringRead,
    ResignedSOD,
    SessionDrop,
    ShortReadsOnly,
    parse_fault,
)
from hardware_mocks.emrtd.files import (
    FID_CARD_ACCESS,
    FID_COM,
    FID_DG,
    FID_SOD,
    ChipFilesError,
    load_chip_files,
    make_card_access,
)
from hardware_mocks.emrtd.vpcd import CardRemoved
from passport.apdu import (
    CommandAPDU,
    ResponseAPDU,
    read_binary,
    read_binary_odd,
    read_binary_sfi,
    select_aid,
    select_file,
)
from passport.bac import perform_bac
from passport.errors import AccessControlError, TransportError
from passport.lds.card_access import pace_infos
from passport.lds.com import EFCom, encode_com
from passport.mrz import mrz_key_seed
from passport.reader import CANKey, MRZKey, max_short_le, read_passport
from passport.sm import SecureChannel

DOCS = ("bsi2008", "loes2006", "tr03105")
AES_GM = "0.4.0.127.0.7.2.2.4.2.2"  # id-PACE-ECDH-GM-AES-CBC-CMAC-128


class DirectTransport:
    """The chip called directly; a pulled card surfaces as the exception a reader driver would raise."""

    def __init__(self, chip: EmrtdChip):
        self.chip = chip

    def transmit(self, apdu: bytes) -> bytes:
        try:
            return self.chip.process_apdu(apdu)
        except CardRemoved as exc:
            raise ConnectionError(f"card removed: {exc}") from exc


def doc(name: str, **kwargs):  # type: ignore[no-untyped-def]
    return load_chip_files(shared_data("emrtd", name), **kwargs)


def mrz_key(files) -> MRZKey:  # type: ignore[no-untyped-def]
    return MRZKey(files.document_number, files.birth_date, files.expiry_date)


def bac_channel(chip: EmrtdChip) -> SecureChannel:
    t = DirectTransport(chip)
    assert ResponseAPDU.from_bytes(t.transmit(select_aid().to_bytes())).ok
    f = chip.files
    sm = perform_bac(t, mrz_key_seed(f.document_number, f.birth_date, f.expiry_date))
    return SecureChannel(t, sm)


def plain(chip: EmrtdChip, cmd: CommandAPDU | bytes) -> ResponseAPDU:
    raw = cmd if isinstance(cmd, bytes) else cmd.to_bytes()
    return ResponseAPDU.from_bytes(chip.process_apdu(raw))


# -- documents -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, number, birth, expiry",
    [("bsi2008", "C11T002JM", "960812", "131031"), ("loes2006", "XX0001328", "711019", "111001"),
     ("tr03105", "C11T002JM", "960812", "231031")],
)
def test_documents_load_with_mrz_access_fields(name: str, number: str, birth: str, expiry: str) -> None:
    files = doc(name)
    assert (files.document_number, files.birth_date, files.expiry_date) == (number, birth, expiry)
    assert FID_COM in files.files and FID_SOD in files.files and 1 in files.data_groups


def test_tr03105_carries_the_chip_private_keys() -> None:
    files = doc("tr03105")
    assert files.aa_private_key and files.ca_private_key
    assert doc("loes2006").aa_private_key is None


def test_dict_and_folder_give_the_same_chip() -> None:
    folder = shared_data("emrtd", "loes2006")
    as_dict = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert load_chip_files(as_dict).files == load_chip_files(folder).files


def test_generated_card_access_announces_the_configured_pace() -> None:
    files = doc("bsi2008", pace_oid="0.4.0.127.0.7.2.2.4.2.4", pace_parameter_id=14)
    (info,) = pace_infos(files.card_access)
    assert (info.protocol, info.version, info.parameter_id) == ("0.4.0.127.0.7.2.2.4.2.4", 2, 14)
    assert doc("bsi2008", pace=False).card_access is None
    assert pace_infos(make_card_access())[0].protocol == AES_GM


def test_document_without_dg1_is_refused() -> None:
    with pytest.raises(ChipFilesError, match="DG1"):
        load_chip_files({"EF_COM.bin": b"\x60\x00"})
    with pytest.raises(ChipFilesError, match="DG1"):
        load_chip_files({"DG1.bin": b"\x61\x03\x5f\x1f\x00"})


# -- plain commands --------------------------------------------------------------------------------------


def test_status_words_without_access_control() -> None:
    chip = EmrtdChip(doc("bsi2008"))
    assert plain(chip, read_binary_sfi(0x1C, 0, 256)).data == chip.files.card_access  # EF.CardAccess is free
    assert plain(chip, select_file(FID_CARD_ACCESS)).ok
    assert plain(chip, CommandAPDU(0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("A0000002471002"))).sw == 0x6A82
    assert plain(chip, select_aid()).ok
    assert plain(chip, select_file(FID_COM)).sw == 0x6982  # BAC/PACE first
    assert plain(chip, read_binary(0, 8)).sw == 0x6986  # no current EF
    assert plain(chip, CommandAPDU(0x80, 0xB0, 0, 0, le=8)).sw == 0x6E00
    assert plain(chip, CommandAPDU(0x00, 0x12, 0, 0)).sw == 0x6D00
    assert plain(chip, CommandAPDU(0x0C, 0xB0, 0, 0, le=8)).sw == 0x6987  # SM without a session
    assert plain(chip, CommandAPDU(0x00, 0x84, 0, 0, le=4)).sw == 0x6700
    assert plain(chip, CommandAPDU(0x00, 0x88, 0, 0, b"12345678", le=256)).sw == 0x6982
    assert plain(chip, CommandAPDU(0x00, 0x82, 0, 0, bytes(40), le=40)).sw == 0x6985  # no GET CHALLENGE


def test_short_only_chip_refuses_extended_apdus() -> None:
    chip = EmrtdChip(doc("bsi2008"), options=ChipOptions(extended_length=False))
    assert plain(chip, read_binary_sfi(0x1C, 0, 1000)).sw == 0x6700
    assert chip.atr() != EmrtdChip(doc("bsi2008")).atr()  # the ATR tells readers so


# -- secured reads ---------------------------------------------------------------------------------------


def test_read_binary_forms_under_secure_messaging() -> None:
    chip = EmrtdChip(doc("bsi2008"))
    ch = bac_channel(chip)
    assert chip.access == "BAC"
    dg2 = chip.files.files[FID_DG[2]]
    assert ch.transmit(select_file(FID_DG[2])).ok
    assert ch.transmit(read_binary(0x0100, 16)).data == dg2[0x100:0x110]  # offset in P1-P2
    odd = ch.transmit(read_binary_odd(12000, 40))  # odd INS: offset in DO'54', data in DO'53'
    assert odd.ok and odd.data[:2] == b"\x53\x26" and odd.data[2:] == dg2[12000:12038]
    whole = ch.transmit(CommandAPDU(0, 0xB0, 0, 0, le=len(dg2), force_extended=True))
    assert whole.data == dg2  # one extended READ BINARY
    tail = ch.transmit(read_binary(len(dg2) - 10, 100))
    assert (tail.sw, tail.data) == (0x6282, dg2[-10:])  # end of file before Le
    assert ch.transmit(read_binary(len(dg2) + 1, 8)).sw == 0x6B00
    assert ch.transmit(read_binary(0, 240)).sw == 0x6700  # does not fit a short protected response
    assert ch.transmit(read_binary(0, max_short_le(8))).ok
    sfi = ch.transmit(read_binary_sfi(1, 0, 0x20))
    assert sfi.data == chip.files.files[FID_DG[1]][:0x20]
    assert ch.transmit(read_binary_sfi(3, 0, 0x20)).sw == 0x6982  # DG3: terminal authentication needed
    assert ch.transmit(select_file(FID_DG[9])).sw == 0x6A82


def test_bad_mac_ends_the_session_with_6988() -> None:
    chip = EmrtdChip(doc("loes2006"))
    ch = bac_channel(chip)
    raw = bytearray(ch.sm.wrap(select_file(FID_COM)).to_bytes())
    raw[-3] ^= 0xFF  # corrupt the MAC
    assert chip.process_apdu(bytes(raw)) == b"\x69\x88"
    assert not chip.secure_messaging_active


def test_largest_short_block_fits_256_bytes() -> None:
    assert max_short_le(8) == 0xE7 and max_short_le(16) == 0xDF


# -- the read sequence ------------------------------------------------------------------------------------


@pytest.mark.parametrize("pace", [True, False], ids=["PACE", "BAC"])
@pytest.mark.parametrize("name", DOCS)
def test_read_passport_in_process(name: str, pace: bool) -> None:
    files = doc(name, pace=pace)
    result = read_passport(DirectTransport(EmrtdChip(files)), mrz_key(files))
    assert result.access == ("PACE" if pace else "BAC")
    assert result.files_read[:4] == ["EF.COM", "DG1", "DG2", "EF.SOD"]  # EF.SOD's list decides the rest
    for n in result.files_read:
        fid = FID_COM if n == "EF.COM" else FID_SOD if n == "EF.SOD" else FID_DG[int(n[2:])]
        assert result.files[n] == files.files[fid]
    assert result.mrz.document_number == files.document_number
    assert result.face.format == "JPEG2000" and result.face.width > 0
    assert result.extended_length and not result.errors
    assert "image" not in str(result.as_dict()["face"])


def test_eac_data_groups_are_reported_not_failed() -> None:
    result = read_passport(DirectTransport(EmrtdChip(doc("tr03105"))), mrz_key(doc("tr03105")))
    assert result.access_protected == ["DG3", "DG4"] and not result.errors


def test_pace_with_can_and_wrong_keys() -> None:
    files = doc("loes2006", can="654321")
    assert read_passport(DirectTransport(EmrtdChip(files)), CANKey("654321"), verify=False).access == "PACE"
    with pytest.raises(AccessControlError):
        read_passport(DirectTransport(EmrtdChip(files)), CANKey("123456"), verify=False)
    with pytest.raises(AccessControlError, match="wrong password"):  # no BAC after a failed key agreement
        read_passport(DirectTransport(EmrtdChip(files)), MRZKey("XX0001328", "711019", "111002"), verify=False)
    bac_only = doc("loes2006", pace=False)
    with pytest.raises(AccessControlError):
        read_passport(DirectTransport(EmrtdChip(bac_only)), CANKey("123456"), verify=False)


@pytest.mark.parametrize(
    "oid, parameter_id",
    [("0.4.0.127.0.7.2.2.4.2.1", 13), ("0.4.0.127.0.7.2.2.4.1.2", 0), ("0.4.0.127.0.7.2.2.4.4.2", 13),
     ("0.4.0.127.0.7.2.2.4.6.2", 11)],
    ids=["ECDH-GM-3DES", "DH-GM-AES", "ECDH-IM-AES", "ECDH-CAM-AES"],
)
def test_pace_variants(oid: str, parameter_id: int) -> None:
    files = doc("tr03105", pace_oid=oid, pace_parameter_id=parameter_id)
    result = read_passport(DirectTransport(EmrtdChip(files)), mrz_key(files), files=("EF.COM", "DG1"), verify=False)
    assert result.access == "PACE" and result.files_read == ["EF.COM", "DG1"]


def test_pace_chip_authentication_mapping_proves_the_chip() -> None:
    files = doc("tr03105", pace_oid="0.4.0.127.0.7.2.2.4.6.2", pace_parameter_id=11)  # CAM, brainpoolP224r1
    wanted = ("EF.COM", "DG1", "DG14")
    genuine = read_passport(DirectTransport(EmrtdChip(files)), mrz_key(files), files=wanted)
    assert genuine.chip_auth.valid is True and "mapping" in genuine.chip_auth.detail
    clone = read_passport(DirectTransport(EmrtdChip(files, faults=[parse_fault("cloned")])), mrz_key(files),
                          files=wanted)
    assert clone.access == "PACE" and clone.chip_auth.valid is False and clone.clone_suspected


def test_unsupported_pace_parameters_fall_back_to_bac() -> None:
    files = doc("loes2006", pace_parameter_id=99)
    result = read_passport(DirectTransport(EmrtdChip(files)), mrz_key(files), files=("EF.COM", "DG1"))
    assert result.access == "BAC" and result.findings[0].code == "bac_fallback"
    assert "no PACE parameters this system supports" in result.findings[0].detail


def test_face_is_handed_over_before_the_rest_is_read() -> None:
    served: list[int] = []

    class Recorder(Fault):
        def before_read(self, chip, fid, offset, length):  # type: ignore[no-untyped-def]
            served.append(fid)

    seen: list[tuple[int, bool]] = []
    files = doc("tr03105")
    read_passport(
        DirectTransport(EmrtdChip(files, faults=[Recorder()])), mrz_key(files),
        on_dg2=lambda data: seen.append((len(data), FID_SOD in served)),
    )
    assert seen == [(len(files.files[FID_DG[2]]), False)]


def test_chip_authentication_switches_keys_and_detects_a_clone() -> None:
    files = doc("tr03105")
    genuine = read_passport(DirectTransport(EmrtdChip(files)), mrz_key(files))
    assert genuine.chip_auth.performed and genuine.chip_auth.valid and not genuine.clone_suspected
    clone = read_passport(DirectTransport(EmrtdChip(files, faults=[parse_fault("cloned")])), mrz_key(files))
    assert clone.chip_auth.performed and clone.chip_auth.valid is False and clone.clone_suspected


def _aa_document():  # type: ignore[no-untyped-def]
    """tr03105 without DG14, EF.SOD and EF.COM listing DG15: a chip that proves itself with active
    authentication."""
    from hardware_mocks.emrtd.generator import sign_sod
    from hardware_mocks.emrtd.pki import make_test_pki

    files = doc("tr03105")
    entries = {fid: data for fid, data in files.files.items() if fid != FID_DG[14]}
    entries[FID_COM] = encode_com(EFCom("0107", "040000", (0x61, 0x75, 0x6F)))
    entries[FID_SOD] = sign_sod({n: files.files[FID_DG[n]] for n in (1, 2, 15)}, make_test_pki("DE").dsc)
    entries["DG15_sk.pkcs8"] = files.aa_private_key
    return load_chip_files(entries)


def test_active_authentication_and_clone() -> None:
    files = _aa_document()
    genuine = read_passport(DirectTransport(EmrtdChip(files)), mrz_key(files))
    assert genuine.active_auth.performed and genuine.active_auth.valid and not genuine.chip_auth.performed
    clone = read_passport(DirectTransport(EmrtdChip(files, faults=[parse_fault("cloned")])), mrz_key(files))
    assert clone.active_auth.valid is False and clone.clone_suspected


# -- faults -----------------------------------------------------------------------------------------------


def test_short_reads_only_still_reads_with_more_apdus() -> None:
    files = doc("tr03105")
    normal = read_passport(DirectTransport(EmrtdChip(files)), mrz_key(files), verify=False)
    short = read_passport(DirectTransport(EmrtdChip(files, faults=[ShortReadsOnly()])), mrz_key(files), verify=False)
    assert short.files == normal.files and not short.extended_length
    assert short.apdus > normal.apdus + 50


def test_smaller_chip_limit_is_found() -> None:
    files = doc("loes2006")
    result = read_passport(
        DirectTransport(EmrtdChip(files, faults=[ShortReadsOnly(0x80)])), mrz_key(files), verify=False
    )
    assert result.files["DG2"] == files.files[FID_DG[2]]


def test_session_error_is_recovered_at_the_same_offset() -> None:
    files = doc("bsi2008")
    for pace in (True, False):
        f = doc("bsi2008", pace=pace)
        drop = SessionDrop(after=4)
        result = read_passport(DirectTransport(EmrtdChip(f, faults=[drop])), mrz_key(f), verify=False)
        assert drop.fired and result.sessions == 2
        assert result.files["DG2"] == files.files[FID_DG[2]] and result.files["EF.SOD"] == files.files[FID_SOD]
        assert "sm_session_restarted" in result.finding_codes


def test_endless_session_errors_end_the_read() -> None:
    files = doc("loes2006", pace=False)
    chip = EmrtdChip(files, faults=[SessionDrop(after=1, repeat=True)])
    with pytest.raises(Exception, match="secure messaging"):
        read_passport(DirectTransport(chip), mrz_key(files), verify=False)


def test_removal_during_dg2_is_a_transport_error() -> None:
    files = doc("tr03105")
    chip = EmrtdChip(files, faults=[RemovedDuringRead(dg=2, offset=5000)])
    with pytest.raises(TransportError):
        read_passport(DirectTransport(chip), mrz_key(files), on_dg2=lambda _: pytest.fail("DG2 incomplete"))
    with pytest.raises(CardRemoved):
        chip.process_apdu(select_aid().to_bytes())  # gone for good


def test_altered_and_resigned_documents_fail_passive_authentication(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hardware_mocks.emrtd.pki import make_test_pki
    from passport.pki import TrustStore

    pki = make_test_pki("DE")
    trust = TrustStore()
    trust.load_path(pki.write_trust_store(tmp_path))
    files = doc("tr03105", pace=False)
    key = mrz_key(files)

    def read(*faults: Fault):  # type: ignore[no-untyped-def]
        return read_passport(DirectTransport(EmrtdChip(files, faults=list(faults))), key, trust=trust).passive_auth

    good = read(ResignedSOD(pki.dsc.certificate, pki.dsc.private_key))
    assert good.valid and good.chain_valid and good.dg_hashes_valid and good.sod_signature_valid
    altered = read(ResignedSOD(pki.dsc.certificate, pki.dsc.private_key), parse_fault("altered-dg:2"))
    assert altered.chain_valid and not altered.dg_hashes_valid and not altered.valid
    revoked = read(ResignedSOD(pki.revoked_dsc.certificate, pki.revoked_dsc.private_key))
    assert revoked.dsc_revoked and not revoked.valid
    unknown = read(parse_fault("unknown-dsc"))
    assert unknown.sod_signature_valid and not unknown.chain_valid and not unknown.valid


def test_slow_link_and_fault_parsing() -> None:
    fault = parse_fault("slow:0.001")
    assert fault.delay == 0.001
    files = doc("loes2006", pace=False)
    result = read_passport(DirectTransport(EmrtdChip(files, faults=[fault])), mrz_key(files), verify=False)
    assert "EF.SOD" in result.files_read
    assert parse_fault("remove:2:0x1000").offset == 0x1000
    assert parse_fault("short-reads:0x80").max_le == 0x80
    for bad in ("nonsense", "slow:x", "remove:1:2:3"):
        with pytest.raises(FaultError):
            parse_fault(bad)
    with pytest.raises(FaultError):
        build_chip(str(shared_data("emrtd", "loes2006")), faults=["altered-dg:7"])


def test_offsets_beyond_32767_use_odd_read_binary() -> None:
    from gatectl.bench_chip import padded_document

    entries = padded_document(shared_data("emrtd", "loes2006"), dg2_size=40_000)
    files = load_chip_files(entries, pace=False)
    odd_reads: list[int] = []

    class Watch(Fault):
        def before_command(self, chip, apdu):  # type: ignore[no-untyped-def]
            if chip.secure_messaging_active and apdu[1] == 0xB1:
                odd_reads.append(len(apdu))
            return None

    chip = EmrtdChip(files, faults=[ShortReadsOnly(), Watch()])
    result = read_passport(DirectTransport(chip), mrz_key(files), files=("EF.COM", "DG2"), verify=False)
    assert result.files["DG2"] == files.files[FID_DG[2]] and len(result.files["DG2"]) > 0x8000
    assert len(odd_reads) >= (len(result.files["DG2"]) - 0x8000) // 0xE7


def test_minimum_apdu_arithmetic() -> None:
    from gatectl.bench_chip import minimum_apdus

    sizes = {"EF.COM": 24, "DG1": 93, "DG2": 20_000, "EF.SOD": 1000}
    # PACE 8 + CA (AES) 2 + per file: SELECT + ceil(size / 223)
    assert minimum_apdus(sizes, "PACE", 223, 0, "AES", False) == (8 + 2 + 4 + 1 + 1 + 90 + 5, 8 + 2 + 97)
    assert minimum_apdus(sizes, "BAC", 65_000, 2, None, True) == (6 + 2 + 1 + 4 + 4, 6 + 2 + 1 + 4)


# -- hostile or broken chips --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fid, content, message",
    [
        (FID_DG[2], b"\x75\x83\x10\x00\x00" + bytes(300), "exceeds"),  # declares 1 MB
        (FID_DG[2], b"\x75\x82\x30\x00" + bytes(500), "file ends"),  # shorter than its header says
        (FID_DG[2], b"\xff\xff\xff\xff\xff\xff", "malformed header"),
    ],
    ids=["huge-DG2", "truncated-DG2", "garbage-DG2"],
)
def test_malformed_chip_files_give_typed_errors(fid: int, content: bytes, message: str) -> None:
    from passport.errors import PassportError

    files = doc("loes2006", pace=False).with_file(fid, content)
    with pytest.raises(PassportError, match=message):
        read_passport(DirectTransport(EmrtdChip(files)), mrz_key(files), verify=False)


def test_malformed_ef_com_is_only_recorded() -> None:
    files = doc("loes2006", pace=False).with_file(FID_COM, b"\x60\x03\x01\x02")
    result = read_passport(DirectTransport(EmrtdChip(files)), mrz_key(files), verify=False)
    assert "com_unreadable" in result.finding_codes and "EF.SOD" in result.files_read


def test_malformed_face_is_an_error_in_the_result() -> None:
    files = doc("loes2006", pace=False).with_file(FID_DG[2], b"\x75\x05\x7f\x61\x02\x02\x01")
    result = read_passport(DirectTransport(EmrtdChip(files)), mrz_key(files), verify=False)
    assert result.face is None and any(e.startswith("DG2") for e in result.errors)
    assert not result.verified


class RandomChip:
    """A transport answering with arbitrary bytes."""

    def __init__(self, answers: list[bytes]):
        self.answers = answers

    def transmit(self, apdu: bytes) -> bytes:
        return self.answers.pop(0) if self.answers else b"\x6f\x00"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=12))
def test_arbitrary_answers_never_crash_the_reader(answers: list[bytes]) -> None:
    from passport.errors import PassportError

    with pytest.raises(PassportError):
        read_passport(RandomChip(answers), MRZKey("L898902C3", "740812", "120415"))


def test_generated_passport_with_aes_chip_authentication(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hardware_mocks.emrtd.generator import passport_for_lfw_person
    from passport.pki import TrustStore

    generated = passport_for_lfw_person(shared_data("lfw", "images", "Tony_Blair"), issuing_state="DEU")
    trust = TrustStore()
    trust.load_path(generated.pki.write_trust_store(tmp_path))
    files = generated.chip_files
    result = read_passport(DirectTransport(EmrtdChip(files)), mrz_key(files), trust=trust)
    assert result.access == "PACE" and result.passive_auth.valid and result.verified
    assert result.chip_auth.valid and "AES" in result.chip_auth.detail
    assert result.mrz.surname == "BLAIR" and result.face.width


def test_session_drop_before_chip_authentication_is_not_a_clone() -> None:
    files = doc("tr03105", pace=False)
    drop = SessionDrop(after=10)  # the 11th protected command is MSE:Set KAT
    result = read_passport(DirectTransport(EmrtdChip(files, faults=[drop])), mrz_key(files))
    assert drop.fired and result.sessions == 2
    assert result.chip_auth.valid is True and not result.clone_suspected
