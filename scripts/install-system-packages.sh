#!/usr/bin/env bash
# System packages the test suite needs beyond Python (none are needed to run the app).
# Installed only when missing, so repeated CI runs on a warm machine stay fast.
set -euo pipefail
PACKAGES=()
if [ "${#PACKAGES[@]}" -gt 0 ]; then
  missing=()
  for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
  fi
fi
