#!/bin/sh
# Installs what the parser benchmark needs: the peers' Debian dev packages
# and valgrind (callgrind instruction counts). Not part of make test.
set -eu
exec "$(dirname "$0")/../../scripts/deps.sh" libre-dev libosip2-dev \
    libsofia-sip-ua-dev valgrind pkg-config build-essential
