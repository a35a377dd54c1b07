#!/bin/sh
# Installs what the parser benchmark needs: the peers' Debian dev packages
# and valgrind (callgrind instruction counts). Not part of make test.
set -eu
PKGS="libre-dev libosip2-dev libsofia-sip-ua-dev valgrind pkg-config
build-essential"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "bench deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
