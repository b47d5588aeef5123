"""PACE against ICAO 9303-11 Appendix G (generic mapping: G.1 ECDH brainpoolP256r1, G.2 DH 1024-bit MODP),
Appendix H (integrated mapping: H.1 ECDH, H.2 DH) and Appendix I (chip authentication mapping), every
intermediate value asserted; then terminal <-> chip runs in process for every standardized parameter set."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware_mocks.emrtd.access import PaceChip
from passport import crypto
from passport.apdu import CommandAPDU, ResponseAPDU, read_binary, select_file
from passport.errors import AccessControlError
from passport.pace import (
    DhOps,
    EcOps,
    PaceInfo,
    PaceTrace,
    authentication_token,
    cam_iv,
    decrypt_chip_authentication_data,
    derive_kpi,
    group_ops,
    password_key,
    perform_pace,
    point_encode,
    pseudo_random,
    public_key_data_object,
    session_keys,
    verify_chip_authentication_mapping,
)
from passport.pace_params import (
    DH_PARAMETER_IDS,
    EC_PARAMETER_IDS,
    PACE_ALGORITHMS,
    RFC5114_1024_160,
    pace_algorithm,
)
from passport.sm import SecureChannel
from passport.tlv import encode


def h(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


def n(text: str) -> int:
    return int.from_bytes(h(text), "big")


class ScriptedTransport:
    """Replays a transcript's responses and checks every command byte for byte."""

    def __init__(self, script: list[tuple[bytes, bytes]]):
        self.script = list(script)

    def transmit(self, apdu: bytes) -> bytes:
        assert self.script, f"unexpected extra command {apdu.hex().upper()}"
        expected, response = self.script.pop(0)
        assert apdu.hex().upper() == expected.hex().upper()
        return response


EF_COM = h("60145F0104303130365F36063034303030305C026175")


class MiniChip:
    """PACE engine, then secure messaging over a one-file file system (EF.COM)."""

    def __init__(self, access: PaceChip):
        self.access = access
        self.log: list[tuple[bytes, bytes]] = []

    def transmit(self, apdu: bytes) -> bytes:
        session = self.access.session
        if session is not None and session.active and session.is_protected(apdu):
            out = session.process(apdu, self._file_system)
        else:
            cmd = CommandAPDU.from_bytes(apdu)
            out = self.access.process(cmd).to_bytes() if self.access.handles(cmd) else h("6982")
        self.log.append((bytes(apdu), out))
        return out

    @staticmethod
    def _file_system(cmd: CommandAPDU) -> ResponseAPDU:
        if cmd.ins == 0xA4:
            return ResponseAPDU.status(0x9000 if cmd.data == h("011E") else 0x6A82)
        if cmd.ins == 0xB0:
            offset = (cmd.p1 << 8) | cmd.p2
            return ResponseAPDU.status(0x9000, EF_COM[offset : offset + (cmd.le or 256)])
        return ResponseAPDU.status(0x6D00)


def ga(cla: int, inner: bytes) -> bytes:
    """A short GENERAL AUTHENTICATE with Le 00, as in the worked examples."""
    data = encode(0x7C, inner)
    return bytes([cla, 0x86, 0x00, 0x00, len(data)]) + data + b"\x00"


def ok(data: bytes) -> bytes:
    return data + h("9000")


# --- Appendix G: the MRZ password of both examples ------------------------------------------------------

G_MRZ = "T22000129364081251010318"  # T22000129 3, 640812 5, 101031 8
G_K = h("7E2D2A41 C74EA0B3 8CD36F86 3939BFA8 E9032AAD")
G_KPI = h("89DED1B2 6624EC1E 634C1989 302849DD")


class G1:
    oid = "0.4.0.127.0.7.2.2.4.2.2"
    pace_info = h("3012060A 04007F00 07020204 02020201 0202010D")
    s = h("3F00C4D3 9D153F2B 2A214A07 8D899B22")
    z = h("95A3A016 522EE98D 01E76CB6 B98B42C3")
    sk_map_ifd = n("7F4EF07B 9EA82FD7 8AD689B3 8D0BC78C F21F249D 953BC46F 4C6E1925 9C010F99")
    pk_map_ifd = h("04 7ACF3EFC 982EC455 65A4B155 129EFBC7 4650DCBF A6362D89 6FC70262 E0C2CC5E"
                   "544552DC B6725218 799115B5 5C9BAA6D 9F6BC3A9 618E70C2 5AF71777 A9C4922D")
    sk_map_ic = n("498FF497 56F2DC15 87840041 839A8598 2BE7761D 14715FB0 91EFA7BC E9058560")
    pk_map_ic = h("04 824FBA91 C9CBE26B EF53A0EB E7342A3B F178CEA9 F45DE0B7 0AA60165 1FBA3F57"
                  "30D8C879 AAA9C9F7 3991E61B 58F4D52E B87A0A0C 709A49DC 63719363 CCD13C54")
    shared_h = h("04 60332EF2 450B5D24 7EF6D386 8397D398 852ED6E8 CAF6FFEE F6BF85CA 57057FD5"
                 "0840CA74 15BAF3E4 3BD414D3 5AA4608B 93A2CAF3 A4E3EA4E 82C9C13D 03EB7181")
    mapped = h("04 8CED63C9 1426D4F0 EB1435E7 CB1D74A4 6723A0AF 21C89634 F65A9AE8 7A9265E2"
               "8C879506 743F8611 AC33645C 5B985C80 B5F09A0B 83407C1B 6A4D857A E76FE522")
    sk_ifd = n("A73FB703 AC1436A1 8E0CFA5A BB3F7BEC 7A070E7A 6788486B EE230C4A 22762595")
    pk_ifd = h("04 2DB7A64C 0355044E C9DF1905 14C625CB A2CEA487 54887122 F3A5EF0D 5EDD301C"
               "3556F3B3 B186DF10 B857B58F 6A7EB80F 20BA5DC7 BE1D43D9 BF850149 FBB36462")
    sk_ic = n("107CF586 96EF6155 053340FD 633392BA 81909DF7 B9706F22 6F32086C 7AFF974A")
    pk_ic = h("04 9E880F84 2905B8B3 181F7AF7 CAA9F0EF B743847F 44A306D2 D28C1D9E C65DF6DB"
              "7764B222 77A2EDDC 3C265A9F 018F9CB8 52E111B7 68B32690 4B59A019 3776F094")
    shared = h("28768D20 701247DA E81804C9 E780EDE5 82A9996D B4A31502 0B273319 7DB84925")
    ks_enc = h("F5F0E35C 0D7161EE 6724EE51 3A0D9A7F")
    ks_mac = h("FE251C78 58B356B2 4514B3BD 5F4297D1")
    token_input_ifd = h("7F494F06 0A04007F 00070202 04020286 41049E88 0F842905 B8B3181F 7AF7CAA9"
                        "F0EFB743 847F44A3 06D2D28C 1D9EC65D F6DB7764 B22277A2 EDDC3C26 5A9F018F"
                        "9CB852E1 11B768B3 26904B59 A0193776 F094")
    token_input_ic = h("7F494F06 0A04007F 00070202 04020286 41042DB7 A64C0355 044EC9DF 190514C6"
                       "25CBA2CE A4875488 7122F3A5 EF0D5EDD 301C3556 F3B3B186 DF10B857 B58F6A7E"
                       "B80F20BA 5DC7BE1D 43D9BF85 0149FBB3 6462")
    t_ifd = h("C2B0BD78 D94BA866")
    t_ic = h("3ABB9674 BCE93C08")
    transcript = [
        (h("00 22 C1 A4 0F 80 0A 04 00 7F 00 07 02 02 04 02 02 83 01 01"), h("90 00")),
        (h("10 86 00 00 02 7C 00 00"), h("7C 12 80 10 95 A3 A0 16 52 2E E9 8D 01 E7 6C B6 B9 8B 42 C3 90 00")),
        (h("""10 86 00 00 45 7C 43 81 41 04 7A CF 3E FC 98 2E C4 55 65 A4 B1 55
              12 9E FB C7 46 50 DC BF A6 36 2D 89 6F C7 02 62 E0 C2 CC 5E 54 45
              52 DC B6 72 52 18 79 91 15 B5 5C 9B AA 6D 9F 6B C3 A9 61 8E 70 C2
              5A F7 17 77 A9 C4 92 2D 00"""),
         h("""7C 43 82 41 04 82 4F BA 91 C9 CB E2 6B EF 53 A0 EB E7 34 2A 3B F1
              78 CE A9 F4 5D E0 B7 0A A6 01 65 1F BA 3F 57 30 D8 C8 79 AA A9 C9
              F7 39 91 E6 1B 58 F4 D5 2E B8 7A 0A 0C 70 9A 49 DC 63 71 93 63 CC
              D1 3C 54 90 00""")),
        (h("""10 86 00 00 45 7C 43 83 41 04 2D B7 A6 4C 03 55 04 4E C9 DF 19
              05 14 C6 25 CB A2 CE A4 87 54 88 71 22 F3 A5 EF 0D 5E DD 30 1C
              35 56 F3 B3 B1 86 DF 10 B8 57 B5 8F 6A 7E B8 0F 20 BA 5D C7 BE
              1D 43 D9 BF 85 01 49 FB B3 64 62 00"""),
         h("""7C 43 84 41 04 9E 88 0F 84 29 05 B8 B3 18 1F 7A F7 CA A9 F0 EF
              B7 43 84 7F 44 A3 06 D2 D2 8C 1D 9E C6 5D F6 DB 77 64 B2 22 77
              A2 ED DC 3C 26 5A 9F 01 8F 9C B8 52 E1 11 B7 68 B3 26 90 4B 59
              A0 19 37 76 F0 94 90 00""")),
        (h("00 86 00 00 0C 7C 0A 85 08 C2 B0 BD 78 D9 4B A8 66 00"), h("7C 0A 86 08 3A BB 96 74 BC E9 3C 08 90 00")),
    ]


