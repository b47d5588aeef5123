"""A simulated serial MRZ reader on a pseudo-terminal.

The driver opens the pty's slave (or a symlink to it, e.g. ``$EGATE_RIG_DIR/mrz-reader``) with pyserial,
exactly as it opens a USB reader's /dev/ttyACM0. Presenting a document writes its MRZ lines the way
full-page and swipe readers do: ASCII lines ended by CR or CR LF, or a whole document framed in STX ... ETX.
OCR-like noise swaps characters that OCR engines confuse (0/O, 8/B, 5/S, 1/I, 2/Z, 6/G).

Run as a process (``python -m hardware_mocks.mrz.reader --link /tmp/egate-rig/mrz-reader``) it prints the
port, then reads commands on stdin: MRZ lines followed by an empty line present a document; ``!specimen
TD1|TD2|TD3``, ``!garbage <hex>``, ``!noise <rate>``, ``!framing cr|crlf|stx-etx`` and ``!quit``.
``--present-every SECONDS`` presents the specimens in turn without any input.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import select
import signal
import sys
import time
import tty
from collections.abc import Iterable, Sequence
from pathlib import Path

from hardware_mocks.serial_link import remove_symlink_to, replace_symlink

FRAMINGS = ("cr", "crlf", "stx-etx")
_WRITE_TIMEOUT_S = 2.0

# Characters OCR engines confuse in OCR-B; each maps to its look-alike.
OCR_CONFUSIONS = {
    "0": "O", "O": "0", "8": "B", "B": "8", "5": "S", "S": "5", "1": "I", "I": "1",
    "2": "Z", "Z": "2", "6": "G", "G": "6",
}  # fmt: skip

# The ICAO Doc 9303 specimens (Part 4 TD3, Part 5 TD1, Part 6 TD2).
SPECIMENS: dict[str, tuple[str, ...]] = {
    "TD3": ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"),
    "TD1": (
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    ),
    "TD2": ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"),
}


def add_ocr_noise(lines: Iterable[str], rate: float, rng: random.Random) -> list[str]:
    """Each confusable character is swapped for its look-alike with probability ``rate``."""
    return [
        "".join(OCR_CONFUSIONS[ch] if ch in OCR_CONFUSIONS and rng.random() < rate else ch for ch in line)
        for line in lines
    ]


def frame_document(lines: Sequence[str], framing: str = "cr") -> bytes:
    """The bytes a reader sends for one document."""
    if framing not in FRAMINGS:
        raise ValueError(f"framing must be one of {', '.join(FRAMINGS)}, not {framing!r}")
    body = [line.encode("ascii") for line in lines]
    if framing == "cr":
        return b"".join(line + b"\r" for line in body)
    if framing == "crlf":
        return b"".join(line + b"\r\n" for line in body)
    return b"\x02" + b"".join(line + b"\r" for line in body) + b"\x03"


class SimulatedMrzReader:
    """The device side of a serial MRZ reader. Use as a context manager or call :meth:`close`."""

    def __init__(self, link: str | os.PathLike[str] | None = None, *, baud: int = 9600) -> None:
        self._master, self._slave = os.openpty()
        # Raw mode now, so nothing is echoed or translated before the driver configures the port; the slave
        # stays open here so writes to the master never fail with EIO while no driver holds the port.
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.pty_path = os.ttyname(self._slave)
        self.link = Path(link) if link else None
        self.baud = baud
        if self.link:
            replace_symlink(self.link, self.pty_path)
        self.documents_presented = 0

    @property
    def port(self) -> str:
        """The path the driver opens: the symlink if there is one, else the pty."""
        return str(self.link) if self.link else self.pty_path

    @property
    def url(self) -> str:
        return f"mrz-serial://{self.port}?baud={self.baud}"

    def present(
        self,
        lines: Sequence[str],
        noise: float = 0.0,
        framing: str = "cr",
        seed: int | None = None,
    ) -> list[str]:
        """Send one document's lines; returns the lines as sent (after noise)."""
        sent = add_ocr_noise(lines, noise, random.Random(seed)) if noise > 0 else list(lines)
        self.write(frame_document(sent, framing))
        self.documents_presented += 1
        return sent

    def send_garbage(self, data: bytes) -> None:
        """Send arbitrary bytes, e.g. line noise or a reader's unrelated status output."""
        self.write(data)

    def write(self, data: bytes) -> None:
        """Write raw bytes to the driver, giving up after a bounded time if nobody drains the port."""
        deadline = time.monotonic() + _WRITE_TIMEOUT_S
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._master, view)
                view = view[written:]
                continue
            except BlockingIOError:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"MRZ reader pty {self.pty_path}: {len(view)} bytes could not be written")
            select.select([], [self._master], [], min(remaining, 0.05))

    def close(self) -> None:
        if self._master < 0:
            return
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._master = self._slave = -1
        if self.link:
            remove_symlink_to(self.link, self.pty_path)

    def __enter__(self) -> SimulatedMrzReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _run_commands(reader: SimulatedMrzReader, stream: Iterable[str]) -> None:
    noise, framing, pending = 0.0, "cr", []
    for raw in stream:
        line = raw.strip()
        try:
            if line.startswith("!"):
                cmd, _, arg = line[1:].partition(" ")
                if cmd == "quit":
                    return
                if cmd == "garbage":
                    reader.send_garbage(bytes.fromhex(arg))
                elif cmd == "noise":
                    noise = float(arg)
                elif cmd == "framing":
                    framing = arg if arg in FRAMINGS else framing
                elif cmd == "specimen":
                    reader.present(SPECIMENS[arg.upper()], noise=noise, framing=framing)
                else:
                    print(f"unknown command {cmd!r}", file=sys.stderr)
            elif line:
                pending.append(line)
            elif pending:
                reader.present(pending, noise=noise, framing=framing)
                pending = []
        except (ValueError, KeyError, TimeoutError) as exc:
            print(f"error: {exc}", file=sys.stderr)
        sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    rig_dir = os.environ.get("EGATE_RIG_DIR")
    parser = argparse.ArgumentParser(description="Simulated serial MRZ reader on a pseudo-terminal")
    parser.add_argument(
        "--link",
        default=str(Path(rig_dir) / "mrz-reader") if rig_dir else None,
        help="symlink to create to the pty (default: $EGATE_RIG_DIR/mrz-reader if EGATE_RIG_DIR is set)",
    )
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--present-every", type=float, default=0.0, metavar="SECONDS",
                        help="present the specimens in turn at this interval instead of reading stdin")  # fmt: skip
    parser.add_argument("--framing", choices=FRAMINGS, default="cr")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with SimulatedMrzReader(args.link, baud=args.baud) as reader:
        print(f"MRZ reader on {reader.pty_path} url {reader.url}", flush=True)
        try:
            if args.present_every > 0:
                names = sorted(SPECIMENS)
                for i in range(sys.maxsize):
                    time.sleep(args.present_every)
                    reader.present(SPECIMENS[names[i % len(names)]], framing=args.framing)
            else:
                _run_commands(reader, sys.stdin)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
