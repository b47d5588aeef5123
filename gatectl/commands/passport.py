"""``egate passport read|verify``: read an ePassport chip through a PC/SC reader, or check saved files.

Exit codes: 0 verified (passive authentication against ``--trust`` passed, the chip proved its key where
EF.SOD requires it, nothing else failed), 1 not verified (including no trust store, and a read ended as a
suspected attack), 2 usage, 3 device or chip error (no reader, no card, card pulled, access refused,
malformed mandatory file).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_VERIFY_FAILED, EXIT_USAGE, EXIT_DEVICE = 0, 1, 2, 3

BIOMETRIC_FILES = ("DG2", "DG3", "DG4")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("passport", help="read an ePassport chip or verify saved chip files")
    psub = parser.add_subparsers(dest="passport_command", metavar="ACTION")

    read = psub.add_parser(
        "read",
        help="read a chip (PACE, BAC fallback) and authenticate it",
        description="Read an ePassport chip: PACE (BAC only if the chip offers no PACE or refuses it before "
        "key agreement), EF.COM, DG1, DG2, EF.SOD and the data groups EF.SOD lists, then passive "
        "authentication (needs --trust) and the chip or active authentication EF.SOD requires.",
        epilog="Exit status 0 verified, 1 not verified (also without a trust store, or when the read ended "
        "as a suspected attack), 2 usage error, 3 reader or chip error. --out writes the raw chip files "
        "(EF_COM.bin, DG1.bin, EF_SOD.bin ...) but never DG2 (nor DG3/DG4): the face image is biometric data "
        "and stays in memory for the read only.",
    )
    read.add_argument("--reader", help="PC/SC reader name or pcsc:// URL (default: the configured reader)")
    read.add_argument("--config", help="gate configuration: its reader, and its trust store unless --trust")
    key = read.add_mutually_exclusive_group()
    key.add_argument("--mrz", help='the MRZ lines separated by "|" (TD3: "L1|L2", TD1: "L1|L2|L3")')
    key.add_argument("--doc-number", help="document number (with --birth and --expiry)")
    key.add_argument("--can", help="card access number (PACE)")
    read.add_argument("--birth", help="date of birth YYMMDD")
    read.add_argument("--expiry", help="date of expiry YYMMDD")
    read.add_argument("--trust", action="append", default=[], metavar="PATH",
                      help="CSCA certificates, master lists or CRLs (file or folder); repeatable")
    read.add_argument("--out", metavar="DIR", help="write the raw chip files to DIR (not DG2, see below)")
    read.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for a card (default 20)")
    read.add_argument("--no-extended-length", action="store_true", help="read in short APDUs only")
    read.add_argument("--json", action="store_true", help="print the result as JSON")
    read.set_defaults(func=cmd_read)

    verify = psub.add_parser(
        "verify",
        help="passive authentication of saved chip files",
        description="Check EF.SOD's signature, its document signer's chain to a trusted CSCA and the data "
        "group hashes. Files are named EF_SOD.bin, DG1.bin, ...; with --sod they are taken from its folder.",
    )
    src = verify.add_mutually_exclusive_group(required=True)
    src.add_argument("--dir", help="folder with EF_SOD.bin and DGn.bin")
    src.add_argument("--sod", help="EF.SOD file; the data groups are read from its folder")
    verify.add_argument("--trust", action="append", required=True, metavar="PATH",
                        help="CSCA certificates, master lists or CRLs (file or folder); repeatable")
    verify.add_argument("--allow-unverified", action="append", default=[], metavar="FILE",
                        help="use this master list's CSCAs even if its signature or signer does not "
                        "verify against a CSCA loaded before it (reported); repeatable")
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    verify.set_defaults(func=cmd_verify)
    parser.set_defaults(func=lambda args: parser.print_help() or EXIT_USAGE)


# -- helpers ---------------------------------------------------------------------------------------------


class UsageError(Exception):
    pass


def access_key_from_args(args: argparse.Namespace) -> Any:
    """The BAC/PACE key from --mrz, --doc-number/--birth/--expiry or --can; UsageError when unusable."""
    from passport.errors import MRZError
    from passport.mrz import mrz_information, parse_mrz
    from passport.reader import CANKey, MRZKey

    if args.can:
        if not args.can.isdigit() or len(args.can) != 6:
            raise UsageError("--can must be the 6 digits printed on the document")
        return CANKey(args.can)
    if args.mrz:
        lines = [line.strip() for line in args.mrz.split("|") if line.strip()]
        try:
            return MRZKey.from_mrz(parse_mrz(lines))
        except MRZError as exc:
            raise UsageError(f"--mrz: {exc}") from exc
    if args.doc_number:
        if not args.birth or not args.expiry:
            raise UsageError("--doc-number needs --birth and --expiry (YYMMDD)")
        for label, value in (("--birth", args.birth), ("--expiry", args.expiry)):
            if len(value) != 6 or not value.isdigit():
                raise UsageError(f"{label} must be YYMMDD")
        try:
            mrz_information(args.doc_number, args.birth, args.expiry)
        except MRZError as exc:
            raise UsageError(f"--doc-number: {exc}") from exc
        return MRZKey(args.doc_number.upper(), args.birth, args.expiry)
    raise UsageError("give --mrz, --doc-number with --birth and --expiry, or --can")


def reader_url(name: str | None, config: str | None) -> str:
    if name:
        return name if name.startswith("pcsc://") else f"pcsc://{name}"
    from gatectl.config import load_config

    return load_config(config).devices.reader.url


def load_trust(paths: list[str], allow_unverified: list[str] | tuple[str, ...] = ()) -> Any:
    """A trust store from files and folders (certificates before master lists before CRLs)."""
    from passport.pki import TrustStore

    for path in [*paths, *allow_unverified]:
        if not Path(path).exists():
            raise UsageError(f"{path}: no such file or folder")
    trust = TrustStore(allow_unverified=allow_unverified)
    trust.load_paths(paths)
    return trust


def format_trust(trust: Any) -> list[str]:
    """The trust store in a few lines: counts, then each master list's status and every problem."""
    report = trust.report()
    lines = [f"Trust store: {report['cscas']} CSCAs, {report['document_signers']} document signers, "
             f"{report['crls']} CRLs"]
    lines += [f"  {m}" for m in report["master_lists"]]
    lines += [f"  problem: {p}" for p in report["problems"] if not p.startswith("master list ")]
    return lines