class G2:
    oid = "0.4.0.127.0.7.2.2.4.1.2"
    pace_info = h("3012060A 04007F00 07020204 01020201 02020100")
    s = h("FA5B7E3E 49753A0D B9178B7B 9BD898C8")
    z = h("854D8DF5 827FA685 2D1A4FA7 01CDDDCA")
    sk_map_ifd = n("5265030F 751F4AD1 8B08AC56 5FC7AC95 2E41618D")
    pk_map_ifd = h("""23FB3749 EA030D2A 25B278D2 A562047A DE3F01B7 4F17A154 02CB7352 CA7D2B3E
                      B71C343D B13D1DEB CE9A3666 DBCFC920 B49174A6 02CB4796 5CAA73DC 702489A4
                      4D41DB91 4DE9613D C5E98C94 160551C0 DF86274B 9359BC04 90D01B03 AD54022D
                      CB4F57FA D6322497 D7A1E28D 46710F46 1AFE710F BBBC5F8B A166F431 1975EC6C""")
    sk_map_ic = n("66DDAFEA C1609CB5 B963BB0C B3FF8B3E 047F336C")
    pk_map_ic = h("""78879F57 225AA808 0D52ED0F C890A4B2 5336F699 AA89A2D3 A189654A F70729E6
                     23EA5738 B26381E4 DA19E004 706FACE7 B235C2DB F2F38748 312F3C98 C2DD4882
                     A41947B3 24AA1259 AC22579D B93F7085 655AF308 89DBB845 D9E6783F E42C9F24
                     49400306 254C8AE8 EE9DD812 A804C0B6 6E8CAFC1 4F84D825 8950A91B 44126EE6""")
    shared_h = h("""5BABEBEF 5B74E5BA 94B5C063 FDA15F1F 1CDE9487 3EE0A5D3 A2FCAB49 F258D07F
                    544F13CB 66658C3A FEE9E727 389BE3F6 CBBBD321 28A8C21D D6EEA3CF 7091CDDF
                    B08B8D00 7D40318D CCA4FFBF 51208790 FB4BD111 E5A968ED 6B6F08B2 6CA87C41
                    0B3CE0C3 10CE104E ABD16629 AA48620C 1279270C B0750C0D 37C57FFF E302AE7F""")
    mapped = h("""7C9CBFE9 8F9FBDDA 8D143506 FA7D9306 F4CB17E3 C71707AF F5E1C1A1 23702496
                  84D64EE3 7AF44B8D BD9D45BF 6023919C BAA027AB 97ACC771 666C8E98 FF483301
                  BFA4872D EDE9034E DFACB708 14166B7F 36067682 9B826BEA 57291B5A D69FBC84
                  EF1E7790 32A30580 3F743417 93E86974 2D401325 B37EE856 5FFCDEE6 18342DC5""")
    sk_ifd = n("89CCD99B 0E8D3B1F 11E1296D CA68EC53 411CF2CA")
    # The appendix prints the terminal's public key with one leading 00 byte (00907D89 ...); on the wire
    # (tag 83, length 81 80) it is the 128-byte value below.
    pk_ifd = h("""907D89 E2D425A1 78AA81AF 4A7774EC 8E388C11 5CAE6703 1E85EECE 520BD911
                  551B9AE4 D04369F2 9A02626C 86FBC674 7CC7BC35 2645B616 1A2A42D4 4EDA80A0
                  8FA8D61B 76D3A154 AD8A5A51 786B0BC0 71470578 71A92221 2C5F67F4 31731722
                  36B7747D 1671E6D6 92A3C7D4 0A0C3C5C E397545D 015C175E B5130551 EDBC2EE5 D4""")
    sk_ic = n("A5B78012 6B7C980E 9FCEA1D4 539DA1D2 7C342DFA")
    pk_ic = h("""075693D9 AE941877 573E634B 6E644F8E 60AF17A0 076B8B12 3D920107 4D36152B
                 D8B3A213 F53820C4 2ADC79AB 5D0AEEC3 AEFB9139 4DA476BD 97B9B14D 0A65C1FC
                 71A0E019 CB08AF55 E1F72900 5FBA7E3F A5DC4189 9238A250 767A6D46 DB974064
                 386CD456 743585F8 E5D90CC8 B4004B1F 6D866C79 CE0584E4 9687FF61 BC29AEA1""")
    shared = h("""6BABC7B3 A72BCD7E A385E4C6 2DB2625B D8613B24 149E146A 629311C4 CA6698E3
                  8B834B6A 9E9CD718 4BA8834A FF5043D4 36950C4C 1E783236 7C10CB8C 314D40E5
                  990B0DF7 013E64B4 549E2270 923D06F0 8CFF6BD3 E977DDE6 ABE4C31D 55C0FA2E
                  465E553E 77BDF75E 3193D383 4FC26E8E B1EE2FA1 E4FC97C1 8C3F6CFF FE2607FD""")
    ks_enc = h("2F7F46AD CC9E7E52 1B45D192 FAFA9126")
    ks_mac = h("805A1D27 D45A5116 F73C5446 9462B7D8")
    token_input_ifd = h("""7F49818F 060A0400 7F000702 02040102 84818007 5693D9AE 94187757 3E634B6E
                           644F8E60 AF17A007 6B8B123D 9201074D 36152BD8 B3A213F5 3820C42A DC79AB5D
                           0AEEC3AE FB91394D A476BD97 B9B14D0A 65C1FC71 A0E019CB 08AF55E1 F729005F
                           BA7E3FA5 DC418992 38A25076 7A6D46DB 97406438 6CD45674 3585F8E5 D90CC8B4
                           004B1F6D 866C79CE 0584E496 87FF61BC 29AEA1""")
    token_input_ic = h("""7F49818F 060A0400 7F000702 02040102 84818090 7D89E2D4 25A178AA 81AF4A77
                          74EC8E38 8C115CAE 67031E85 EECE520B D911551B 9AE4D043 69F29A02 626C86FB
                          C6747CC7 BC352645 B6161A2A 42D44EDA 80A08FA8 D61B76D3 A154AD8A 5A51786B
                          0BC07147 057871A9 22212C5F 67F43173 172236B7 747D1671 E6D692A3 C7D40A0C
                          3C5CE397 545D015C 175EB513 0551EDBC 2EE5D4""")
    t_ifd = h("B46DD9BD 4D98381F")
    t_ic = h("917F37B5 C0E6D8D1")
    car = b"DETESTCVCA00003"
    final_response = h("""7C 1B 86 08 91 7F 37 B5 C0 E6 D8 D1 87 0F 44 45 54 45 53 54 43 56 43 41
                          30 30 30 30 33""")
    transcript = [
        (h("00 22 C1 A4 0F 80 0A 04 00 7F 00 07 02 02 04 01 02 83 01 01"), h("90 00")),
        (h("10 86 00 00 02 7C 00 00"), h("7C 12 80 10 85 4D 8D F5 82 7F A6 85 2D 1A 4F A7 01 CD DD CA 90 00")),
        (h("10 86 00 00 86 7C 81 83 81 81 80") + pk_map_ifd + h("00"), h("7C 81 83 82 81 80") + pk_map_ic + h("9000")),
        (h("10 86 00 00 86 7C 81 83 83 81 80") + pk_ifd + h("00"), h("7C 81 83 84 81 80") + pk_ic + h("9000")),
        (h("00 86 00 00 0C 7C 0A 85 08 B4 6D D9 BD 4D 98 38 1F 00"), final_response + h("9000")),
    ]


