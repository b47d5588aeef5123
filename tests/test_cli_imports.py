"""Building the ``egate`` command line loads none of the simulated devices (production processes such as
``egate run`` build it too)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_building_the_command_line_loads_no_simulated_device() -> None:
    code = (
        "import sys, gatectl.cli as cli; cli.build_parser(); "
        "print(sorted(m for m in sys.modules if m.startswith('hardware_mocks.') "
        "and m not in ('hardware_mocks.scenarios', 'hardware_mocks.scenarios.bench')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
