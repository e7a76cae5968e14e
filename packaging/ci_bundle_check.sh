#!/usr/bin/env bash
# CI step: build the bundle in a clean venv, then run its checks and its frozen self-test
# (tests/test_bundle.py, `pytest -m bundle`), with random weights (no weights on CI).
# Takes minutes (see packaging/README.md for the figures); the bundle is deleted afterwards
# unless KEEP_BUNDLE=1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export QT_QPA_PLATFORM=offscreen
started=$(date +%s)
packaging/build.sh
trap '[ "${KEEP_BUNDLE:-0}" = 1 ] || rm -rf "$ROOT/dist/PhotoOrganizer" "$ROOT/build/pyinstaller"' EXIT
PHOTO_ORGANIZER_BUNDLE="$ROOT/dist/PhotoOrganizer" \
    .venv/bin/python -m pytest -q -s -m bundle -p no:cacheprovider tests/test_bundle.py
echo "== bundle check done in $(( $(date +%s) - started )) s"