# --- Appendix G ---------------------------------------------------------------------------------------


def test_g_password_key_and_k_pi() -> None:
    assert G_MRZ == "T22000129" + "3" + "640812" + "5" + "101031" + "8"
    assert password_key(G_MRZ, "MRZ") == hashlib.sha1(G_MRZ.encode()).digest() == G_K
    assert derive_kpi(G_K, pace_algorithm(G1.oid)) == G_KPI
    assert derive_kpi(G_K, pace_algorithm(G2.oid)) == G_KPI


@pytest.mark.parametrize("vec", [G1, G2], ids=["G.1", "G.2"])
def test_g_pace_info_and_nonce(vec: type) -> None:
    alg = pace_algorithm(vec.oid)
    parameter_id = vec.pace_info[-1]
    assert vec.pace_info == encode(0x30, encode(0x06, alg.oid_bytes) + h("020102") + h("0201") + bytes([parameter_id]))
    assert crypto.cbc_decrypt("AES", G_KPI, vec.z) == vec.s
    assert crypto.cbc_encrypt("AES", G_KPI, vec.s) == vec.z


def test_g1_ecdh_generic_mapping_values() -> None:
    alg = pace_algorithm(G1.oid)
    assert alg.name == "id-PACE-ECDH-GM-AES-CBC-CMAC-128"
    ops = group_ops(alg, 13)
    assert isinstance(ops, EcOps)
    assert ops.encode(ops.public(G1.sk_map_ifd)) == G1.pk_map_ifd
    assert ops.encode(ops.public(G1.sk_map_ic)) == G1.pk_map_ic
    shared_h = ops.agree(G1.sk_map_ifd, ops.decode(G1.pk_map_ic))
    assert ops.encode(shared_h) == G1.shared_h == ops.encode(ops.agree(G1.sk_map_ic, ops.decode(G1.pk_map_ifd)))
    mapped = ops.generic_map(int.from_bytes(G1.s, "big"), shared_h)
    assert ops.encode(mapped) == G1.mapped
    eph = ops.with_generator(mapped)
    assert eph.encode(eph.public(G1.sk_ifd)) == G1.pk_ifd
    assert eph.encode(eph.public(G1.sk_ic)) == G1.pk_ic
    assert eph.shared_secret(eph.agree(G1.sk_ifd, eph.decode(G1.pk_ic))) == G1.shared
    assert eph.shared_secret(eph.agree(G1.sk_ic, eph.decode(G1.pk_ifd))) == G1.shared
    assert session_keys(G1.shared, alg) == (G1.ks_enc, G1.ks_mac)
    assert public_key_data_object(alg, G1.pk_ic) == G1.token_input_ifd
    assert public_key_data_object(alg, G1.pk_ifd) == G1.token_input_ic
    assert authentication_token(alg, G1.ks_mac, G1.pk_ic) == G1.t_ifd
    assert authentication_token(alg, G1.ks_mac, G1.pk_ifd) == G1.t_ic


def test_g2_dh_generic_mapping_values() -> None:
    alg = pace_algorithm(G2.oid)
    assert alg.name == "id-PACE-DH-GM-AES-CBC-CMAC-128"
    ops = group_ops(alg, 0)
    assert isinstance(ops, DhOps) and ops.group is RFC5114_1024_160
    assert ops.encode(ops.public(G2.sk_map_ifd)) == G2.pk_map_ifd
    assert ops.encode(ops.public(G2.sk_map_ic)) == G2.pk_map_ic
    shared_h = ops.agree(G2.sk_map_ifd, ops.decode(G2.pk_map_ic))
    assert ops.encode(shared_h) == G2.shared_h
    mapped = ops.generic_map(int.from_bytes(G2.s, "big"), shared_h)
    assert ops.encode(mapped) == G2.mapped
    eph = ops.with_generator(mapped)
    assert eph.encode(eph.public(G2.sk_ifd)) == G2.pk_ifd.rjust(128, b"\0")
    assert eph.encode(eph.public(G2.sk_ic)) == G2.pk_ic
    assert eph.shared_secret(eph.agree(G2.sk_ifd, eph.decode(G2.pk_ic))) == G2.shared
    assert eph.shared_secret(eph.agree(G2.sk_ic, eph.decode(G2.pk_ifd))) == G2.shared
    assert session_keys(G2.shared, alg) == (G2.ks_enc, G2.ks_mac)
    assert public_key_data_object(alg, G2.pk_ic) == G2.token_input_ifd
    assert public_key_data_object(alg, G2.pk_ifd) == G2.token_input_ic
    assert authentication_token(alg, G2.ks_mac, G2.pk_ic) == G2.t_ifd
    assert authentication_token(alg, G2.ks_mac, G2.pk_ifd) == G2.t_ic


@pytest.mark.parametrize("vec", [G1, G2], ids=["G.1", "G.2"])
def test_g_terminal_against_the_published_transcript(vec: type) -> None:
    transport = ScriptedTransport(vec.transcript)
    info = PaceInfo(vec.oid, 2, vec.pace_info[-1])
    t = PaceTrace()
    result = perform_pace(transport, G_MRZ, "MRZ", info, mapping_key=vec.sk_map_ifd, agreement_key=vec.sk_ifd,
                          send_parameter_id=False, trace=t)
    assert not transport.script
    assert (t.k, t.k_pi, t.encrypted_nonce, t.nonce) == (G_K, G_KPI, vec.z, vec.s)
    assert (t.mapping_public_ifd, t.mapping_public_ic, t.mapping_shared) == (vec.pk_map_ifd, vec.pk_map_ic,
                                                                              vec.shared_h)
    assert t.mapped_generator == vec.mapped
    assert (t.public_ifd, t.public_ic, t.shared_secret) == (vec.pk_ifd, vec.pk_ic, vec.shared)
    assert (t.ks_enc, t.ks_mac, t.token_ifd, t.token_ic) == (vec.ks_enc, vec.ks_mac, vec.t_ifd, vec.t_ic)
    assert [apdu for apdu, _ in t.apdus] == [cmd for cmd, _ in vec.transcript]
    sm = result.sm
    assert (sm.ks_enc, sm.ks_mac, sm.ssc, sm.cipher) == (vec.ks_enc, vec.ks_mac, 0, "AES")
    assert result.mapping == "GM" and result.chip_authentication_data is None
    assert result.chip_mapping_public_key == vec.pk_map_ic
    if vec is G2:
        assert result.certification_authority_references == (G2.car,)


