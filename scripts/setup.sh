#!/usr/bin/env bash
# Idempotent set-up: Debian packages, a .venv, the Python dependencies and egate itself.
# A second run checks what is there and returns in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

# pcscd + vsmartcard-vpcd: the PC/SC daemon and the virtual reader that the simulated chip plugs into (tests,
#   egate rig/demo; a real gate needs pcscd and its reader's driver).
# libpcsclite-dev + swig: pyscard has no Linux wheel on PyPI and is built from source against them.
# chromium: the browser tests of the web pages (Playwright drives Debian's chromium; it cannot download its own).
# Pillow and OpenCV bring their own OpenJPEG; nothing here uses socat or pcsc-tools.
APT_PACKAGES=(pcscd vsmartcard-vpcd libpcsclite-dev swig chromium)
VENV=.venv
PY=${PYTHON:-python3}

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    say "installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    say "Debian packages present"
fi

if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
fi

# hardware_mocks (the simulated devices, sample faces, a test passport) is not part of the wheel: put the
# checkout on the venv's path so that the tests, `egate demo` and `egate rig` find it.
site_dir=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
[ "$(cat "$site_dir/egate-checkout.pth" 2>/dev/null)" = "$PWD" ] || printf '%s\n' "$PWD" >"$site_dir/egate-checkout.pth"

# Re-install only when the dependency declarations change.
stamp="$VENV/.egate-setup-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    say "installing Python dependencies (dlib-bin, face_recognition, pyscard, ...)"
    "$VENV/bin/pip" install --progress-bar off -e ".[dev,plots]"
    # face_recognition requires the dlib source package (a 15-minute build); dlib-bin (installed above) is the
    # same library prebuilt, so it goes in without its dependencies (see biometrics/stock.py).
    "$VENV/bin/pip" install --progress-bar off --no-deps "face_recognition==1.3.0"
    rm -f "$VENV"/.egate-setup-*
    touch "$stamp"
else
    say "Python dependencies up to date"
fi
"$VENV/bin/python" -c "import face_recognition, smartcard, pymodbus, cv2, gatectl.config, hardware_mocks" \
    || { say "import check failed; remove $VENV and run again"; exit 1; }
say "ready"
