# Shared helpers for scripts/demo and scripts/test. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
# Debian marks its system Python as externally managed (PEP 668); voicebot installs into it on purpose
# (the README contract: no virtualenv). Harmless where the marker is absent.
export PIP_BREAK_SYSTEM_PACKAGES=1
export PIP_DISABLE_PIP_VERSION_CHECK=1

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  # apt_install PKG... : install Debian packages that are missing (runs apt-get update once).
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "==> installing ${missing[*]} (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_pip() {
  if ! "$PY" -m pip --version >/dev/null 2>&1; then
    apt_install python3-pip
  fi
}

pip_install() {
  # pip_install ARGS... : quiet install; user site when the system site is not writable.
  "$PY" -m pip install -q "$@"
}