@pytest.mark.parametrize("vec", [G1, G2], ids=["G.1", "G.2"])
def test_g_chip_reproduces_the_published_transcript(vec: type) -> None:
    parameter_id = vec.pace_info[-1]
    chip = MiniChip(PaceChip(G_MRZ, "MRZ", parameter_id, vec.oid, nonce=vec.s, mapping_key=vec.sk_map_ic,
                             agreement_key=vec.sk_ic,
                             certification_authority_reference=getattr(vec, "car", None)))
    result = perform_pace(chip, G_MRZ, "MRZ", PaceInfo(vec.oid, 2, parameter_id), mapping_key=vec.sk_map_ifd,
                          agreement_key=vec.sk_ifd, send_parameter_id=False)
    assert chip.log == vec.transcript
    channel = SecureChannel(chip, result.sm)
    assert channel.transmit(select_file(0x011E)).ok
    assert channel.transmit(read_binary(0, 22)).data == EF_COM


def test_g1_with_parameter_id_in_mse_set_at() -> None:
    chip = MiniChip(PaceChip(G_MRZ, "MRZ", 13, G1.oid))
    perform_pace(chip, G_MRZ, "MRZ", PaceInfo(G1.oid, 2, 13))
    assert chip.log[0][0] == h("00 22 C1 A4 12 80 0A 04 00 7F 00 07 02 02 04 02 02 83 01 01 84 01 0D")


# --- Appendix H: integrated mapping -------------------------------------------------------------------

H_KPI = h("591468CD A83D6521 9CCCB856 0233600F")  # the appendix gives K_pi directly


class H1:
    oid = "0.4.0.127.0.7.2.2.4.4.2"
    s = h("2923BE84 E16CD6AE 529049F1 F1BBE9EB")
    z = h("143DC40C 08C8E891 FBED7DED B92B64AD")
    t = h("5DD4CBFC 96F5453B 130D890A 1CDBAE32")
    r = h("E4447E2D FB3586BA C05DDB00 156B57FB B2179A39 49294C97 25418980 0C517BAA"
          "8DA0FF39 7ED8C445 D3E421E4 FEB57322")
    r_p = h("A2F8FF2D F50E52C6 599F386A DCB595D2 29F6A167 ADE2BE5F 2C3296AD D5B7430E")
    mapped = h("04 8E82D315 59ED0FDE 92A4D049 8ADD3C23 BABA94FB 77691E31 E90AEA77 FB17D427"
               "4C1AE14B D0C3DBAC 0C871B7F 36081693 64437CA3 0AC243A0 89D3F266 C1E60FAD")
    sk_ic = n("107CF586 96EF6155 053340FD 633392BA 81909DF7 B9706F22 6F32086C 7AFF974A")
    pk_ic = h("04 67F78E5F 7F768608 2B293E8D 087E0569 16D0F74B C01A5F89 57D0DE45 691E51E8"
              "932B69A9 62B52A09 85AD2C0A 271EE6A1 3A8ADDDC D1A3A994 B9DED257 F4D22753")
    sk_ifd = n("A73FB703 AC1436A1 8E0CFA5A BB3F7BEC 7A070E7A 6788486B EE230C4A 22762595")
    pk_ifd = h("04 89CBA23F FE96AA18 D824627C 3E934E54 A9FD0B87 A95D1471 DC1C0ABF DCD640D4"
               "6755DE9B 7B778280 B6BEBD57 439ADFEB 0E21FD4E D6DF4257 8C13418A 59B34C37")
    shared = h("4F150FDE 1D4F0E38 E95017B8 91BAE171 33A0DF45 B0D3E18B 60BA7BEA FDC2C713")
    ks_enc = h("0D3FEB33 251A6370 893D62AE 8DAAF51B")
    ks_mac = h("B01E89E3 D9E8719E 586B50B4 A7506E0B")
    token_input_ic = h("7F494F06 0A04007F 00070202 04040286 410489CB A23FFE96 AA18D824 627C3E93"
                       "4E54A9FD 0B87A95D 1471DC1C 0ABFDCD6 40D46755 DE9B7B77 8280B6BE BD57439A"
                       "DFEB0E21 FD4ED6DF 42578C13 418A59B3 4C37")
    token_input_ifd = h("7F494F06 0A04007F 00070202 04040286 410467F7 8E5F7F76 86082B29 3E8D087E"
                        "056916D0 F74BC01A 5F8957D0 DE45691E 51E8932B 69A962B5 2A0985AD 2C0A271E"
                        "E6A13A8A DDDCD1A3 A994B9DE D257F4D2 2753")
    t_ic = h("75D4D96E 8D5B0308")
    t_ifd = h("450F02B8 6F6A0909")
    parameter_id = 13


