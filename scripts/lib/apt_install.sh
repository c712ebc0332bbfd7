# Sourced by scripts/ci.d/*.sh: apt_install PACKAGE... installs Debian packages quietly, running
# `apt-get update` only when a first try fails. Returns non-zero (never exits) when they cannot be installed.
apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  [ "$(id -u)" -eq 0 ] || return 1
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 && return 0
  apt-get update -q >/dev/null 2>&1 || true
  apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1
}
