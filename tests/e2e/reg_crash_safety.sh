#!/bin/sh
# Crash safety, short: three SIGKILLs during a mixed write load (admin API
# user writes, authenticated REGISTERs, `sipward moved add|remove`); after
# each one the store passes PRAGMA integrity_check and holds every write
# that was acknowledged, and the restarted daemon serves them. `make
# crashsafe` runs the same with 50 kills.
. "$(dirname "$0")/lib.sh"

python3 "$SW_SRC/tests/crashsafe.py" --sipward "$SIPWARD" --kills 3 \
    --max-seconds 240 >"$SW_TMP/crashsafe.out" 2>&1
rc=$?
cat "$SW_TMP/crashsafe.out"
[ $rc = 0 ] || fail "crash safety (see above)"
grep -q "^kill  3: .*: ok$" "$SW_TMP/crashsafe.out" || fail "third kill not checked"
pass "three SIGKILLs, nothing acknowledged lost"
