"""Open each configured device, read its health, close it: used by ``egate diag`` and the technician pages."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from devices.base import Health
from gatectl.config import Config
from gatectl.devices import DEVICE_KINDS, open_device

CAMERA_SAMPLE_S = 1.0


def check_device(cfg: Config, kind: str) -> Health:
    url = getattr(cfg.devices, kind).url
    try:
        dev = open_device(cfg, kind)
    except Exception as exc:  # noqa: BLE001 - diagnostics report every failure, whatever its type
        return Health(kind, url, False, f"cannot open: {exc}")
    try:
        _warm_up(dev, cfg)
        health = dev.health()
        health.device = kind
        return health
    except Exception as exc:  # noqa: BLE001
        return Health(kind, url, False, f"health check failed: {exc}")
    finally:
        # closing a failed device must not mask its report
        with contextlib.suppress(Exception):
            dev.close()


def _warm_up(dev: object, cfg: Config) -> None:
    """A camera needs a moment of streaming before its frame rate means anything."""
    wait_frame = getattr(dev, "wait_frame", None)
    if wait_frame is None:
        return
    with contextlib.suppress(Exception):
        first = wait_frame(0, timeout=cfg.devices.camera.timeout_s)
        deadline = time.monotonic() + CAMERA_SAMPLE_S
        seq = first.seq
        while time.monotonic() < deadline:
            seq = wait_frame(seq, timeout=max(0.05, deadline - time.monotonic())).seq


def run_diagnostics(cfg: Config, only: Iterable[str] | None = None,
                    check: Callable[[Config, str], Health] = check_device) -> list[Health]:
    """Health of every device (or of ``only``), checked in parallel so one slow device does not hold up the rest."""
    kinds = [k for k in DEVICE_KINDS if not only or k in only]
    with ThreadPoolExecutor(max_workers=len(kinds) or 1) as pool:
        return list(pool.map(lambda k: check(cfg, k), kinds))


def check_trust(cfg: Config) -> Health:
    """Load the configured trust store the way a read would and report what an operator must fix:
    refused or unverified master lists, CRLs that are stale or not signed by their CSCA."""
    from passport.errors import PassportError
    from passport.pki import TrustStore

    paths = [str(p) for p in cfg.trust.paths]
    allowed = [str(p) for p in getattr(cfg.trust, "allow_unverified_master_lists", [])]
    url = ", ".join(paths) or "(no trust paths)"
    trust = TrustStore(allow_unverified=allowed)
    try:
        trust.load_paths(paths)
    except (PassportError, OSError) as exc:
        return Health("trust", url, False, f"trust store not loaded: {exc}")
    report = trust.report()
    ok = report["cscas"] > 0 and not report["problems"]
    detail = "; ".join(report["problems"]) if report["problems"] else f"{report['cscas']} CSCAs"
    if not report["cscas"]:
        detail = f"no usable CSCA; {detail}"
    return Health("trust", url, ok, detail, {k: report[k] for k in ("cscas", "document_signers", "crls")}
                  | {"master_lists": report["master_lists"]})