class H2:
    oid = "0.4.0.127.0.7.2.2.4.3.2"
    s = h("FA5B7E3E 49753A0D B9178B7B 9BD898C8")
    z = h("9ABB8864 CA0FF155 1E620D1E F4E13510")
    t = h("B3A6DB3C 870C3E99 245E0D1C 06B747DE")
    r = h("""EAB98D13 E0905295 2AA72990 7C3C9461 84DEA0FE 74AD2B3A F506F0A8 3018459C
             38099CD1 F7FF4EA0 A078DB1F AC136550 5E3DC855 00EF95E2 0B4EEF2E 88489233
             BEE0546B 472F994B 618D1687 02406791 DEEF3CB4 810932EC 278F3533 FDB860EB
             4835C36F A4F1BF3F A0B828A7 18C96BDE 88FBA38A 3E6C35AA A1095925 1EB5FC71
             0FC18725 8995944C 0F926E24 9373F485""")
    r_p = h("""A0C7C50C 002061A5 1CC87D25 4EF38068 607417B6 EE1B3647 3CFB800D 2D2E5FA2
               B6980F01 105D24FA B22ACD1B FA5C8A4C 093ECDFA FE6D7125 D42A843E 33860383
               5CF19AFA FF75EFE2 1DC5F6AA 1F9AE46C 25087E73 68166FB0 8C1E4627 AFED7D93
               570417B7 90FF7F74 7E57F432 B04E1236 819E0DFE F5B6E77C A4999925 328182D2""")
    mapped = h("""1D7D767F 11E333BC D6DBAEF4 0E799E7A 926B9697 3550656F F3C83072 6D118D61
                  C276CDCC 61D475CF 03A98E0C 0E79CAEB A5BE2557 8BD4551D 0B109032 36F0B0F9
                  76852FA7 8EEA14EA 0ACA87D1 E91F688F E0DFF897 BBE35A47 2621D343 564B262F
                  34223AE8 FC59B664 BFEDFA2B FE7516CA 5510A6BB B633D517 EC25D4E0 BBAA16C2""")
    sk_ic = n("""020F018C 7284B047 FA7721A3 37EFB7AC B1440BB3 0C5252BD 41C97C30 C994BB78 E9F0C5B3
                 2744D840 17D21FFA 6878396A 6469CA28 3EF5C000 DAF7D261 A39AB886 0ED4610A B5343390
                 897AAB5A 7787E4FA EFA0649C 6A94FDF8 2D991E8E 3FC332F5 142729E7 040A3F7D 5A4D3CD7
                 5CBEE1F0 43C1CAD2 DD484FEB 4ED22B59 7D36688E""")
    pk_ic = h("""928D9A0F 9DBA450F 13FC859C 6F290D1D 36E42431 138A4378 500BEB4E 0401854C
                 FF111F71 CB6DC1D0 335807A1 1388CC8E AA87B079 07AAD9FB A6B169AF 6D8C26AF
                 8DDDC39A DC3AD2E3 FF882B84 D23E9768 E95A80E4 746FB07A 9767679F E92133B4
                 D379935C 771BD7FB ED6C7BB4 B1708B27 5EA75679 524CDC9C 6A91370C C662A2F3""")
    sk_ifd = n("""4BD0E547 40F9A028 E6A515BF DAF96784 8C4F5F5F FF65AA09 15947FFD 1A0DF2FA
                  6981271B C905F355 1457B7E0 3AC3B806 6DE4AA40 6C1171FB 43DD939C 4BA16175
                  103BA3DE E16419AA 248118F9 0CC36A3D 6F4C3736 52E0C3CC E7F0F1D0 C5425B36
                  00F0F0D6 A67F004C 8BBA33F2 B4733C72 52445C1D FC4F1107 203F71D2 EFB28161""")
    pk_ifd = h("""0F0CC629 45A80292 51FB7EF3 C094E12E C68E4EF0 7F27CB9D 9CD04C5C 4250FAE0
                  E4F8A951 557E929A EB48E5C6 DD47F2F5 CD7C351A 9BD2CD72 2C07EDE1 66770F08
                  FFCB3702 62CF308D D7B07F2E 0DA9CAAA 1492344C 85290691 9538C98A 4BA4187E
                  76CE9D87 832386D3 19CE2E04 3C3343AE AE6EDBA1 A9894DC5 094D22F7 FE1351D5""")
    shared = h("""419410D6 C0A17A4C 07C54872 CE1CBCEB 0A2705C1 A434C8A8 9A4CFE41 F1D78124
                  CA7EC52B DE7615E5 345E48AB 1ABB6E7D 1D59A57F 3174084D 3CA45703 97C1F622
                  28BDFDB2 DA191EA2 239E2C06 0DBE3BBC 23C2FCD0 AF12E0F9 E0B99FCF 91FF1959
                  011D5798 B2FCBC1F 14FCC24E 441F4C8F 9B08D977 E9498560 E63E7FFA B3134EA7""")
    ks_enc = h("01AFC10C F87BE36D 8179E873 70171F07")
    ks_mac = h("23F0FBD0 5FD6C7B8 B88F4C83 09669061")
    token_input_ic = h("""7F49818F 060A0400 7F000702 02040302 8481800F 0CC62945 A8029251 FB7EF3C0
                          94E12EC6 8E4EF07F 27CB9D9C D04C5C42 50FAE0E4 F8A95155 7E929AEB 48E5C6DD
                          47F2F5CD 7C351A9B D2CD722C 07EDE166 770F08FF CB370262 CF308DD7 B07F2E0D
                          A9CAAA14 92344C85 29069195 38C98A4B A4187E76 CE9D8783 2386D319 CE2E043C
                          3343AEAE 6EDBA1A9 894DC509 4D22F7FE 1351D5""")
    token_input_ifd = h("""7F49818F 060A0400 7F000702 02040302 84818092 8D9A0F9D BA450F13 FC859C6F
                           290D1D36 E4243113 8A437850 0BEB4E04 01854CFF 111F71CB 6DC1D033 5807A113
                           88CC8EAA 87B07907 AAD9FBA6 B169AF6D 8C26AF8D DDC39ADC 3AD2E3FF 882B84D2
                           3E9768E9 5A80E474 6FB07A97 67679FE9 2133B4D3 79935C77 1BD7FBED 6C7BB4B1
                           708B275E A7567952 4CDC9C6A 91370CC6 62A2F3""")
    t_ic = h("C2F04230 187E1525")
    t_ifd = h("55D61977 CBF5307E")
    parameter_id = 0


@pytest.mark.parametrize("vec", [H1, H2], ids=["H.1", "H.2"])
def test_h_integrated_mapping_values(vec: type) -> None:
    alg = pace_algorithm(vec.oid)
    assert alg.mapping == "IM" and alg.cipher == "AES" and alg.key_length == 16
    assert crypto.cbc_decrypt("AES", H_KPI, vec.z) == vec.s
    ops = group_ops(alg, vec.parameter_id)
    r = pseudo_random(vec.s, vec.t, ops.prime, alg)
    assert r == vec.r
    r_p = int.from_bytes(r, "big") % ops.prime
    assert r_p == int.from_bytes(vec.r_p, "big")
    mapped = ops.integrated_map(r_p)
    assert ops.encode(mapped) == vec.mapped
    eph = ops.with_generator(mapped)
    assert eph.encode(eph.public(vec.sk_ic)) == vec.pk_ic
    assert eph.encode(eph.public(vec.sk_ifd)) == vec.pk_ifd
    assert eph.shared_secret(eph.agree(vec.sk_ifd, eph.decode(vec.pk_ic))) == vec.shared
    assert eph.shared_secret(eph.agree(vec.sk_ic, eph.decode(vec.pk_ifd))) == vec.shared
    assert session_keys(vec.shared, alg) == (vec.ks_enc, vec.ks_mac)
    assert public_key_data_object(alg, vec.pk_ifd) == vec.token_input_ic
    assert public_key_data_object(alg, vec.pk_ic) == vec.token_input_ifd
    assert authentication_token(alg, vec.ks_mac, vec.pk_ifd) == vec.t_ic
    assert authentication_token(alg, vec.ks_mac, vec.pk_ic) == vec.t_ifd


def test_h1_point_encoding_directly() -> None:
    from ecdsa.curves import BRAINPOOLP256r1

    x, y = point_encode(BRAINPOOLP256r1, int.from_bytes(H1.r_p, "big"))
    assert b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big") == H1.mapped


@pytest.mark.parametrize("vec", [H1, H2], ids=["H.1", "H.2"])
def test_h_terminal_and_chip_run_the_worked_example(vec: type) -> None:
    """The appendix lists values, not APDUs; the exchange is built from them (tag 81 carries t)."""
    size = len(vec.pk_ic)
    length = bytes([size]) if size < 0x80 else bytes([0x81, size])
    outer = 1 + len(length) + size  # tag 83 + length + key
    outer_len = bytes([outer]) if outer < 0x80 else bytes([0x81, outer])
    oid = pace_algorithm(vec.oid).oid_bytes
    expected = [
        (h("0022C1A40F800A") + oid + h("830101"), h("9000")),
        (h("10860000027C0000"), ok(h("7C128010") + vec.z)),
        (h("10860000147C128110") + vec.t + h("00"), ok(h("7C00"))),
        (bytes([0x10, 0x86, 0, 0, 1 + len(outer_len) + outer]) + h("7C") + outer_len + h("83") + length
         + vec.pk_ifd + h("00"), ok(h("7C") + outer_len + h("84") + length + vec.pk_ic)),
        (h("008600000C7C0A8508") + vec.t_ifd + h("00"), ok(h("7C0A8608") + vec.t_ic)),
    ]
    chip = MiniChip(PaceChip(b"unused", "MRZ", vec.parameter_id, vec.oid, nonce=vec.s, agreement_key=vec.sk_ic,
                             k_pi=H_KPI))
    t = PaceTrace()
    result = perform_pace(chip, b"unused", "MRZ", PaceInfo(vec.oid, 2, vec.parameter_id), agreement_key=vec.sk_ifd,
                          terminal_nonce=vec.t, k_pi=H_KPI, send_parameter_id=False, trace=t)
    assert chip.log == expected
    assert (t.nonce, t.terminal_nonce, t.pseudo_random, t.mapped_generator) == (vec.s, vec.t, vec.r, vec.mapped)
    assert (t.shared_secret, t.ks_enc, t.ks_mac, t.token_ifd, t.token_ic) == (
        vec.shared, vec.ks_enc, vec.ks_mac, vec.t_ifd, vec.t_ic)
    assert result.chip_mapping_public_key is None
    channel = SecureChannel(chip, result.sm)
    assert channel.transmit(select_file(0x011E)).ok


