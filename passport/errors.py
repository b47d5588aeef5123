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
