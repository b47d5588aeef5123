"""Audit store: the chain detects every kind of tampering, the store refuses changes and forbidden content,
interrupted transactions are closed at start-up, and the CLI exports and verifies."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import tempfile
import threading
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatectl.audit import AuditError, AuditLog, ForbiddenContentError, verify_file
from gatectl.audit.chain import record_hash
from gatectl.cli import main

KEY = bytes(range(32))
DAY = 1_764_547_200.0  # 2025-12-01T00:00:00Z


class Clock:
    """Wall clock for the store: one second per record from ``DAY``, or set by the test."""

    def __init__(self, start: float = DAY):
        self.now = start

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def make_log(path: Path, transactions: int = 3, clock: Clock | None = None) -> AuditLog:
    log = AuditLog(path, KEY, clock=clock or Clock())
    for i in range(transactions):
        tx = log.begin_transaction("GATE-1")
        log.record_step(tx, "reading_chip", 10.0 + i, 11.5 + i, {
            "document_type": "P", "issuer": "D", "document_number_hash": log.document_hash(f"C01X00T4{i}"),
            "passive_authentication": True})
        log.record_step(tx, "verifying_face", 12.0, 12.4, {"distance": 0.41, "threshold": 0.54, "pad_score": 0.1})
        log.close_transaction(tx, "admit", [{"code": "cleared", "message": "All checks passed.", "rule": None}],
                              {"list_versions": {"sltd": "v1", "watchlist": "v7"}})
    return log


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "audit.sqlite"
    make_log(path).close()  # 12 records
    return path


def tamper(path: Path, *sql: str) -> None:
    """What someone with write access to the file can do: drop the triggers, then change rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    for trigger in ("records_no_update", "records_no_delete", "head_no_delete", "head_forward_only"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in sql:
        conn.execute(statement)
    conn.close()


def row(path: Path, seq: int) -> tuple:
    conn = sqlite3.connect(path)
    r = conn.execute("SELECT seq, time, kind, body, prev_hash, hash, seal FROM records WHERE seq = ?", (seq,))
    values = r.fetchone()
    conn.close()
    return values


def test_intact_store_verifies(store: Path) -> None:
    for key in (None, KEY):
        result = verify_file(store, key)
        assert result.ok and result.records == 12 and result.first_bad is None and result.head_seq == 12
        assert result.warnings == ()


def test_dropped_triggers_are_reported(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tamper(store)
    result = verify_file(store)
    assert result.ok and "records_no_update" in result.warnings[0]
    assert main(["audit", "verify", "--db", str(store)]) == 0
    assert "warning: append-only triggers missing" in capsys.readouterr().out


def test_not_an_audit_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(AuditError):
        verify_file(garbage)
    with pytest.raises(AuditError):
        AuditLog(garbage, KEY)
    assert main(["audit", "verify", "--db", str(garbage)]) == 2
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.close()
    assert main(["audit", "verify", "--db", str(other)]) == 2
    assert "not an egate audit store" in capsys.readouterr().err


def test_threads_and_two_writers_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    first, second = AuditLog(path, KEY), AuditLog(path, KEY)  # as two processes would
    threads = [threading.Thread(target=lambda log=log, n=n: [log.record_event("tick", {"n": n, "i": i})
                                                               for i in range(15)])
               for n, log in enumerate([first, second, first, second])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = first.verify()
    assert result.ok and result.records == 60


def test_altered_body_is_named(store: Path) -> None:
    body = row(store, 8)[3].replace('"admit"', '"refuse"')
    tamper(store, f"UPDATE records SET body = '{body}' WHERE seq = 8")
    result = verify_file(store)
    assert not result.ok and result.first_bad == 8 and "altered" in result.problem


def test_altered_hash_is_named(store: Path) -> None:
    tamper(store, "UPDATE records SET hash = '" + "ab" * 32 + "' WHERE seq = 4")
    result = verify_file(store)
    assert (result.ok, result.first_bad) == (False, 4)


def test_altered_and_rehashed_record_is_found_by_the_next_link(store: Path) -> None:
    seq, time, kind, body, prev, _, _ = row(store, 7)
    body = body.replace("0.41", "0.61")
    new_hash = record_hash(seq, time, kind, body, prev)
    tamper(store, f"UPDATE records SET body = '{body}', hash = '{new_hash}' WHERE seq = 7")
    assert verify_file(store).first_bad == 7
    assert verify_file(store, KEY).first_bad == 7  # the seal gives it away directly


def test_deleted_record_in_the_middle(store: Path) -> None:
    tamper(store, "DELETE FROM records WHERE seq = 7")
    result = verify_file(store)
    assert (result.ok, result.first_bad) == (False, 7) and "deleted" in result.problem


def test_deleted_and_renumbered_records(store: Path) -> None:
    tamper(store, "DELETE FROM records WHERE seq = 7", "UPDATE records SET seq = seq - 1 WHERE seq > 7",
           "UPDATE head SET seq = 11")
    result = verify_file(store)
    assert (result.ok, result.first_bad) == (False, 7)


def test_deleted_last_records(store: Path) -> None:
    tamper(store, "DELETE FROM records WHERE seq >= 11")
    result = verify_file(store)
    assert (result.ok, result.first_bad) == (False, 11) and "deleted" in result.problem


def test_deleted_last_records_with_forged_head_needs_the_key(store: Path) -> None:
    _, _, _, _, _, hash10, _ = row(store, 10)
    tamper(store, "DELETE FROM records WHERE seq >= 11", f"UPDATE head SET seq = 10, hash = '{hash10}'")
    assert verify_file(store).ok  # without the key: the documented limit
    result = verify_file(store, KEY)
    assert (result.ok, result.first_bad) == (False, 10) and "seal" in result.problem


def test_inserted_record_is_named(store: Path) -> None:
    _, time, _, _, prev, _, _ = row(store, 4)
    body = json.dumps({"event": "forged"})
    forged_hash = record_hash(4, time, "event", body, prev)
    tamper(store, "UPDATE records SET seq = seq + 100 WHERE seq >= 4",
           "UPDATE records SET seq = seq - 99 WHERE seq >= 104",
           f"INSERT INTO records(seq, time, kind, body, prev_hash, hash) VALUES (4, '{time}', 'event', '{body}', "
           f"'{prev}', '{forged_hash}')",
           "UPDATE head SET seq = 13")
    result = verify_file(store)
    assert (result.ok, result.first_bad) == (False, 4) and "inserted" in result.problem
    assert verify_file(store, KEY).first_bad == 4


def test_record_appended_behind_the_store(store: Path) -> None:
    _, time, _, _, _, hash12, _ = row(store, 12)
    body = json.dumps({"event": "forged"})
    tamper(store, f"INSERT INTO records(seq, time, kind, body, prev_hash, hash) VALUES (13, '{time}', 'event', "
                  f"'{body}', '{hash12}', '{record_hash(13, time, 'event', body, hash12)}')")
    result = verify_file(store)
    assert (result.ok, result.first_bad) == (False, 13) and "inserted" in result.problem


def test_reordered_records(store: Path) -> None:
    tamper(store, "UPDATE records SET seq = 1000 WHERE seq = 8", "UPDATE records SET seq = 8 WHERE seq = 9",
           "UPDATE records SET seq = 9 WHERE seq = 1000")
    result = verify_file(store)
    assert (result.ok, result.first_bad) == (False, 8)


def test_triggers_refuse_update_and_delete(tmp_path: Path) -> None:
    log = make_log(tmp_path / "a.sqlite", 1)
    for statement in ("UPDATE records SET kind = 'x' WHERE seq = 1", "DELETE FROM records WHERE seq = 4",
                      "DELETE FROM head", "UPDATE head SET seq = 1", "DELETE FROM transactions",
                      "UPDATE transactions SET closed_seq = NULL"):
        with pytest.raises(sqlite3.IntegrityError):
            log._conn.execute(statement)
    assert log.verify().ok


def test_store_is_wal_and_full_sync(tmp_path: Path) -> None:
    log = make_log(tmp_path / "a.sqlite", 0)
    assert log._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert log._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


@pytest.mark.parametrize("result", [
    {"portrait": "x"}, {"face_image": [1, 2]}, {"template": [0.1] * 128}, {"faceDescriptor": "x"},
    {"document_number": "C01X00T47"}, {"checks": [{"mrz": "x"}]}, {"full_name": "Erika Mustermann"},
    {"date_of_birth": "1964-08-12"}, {"raw": b"\x00\x01"}, {"raw": bytearray(3)}, {"score": float("nan")},
    {"blob": "data:image/jpeg;base64,AAAA"}, {"line": "C11T002JM4D<<9608122F1310317<<<<<<<<<<<<<<<6"},
    {"big": "A" * 5000}, {"obj": object()},
])
def test_forbidden_content_refused_and_nothing_written(tmp_path: Path, result: dict) -> None:
    log = make_log(tmp_path / "a.sqlite", 0)
    tx = log.begin_transaction("GATE-1")
    with pytest.raises(ForbiddenContentError) as info:
        log.record_step(tx, "reading_chip", 1.0, 2.0, result)
    assert info.value.field.startswith("body.result")
    assert "Erika" not in str(info.value) and "C01X" not in str(info.value)
    assert log.verify().records == 1


def test_hashed_document_number_is_allowed(tmp_path: Path) -> None:
    log = make_log(tmp_path / "a.sqlite", 0)
    digest = log.document_hash("C01X00T47")
    assert digest == log.document_hash("c01x00t47<") and len(digest) == 64
    assert digest != AuditLog(tmp_path / "b.sqlite", b"another key 1234").document_hash("C01X00T47")
    tx = log.begin_transaction("GATE-1")
    log.record_step(tx, "reading_chip", 1.0, 2.0, {"document_number_hash": digest, "portrait_present": True})


def test_transactions_close_once_and_must_exist(tmp_path: Path) -> None:
    log = make_log(tmp_path / "a.sqlite", 0)
    tx = log.begin_transaction("GATE-1")
    log.close_transaction(tx, "refer", [], {})
    with pytest.raises(AuditError, match="already closed"):
        log.close_transaction(tx, "admit", [], {})
    with pytest.raises(AuditError, match="already closed"):
        log.record_step(tx, "late", 1.0, 2.0, {})
    with pytest.raises(AuditError, match="unknown transaction"):
        log.record_step("f" * 32, "x", 1.0, 2.0, {})
    with pytest.raises(AuditError, match="unknown decision"):
        log.close_transaction(log.begin_transaction("GATE-1"), "maybe", [], {})
    log.record_action("officer-17", "officer", "admit", "documents checked by hand", tx=tx)
    assert log.verify().ok


def test_close_interrupted_after_restart(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    log = make_log(path, 1)
    open_a, open_b = log.begin_transaction("GATE-1"), log.begin_transaction("GATE-1")
    log.record_step(open_a, "reading_chip", 1.0, 2.0, {"issuer": "D"})
    del log  # the controller dies without closing anything
    restarted = AuditLog(path, KEY)
    assert restarted.close_interrupted() == [open_a, open_b]
    assert restarted.close_interrupted() == []
    out = io.StringIO()
    restarted.export(date(2000, 1, 1), date(2100, 1, 1), "jsonl", out)
    closes = [json.loads(line) for line in out.getvalue().splitlines()][-2:]
    assert [(c["kind"], c["body"]["tx"], c["body"]["decision"]) for c in closes] == [
        ("transaction_close", open_a, "interrupted"), ("transaction_close", open_b, "interrupted")]
    assert restarted.verify().ok


def test_ids_are_unique_uuid4_hex(tmp_path: Path) -> None:
    log = make_log(tmp_path / "a.sqlite", 0)
    ids = {log.begin_transaction("GATE-1") for _ in range(50)}
    assert len(ids) == 50 and all(len(i) == 32 and i[12] == "4" for i in ids)


def test_short_key_refused(tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="at least 16 bytes"):
        AuditLog(tmp_path / "a.sqlite", b"short")


def test_export_by_day_in_both_formats(tmp_path: Path) -> None:
    clock = Clock()
    log = make_log(tmp_path / "a.sqlite", 1, clock)  # 4 records on 2025-12-01
    clock.now = DAY + 86_400 * 2  # two days later
    log.record_action("tech-3", "technician", "maintenance", "camera cleaned")
    jsonl, table = io.StringIO(), io.StringIO()
    assert log.export(date(2025, 12, 1), date(2025, 12, 1), "jsonl", jsonl) == 4
    assert log.export(date(2025, 12, 1), date(2025, 12, 3), "csv", table) == 5
    records = [json.loads(line) for line in jsonl.getvalue().splitlines()]
    assert [r["seq"] for r in records] == [1, 2, 3, 4]
    assert all(record_hash(r["seq"], r["time"], r["kind"], r["body_text"], r["prev_hash"]) == r["hash"]
               for r in records)
    rows = list(csv.DictReader(io.StringIO(table.getvalue())))
    assert rows[3]["decision"] == "admit" and rows[4]["kind"] == "action"
    assert json.loads(rows[4]["body"])["reason"] == "camera cleaned"
    with pytest.raises(AuditError):
        log.export(date(2025, 12, 2), date(2025, 12, 1), "jsonl", io.StringIO())


def test_cli_verify_exit_codes(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY.hex() + "\n")
    assert main(["audit", "verify", "--db", str(store)]) == 0
    assert main(["audit", "verify", "--db", str(store), "--key-file", str(key_file)]) == 0
    assert "intact: 12 records, hashes and seals" in capsys.readouterr().out
    tamper(store, "DELETE FROM records WHERE seq = 5")
    assert main(["audit", "verify", "--db", str(store)]) == 1
    assert "first bad record 5: record 5 deleted" in capsys.readouterr().out
    assert main(["audit", "verify", "--db", str(store), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["first_bad"] == 5
    assert main(["audit", "verify", "--db", str(tmp_path / "missing.sqlite")]) == 2
    assert "no audit store" in capsys.readouterr().err


def test_export_of_a_damaged_store(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tamper(store, "UPDATE records SET body = '{broken' WHERE seq = 2")
    assert main(["audit", "export", "--db", str(store), "--from", "2025-12-01", "--to", "2025-12-01"]) == 0
    second = json.loads(capsys.readouterr().out.splitlines()[1])
    assert second["body"] is None and second["body_text"] == "{broken"
    assert main(["audit", "verify", "--db", str(store)]) == 1


def test_cli_export(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "export", "--db", str(store), "--from", "2025-12-01", "--to", "2025-12-01",
                 "--format", "jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 12 and json.loads(lines[0])["kind"] == "transaction_begin"
    out = tmp_path / "x.csv"
    assert main(["audit", "export", "--db", str(store), "--from", "2025-12-01", "--to", "2025-12-02",
                 "--format", "csv", "--out", str(out)]) == 0
    assert out.read_text().splitlines()[0] == "seq,time,kind,tx,decision,body,prev_hash,hash"
    with pytest.raises(SystemExit):
        main(["audit", "export", "--db", str(store), "--from", "yesterday", "--to", "2025-12-02"])


def test_bench_audit_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "audit", "--transactions", "3", "--dir", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["records"] == 21 and list(tmp_path.iterdir()) == []
    assert main(["bench", "audit", "--transactions", "3", "--dir", str(tmp_path / "absent")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_cli_takes_store_and_key_from_the_configuration(store: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    trust = tmp_path / "trust"
    trust.mkdir()
    config = tmp_path / "gate.toml"
    config.write_text(f'[trust]\npaths = ["{trust}"]\n[audit]\npath = "{store}"\nkey = "{KEY.hex()}"\n')
    assert main(["audit", "verify", "--config", str(config)]) == 0
    assert "hashes and seals" in capsys.readouterr().out
    assert main(["audit", "export", "--config", str(config), "--from", "2025-12-01", "--to", "2025-12-01"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 12
    assert main(["audit", "verify"]) == 2
    assert "--db PATH or --config FILE" in capsys.readouterr().err
    bad_key = tmp_path / "bad.key"
    bad_key.write_text("not hex")
    assert main(["audit", "verify", "--db", str(store), "--key-file", str(bad_key)]) == 2
    assert "hexadecimal" in capsys.readouterr().err
    other_key = tmp_path / "other.key"
    other_key.write_text("ab" * 32)
    assert main(["audit", "verify", "--db", str(store), "--key-file", str(other_key)]) == 1
    assert "seal" in capsys.readouterr().out


@settings(max_examples=40, deadline=None)
@given(records=st.integers(2, 12), target=st.data(), column=st.sampled_from(["time", "kind", "body", "prev_hash", "hash"]))
def test_any_single_change_names_its_record(records: int, target: st.DataObject, column: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.sqlite"
        with AuditLog(path, KEY, clock=Clock()) as log:
            for i in range(records):
                log.record_event("tick", {"i": i})
        seq = target.draw(st.integers(1, records))
        tamper(path, f"UPDATE records SET {column} = {column} || 'x' WHERE seq = {seq}")
        for key in (None, KEY):
            result = verify_file(path, key)
            assert not result.ok
            assert result.first_bad == seq


@pytest.mark.parametrize("statement", [
    "UPDATE records SET prev_hash = X'00' WHERE seq = 5",  # a blob where the text was
    "UPDATE records SET time = 17 WHERE seq = 5",
    "UPDATE records SET seal = X'00' WHERE seq = 5",
    "UPDATE head SET seq = 'twelve', hash = X'00'",
])
def test_values_of_the_wrong_type_are_tampering_not_a_traceback(store: Path, statement: str) -> None:
    tamper(store, statement)
    result = verify_file(store, KEY)
    assert not result.ok and result.first_bad in (5, 12)


def test_dropped_head_table_is_never_intact(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tamper(store, "DROP TABLE head")
    with pytest.raises(AuditError, match="cannot be verified"):
        verify_file(store)
    assert main(["audit", "verify", "--db", str(store)]) == 2
    assert "cannot be verified" in capsys.readouterr().err