# --- Appendix I: chip authentication mapping ----------------------------------------------------------


class I1:
    oid = "0.4.0.127.0.7.2.2.4.6.2"
    mrz = "C11T002JM496081222310314"  # C11T002JM 4, 960812 2, 231031 4
    k = h("894D03F1 48C6265E 89845B21 8856EA34 D00EF8E8")
    k_pi = h("4E6F6FBF 7BE748B9 32C7B741 61BBA9DF")
    pace_info = h("3012060A 04007F00 07020204 06020201 0202010D")
    s = h("658B860B C94DF6F0 44FCE6D5 C82CF8E5")
    z = h("CB60E8E0 D85B76A9 BD304747 C2AD42E2")
    sk_map_ifd = n("5D8BB87B D74D985A 4B7D4325 B9F7B976 FE835122 77340079 8914AA22 738135CC")
    pk_map_ifd = h("04 7F1D410A DB7DDB3B 84BF1030 800981A9 105D7457 B4A3ADE0 02384F30 86C67EDE"
                   "1AB88910 4A27DB6D 842B0190 20FBF3CE ACB0DC62 7F7BDCAC 29969E19 D0E553C1")
    sk_map_ic = n("9E56A6B5 9C95D06E CE5CD10F 983BB2F4 F1943528 E577F238 81D89D8C 3BBEE0AA")
    pk_map_ic = h("04 A234236A A9B9621E 8EFB73B5 245C0E09 D2576E52 77183C12 08BDD552 80CAE8B3"
                  "04F36571 3A356E65 A451E165 ECC9AC0A C46E3771 342C8FE5 AEDD0926 85338E23")
    shared_h = h("04 2C1DCC17 73346492 C6636A36 EE4B965E 292E9AAE 7EE37736 EF58B9D0 A043F348"
                 "403A8CF3 3CA7DC0D 9DF61D08 89CE2442 4FF97C1A AD48A5CA 2A554B07 1EF7638D")
    mapped = h("04 89F0B5EA BF3BE293 C75903A3 98613192 5C9F5B51 5CA95AF4 85DC7E88 6F03245D"
               "44BEFB2D D3A0DBD7 1CB5E618 971CF474 7F12B79E 548379A4 0E45963B AAF3E829")
    sk_ifd = n("76ECFDAA 9841C323 A3F5FC5E 88B88DB3 EFF7E35E BF57A7E6 946CB630 006C2120")
    pk_ifd = h("04 446C9340 84D9DAB8 63944F21 9520076C 29EE3F7A E6722B11 FF319EC1 C7728F95"
               "5483400B FF60BF0C 59292700 09277DC2 A515E125 75010AD9 BA916CF1 BF86FEFC")
    sk_ic = n("CD626EF3 C256E235 FE8912CA C28279E6 26008EDA 6B3A05C4 CF862A3B DAB79E78")
    pk_ic = h("04 02AD566F 3C6EC7F9 324509AD 50A51FA5 2030782A 4968FCFE DF737DAE A9933331"
              "11C3B9B4 C2287789 BD137E7F 8AA882E2 A3C633CC D6ECC2C6 3C57AD40 1A09C2E1")
    shared = h("67950559 D0C06B4D 4B86972D 14460837 461087F8 419FDBC3 6AAF6CEA AC462832")
    ks_enc = h("0A9DA4DB 03BDDE39 FC5202BC 44B2E89E")
    ks_mac = h("4B1C0649 1ED5140C A2B537D3 44C6C0B1")
    token_input_ifd = h("7F494F06 0A04007F 00070202 04060286 410402AD 566F3C6E C7F93245 09AD50A5"
                        "1FA52030 782A4968 FCFEDF73 7DAEA993 333111C3 B9B4C228 7789BD13 7E7F8AA8"
                        "82E2A3C6 33CCD6EC C2C63C57 AD401A09 C2E1")
    token_input_ic = h("7F494F06 0A04007F 00070202 04060286 4104446C 934084D9 DAB86394 4F219520"
                       "076C29EE 3F7AE672 2B11FF31 9EC1C772 8F955483 400BFF60 BF0C5929 27000927"
                       "7DC2A515 E1257501 0AD9BA91 6CF1BF86 FEFC")
    t_ifd = h("E86BD060 18A1CD3B")
    t_ic = h("8596CF05 5C67C1A3")
    a_ic = h("1EEA964D AAE372AC 990E3EFD E6333353 BFC89A67 04D93DA8 798CF77F 5B7A54BD"
             "10CBA372 B42BE0B9 B5F28AA8 DE2F4F92")
    ca_ic = h("85DC3FA9 3D0952BF A82F5FD1 89EE75BD 82F11D1F 0B8ED4BF 5319AC9B 53C426B3")
    cam_iv = h("F6A3B75A 1E933941 DD7A13E2 520779DF")
    ca_public_key_info = h("""30620609 04007F00 07020201 02305230 0C060704 007F0007 01020201 0D034200
                              04187270 9494399E 7470A643 1BE25E83 EEE24FEA 568C2ED2 8DB48E05 DB3A610D
                              C884D256 A40E35EF CB59BF67 53D3A489 D28C7A4D 973C2DA1 38A6E7A4 A08F68E1
                              6F02010D""")
    static_pk = h("04 18727094 94399E74 70A6431B E25E83EE E24FEA56 8C2ED28D B48E05DB 3A610DC8"
                  "84D256A4 0E35EFCB 59BF6753 D3A489D2 8C7A4D97 3C2DA138 A6E7A4A0 8F68E16F")
    transcript = [
        (h("00 22 C1 A4 0F 80 0A 04 00 7F 00 07 02 02 04 06 02 83 01 01"), h("90 00")),
        (h("10 86 00 00 02 7C 00 00"), h("7C 12 80 10 CB 60 E8 E0 D8 5B 76 A9 BD 30 47 47 C2 AD 42 E2 90 00")),
        (h("""10 86 00 00 45 7C 43 81 41 04 7F 1D 41 0A DB 7D DB 3B 84 BF 10 30 80 09 81 A9 10 5D 74 57 B4 A3
              AD E0 02 38 4F 30 86 C6 7E DE 1A B8 89 10 4A 27 DB 6D 84 2B 01 90 20 FB F3 CE AC B0 DC 62 7F 7B
              DC AC 29 96 9E 19 D0 E5 53 C1 00"""),
         h("""7C 43 82 41 04 A2 34 23 6A A9 B9 62 1E 8E FB 73 B5 24 5C 0E 09 D2 57 6E 52 77 18 3C 12 08 BD D5
              52 80 CA E8 B3 04 F3 65 71 3A 35 6E 65 A4 51 E1 65 EC C9 AC 0A C4 6E 37 71 34 2C 8F E5 AE DD 09
              26 85 33 8E 23 90 00""")),
        (h("""10 86 00 00 45 7C 43 83 41 04 44 6C 93 40 84 D9 DA B8 63 94 4F 21 95 20 07 6C 29 EE 3F 7A E6 72
              2B 11 FF 31 9E C1 C7 72 8F 95 54 83 40 0B FF 60 BF 0C 59 29 27 00 09 27 7D C2 A5 15 E1 25 75 01
              0A D9 BA 91 6C F1 BF 86 FE FC 00"""),
         h("""7C 43 84 41 04 02 AD 56 6F 3C 6E C7 F9 32 45 09 AD 50 A5 1F A5 20 30 78 2A 49 68 FC FE DF 73 7D
              AE A9 93 33 31 11 C3 B9 B4 C2 28 77 89 BD 13 7E 7F 8A A8 82 E2 A3 C6 33 CC D6 EC C2 C6 3C 57 AD
              40 1A 09 C2 E1 90 00""")),
        (h("00 86 00 00 0C 7C 0A 85 08 E8 6B D0 60 18 A1 CD 3B 00"),
         h("""7C 3C 86 08 85 96 CF 05 5C 67 C1 A3 8A 30 1E EA 96 4D AA E3 72 AC 99 0E 3E FD E6 33 33 53 BF C8
              9A 67 04 D9 3D A8 79 8C F7 7F 5B 7A 54 BD 10 CB A3 72 B4 2B E0 B9 B5 F2 8A A8 DE 2F 4F 92 90 00""")),
    ]


