"""Errors of the PC/SC card reader driver (devices/pcsc_reader.py).

``PcscError`` is the base of all of them (and the type of any PC/SC failure without a more precise one),
so ``except PcscError`` catches every reader problem and ``except DeviceError`` every device problem.
"""

from __future__ import annotations

from collections.abc import Sequence

from devices.base import DeviceError, DeviceTimeout


class PcscError(DeviceError):
    """A PC/SC call failed; ``code`` is the PC/SC return code when there is one."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class NoReaderError(PcscError):
    """The reader asked for is not attached (or no reader at all); the message lists the readers there are."""

    def __init__(self, reader: str, readers: Sequence[str], code: int | None = None):
        self.reader = reader
        self.readers = list(readers)
        present = ", ".join(repr(r) for r in self.readers) if self.readers else "none"
        wanted = f"PC/SC reader {reader!r}" if reader else "a PC/SC reader"
        super().__init__(f"{wanted} not found; readers present: {present}", code)


class NoCardError(PcscError):
    """There is no card on the reader (or it does not answer reset)."""


class CardRemovedError(PcscError):
    """The connection to the card is gone: it left the reader or lost contact during a command.

    Whatever the card held (selected file, secure messaging session) is lost; connect again.
    """


class ReaderTimeout(PcscError, DeviceTimeout):
    """A PC/SC call did not complete within its timeout (the reader stays usable: connect again)."""
