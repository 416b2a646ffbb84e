#!/usr/bin/env bash
# System packages the test suite needs beyond Python (none are needed to run the app).
# Installed only when missing, so repeated CI runs on a warm machine stay fast.
#   chromium: the real browser of the end-to-end tests (tests/e2e) and the load benchmark,
#             driven by the Python `playwright` package (requirements-dev.txt) through
#             executable_path=/usr/bin/chromium (Playwright's own browser download is not used).
#   nginx:    the load balancer of scripts/serve.sh (N app workers, sticky sessions) and of
#             its end-to-end test (tests/e2e/test_serve_workers.py). serve.sh runs it as the
#             invoking user with its own config, pid and logs in a run directory; the
#             package's system service is not needed (`systemctl disable --now nginx` if unwanted).
#   r-base-core, r-cran-survival, r-cran-cmprsk: R, to run the downloadable R scripts on their
#             exported data in the tests (tests/core/present/test_rcode.py) and compare R's
#             numbers with the app's. (Frozen R reference values need no R at test time.)
# Quiet on success; on failure the apt log is printed and the script exits non-zero.
set -euo pipefail
PACKAGES=(chromium nginx r-base-core r-cran-survival r-cran-cmprsk)
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
