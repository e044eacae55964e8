#!/usr/bin/env bash
# Cartesia), prometheus (for `promtool check rules|config` on infra/prometheus and infra/compose) and pgbouncer.
# Cartesia) and prometheus (for `promtool check rules|config` on infra/prometheus and infra/compose).
# Idempotent: does nothing when they are already there; apt-get update runs only when something is
# missing; sudo when not root. Without espeak-ng the speech tests skip with a reason instead of failing;
# without promtool the promtool checks of tests/infra skip with a reason; without pgbouncer its test skips.
set -euo pipefail
missing=()
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# chromium + chromium-driver: tests/console drive the company console in headless Chromium (selenium).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
# pgbouncer: tests/storage/test_pgbouncer.py and bench/bench_connections.py run calls behind a real one.
{ command -v pgbouncer || [ -x /usr/sbin/pgbouncer ]; } >/dev/null 2>&1 || missing+=(pgbouncer)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "==> installing ${missing[*]} (apt)"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v espeak-ng >/dev/null
command -v promtool >/dev/null
command -v chromedriver >/dev/null
[ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null
