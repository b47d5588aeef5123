"""Hypothesis strategies that build LDS files from their grammar (Doc 9303-10, BSI TR-03110-3, RFC 5652) with
random leaves, so that fuzzing reaches past the outer checks of each decoder: SecurityInfos (EF.CardAccess,
DG14, EF.CardSecurity content), SubjectPublicKeyInfo (DG15, chip authentication keys), CMS SignedData
(EF.SOD, EF.CardSecurity) with an LDS security object, EF.COM, displayed images (DG5, DG7)."""

from __future__ import annotations

from hypothesis import strategies as st

from passport.tlv import encode

OIDS = {
    "pace": ["0.4.0.127.0.7.2.2.4.2.2", "0.4.0.127.0.7.2.2.4.6.2", "0.4.0.127.0.7.2.2.4.1.1",
             "0.4.0.127.0.7.2.2.4.3.4", "0.4.0.127.0.7.2.2.4.4.2"],
    "ca": ["0.4.0.127.0.7.2.2.3.2.4", "0.4.0.127.0.7.2.2.3.1.1", "0.4.0.127.0.7.2.2.3.2.1"],
    "pk": ["0.4.0.127.0.7.2.2.1.2", "0.4.0.127.0.7.2.2.1.1"],
    "other": ["2.23.136.1.1.5", "0.4.0.127.0.7.2.2.2", "0.4.0.127.0.7.2.2.1", "1.2.3"],
    "key": ["1.2.840.10045.2.1", "1.2.840.113549.1.1.1", "1.2.840.10046.2.1", "0.4.0.127.0.7.2.2.1.2"],
    "curve": ["1.3.36.3.3.2.8.1.1.7", "1.2.840.10045.3.1.7", "1.3.132.0.34", "1.3.36.3.3.2.8.1.1.5"],
    "hash": ["2.16.840.1.101.3.4.2.1", "1.3.14.3.2.26", "2.16.840.1.101.3.4.2.3", "1.2.840.113549.2.5"],
    "signature": ["1.2.840.10045.4.3.2", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.10",
                  "0.4.0.127.0.7.1.1.4.1.3", "1.2.840.113549.1.1.4"],
}  # fmt: skip
SIGNED_DATA = "1.2.840.113549.1.7.2"
LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
SECURITY_OBJECT = "0.4.0.127.0.7.3.2.1"
ID_DATA = "1.2.840.113549.1.7.1"


def der(tag: int, *parts: bytes) -> bytes:
    return encode(tag, b"".join(parts))


def oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for n in parts[2:]:
        chunk = [n & 0x7F]
        while n > 0x7F:
            n >>= 7
            chunk.insert(0, 0x80 | (n & 0x7F))
        body += bytes(chunk)
    return encode(0x06, bytes(body))


