#!/usr/bin/env bash
# Install everything the test suite needs and run the whole suite headless.
#
#   bash tests/run.sh [PYTEST ARGUMENTS]
#
# 1. System packages (Debian/Ubuntu, via apt-get, with sudo unless root): Xvfb
#    and Qt's xcb libraries for the napari tests, and the distribution's PoCL,
#    a CPU OpenCL driver whose compiler knows recent processors.
# 2. oclip with its test, napari, PyQt6, PoCL, workflow and cluster extras, into the active
#    virtual environment, or into .venv here if none is active.
# 3. The static checks: import-linter (the layering contracts of pyproject.toml) and mypy
#    (over src/oclip); a failure stops the run.
# 4. pytest under a virtual X server.  OCLIP_DEVICE picks the OpenCL device.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    xvfb xauth libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
    libxcb-render-util0 libxcb-xinerama0 libxcb-xinput0 libxcb-xfixes0 libxcb-shape0
    libxcb-cursor0 libegl1 libdbus-1-3 libfontconfig1 pocl-opencl-icd
)
if command -v dpkg-query >/dev/null && command -v apt-get >/dev/null; then
    missing=()
    for package in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
            || missing+=("$package")
    done
    if ((${#missing[@]})); then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        echo "Installing system packages: ${missing[*]}"
        $sudo apt-get update -q
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
            "${missing[@]}"
    fi
else
    echo "No apt-get here: install Xvfb (xvfb-run), Qt's xcb libraries and an OpenCL driver" \
         "yourself." >&2
fi

if [ -z "${VIRTUAL_ENV:-}" ]; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    # shellcheck disable=SC1091
    . .venv/bin/activate
fi
python -m pip install -q --upgrade pip
python -m pip install -q -e ".[test,napari,pyqt6,pocl,workflow,cluster]"

echo "lint-imports: the layering contracts"
"$VIRTUAL_ENV/bin/lint-imports"
echo "mypy: src/oclip"
python -m mypy

exec xvfb-run -a -s "-screen 0 1280x1024x24" python -m pytest "$@"
