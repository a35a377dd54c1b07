#!/bin/sh
# sipward reference --html DIR: the site has every page, every local link
# resolves (code and comparison pages link both ways), and pages render in
# headless Chromium. Screenshots are kept as artifacts under
# $SW_BUILD/artifacts/reference/ (never committed).
. "$(dirname "$0")/lib.sh"

SITE=$SW_TMP/site
SHOTS=${SW_BUILD:-$SW_TMP}/artifacts/reference
mkdir -p "$SHOTS" || fail "cannot create $SHOTS"

"$SIPWARD" reference 2>"$SW_TMP/err"; rc=$?
[ $rc -eq 2 ] || fail "reference without --html: exit $rc, want 2"
"$SIPWARD" reference --html "$SITE/nested" >"$SW_TMP/out" || fail "reference exit $?"
grep -q "wrote 75 code pages" "$SW_TMP/out" || fail "summary: $(cat "$SW_TMP/out")"
# Writing twice into the same directory is fine (regeneration).
"$SIPWARD" reference --html "$SITE/nested" >/dev/null || fail "regenerate exit $?"
SITE=$SITE/nested
pass "site written"

"$SIPWARD" explain --list --json >"$SW_TMP/codes.json" || fail "explain --list"
pairs=$("$SIPWARD" compare --list --json | python3 -c '
import json, sys
print(" ".join("%d-%d" % (p["a"], p["b"]) for p in json.load(sys.stdin)))')
[ -n "$pairs" ] || fail "no pairs listed"
python3 "$SW_E2E/reference_links.py" "$SITE" "$SW_TMP/codes.json" "$pairs" \
    >"$SW_TMP/links" 2>&1 || { cat "$SW_TMP/links" >&2; fail "links"; }
pass "$(tail -n 1 "$SW_TMP/links")"

# Content: the page for 438 carries the catalog's text, escaped.
grep -q "<h1>438 Invalid Identity Header</h1>" "$SITE/code-438.html" \
    || fail "code-438 title"
grep -q "&quot;Invalid PASSporT&quot;" "$SITE/code-438.html" \
    || fail "code-438 text not escaped as expected"
grep -q 'href="compare-301-438.html"' "$SITE/code-301.html" \
    || fail "301 does not link to its comparison with 438"

CHROMIUM=$(command -v chromium || command -v chromium-browser) \
    || fail "chromium not installed (scripts/deps.sh installs it)"
shot() { # page width height
    out=$SHOTS/$(basename "$1" .html)-$2.png
    rm -f "$out"
    prof=$(mktemp -d "$SW_TMP/chrome.XXXXXX")
    timeout -k 5 40 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
        --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --hide-scrollbars \
        --user-data-dir="$prof" --screenshot="$out" \
        --window-size="$2,$3" "file://$SITE/$1" >"$SW_TMP/chrome.log" 2>&1
    [ -s "$out" ] || { tail -n 5 "$SW_TMP/chrome.log" >&2; fail "no screenshot of $1"; }
    python3 "$SW_E2E/reference_shot.py" "$out" "$2" "$3" || fail "render of $1"
}
shot index.html 1280 900
shot code-438.html 1280 900
shot code-199.html 1280 900
shot compare-301-438.html 1280 900
shot compare-436-437.html 1280 900
shot index.html 420 900
pass "rendered in Chromium; screenshots in $SHOTS"
pass "reference_html"
