"""The sections of a gate configuration and the whole :class:`GateConfig`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from biometrics.settings import BiometricSettings
from gatectl.config.audit_key import AuditSection
from gatectl.config.values import (
    Address,
    ConfigPath,
    Count,
    ExistingPath,
    Seconds,
    Section,
    dataclass_section,
    show_path,
)
from gatectl.lists.matching import DEFAULT_THRESHOLD
from gatectl.machine import Retries, Timeouts
from gatectl.policy import PolicySettings

MAX_RETRIES = 10  # a retry bound is a bound: more would keep a traveller at the gate for minutes


def _positive_seconds(name: str, tp: Any) -> FieldInfo:
    return Field(gt=0) if tp is float else Field()


def _bounded_count(name: str, tp: Any) -> FieldInfo:
    return Field(ge=0, le=MAX_RETRIES) if tp is int else Field()


# Ranges of [biometrics]; the names and defaults are BiometricSettings' own.
BIOMETRIC_RANGES: dict[str, FieldInfo] = {
    "match_threshold": Field(gt=0, lt=2),
    "target_fmr": Field(gt=0, lt=1),
    "pad_threshold": Field(ge=0, le=1),
    "min_eye_distance_px": Field(gt=0),
    "max_yaw_deg": Field(gt=0, le=90),
    "max_pitch_deg": Field(gt=0, le=90),
    "max_roll_deg": Field(gt=0, le=90),
    "frames_kept": Field(ge=1, le=30),
    "capture_window_s": Field(gt=0),
    "detect_max_side": Field(ge=64),
    "min_sharpness": Field(ge=0),
    "min_face_luma": Field(ge=0, le=255),
    "max_face_luma": Field(ge=0, le=255),
    "min_face_contrast": Field(ge=0),
    "min_eye_aspect_ratio": Field(ge=0),
    "max_centre_offset": Field(ge=0, le=1),
    "second_face_min_ratio": Field(gt=0, le=1),
}


def _biometrics_consistent(settings: BiometricSettings) -> None:
    if settings.min_face_luma >= settings.max_face_luma:
        raise ValueError(f"min_face_luma ({settings.min_face_luma:g}) must be below max_face_luma "
                         f"({settings.max_face_luma:g})")


BiometricsSection = dataclass_section(BiometricSettings, BIOMETRIC_RANGES, check=_biometrics_consistent)
TimeoutsSection = dataclass_section(Timeouts, default=_positive_seconds)
RetriesSection = dataclass_section(Retries, default=_bounded_count)


# -- sections ------------------------------------------------------------------------------------------

REQUIRED_COILS = ("entry_lock", "exit_lock")
REQUIRED_INPUTS = (
    "entry_door_closed",
    "exit_door_closed",
    "presence_entry",
    "presence_inside",
    "presence_exit",
    "tailgating_beam",
    "fire_alarm_loop",
)


def _default_coils() -> dict[str, int]:
    return {"entry_lock": 0, "exit_lock": 1, "light_green": 2, "light_red": 3, "buzzer": 4}


def _default_inputs() -> dict[str, int]:
    return {name: address for address, name in enumerate(REQUIRED_INPUTS)}


class GateSection(Section):
    id: str = Field("gate-1", min_length=1)
    mode: Literal["one-step", "two-step"] = "one-step"
    location: str = ""
    simulated: bool = False


class ReaderSection(Section):
    url: str = "pcsc://Virtual PCD 00 00"
    timeout_s: Seconds = 5.0


def _io_map_problems(table: dict[str, int], required: tuple[str, ...]) -> dict[str, int]:
    problems = []
    missing = [name for name in required if name not in table]
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    addresses = list(table.values())
    if len(addresses) != len(set(addresses)):
        problems.append(f"two names share one address ({addresses})")
    if problems:
        raise ValueError("; ".join(problems))
    return table


class IoSection(Section):
    url: str = "modbus-rtu:///dev/ttyUSB0?baud=19200&unit=1"
    timeout_s: Seconds = 0.5
    retries: Count = 3
    poll_interval_s: Seconds = 0.1
    coils: dict[str, Address] = Field(default_factory=_default_coils)
    inputs: dict[str, Address] = Field(default_factory=_default_inputs)

    @field_validator("coils")
    @classmethod
    def _coil_map(cls, table: dict[str, int]) -> dict[str, int]:
        return _io_map_problems(table, REQUIRED_COILS)

    @field_validator("inputs")
    @classmethod
    def _input_map(cls, table: dict[str, int]) -> dict[str, int]:
        return _io_map_problems(table, REQUIRED_INPUTS)


class CameraSection(Section):
    url: str = "camera://0"
    timeout_s: Seconds = 5.0


class MrzSection(Section):
    url: str = "mrz-serial:///dev/ttyACM0?baud=9600"
    timeout_s: Seconds = 5.0


class DevicesSection(Section):
    reader: ReaderSection = Field(default_factory=ReaderSection)
    io: IoSection = Field(default_factory=IoSection)
    camera: CameraSection = Field(default_factory=CameraSection)
    mrz: MrzSection = Field(default_factory=MrzSection)


class TrustSection(Section):
    paths: list[ExistingPath] = Field(
        min_length=1,
        description="a gate needs at least one trust path (CSCA master lists, certificates, CRLs): "
        "without trust material no document can be verified",
    )
    allow_unverified_master_lists: list[ExistingPath] = Field(default_factory=list)

    @field_validator("allow_unverified_master_lists")
    @classmethod
    def _within_paths(cls, allowed: list[Path], info: ValidationInfo) -> list[Path]:
        roots = info.data.get("paths") or []
        outside = [p for p in allowed if not any(p == root or root in p.parents for root in roots)]
        if outside:
            shown = ", ".join(show_path(p) for p in outside)
            raise ValueError(f"{shown} not among trust.paths (nor inside a folder of it)")
        return allowed

    def open_store(self) -> Any:
        """A :class:`passport.pki.TrustStore` with every path loaded and the allowed master lists allowed."""
        from passport.pki import TrustStore

        store = TrustStore(allow_unverified=self.allow_unverified_master_lists)
        store.load_paths(self.paths)  # certificates first, so a CSCA file anchors a master list named before it
        return store


class ListsSection(Section):
    db: ConfigPath = Path("egate-lists.sqlite")
    watchlist_threshold: float = Field(DEFAULT_THRESHOLD, gt=0, le=1)  # tuned with the matcher
    max_age_h: Seconds = 24.0


class UiSection(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)


class GateConfig(Section):
    """A whole gate. ``source`` names where it came from (a path or ``builtin:simulated``)."""

    gate: GateSection = Field(default_factory=GateSection)
    devices: DevicesSection = Field(default_factory=DevicesSection)
    timeouts: TimeoutsSection = Field(default_factory=Timeouts)
    retries: RetriesSection = Field(default_factory=Retries)
    biometrics: BiometricsSection = Field(default_factory=BiometricSettings)
    trust: TrustSection
    policy: PolicySettings = Field(default_factory=PolicySettings)
    lists: ListsSection = Field(default_factory=ListsSection)
    audit: AuditSection
    ui: UiSection = Field(default_factory=UiSection)
    _source: str = PrivateAttr(default="")

    @model_validator(mode="before")
    @classmethod
    def _required_tables(cls, data: Any) -> Any:
        """``[trust]`` and ``[audit]`` have keys without defaults: validate them even when the table is absent."""
        if isinstance(data, dict):
            data = {"trust": {}, "audit": {}, **data}
        return data

    @property
    def source(self) -> str:
        return self._source


Config = GateConfig  # the name the rest of egate imports
