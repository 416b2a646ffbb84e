#!/usr/bin/env bash
# System packages the test suite needs beyond Python (none are needed to run the app).
# Installed only when missing, so repeated CI runs on a warm machine stay fast.
#   chromium: the real browser of the end-to-end tests (tests/e2e) and the load benchmark,
#             driven by the Python `playwright` package (requirements-dev.txt) through
#             executable_path=/usr/bin/chromium (Playwright's own browser download is not used).
# Quiet on success; on failure the apt log is printed and the script exits non-zero.
set -euo pipefail
PACKAGES=(chromium)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  log="$(mktemp)"
  echo "Installing system packages: ${missing[*]}"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "error: could not install ${missing[*]} (see the apt output above)" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
fi