def test_i1_chip_authentication_mapping_values() -> None:
    alg = pace_algorithm(I1.oid)
    assert alg.name == "id-PACE-ECDH-CAM-AES-CBC-CMAC-128"
    assert password_key(I1.mrz, "MRZ") == I1.k
    assert derive_kpi(I1.k, alg) == I1.k_pi
    assert crypto.cbc_decrypt("AES", I1.k_pi, I1.z) == I1.s
    ops = group_ops(alg, I1.pace_info[-1])
    assert isinstance(ops, EcOps)
    assert ops.encode(ops.public(I1.sk_map_ifd)) == I1.pk_map_ifd
    assert ops.encode(ops.public(I1.sk_map_ic)) == I1.pk_map_ic
    shared_h = ops.agree(I1.sk_map_ifd, ops.decode(I1.pk_map_ic))
    assert ops.encode(shared_h) == I1.shared_h
    mapped = ops.generic_map(int.from_bytes(I1.s, "big"), shared_h)
    assert ops.encode(mapped) == I1.mapped
    eph = ops.with_generator(mapped)
    assert eph.encode(eph.public(I1.sk_ifd)) == I1.pk_ifd
    assert eph.encode(eph.public(I1.sk_ic)) == I1.pk_ic
    assert eph.shared_secret(eph.agree(I1.sk_ifd, eph.decode(I1.pk_ic))) == I1.shared
    assert session_keys(I1.shared, alg) == (I1.ks_enc, I1.ks_mac)
    assert public_key_data_object(alg, I1.pk_ic) == I1.token_input_ifd
    assert public_key_data_object(alg, I1.pk_ifd) == I1.token_input_ic
    assert authentication_token(alg, I1.ks_mac, I1.pk_ic) == I1.t_ifd
    assert authentication_token(alg, I1.ks_mac, I1.pk_ifd) == I1.t_ic
    assert cam_iv(I1.ks_enc) == I1.cam_iv
    assert decrypt_chip_authentication_data(I1.ks_enc, I1.a_ic) == I1.ca_ic
    assert I1.static_pk in I1.ca_public_key_info  # BIT STRING 03 42 00 || point
    assert verify_chip_authentication_mapping(13, I1.ca_ic, I1.static_pk, I1.pk_map_ic)
    assert not verify_chip_authentication_mapping(13, I1.ca_ic, I1.static_pk, I1.pk_map_ifd)


def test_i1_terminal_against_the_published_transcript() -> None:
    transport = ScriptedTransport(I1.transcript)
    trace = PaceTrace()
    result = perform_pace(transport, I1.mrz, "MRZ", PaceInfo(I1.oid, 2, 13), mapping_key=I1.sk_map_ifd,
                          agreement_key=I1.sk_ifd, send_parameter_id=False, trace=trace)
    assert not transport.script
    assert result.mapping == "CAM"
    assert result.chip_authentication_data == I1.ca_ic
    assert result.chip_mapping_public_key == I1.pk_map_ic
    assert trace.mapped_generator == I1.mapped
    assert (result.sm.ks_enc, result.sm.ks_mac) == (I1.ks_enc, I1.ks_mac)
    assert result.verify_chip_authentication(I1.static_pk)


def test_i1_chip_reproduces_the_published_transcript() -> None:
    order = group_ops(pace_algorithm(I1.oid), 13).curve.order  # type: ignore[union-attr]
    # The appendix gives PK_IC, not SK_IC; CA_IC = SK_IC^-1 * SK_Map,IC, so SK_IC = SK_Map,IC * CA_IC^-1.
    static_sk = I1.sk_map_ic * pow(int.from_bytes(I1.ca_ic, "big"), -1, order) % order
    ops = group_ops(pace_algorithm(I1.oid), 13)
    assert ops.encode(ops.public(static_sk)) == I1.static_pk
    chip = MiniChip(PaceChip(I1.mrz, "MRZ", 13, I1.oid, ca_private_key=static_sk, nonce=I1.s,
                             mapping_key=I1.sk_map_ic, agreement_key=I1.sk_ic))
    result = perform_pace(chip, I1.mrz, "MRZ", PaceInfo(I1.oid, 2, 13), mapping_key=I1.sk_map_ifd,
                          agreement_key=I1.sk_ifd, send_parameter_id=False)
    assert chip.log == I1.transcript
    assert result.verify_chip_authentication(I1.static_pk)


# --- terminal <-> chip in process ----------------------------------------------------------------------


def _run(oid: str, parameter_id: int, password: str = "123456", ref: str = "CAN") -> MiniChip:
    static_key = 0x1D2C3B4A59687786950A1B2C3D4E5F60718293A4B5C6D7E8F9 if "CAM" in oid else None
    info = PaceInfo.from_oid(oid, parameter_id)
    chip = MiniChip(PaceChip(password, ref, parameter_id, info.oid, ca_private_key=static_key))  # type: ignore[arg-type]
    result = perform_pace(chip, password, ref, info)  # type: ignore[arg-type]
    channel = SecureChannel(chip, result.sm)
    assert channel.transmit(select_file(0x011E)).ok
    assert channel.transmit(read_binary(0, 22)).data == EF_COM
    assert channel.transmit(select_file(0x0101)).sw == 0x6A82
    if static_key is not None:
        ops = group_ops(info.algorithm, parameter_id)
        assert result.verify_chip_authentication(ops.encode(ops.public(static_key)))
        assert not result.verify_chip_authentication(ops.encode(ops.public(static_key + 1)))
    return chip


@pytest.mark.parametrize("parameter_id", EC_PARAMETER_IDS)
def test_ecdh_generic_mapping_every_curve(parameter_id: int) -> None:
    _run("id-PACE-ECDH-GM-AES-CBC-CMAC-128", parameter_id)


@pytest.mark.parametrize("parameter_id", DH_PARAMETER_IDS)
def test_dh_generic_mapping_every_group(parameter_id: int) -> None:
    chip = _run("id-PACE-DH-GM-AES-CBC-CMAC-128", parameter_id, "T22000129364081251010318", "MRZ")
    if parameter_id:  # 2048-bit groups: 256-byte public keys need extended-length GENERAL AUTHENTICATE
        assert chip.log[2][0][4] == 0x00


@pytest.mark.parametrize("parameter_id", [p for p in EC_PARAMETER_IDS if p != 10])
def test_ecdh_integrated_mapping_every_curve_with_p_3_mod_4(parameter_id: int) -> None:
    _run("id-PACE-ECDH-IM-AES-CBC-CMAC-128", parameter_id)


def test_integrated_mapping_refuses_nist_p224() -> None:
    with pytest.raises(AccessControlError, match="3 mod 4"):
        perform_pace(ScriptedTransport([]), "123456", "CAN", PaceInfo.from_oid("id-PACE-ECDH-IM-AES-CBC-CMAC-128", 10))


