#!/bin/sh
# Installs what `make bench` needs on top of scripts/deps.sh (which brings
# SIPp, Kamailio and its secsipid module): the parser peers' -dev packages
# (libre, oSIP, sofia-sip), valgrind (callgrind instruction counts),
# gnuplot and a font (the plots of docs/PERFORMANCE.md),
# python3-cryptography (bench/stir-service signs its PASSporTs with it),
# GNU time (the peers' load script times SIPp). Idempotent.
set -eu
D=$(dirname "$0")
"$D/deps.sh"
"$D/deps.sh" libre-dev libosip2-dev libsofia-sip-ua-dev valgrind \
    gnuplot-nox fonts-dejavu-core python3-cryptography time util-linux