def write_files(result_files: dict[str, bytes], out: Path) -> list[str]:
    """Write the raw chip files except the biometric ones (which never leave memory)."""
    from passport.document import disk_name

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in result_files.items():
        if name in BIOMETRIC_FILES:
            continue
        (out / disk_name(name)).write_bytes(data)
        written.append(disk_name(name))
    return written


def _err(message: str) -> None:
    print(f"egate passport: {message}", file=sys.stderr)


# -- read ------------------------------------------------------------------------------------------------


def cmd_read(args: argparse.Namespace) -> int:
    from devices.base import DeviceError
    from passport.errors import AttackSuspected, PassportError, TransportError
    from passport.reader import read_passport

    try:
        key = access_key_from_args(args)
        trust_paths, allowed = list(args.trust), []
        if not trust_paths and args.config:
            from gatectl.config import load_config

            trust_section = load_config(args.config).trust
            trust_paths = [str(p) for p in trust_section.paths]
            allowed = [str(p) for p in getattr(trust_section, "allow_unverified_master_lists", [])]
        trust = load_trust(trust_paths, allowed) if trust_paths else None
        url = reader_url(args.reader, args.config)
    except UsageError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - a bad trust file or configuration is the user's to fix
        _err(f"{type(exc).__name__}: {exc}")
        return EXIT_USAGE

    from devices.pcsc_reader import PcscReader

    try:
        reader = PcscReader(url)
    except ValueError as exc:
        _err(str(exc))
        return EXIT_USAGE
    try:
        if not reader.wait_for_card(args.timeout):
            _err(f"no card on {reader.reader_name!r} within {args.timeout:g} s")
            return EXIT_DEVICE
        reader.connect()
        result = read_passport(
            reader, key, trust=trust, extended_length=False if args.no_extended_length else None
        )
    except AttackSuspected as exc:
        _err(f"attack suspected ({exc.code}): {exc}; the read was ended")
        if args.json and exc.result is not None:
            print(json.dumps(exc.result.as_dict(), indent=2))  # type: ignore[attr-defined]
        return EXIT_VERIFY_FAILED
    except (DeviceError, TransportError) as exc:
        _err(f"reader or card failed: {exc}")
        return EXIT_DEVICE
    except PassportError as exc:
        _err(f"chip read failed: {type(exc).__name__}: {exc}")
        return EXIT_DEVICE
    finally:
        reader.close()

    if args.out:
        write_files(result.files, Path(args.out))
    code = EXIT_OK if result.verified else EXIT_VERIFY_FAILED
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(format_read(result, reader.reader_name))
    return code


