#!/usr/bin/env bash
# Build the one-folder desktop bundle: dist/PhotoOrganizer/ (two executables, one folder).
#
#   packaging/build.sh [--weights DIR] [--clean]
#
# --weights DIR  bundle installed model weights: DIR holds <MODEL NAME>/model.safetensors and
#                manifest.json, as `photo-organizer models import` writes them under the data
#                home's weights/ folder; the frozen app then works fully offline.
# --clean        recreate the build venv and PyInstaller's work folder.
#
# The build runs in its own venv (build/bundle-venv) made from constraints.txt and the core
# dependencies only: PyInstaller's torch hook collects every optional package it finds installed
# (onnxruntime, matplotlib, pytest...), so a developer venv would leak them into the bundle. The
# venv is reused while pyproject.toml, constraints.txt and this script are unchanged.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

WEIGHTS=""
CLEAN=0
while [ $# -gt 0 ]; do
    case "$1" in
        --weights) WEIGHTS="$(cd "$2" && pwd)"; shift 2 ;;
        --clean) CLEAN=1; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

VENV="$ROOT/build/bundle-venv"
STAMP="$VENV/.inputs.sha256"
PYTHON="${PYTHON:-python3}"
inputs_digest() { cat pyproject.toml constraints.txt packaging/build.sh | sha256sum | cut -d' ' -f1; }

if [ "$CLEAN" = 1 ]; then
    rm -rf "$VENV" "$ROOT/build/pyinstaller"
fi
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$(inputs_digest)" ]; then
    echo "== build venv: $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    # The core dependencies and PyInstaller; not the dev or raw extras.
    "$VENV/bin/pip" install -q -c constraints.txt -e '.[packaging]'
    inputs_digest > "$STAMP"
fi

echo "== pyinstaller"
started=$(date +%s)
PHOTO_ORGANIZER_BUNDLE_WEIGHTS="$WEIGHTS" "$VENV/bin/pyinstaller" \
    --noconfirm --clean --log-level WARN \
    --workpath "$ROOT/build/pyinstaller" --distpath "$ROOT/dist" \
    packaging/photo_organizer.spec
echo "== built dist/PhotoOrganizer in $(( $(date +%s) - started )) s, $(du -sh dist/PhotoOrganizer | cut -f1)"
