"""The PC/SC reader driver against the real stack: pcscd, Debian's vpcd reader, an ISO 7816-4 test card."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from devices.base import DeviceError, DeviceTimeout
from devices.pcsc_errors import CardRemovedError, NoReaderError, PcscError, ReaderTimeout
from devices.pcsc_reader import (
    PcscReader,
    atr_announces_extended_length,
    card_capabilities,
    historical_bytes,
    list_readers,
)
from hardware_mocks.emrtd.iso7816_card import Iso7816Card, build_atr
from hardware_mocks.emrtd.vpcd import VpcdCardHost

AID = bytes.fromhex("A0000002471001")
EF_COM = 0x011E
EF_BIG = 0x0102
EF_CARD_ACCESS = 0x011C
BIG = bytes(i * 7 % 251 for i in range(3000))
COM = bytes.fromhex("6016") + bytes(range(0x16))


def make_card(**options: object) -> Iso7816Card:
    return Iso7816Card(
        files={EF_CARD_ACCESS: b"\x31\x14" + bytes(20)},
        applications={AID: {EF_COM: COM, EF_BIG: BIG}},
        sfis={0x1E: EF_COM},
        **options,  # type: ignore[arg-type]
    )


def select_aid() -> bytes:
    return b"\x00\xa4\x04\x0c" + bytes([len(AID)]) + AID


def select_fid(fid: int, p1: int = 0x02) -> bytes:
    return bytes([0x00, 0xA4, p1, 0x0C, 0x02]) + fid.to_bytes(2, "big")


def read_binary(offset: int, le: int, extended: bool = False) -> bytes:
    header = bytes([0x00, 0xB0]) + offset.to_bytes(2, "big")
    return header + (b"\x00" + le.to_bytes(2, "big") if extended else bytes([le & 0xFF]))


@pytest.fixture
def reader(vpcd_host: VpcdCardHost, vpcd_reader_name: str) -> Iterator[PcscReader]:
    r = PcscReader(f"pcsc://{quote(vpcd_reader_name)}?timeout=5")
    # pcscd polls vpcd every 400 ms: make sure it has seen the previous test's card go.
    assert r.wait_for_removal(3)
    yield r
    r.close()


def insert(host: VpcdCardHost, reader: PcscReader, card: Iso7816Card) -> None:
    host.insert(card)
    assert reader.wait_for_card(5)


def connected_card(host: VpcdCardHost, reader: PcscReader, **options: object) -> Iso7816Card:
    card = make_card(**options)
    insert(host, reader, card)
    reader.connect()
    return card


# -- against pcscd + vpcd -----------------------------------------------------------------------------------


@pytest.mark.pcsc
def test_list_readers_shows_the_vpcd_reader(reader: PcscReader, vpcd_reader_name: str) -> None:
    assert vpcd_reader_name in reader.list_readers()
    assert vpcd_reader_name in list_readers()


@pytest.mark.pcsc
def test_wait_for_card_is_false_on_timeout_and_true_when_a_card_arrives(
    reader: PcscReader, vpcd_host: VpcdCardHost
) -> None:
    assert reader.wait_for_card(0.3) is False
    card = make_card()
    timer = threading.Timer(0.3, vpcd_host.insert, args=(card,))
    timer.start()
    try:
        assert reader.wait_for_card(5) is True
    finally:
        timer.join()
    assert reader.atr == card.atr()


@pytest.mark.pcsc
def test_connect_reads_atr_and_decides_extended_length(reader: PcscReader, vpcd_host: VpcdCardHost) -> None:
    card = connected_card(vpcd_host, reader)
    assert reader.connected
    assert reader.atr == card.atr()
    assert reader.protocol in ("T=0", "T=1")
    assert reader.reader_extended_length and reader.card_extended_length
    assert reader.extended_length is True
    assert "ATR announces extended" in reader.extended_length_reason
    with PcscReader(f"pcsc://{quote(reader.reader_name)}?extended=0") as forced:  # shared mode: same card
        forced.connect()
        assert forced.card_extended_length and not forced.reader_extended_length
        assert forced.extended_length is False
        assert "set by the URL" in forced.extended_length_reason
    reader.disconnect()
    assert not reader.connected
    assert reader.extended_length is False
    assert reader.atr == card.atr()  # still readable from the reader state without a connection


@pytest.mark.pcsc
def test_select_and_read_binary(reader: PcscReader, vpcd_host: VpcdCardHost) -> None:
    connected_card(vpcd_host, reader)
    assert reader.transmit(select_fid(EF_CARD_ACCESS, p1=0x00)) == b"\x90\x00"
    assert reader.transmit(read_binary(0, 4)) == b"\x31\x14\x00\x00\x90\x00"
    assert reader.transmit(select_fid(EF_COM)) == b"\x6a\x82"  # EF.COM lives in the application
    assert reader.transmit(select_aid()) == b"\x90\x00"
    assert reader.transmit(select_fid(EF_COM)) == b"\x90\x00"
    assert reader.transmit(read_binary(0, 4)) == COM[:4] + b"\x90\x00"
    assert reader.transmit(read_binary(4, 0)) == COM[4:] + b"\x90\x00"  # Le=00: whatever is there
    assert reader.transmit(read_binary(20, 16)) == COM[20:] + b"\x62\x82"  # end reached before Le
    assert reader.transmit(read_binary(len(COM), 1)) == b"\x6b\x00"
    assert reader.transmit(bytes([0x00, 0xB0, 0x9E, 0x02, 0x03])) == COM[2:5] + b"\x90\x00"  # by SFI
    assert reader.transmit(select_fid(0x0999)) == b"\x6a\x82"
    assert reader.apdu_count == 11


@pytest.mark.pcsc
def test_extended_length_read_of_a_large_chunk(reader: PcscReader, vpcd_host: VpcdCardHost) -> None:
    card = connected_card(vpcd_host, reader)
    assert reader.extended_length
    reader.transmit(select_aid())
    reader.transmit(select_fid(EF_BIG))
    response = reader.transmit(read_binary(100, 1200, extended=True))
    assert response == BIG[100:1300] + b"\x90\x00"
    assert card.received[-1] == bytes.fromhex("00B00064") + b"\x00\x04\xb0"
    whole = reader.transmit(read_binary(0, 0, extended=True))  # Le=0000: up to 65536
    assert whole == BIG + b"\x90\x00"
    assert reader.bytes_in >= 4200


@pytest.mark.pcsc
def test_short_only_card_refuses_extended_apdus(reader: PcscReader, vpcd_host: VpcdCardHost) -> None:
    connected_card(vpcd_host, reader, short_only=True)
    assert reader.reader_extended_length
    assert not reader.card_extended_length
    assert reader.extended_length is False
    assert "does not announce" in reader.extended_length_reason
    reader.transmit(select_aid())
    reader.transmit(select_fid(EF_BIG))
    assert reader.transmit(read_binary(0, 1200, extended=True)) == b"\x67\x00"
    assert reader.transmit(read_binary(0, 0)) == BIG[:256] + b"\x90\x00"


@pytest.mark.pcsc
def test_card_refusing_le_answers_6cxx_and_accepts_the_exact_le(
    reader: PcscReader, vpcd_host: VpcdCardHost
) -> None:
    connected_card(vpcd_host, reader, refuse_le=True)
    reader.transmit(select_aid())
    reader.transmit(select_fid(EF_COM))
    assert reader.transmit(read_binary(10, 0x40)) == bytes([0x6C, len(COM) - 10])
    assert reader.transmit(read_binary(10, len(COM) - 10)) == COM[10:] + b"\x90\x00"


@pytest.mark.pcsc
def test_card_pulled_mid_command_raises_card_removed(reader: PcscReader, vpcd_host: VpcdCardHost) -> None:
    connected_card(vpcd_host, reader, pull_at_apdu=3)
    reader.transmit(select_aid())
    reader.transmit(select_fid(EF_COM))
    with pytest.raises(CardRemovedError, match="card removed"):
        reader.transmit(read_binary(0, 4))
    assert not reader.connected
    assert reader.wait_for_removal(3)
    health = reader.health()
    assert health.ok and health.metrics["card_present"] is False
    with pytest.raises(PcscError, match="connect"):
        reader.transmit(read_binary(0, 4))


@pytest.mark.pcsc
def test_wait_for_removal(reader: PcscReader, vpcd_host: VpcdCardHost) -> None:
    connected_card(vpcd_host, reader)
    assert reader.wait_for_removal(0.3) is False
    timer = threading.Timer(0.3, vpcd_host.remove)
    timer.start()
    try:
        assert reader.wait_for_removal(5) is True
    finally:
        timer.join()
    assert not reader.connected
    assert reader.atr is None


@pytest.mark.pcsc
def test_unknown_reader_names_the_readers_there_are(reader: PcscReader, vpcd_reader_name: str) -> None:
    with PcscReader("pcsc://No%20Such%20Reader?timeout=2") as missing:
        with pytest.raises(NoReaderError) as info:
            missing.connect()
        assert isinstance(info.value, DeviceError)
        assert info.value.reader == "No Such Reader"
        assert vpcd_reader_name in info.value.readers
        assert repr(vpcd_reader_name) in str(info.value)
        with pytest.raises(NoReaderError):
            missing.wait_for_card(0.1)
        health = missing.health()
        assert not health.ok
        assert vpcd_reader_name in health.detail


@pytest.mark.pcsc
def test_slow_card_times_out_and_the_reader_stays_usable(reader: PcscReader, vpcd_host: VpcdCardHost) -> None:
    card = connected_card(vpcd_host, reader, delay=0.8)
    with pytest.raises(ReaderTimeout, match="no answer") as info:
        reader.transmit(select_aid(), timeout=0.2)
    assert isinstance(info.value, DeviceTimeout)
    assert not reader.connected
    health = reader.health()
    assert health.ok
    assert health.metrics["card_present"] is True
    assert health.metrics["timeouts"] == 1
    card.delay = 0.0
    reader.connect()
    assert reader.transmit(select_aid()) == b"\x90\x00"  # waits in pcscd for the abandoned command first


@pytest.mark.pcsc
def test_health_reports_reader_card_and_counters(reader: PcscReader, vpcd_host: VpcdCardHost) -> None:
    empty = reader.health()
    assert empty.ok and empty.device == "card_reader" and empty.url == reader.url
    assert empty.metrics["reader_present"] is True and empty.metrics["card_present"] is False
    card = connected_card(vpcd_host, reader)
    reader.transmit(select_aid())
    reader.transmit(select_fid(EF_COM))
    reader.transmit(read_binary(0, 8))
    m = reader.health().metrics
    assert m["card_present"] is True and m["connected"] is True
    assert m["atr"] == card.atr().hex().upper()
    assert m["extended_length"] is True
    assert m["apdu_count"] == 3
    assert m["bytes_out"] == len(select_aid()) + 7 + 5
    assert m["bytes_in"] == 2 + 2 + 10
    assert m["last_round_trip_ms"] is not None
    assert reader.health().as_dict()["metrics"]["reader"] == reader.reader_name


@pytest.mark.pcsc
def test_empty_name_means_the_first_reader_and_a_prefix_names_a_reader(reader: PcscReader) -> None:
    with PcscReader("pcsc://") as first:
        assert first.health().metrics["reader"] == first.list_readers()[0]
    prefix = reader.reader_name[:-3]  # "Virtual PCD 00"
    with PcscReader(f"pcsc://{quote(prefix)}") as by_prefix:
        health = by_prefix.health()
        assert health.ok and health.metrics["reader"].startswith(prefix)
        assert by_prefix.reader_name == health.metrics["reader"]


# -- without pcscd ------------------------------------------------------------------------------------------


def test_url_parameters_and_bad_urls() -> None:
    r = PcscReader("pcsc://Virtual%20PCD%2000%2001?timeout=2.5&extended=0")
    assert r.requested_name == "Virtual PCD 00 01"
    assert r.timeout == 2.5
    assert PcscReader("pcsc://").requested_name == ""
    raw = "SCM Microsystems Inc. SCR 355 [CCID Interface] (21120802) 00 00"
    assert PcscReader(f"pcsc://{raw}?timeout=1").requested_name == raw
    assert PcscReader(f"pcsc://{quote(raw)}").requested_name == raw
    with pytest.raises(ValueError, match="PC/SC"):
        PcscReader("serial:///dev/ttyS0")
    with pytest.raises(ValueError, match="timeout"):
        PcscReader("pcsc://x?timeout=0")
    with pytest.raises(ValueError, match="extended"):
        PcscReader("pcsc://x?extended=maybe")


def test_transmit_checks_its_input_and_the_connection() -> None:
    r = PcscReader("pcsc://x")
    with pytest.raises(ValueError, match="4 bytes"):
        r.transmit(b"\x00\xa4")
    with pytest.raises(PcscError, match="connect"):
        r.transmit(select_aid())


def test_atr_card_capabilities() -> None:
    assert historical_bytes(build_atr(True)) == bytes.fromhex("8073802140")
    assert card_capabilities(build_atr(True)) == bytes.fromhex("802140")
    assert atr_announces_extended_length(build_atr(True))
    assert not atr_announces_extended_length(build_atr(False))
    # category 00: compact-TLV objects followed by a 3-byte status indicator
    atr = bytes.fromhex("3B88800100738021400000900062")
    assert atr_announces_extended_length(atr)
    for bad in (b"", b"\x3b", bytes.fromhex("3B8F8001"), bytes.fromhex("3BF0"), bytes.fromhex("12345678")):
        assert not atr_announces_extended_length(bad)
    with pytest.raises(ValueError):
        historical_bytes(bytes.fromhex("3B8F8001"))


def test_card_answers_malformed_and_unsupported_commands() -> None:
    card = make_card()
    assert card.process_apdu(bytes.fromhex("00A4040C05AABB")) == b"\x67\x00"  # Lc does not match
    assert card.process_apdu(bytes.fromhex("00B0000004")) == b"\x69\x86"  # no current EF
    assert card.process_apdu(bytes.fromhex("0CB0000004")) == b"\x68\x82"  # no secure messaging
    assert card.process_apdu(bytes.fromhex("00CA000000")) == b"\x6d\x00"