def format_read(result: Any, reader_name: str) -> str:
    lines = [f"Chip on {reader_name}: access {result.access}, {result.apdus} APDUs, "
             f"{result.bytes} bytes, {result.seconds:.2f} s"
             f"{' (extended length)' if result.extended_length else ''}"]
    lines.append("Files read: " + ", ".join(result.files_read))
    if result.access_protected:
        lines.append("Protected (terminal authentication needed): " + ", ".join(result.access_protected))
    mrz = result.mrz
    if mrz is not None:
        lines.append(f"Holder: {mrz.surname}, {mrz.given_names}  nationality {mrz.nationality.strip('<')}  "
                     f"born {mrz.birth_date}  sex {mrz.sex}")
        lines.append(f"Document: {mrz.document_code.strip('<')} {mrz.document_number} issued by "
                     f"{mrz.issuing_state.strip('<')}, expires {mrz.expiry_date}")
    if result.face is not None:
        f = result.face
        lines.append(f"Face: {f.format} {f.width}x{f.height}, {len(f.image)} bytes")
    lines.extend(format_passive(result.passive_auth))
    for label, outcome in (("Chip authentication", result.chip_auth), ("Active authentication",
                                                                       result.active_auth)):
        if outcome.performed:
            state = {True: "valid", False: "FAILED", None: "not completed"}[outcome.valid]
            lines.append(f"{label}: {state}{' - ' + outcome.detail if outcome.detail else ''}")
    if result.clone_suspected:
        lines.append("WARNING: the chip did not prove its key: possible clone")
    lines.extend(f"{f.kind}: {f.code}{' - ' + f.detail if f.detail else ''}" for f in result.findings)
    lines.extend(f"warning: {w}" for w in result.warnings)
    lines.extend(f"error: {e}" for e in result.errors)
    verdict = "yes" if result.verified else "NO (" + ", ".join(result.problems or ["see above"]) + ")"
    lines.append(f"Verified: {verdict}")
    return "\n".join(lines)


def format_passive(pa: Any) -> list[str]:
    from passport.document import passive_auth_dict

    if pa is None:
        return ["Passive authentication: not performed (no --trust): the document is not verified"]
    d = passive_auth_dict(pa) or {}
    verdict = "valid" if d.get("valid") else "FAILED"
    out = [f"Passive authentication: {verdict}",
           f"  SOD signature {'valid' if d.get('sod_signature_valid') else 'invalid'}, "
           f"chain {'valid' if d.get('chain_valid') else 'not valid'}, signer country "
           f"{d.get('signer_country')}, issuer matches {d.get('issuer_matches')}, "
           f"data group hashes {'valid' if d.get('dg_hashes_valid') else 'INVALID'}"]
    if d.get("revocation") or d.get("signing_time"):
        out.append(f"  revocation: {d.get('revocation')}, signed {d.get('signing_time') or 'at an unknown time'}")
    if d.get("quirks"):
        out.append("  issuer quirks accepted: " + ", ".join(d["quirks"]))
    out.extend(f"  note: {n}" for n in d.get("notes") or [])
    out.extend(f"  - {e}" for e in d.get("errors") or [])
    return out


# -- verify ----------------------------------------------------------------------------------------------


def cmd_verify(args: argparse.Namespace) -> int:
    folder = Path(args.dir) if args.dir else Path(args.sod).parent
    sod_path = Path(args.sod) if args.sod else folder / "EF_SOD.bin"
    if not folder.is_dir() or not sod_path.is_file():
        _err(f"no EF.SOD at {sod_path}")
        return EXIT_USAGE
    try:
        trust = load_trust(args.trust, args.allow_unverified)
    except UsageError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001
        _err(f"{type(exc).__name__}: {exc}")
        return EXIT_USAGE
    try:
        return _verify_files(args, folder, sod_path, trust)
    except Exception as exc:  # noqa: BLE001 - hostile files must never end in a traceback
        _err(f"verification aborted: {type(exc).__name__}: {str(exc)[:200]}")
        return EXIT_VERIFY_FAILED


def _verify_files(args: argparse.Namespace, folder: Path, sod_path: Path, trust: Any) -> int:
    from passport.document import FILE_IDS, passive_auth_dict
    from passport.errors import PassportError
    from passport.reader import passive_authenticate

    files = {"EF.SOD": sod_path.read_bytes()}
    for name in FILE_IDS:
        if name.startswith("DG") and (folder / f"{name}.bin").is_file():
            files[name] = (folder / f"{name}.bin").read_bytes()
    mrz = None
    if "DG1" in files:
        from passport.lds.dg1 import decode_dg1

        try:
            mrz = decode_dg1(files["DG1"]).mrz
        except PassportError as exc:
            _err(f"DG1 unreadable: {exc}")
    try:
        pa = passive_authenticate(files, trust, mrz)
    except PassportError as exc:
        _err(f"{type(exc).__name__}: {exc}")
        return EXIT_VERIFY_FAILED
    valid = bool(getattr(pa, "valid", False))
    if args.json:
        out = {"files": sorted(files), "passive_auth": passive_auth_dict(pa), "valid": valid,
               "trust": trust.report()}
        print(json.dumps(out, indent=2))
    else:
        print(f"Files: {', '.join(sorted(files))}")
        print("\n".join(format_trust(trust)))
        print("\n".join(format_passive(pa)))
    return EXIT_OK if valid else EXIT_VERIFY_FAILED
