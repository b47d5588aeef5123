#!/usr/bin/env bash
# Idempotent set-up: Debian packages, a .venv, the Python dependencies and egate itself.
# A second run checks what is there and returns in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(pcscd libpcsclite-dev swig vsmartcard-vpcd socat chromium libopenjp2-7 pcsc-tools)
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

# Re-install only when the dependency declarations change.
stamp="$VENV/.egate-setup-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    say "installing Python dependencies (dlib-bin, face_recognition, pyscard, ...)"
    "$VENV/bin/pip" install --progress-bar off -e ".[dev]"
    # face_recognition pins the dlib source package; dlib-bin (already installed) provides the module.
    "$VENV/bin/pip" install --progress-bar off --no-deps "face_recognition==1.3.0"
    rm -f "$VENV"/.egate-setup-*
    touch "$stamp"
else
    say "Python dependencies up to date"
fi
"$VENV/bin/python" -c "import face_recognition, smartcard, pymodbus, cv2" \
    || { say "import check failed; remove $VENV and run again"; exit 1; }
say "ready"
