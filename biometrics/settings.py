"""Biometric settings: the ``[biometrics]`` section of the gate configuration (gatectl.config validates
a configuration file against this very dataclass). ``match_threshold`` is the value calibrated for this
package's pipeline; the finer capture-quality limits have defaults measured on LFW and the specimen faces
(docs/biometrics.md)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class BiometricSettings:
    # Calibrated for FMR 0.1 % on 14.4 million LFW impostor comparisons (docs/biometrics.md).
    match_threshold: float = 0.54
    target_fmr: float = 0.001
    pad_threshold: float = 0.5
    min_eye_distance_px: float = 120.0  # BSI TR-03121-3 border capture
    max_yaw_deg: float = 5.0
    max_pitch_deg: float = 5.0
    max_roll_deg: float = 8.0
    # Finer capture settings:
    # Three frames fused by their mean distance: ~0.5-2 s more per traveller, a quarter of the false
    # rejections (officer referrals); the whole-transaction reasoning is in docs/gate.md.
    fusion: Literal["best", "mean", "single"] = "mean"
    frames_kept: int = 3
    capture_window_s: float = 1.0
    detect_max_side: int = 640
    min_sharpness: float = 0.3
    min_face_luma: float = 60.0
    max_face_luma: float = 200.0
    min_face_contrast: float = 15.0
    min_eye_aspect_ratio: float = 0.15
    max_centre_offset: float = 0.25
    second_face_min_ratio: float = 0.5

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | object) -> BiometricSettings:
        """From the configuration's biometrics section (dataclass or mapping); unknown keys are ignored."""
        if dataclasses.is_dataclass(values) and not isinstance(values, type):
            values = dataclasses.asdict(values)
        if not isinstance(values, Mapping):
            raise TypeError(f"expected a mapping or a dataclass, got {type(values).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})
