#!/bin/sh
# The status page at / as a browser shows it: headless Chromium renders it
# (DOM dump checked for every section, with real numbers that move as the
# daemon works) and takes a screenshot, kept as $SW_BUILD/status_page.png.
# Skips cleanly where Chromium is not installed.
. "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    echo "skip: chromium not installed (scripts/deps.sh installs it)"
    exit 0
fi
cd "$SW_TMP" || fail "cd"
printf 'status-page-token-0123456789\n' >token
chmod 600 token
start_daemon --set "http.token_file=$SW_TMP/token"
wait_listening "$SW_HTTP_PORT" tcp || fail "HTTP not listening"
URL=http://127.0.0.1:$SW_HTTP_PORT
curl -s -X PUT -H "Authorization: Bearer $(cat token)" \
    -d '{"uri":"sip:walter@moved.example","note":"<b>not bold</b>"}' \
    "$URL/api/v1/moved/sip:walter@example.com" >/dev/null

browse() { # browse OUTFLAG...: one headless run, bounded in time
    timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --user-data-dir="$(mktemp -d "$SW_TMP/chrome.XXXXXX")" \
        --window-size=1280,900 "$@" "$URL/" 2>>chromium.log
}

sleep 2 # two rate samples: the rate cells then show numbers, not dashes
browse --dump-dom >dom.html || fail "chromium --dump-dom failed: $(tail -5 chromium.log)"
for id in overview traffic verification moved failures; do
    grep -q "<section id=\"$id\"" dom.html || fail "section $id not rendered"
done
grep -q 'id="state">ready<' dom.html || fail "readiness pill"
grep -q 'sip:walter@moved.example' dom.html || fail "moved entry not shown"
grep -q '&lt;b&gt;not bold&lt;/b&gt;' dom.html || fail "note not escaped"
grep -q '<b>not bold</b>' dom.html && fail "note rendered as HTML"
grep -q '/s</td>' dom.html || fail "no rates after 2 s"
grep -q 'No verifications yet' dom.html || fail "empty verification section"
up1=$(sed -n 's/.*id="uptime">\([^<]*\)<.*/\1/p' dom.html)
[ -n "$up1" ] || fail "no uptime"
pass "status page renders (uptime $up1)"

# The page has no script: what the browser shows is what the daemon sent.
grep -qi '<script' dom.html && fail "the page carries a script"

SHOT=${SW_BUILD:-$SW_TMP}/status_page.png
rm -f "$SHOT"
browse --screenshot="$SHOT" >/dev/null || fail "chromium --screenshot failed"
python3 - "$SHOT" <<'PY' || fail "screenshot is not a 1280x900 PNG with content"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (1280, 900), (w, h)
# Decompress the image: a blank page is a few distinct bytes, ours is not.
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
assert len(set(raw)) > 32, "blank screenshot"
PY
pass "screenshot $SHOT"
stop_daemon
