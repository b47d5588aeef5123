"""Typed errors of the passport library: a malformed or hostile chip yields one of these, never a crash."""

from __future__ import annotations


class PassportError(Exception):
    """Base of every error the passport library raises."""


class MRZError(PassportError, ValueError):
    """An MRZ is malformed or a check digit fails."""


class TLVError(PassportError):
    """BER-TLV data is malformed, truncated or exceeds a bound."""


class APDUError(PassportError):
    """An APDU could not be built or a response could not be parsed."""


class CardStatusError(PassportError):
    """The chip answered with a status word other than success."""

    def __init__(self, sw: int, context: str = ""):
        from passport.apdu import describe_sw

        self.sw = sw
        self.context = context
        where = f"{context}: " if context else ""
        super().__init__(f"{where}card returned {sw:04X} ({describe_sw(sw)})")


class SecureMessagingError(PassportError):
    """A secure-messaging response is malformed or its MAC does not verify."""


class AccessControlError(PassportError):
    """BAC or PACE failed (wrong MRZ/CAN, unsupported parameters, or an authentication token mismatch)."""


class LDSError(PassportError):
    """A logical data structure file (EF.COM, DGn, EF.SOD, EF.CardAccess) is malformed."""


class AuthenticationError(PassportError):
    """Passive, active or chip authentication could not be carried out (as opposed to failing)."""


class TransportError(PassportError):
    """The transport beneath the library failed (reader gone, card removed, timeout)."""


class AttackSuspected(PassportError):
    """The chip, or something between it and the reader, failed a cryptographic check that a genuine chip
    on an honest link passes: the read ends and is reported as a suspected attack, with no fallback.

    ``code`` names the check (``pace_check_failed``, ``sm_mac_failures``); ``result`` is the partial
    :class:`passport.document.ChipReadResult` when :func:`passport.reader.read_passport` raised it.
    """

    code = "attack_suspected"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.result: object = None


class PaceCheckFailed(AttackSuspected, AccessControlError):
    """PACE failed a check on the chip's answers (authentication token, mapping, key, malformed data)."""

    code = "pace_check_failed"


class PaceRefused(AccessControlError):
    """The chip refused PACE before any key agreement (MSE:Set AT or the encrypted nonce): BAC may follow."""
