#!/usr/bin/env bash
# The project's test command (README "Run the tests"; CI runs exactly this via .ci/run).
# Installs everything from the project's own files, then lints and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-packages.sh
python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
python -m ruff check .
python -m ruff format --check .
python -m pytest -q
