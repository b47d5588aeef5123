"""One entry point for every LDS file: ``decode_file("DG2", data)``."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from passport.errors import LDSError
from passport.lds.biometric_group import decode_biometric_group
from passport.lds.card_access import decode_card_access, decode_card_security
from passport.lds.com import decode_com
from passport.lds.dg1 import decode_dg1
from passport.lds.dg2 import decode_dg2
from passport.lds.dg11 import decode_dg11
from passport.lds.dg12 import decode_dg12
from passport.lds.dg14 import decode_dg14
from passport.lds.dg15 import decode_dg15
from passport.lds.displayed import decode_displayed
from passport.lds.sod import decode_sod

DECODERS: dict[str, Callable[[bytes], Any]] = {
    "EF.COM": decode_com,
    "EF.SOD": decode_sod,
    "EF.CardAccess": decode_card_access,
    "EF.CardSecurity": decode_card_security,
    "DG1": decode_dg1,
    "DG2": decode_dg2,
    "DG3": partial(decode_biometric_group, dg=3),
    "DG4": partial(decode_biometric_group, dg=4),
    "DG5": partial(decode_displayed, dg=5),
    "DG7": partial(decode_displayed, dg=7),
    "DG11": decode_dg11,
    "DG12": decode_dg12,
    "DG14": decode_dg14,
    "DG15": decode_dg15,
}


def decode_file(name: str, data: bytes) -> Any:
    """Decode an LDS file by name ("EF.COM", "DG1" ... "DG15", "EF.SOD", "EF.CardAccess", "EF.CardSecurity")."""
    decoder = DECODERS.get(name)
    if decoder is None:
        raise LDSError(f"no decoder for {name}")
    return decoder(data)