def integer(n: int) -> bytes:
    return encode(0x02, n.to_bytes((n.bit_length() + 8) // 8 or 1, "big", signed=True))


def oids(kind: str) -> st.SearchStrategy[bytes]:
    return st.sampled_from(OIDS[kind]).map(oid)


small_ints = st.integers(-2, 20).map(integer)
big_ints = st.integers(-(2**600), 2**600).map(integer)
noise = st.one_of(st.binary(max_size=8), st.builds(encode, st.sampled_from([0x04, 0x05, 0x0C, 0x30, 0x31, 0xA0]),
                                                   st.binary(max_size=24)))  # fmt: skip


def maybe(strategy: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(st.just(b""), strategy)


def sometimes_broken(strategy: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """The element as built, or with a tail cut or a byte changed (length fields included)."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        data = bytearray(draw(strategy))
        action = draw(st.sampled_from(["keep", "keep", "keep", "cut", "flip"]))
        if action == "cut" and data:
            del data[draw(st.integers(0, len(data) - 1)) :]
        elif action == "flip" and data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)

    return build()


# --- public keys -----------------------------------------------------------------------------------------

ec_point = st.one_of(
    st.integers(1, 64).flatmap(lambda n: st.binary(min_size=2 * n, max_size=2 * n)).map(lambda b: b"\x04" + b),
    st.binary(max_size=70),
)
explicit_curve = st.builds(
    lambda p, a, b, g, n, h: der(0x30, integer(1), der(0x30, oid("1.2.840.10045.1.1"), p), der(0x30, a, b), g, n, h),
    big_ints, st.binary(max_size=40).map(lambda v: encode(0x04, v)), st.binary(max_size=40).map(lambda v: encode(0x04, v)),
    ec_point.map(lambda v: encode(0x04, v)), big_ints, maybe(small_ints),
)  # fmt: skip
ec_params = st.one_of(oids("curve"), explicit_curve, st.just(encode(0x05, b"")), noise)
ec_spki = st.builds(lambda key, params, point: der(0x30, der(0x30, key, params), encode(0x03, b"\x00" + point)),
                    oids("key"), ec_params, ec_point)  # fmt: skip
rsa_spki = st.builds(
    lambda n, e: der(0x30, der(0x30, oid("1.2.840.113549.1.1.1"), encode(0x05, b"")),
                     encode(0x03, b"\x00" + der(0x30, n, e))),
    big_ints, st.one_of(small_ints, big_ints),
)  # fmt: skip
dh_spki = st.builds(
    lambda p, g, q, y: der(0x30, der(0x30, oid("1.2.840.10046.2.1"), der(0x30, p, g, q)), encode(0x03, b"\x00" + y)),
    big_ints, big_ints, maybe(big_ints), big_ints,
)  # fmt: skip
spki = sometimes_broken(st.one_of(ec_spki, rsa_spki, dh_spki))

# --- SecurityInfos ---------------------------------------------------------------------------------------

pace_info = st.builds(lambda o, v, p: der(0x30, o, v, p), oids("pace"), small_ints, maybe(small_ints))
ca_info = st.builds(lambda o, v, k: der(0x30, o, v, k), oids("ca"), small_ints, maybe(small_ints))
ca_public_key_info = st.builds(lambda o, k, i: der(0x30, o, k, i), oids("pk"), spki, maybe(small_ints))
other_info = st.builds(lambda o, a: der(0x30, o, a), oids("other"), st.one_of(small_ints, noise, spki))
security_infos = sometimes_broken(
    st.lists(st.one_of(pace_info, ca_info, ca_public_key_info, other_info), min_size=1, max_size=5).map(
        lambda items: der(0x31, *items)
    )
)

# --- CMS SignedData ----------------------------------------------------------------------------------------

name = st.lists(
    st.builds(lambda t, v: der(0x31, der(0x30, oid(t), encode(0x13, v))),
              st.sampled_from(["2.5.4.6", "2.5.4.3", "2.5.4.10"]), st.binary(max_size=12)),
    max_size=4,
).map(lambda rdns: der(0x30, *rdns))  # fmt: skip
attributes = st.lists(
    st.builds(lambda t, v: der(0x30, oid(t), der(0x31, v)),
              st.sampled_from(["1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4", "1.2.840.113549.1.9.5"]),
              st.one_of(oids("other"), st.binary(max_size=32).map(lambda v: encode(0x04, v)), noise)),
    max_size=3,
).map(lambda items: der(0xA0, *items))  # fmt: skip
PSS = "1.2.840.113549.1.1.10"
MGF1 = "1.2.840.113549.1.1.8"
pss_parameters = st.builds(
    lambda h, mgf_hash, salt, trailer: der(0x30, der(0xA0, der(0x30, h)), der(0xA1, der(0x30, oid(MGF1), der(0x30, mgf_hash))),
                                           der(0xA2, salt), trailer),
    oids("hash"), oids("hash"), st.one_of(small_ints, big_ints, st.integers(0, 2**48).map(integer)),
    maybe(st.just(der(0xA3, integer(1)))),
)  # fmt: skip
signature_algorithm = st.one_of(
    st.builds(lambda o, p: der(0x30, o, p), oids("signature"), maybe(st.one_of(noise, st.just(der(0x30))))),
    st.builds(lambda p: der(0x30, oid(PSS), p), maybe(st.one_of(pss_parameters, sometimes_broken(pss_parameters)))),
)  # fmt: skip


def tbs_parts(draw: st.DrawFn, issuers: st.SearchStrategy[bytes]) -> tuple[bytes, bytes]:
    """(issuer Name DER, serial INTEGER DER) of a certificate about to be built."""
    return draw(issuers), draw(big_ints)


def certificate(draw: st.DrawFn, issuer: bytes, serial: bytes) -> bytes:
    """An X.509 certificate with random algorithms, subject and key (its signature is never valid)."""
    sig = draw(signature_algorithm)
    validity = der(0x30, encode(0x17, b"200101000000Z"), encode(0x17, b"350101000000Z"))
    extensions = draw(maybe(st.builds(lambda e: der(0xA3, der(0x30, e)), st.lists(
        st.builds(lambda o, v: der(0x30, oid(o), encode(0x04, v)),
                  st.sampled_from(["2.5.29.19", "2.5.29.15", "2.5.29.35", "2.5.29.14"]), st.binary(max_size=20)),
        max_size=3).map(b"".join))))  # fmt: skip
    tbs = der(0x30, der(0xA0, integer(2)), serial, sig, issuer, validity, draw(name), draw(spki), extensions)
    return der(0x30, tbs, sig, encode(0x03, b"\x00" + draw(st.binary(max_size=80))))


def signer_info(draw: st.DrawFn, issuer: bytes, serial: bytes) -> bytes:
    """A SignerInfo naming the given certificate (issuer and serial, or a key identifier), or another one."""
    sid = draw(st.sampled_from([der(0x30, issuer, serial), der(0x30, draw(name), serial), encode(0x80, draw(
        st.binary(max_size=20)))]))  # fmt: skip
    return der(0x30, draw(small_ints), sid, der(0x30, draw(oids("hash"))), draw(maybe(attributes)),
               draw(signature_algorithm), encode(0x04, draw(st.binary(max_size=64))))  # fmt: skip


data_group_hash = st.builds(lambda n, h: der(0x30, n, encode(0x04, h)),
                            st.one_of(*[st.integers(1, 16).map(integer)] * 3, st.integers(-1, 20).map(integer), big_ints),
                            st.one_of(st.binary(min_size=32, max_size=32), st.binary(max_size=64)))  # fmt: skip
lds_security_object = st.builds(
    lambda v, h, hashes, version_info: der(0x30, v, der(0x30, h), der(0x30, *hashes), version_info),
    small_ints, oids("hash"), st.lists(data_group_hash, min_size=1, max_size=5),
    maybe(st.builds(lambda a, b: der(0x30, encode(0x13, a), encode(0x13, b)), st.binary(max_size=4),
                    st.binary(max_size=6))),
)  # fmt: skip


def signed_data(
    content_type: str, content: st.SearchStrategy[bytes], issuers: st.SearchStrategy[bytes] = name
) -> st.SearchStrategy[bytes]:
    """ContentInfo { signedData, [0] SignedData { version, digestAlgorithms, encapContentInfo, [0] certs,
    signerInfos } }, each part present, absent or broken; the signer usually names the certificate."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        content_oid = draw(st.one_of(st.just(oid(content_type)), st.just(oid(ID_DATA)), oids("other")))
        body = draw(st.one_of(st.just(b""), *[content.map(lambda c: der(0xA0, encode(0x04, c)))] * 4))
        issuer, serial = tbs_parts(draw, issuers)
        certs = draw(maybe(st.just(der(0xA0, certificate(draw, issuer, serial)))))
        signers = [signer_info(draw, issuer, serial) for _ in range(draw(st.sampled_from([1, 1, 1, 0, 2])))]
        algorithms = der(0x31, *[der(0x30, draw(oids("hash"))) for _ in range(draw(st.integers(0, 2)))])
        signed = der(0x30, draw(small_ints), algorithms, der(0x30, content_oid, body), certs, der(0x31, *signers))
        return der(0x30, oid(SIGNED_DATA), der(0xA0, signed))

    return sometimes_broken(build())


def sods(issuers: st.SearchStrategy[bytes] = name) -> st.SearchStrategy[bytes]:
    """EF.SOD: the SignedData in application tag 77, or bare (as many tools export it)."""
    cms = signed_data(LDS_SECURITY_OBJECT, lds_security_object, issuers)
    return st.one_of(cms.map(lambda c: encode(0x77, c)), cms)


sod = sods()
card_security = signed_data(SECURITY_OBJECT, security_infos)

# --- EF.COM and displayed images ---------------------------------------------------------------------------

ef_com = sometimes_broken(
    st.builds(lambda v, u, tags: encode(0x60, encode(0x5F01, v) + encode(0x5F36, u) + encode(0x5C, tags)),
              st.sampled_from([b"0107", b"0108", b"01x7", b""]), st.sampled_from([b"040000", b"04000", b"abcdef"]),
              st.binary(max_size=20))
)  # fmt: skip


def displayed(dg: int) -> st.SearchStrategy[bytes]:
    tag = {5: 0x5F40, 7: 0x5F43}[dg]
    return sometimes_broken(
        st.builds(lambda n, images: encode({5: 0x65, 7: 0x67}[dg], encode(0x02, bytes([n])) + b"".join(images)),
                  st.integers(0, 4), st.lists(st.binary(max_size=40).map(lambda v: encode(tag, b"\xff\xd8" + v)),
                                               max_size=3))
    )  # fmt: skip


GRAMMARS: dict[str, st.SearchStrategy[bytes]] = {
    "EF.COM": ef_com,
    "EF.SOD": sod,
    "EF.CardAccess": security_infos,
    "EF.CardSecurity": card_security,
    "DG5": displayed(5),
    "DG7": displayed(7),
    "DG14": security_infos.map(lambda infos: encode(0x6E, infos)),
    "DG15": spki.map(lambda key: encode(0x6F, key)),
}
