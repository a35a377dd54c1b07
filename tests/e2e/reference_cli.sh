#!/bin/sh
# sipward explain / compare: every registered code is explained with every
# field, compare agrees with explain, JSON parses, unregistered codes get
# their class's meaning, and anything else is a usage error (exit 2) that
# names the nearest registered codes.
. "$(dirname "$0")/lib.sh"

python3 "$SW_E2E/reference_cli.py" "$SIPWARD" >"$SW_TMP/check" 2>&1 \
    || { cat "$SW_TMP/check" >&2; fail "explain/compare consistency"; }
pass "$(tail -n 1 "$SW_TMP/check")"

# The registry as IANA lists it: a few phrases people get wrong.
for c in "301 Moved Permanently" "438 Invalid Identity Header" \
    "428 Use Identity Header" "436 Bad Identity Info" \
    "437 Unsupported Credential" "199 Early Dialog Terminated" \
    "204 No Notification" "555 Push Notification Service Not Supported" \
    "580 Precondition Failure" "607 Unwanted" "608 Rejected"; do
    "$SIPWARD" explain "${c%% *}" | head -n 1 | grep -qx "$c" \
        || fail "explain ${c%% *}: want '$c'"
done
n=$("$SIPWARD" explain --list | grep -cE '^  [1-6][0-9][0-9]  ')
[ "$n" -eq 75 ] || fail "explain --list shows $n codes, want 75"
pass "explain --list: $n codes"

# --brief: one paragraph for other commands' failure messages.
"$SIPWARD" explain 438 --brief | tr '\n' ' ' \
    | grep -q "^438 Invalid Identity Header (4xx Client Failure, RFC 8224): None of the Identity .* Fix: Make sure" \
    || fail "explain --brief"
[ "$("$SIPWARD" explain 486 --brief | awk 'length > 78' | wc -l)" -eq 0 ] \
    || fail "explain --brief exceeds 78 columns"
pass "explain --brief"

# Unregistered but in range: generic meaning, says so, exit 0.
"$SIPWARD" explain 499 >"$SW_TMP/out" || fail "explain 499 exit $?"
head -n 1 "$SW_TMP/out" | grep -qx "499 Client Failure (not registered)" \
    || fail "explain 499 header: $(head -n 1 "$SW_TMP/out")"
tr "\n" " " <"$SW_TMP/out" | tr -s " " | grep -q "treats it as 400 Bad Request" || fail "499 treated-as"
"$SIPWARD" explain 150 --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["registered"] is False and d["treated_as"] == 183, d
assert d["class"] == "Provisional" and d["meaning"], d
' || fail "explain 150 --json"
pass "unregistered codes get their class meaning"

# Errors: exit 2, one line, nearest registered codes named.
check_err() { # args... ; then expected substring in $want
    "$SIPWARD" "$@" >"$SW_TMP/out" 2>"$SW_TMP/err"; rc=$?
    [ $rc -eq 2 ] || fail "$* exit $rc, want 2"
    [ ! -s "$SW_TMP/out" ] || fail "$* printed to stdout"
    [ "$(wc -l <"$SW_TMP/err")" -eq 1 ] || fail "$* error is not one line"
    grep -qF "$want" "$SW_TMP/err" || fail "$*: '$(cat "$SW_TMP/err")' lacks '$want'"
}
want="608 Rejected, 607 Unwanted, 606 Not Acceptable"; check_err explain 999
want="430 Flow Failed, 433 Anonymity Disallowed"; check_err explain 43
want="438 Invalid Identity Header"; check_err explain 4380
want="100 Trying"; check_err explain 99
want="outside the SIP response-code range"; check_err explain -5
want="486 Busy Here, 600 Busy Everywhere"; check_err explain busy
want="give a number from 100 to 699"; check_err explain xyz
want="exactly one"; check_err explain
want="exactly one"; check_err explain 301 302
want="unknown option"; check_err explain 301 --bogus
want="exactly two"; check_err compare 301
want="two different codes"; check_err compare 301 301
want="608 Rejected"; check_err compare 301 700
want="exclude each other"; check_err explain 438 --json --brief
want="unknown option '--brief'"; check_err compare 301 302 --brief
pass "invalid codes: exit 2 with suggestions"
pass "reference_cli"