@pytest.mark.parametrize("parameter_id", DH_PARAMETER_IDS)
def test_dh_integrated_mapping_every_group(parameter_id: int) -> None:
    _run("id-PACE-DH-IM-AES-CBC-CMAC-128", parameter_id)


@pytest.mark.parametrize(
    ("oid", "parameter_id"),
    [
        ("id-PACE-ECDH-GM-3DES-CBC-CBC", 13),
        ("id-PACE-ECDH-GM-AES-CBC-CMAC-192", 15),
        ("id-PACE-ECDH-GM-AES-CBC-CMAC-256", 17),
        ("id-PACE-DH-GM-3DES-CBC-CBC", 0),
        ("id-PACE-DH-GM-AES-CBC-CMAC-192", 0),
        ("id-PACE-DH-GM-AES-CBC-CMAC-256", 0),
        ("id-PACE-ECDH-IM-3DES-CBC-CBC", 12),
        ("id-PACE-ECDH-IM-AES-CBC-CMAC-192", 16),
        ("id-PACE-ECDH-IM-AES-CBC-CMAC-256", 18),
        ("id-PACE-DH-IM-3DES-CBC-CBC", 0),
        ("id-PACE-DH-IM-AES-CBC-CMAC-256", 0),
        ("id-PACE-ECDH-CAM-AES-CBC-CMAC-128", 13),
        ("id-PACE-ECDH-CAM-AES-CBC-CMAC-192", 12),
        ("id-PACE-ECDH-CAM-AES-CBC-CMAC-256", 18),
        ("id-PACE-ECDH-CAM-AES-CBC-CMAC-128", 9),
    ],
)
def test_cipher_and_mapping_variants(oid: str, parameter_id: int) -> None:
    _run(oid, parameter_id)


@pytest.mark.parametrize("oid", ["id-PACE-ECDH-GM-AES-CBC-CMAC-128", "id-PACE-DH-GM-3DES-CBC-CBC",
                                 "id-PACE-ECDH-IM-AES-CBC-CMAC-256", "id-PACE-ECDH-CAM-AES-CBC-CMAC-128"])
def test_wrong_password_is_an_access_control_error(oid: str) -> None:
    parameter_id = 0 if "-DH-" in oid else 13
    chip = MiniChip(PaceChip("123456", "CAN", parameter_id, pace_algorithm(oid).oid, ca_private_key=7))
    with pytest.raises(AccessControlError, match="wrong password"):
        perform_pace(chip, "123457", "CAN", PaceInfo.from_oid(oid, parameter_id))
    assert chip.log[-1][1] == h("6300")
    assert chip.access.session is None


def test_wrong_password_reference_is_refused_at_mse() -> None:
    chip = MiniChip(PaceChip("123456", "CAN", 13, G1.oid))
    with pytest.raises(AccessControlError, match="6A88"):
        perform_pace(chip, G_MRZ, "MRZ", PaceInfo(G1.oid, 2, 13))


def test_forged_chip_token_is_an_access_control_error() -> None:
    script = list(G1.transcript)
    script[-1] = (script[-1][0], h("7C0A8608 3ABB9674BCE93C09 9000"))
    with pytest.raises(AccessControlError, match="token does not verify"):
        perform_pace(ScriptedTransport(script), G_MRZ, "MRZ", PaceInfo(G1.oid, 2, 13), mapping_key=G1.sk_map_ifd,
                     agreement_key=G1.sk_ifd, send_parameter_id=False)


def test_chip_point_off_the_curve_is_an_access_control_error() -> None:
    script = list(G1.transcript[:3])
    bad = bytearray(script[2][1])
    bad[-3] ^= 1  # last byte of the y-coordinate
    script[2] = (script[2][0], bytes(bad))
    with pytest.raises(AccessControlError, match="not on the curve"):
        perform_pace(ScriptedTransport(script), G_MRZ, "MRZ", PaceInfo(G1.oid, 2, 13), mapping_key=G1.sk_map_ifd,
                     send_parameter_id=False)


def test_dh_value_outside_the_subgroup_is_an_access_control_error() -> None:
    script = list(G2.transcript[:3])
    script[2] = (script[2][0], h("7C 81 83 82 81 80") + (2).to_bytes(128, "big") + h("9000"))
    with pytest.raises(AccessControlError, match="subgroup"):
        perform_pace(ScriptedTransport(script), G_MRZ, "MRZ", PaceInfo(G2.oid, 2, 0), mapping_key=G2.sk_map_ifd,
                     send_parameter_id=False)


def test_oid_table_and_pace_info() -> None:
    assert len(PACE_ALGORITHMS) == 19
    expected = {
        "id-PACE-DH-GM-3DES-CBC-CBC": "0.4.0.127.0.7.2.2.4.1.1",
        "id-PACE-DH-GM-AES-CBC-CMAC-256": "0.4.0.127.0.7.2.2.4.1.4",
        "id-PACE-ECDH-GM-AES-CBC-CMAC-128": "0.4.0.127.0.7.2.2.4.2.2",
        "id-PACE-DH-IM-AES-CBC-CMAC-192": "0.4.0.127.0.7.2.2.4.3.3",
        "id-PACE-ECDH-IM-3DES-CBC-CBC": "0.4.0.127.0.7.2.2.4.4.1",
        "id-PACE-ECDH-CAM-AES-CBC-CMAC-128": "0.4.0.127.0.7.2.2.4.6.2",
        "id-PACE-ECDH-CAM-AES-CBC-CMAC-256": "0.4.0.127.0.7.2.2.4.6.4",
    }
    for name, oid in expected.items():
        assert pace_algorithm(name).oid == oid
        assert PaceInfo.from_oid(name, 13).oid == oid
    assert "0.4.0.127.0.7.2.2.4.6.1" not in PACE_ALGORITHMS  # no CAM with 3DES
    alg = PaceInfo.from_oid("0.4.0.127.0.7.2.2.4.2.4", 18).algorithm
    assert (alg.agreement, alg.mapping, alg.cipher, alg.key_length) == ("ECDH", "GM", "AES", 32)
    with pytest.raises(AccessControlError):
        PaceInfo.from_oid("0.4.0.127.0.7.2.2.3.2.1", 13)  # a chip authentication OID, not PACE
    with pytest.raises(AccessControlError):
        perform_pace(ScriptedTransport([]), "1", "CAN", PaceInfo(G1.oid, 2, 0))  # ECDH OID with a DH group
    with pytest.raises(AccessControlError):
        perform_pace(ScriptedTransport([]), "1", "CAN", PaceInfo(G1.oid, 2, 5))  # reserved parameter ID


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 4), st.binary(max_size=90))
def test_hostile_chip_answers_only_access_control_error(step: int, garbage: bytes) -> None:
    script = list(G1.transcript[:step])
    script.append((G1.transcript[step][0], garbage))
    with pytest.raises(AccessControlError):  # an AssertionError from the transport means garbage was accepted
        perform_pace(ScriptedTransport(script), G_MRZ, "MRZ", PaceInfo(G1.oid, 2, 13), mapping_key=G1.sk_map_ifd,
                     agreement_key=G1.sk_ifd, send_parameter_id=False)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_chip_general_authenticate_with_random_data(data: bytes) -> None:
    chip = PaceChip("123456", "CAN", 13, G1.oid)
    assert chip.process(CommandAPDU(0x00, 0x22, 0xC1, 0xA4, h("800A04007F00070202040202830102"))).ok
    resp = chip.process(CommandAPDU(0x10, 0x86, 0x00, 0x00, data, le=256))
    assert isinstance(resp, ResponseAPDU)
    assert chip.session is None
