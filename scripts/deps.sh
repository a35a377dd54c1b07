#!/bin/sh
# Installs the Debian packages sipward needs to build, test and run, or the
# packages named as arguments (scripts/bench-deps.sh, bench/parsers).
# Idempotent: apt-get runs only when something is missing.
set -eu

PKGS="$*"
[ -n "$PKGS" ] || PKGS="build-essential cmake pkg-config clang clang-format
libssl-dev openssl libcurl4-openssl-dev libjansson-dev libsqlite3-dev sqlite3
libpq-dev libmicrohttpd-dev libinih-dev libcmocka-dev
sip-tester python3 iproute2 curl procps
libsystemd-dev systemd man-db chromium
kamailio kamailio-secsipid-modules
postgresql postgresql-client"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
