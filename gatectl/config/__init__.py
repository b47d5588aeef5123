"""Gate configuration: one TOML file, validated by pydantic before any device is touched.

Every problem is reported with the key's dotted name and what was expected, all of them at once, so a
technician fixes a file in one pass (:class:`ConfigError`; the CLI exits 2). Types are strict (``"5"`` is not
a number), unknown keys are refused, and ranges are checked: timeouts are finite and above zero, counts are
not negative. Strings may use ``${VAR}`` or ``${VAR:-default}`` from the environment (the simulated gate uses
it for its run directory). Relative paths are taken from the configuration file's folder.

Sections that belong to another module are that module's own class, plugged in here:
``[biometrics]`` is :class:`biometrics.settings.BiometricSettings`, ``[policy]`` is
:class:`gatectl.policy.PolicySettings` (a pydantic model of its own), ``[timeouts]`` and ``[retries]`` are
:class:`gatectl.machine.Timeouts` and :class:`gatectl.machine.Retries` (the state table names which timeout
bounds which state). A stdlib dataclass gets a strict pydantic model built from its fields
(:func:`dataclass_section`), so those packages need no pydantic.

A gate without trust material could verify no document: ``trust.paths`` must name at least one existing file
or folder. ``gate.simulated = true`` marks the simulated gate: its trust store and audit key are created by
the rig in its run directory, so they need not exist when the file is loaded.
"""

from gatectl.config.errors import ConfigError
from gatectl.config.loading import (
    BUILTIN_SIMULATED,
    builtin_simulated_text,
    config_from_data,
    load_config,
    parse_config,
)
from gatectl.config.sections import (
    AuditSection,
    BiometricsSection,
    CameraSection,
    Config,
    DevicesSection,
    GateConfig,
    GateSection,
    IoSection,
    ListsSection,
    MrzSection,
    ReaderSection,
    RetriesSection,
    TimeoutsSection,
    TrustSection,
    UiSection,
)

__all__ = [
    "BUILTIN_SIMULATED",
    "AuditSection",
    "BiometricsSection",
    "CameraSection",
    "Config",
    "ConfigError",
    "DevicesSection",
    "GateConfig",
    "GateSection",
    "IoSection",
    "ListsSection",
    "MrzSection",
    "ReaderSection",
    "RetriesSection",
    "TimeoutsSection",
    "TrustSection",
    "UiSection",
    "builtin_simulated_text",
    "config_from_data",
    "load_config",
    "parse_config",
]
