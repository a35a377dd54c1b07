#!/bin/sh
# The HTTP side of the daemon: liveness and readiness, Prometheus metrics,
# the admin API's bearer-token auth (missing, wrong, right; the token never
# reaches the log or --print-config), JSON errors for bad JSON, unknown
# paths and wrong methods, and JSON-lines logs.
. "$(dirname "$0")/lib.sh"

TOKEN=0123456789abcdef0123456789abcdef
printf '%s\n' "$TOKEN" >"$SW_TMP/token"
chmod 600 "$SW_TMP/token"

start_daemon --log-format json --set "http.token_file=$SW_TMP/token"
wait_listening "$SW_HTTP_PORT" tcp || fail "HTTP not listening on $SW_HTTP_PORT"
URL=http://127.0.0.1:$SW_HTTP_PORT

# code METHOD PATH [curl args...]: prints the HTTP status, body in $SW_TMP/body
code() {
    m=$1 p=$2
    shift 2
    curl -s -o "$SW_TMP/body" -w '%{http_code}' -X "$m" "$@" "$URL$p"
}
json_get() { # json_get EXPR: evaluates EXPR on the body parsed as j
    python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($1)" "$SW_TMP/body"
}

[ "$(code GET /healthz)" = 200 ] || fail "/healthz"
[ "$(json_get 'j["status"]')" = ok ] || fail "/healthz body"
# Readiness follows the workers; they are up once SIP listens.
i=0
while [ "$(code GET /readyz)" != 200 ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done
[ "$(json_get 'j["ready"]')" = True ] || fail "/readyz not ready"
[ "$(json_get 'j["store"]["backend"], j["store"]["state"]')" = "sqlite ok" ] \
    || fail "/readyz store: $(cat "$SW_TMP/body")"
code GET /healthz >/dev/null
[ "$(json_get 'j["store"]["backend"], j["store"]["state"]')" = "sqlite ok" ] \
    || fail "/healthz store: $(cat "$SW_TMP/body")"
pass "health and readiness"

[ "$(code GET /metrics)" = 200 ] || fail "/metrics"
python3 - "$SW_TMP/body" <<'PY' || fail "/metrics is not valid Prometheus text"
import re, sys
sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? [-+0-9.eE]+(Inf)?$')
types = {}
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("# TYPE "):
        _, _, name, t = line.split(" ", 3)
        assert name not in types, "duplicate TYPE " + name
        types[name] = t
    elif line.startswith("# HELP ") or not line:
        continue
    else:
        assert sample.match(line), "bad sample line: " + line
for need in ("sipward_sip_requests_total", "sipward_sip_responses_total",
             "sipward_sip_request_duration_seconds", "sipward_uptime_seconds",
             "sipward_stir_verifications_total", "sipward_redirects_total"):
    assert need in types, "missing " + need
PY
grep -q '^sipward_ready 1$' "$SW_TMP/body" || fail "sipward_ready"
pass "metrics"

# Auth: no token, wrong token, right token.
[ "$(code GET /api/v1)" = 401 ] || fail "no token: $(cat "$SW_TMP/body")"
[ "$(json_get 'j["error"]["status"]')" = 401 ] || fail "401 body is not a JSON error"
curl -s -D "$SW_TMP/hdr" -o /dev/null "$URL/api/v1"
grep -qi '^WWW-Authenticate: Bearer' "$SW_TMP/hdr" || fail "no WWW-Authenticate"
[ "$(code GET /api/v1 -H 'Authorization: Bearer nope-nope-nope-nope')" = 401 ] || fail "wrong token"
[ "$(code GET /api/v1 -H "Authorization: Basic $TOKEN")" = 401 ] || fail "wrong scheme"
AUTH="Authorization: Bearer $TOKEN"
[ "$(code GET /api/v1 -H "$AUTH")" = 200 ] || fail "right token: $(cat "$SW_TMP/body")"
[ "$(json_get 'j["version"] != ""')" = True ] || fail "api index"
pass "bearer token"

# JSON in: bad JSON, wrong type, unknown value, then a good request.
[ "$(code PUT /api/v1/log -H "$AUTH" -H 'Content-Type: application/json' -d '{"level": ')" = 400 ] \
    || fail "bad JSON: $(cat "$SW_TMP/body")"
json_get 'j["error"]["message"]' | grep -q 'invalid JSON' || fail "bad JSON message"
[ "$(code PUT /api/v1/log -H "$AUTH" -d '[1,2]')" = 400 ] || fail "array accepted"
[ "$(code PUT /api/v1/log -H "$AUTH" -d '{"level": 3}')" = 400 ] || fail "number accepted"
[ "$(code PUT /api/v1/log -H "$AUTH" -d '{"level": "loud"}')" = 422 ] || fail "bad level accepted"
[ "$(code PUT /api/v1/log -H "$AUTH" -H 'Content-Type: text/plain' -d '{}')" = 415 ] || fail "text/plain accepted"
[ "$(code PUT /api/v1/log -d '{"level": "debug"}')" = 401 ] || fail "PUT without token"
[ "$(code PUT /api/v1/log -H "$AUTH" -d '{"level": "debug"}')" = 200 ] || fail "set level"
[ "$(code GET /api/v1/log -H "$AUTH")" = 200 ] || fail "get level"
[ "$(json_get 'j["level"]')" = debug ] || fail "level not changed"
code PUT /api/v1/log -H "$AUTH" -d '{"level": "info"}' >/dev/null
# Oversized body: 413, still JSON.
python3 -c 'print("{\"level\": \"" + "x" * 70000 + "\"}")' >"$SW_TMP/big"
[ "$(code PUT /api/v1/log -H "$AUTH" --data-binary "@$SW_TMP/big")" = 413 ] || fail "huge body"
json_get 'j["error"]["status"]' >/dev/null || fail "413 body is not JSON"
pass "JSON errors"

[ "$(code GET /nope)" = 404 ] || fail "404"
[ "$(json_get 'j["error"]["status"]')" = 404 ] || fail "404 body"
[ "$(code DELETE /healthz)" = 405 ] || fail "405"
pass "404 and 405"

stop_daemon
[ "$SW_EXIT" -eq 0 ] || fail "exit $SW_EXIT"
# Every line of the log is one JSON object; the token is nowhere.
python3 - "$SW_LOG" <<'PY' || fail "log is not JSON lines"
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert {"ts", "level", "module", "msg"} <= o.keys(), line
    n += 1
assert n > 0
PY
grep -q "$TOKEN" "$SW_LOG" && fail "the token is in the log"
pass "JSON-lines log without the token"

# --print-config never shows http.token; --check-config validates.
"$SIPWARD" serve --print-config --set "http.token=$TOKEN" >"$SW_TMP/cfg" || fail "print-config"
grep -q "$TOKEN" "$SW_TMP/cfg" && fail "print-config shows the token"
grep -q '^token = (set)$' "$SW_TMP/cfg" || fail "print-config token line"
"$SIPWARD" serve --check-config >"$SW_TMP/out" 2>&1 || fail "check-config on defaults"
grep -q "configuration OK" "$SW_TMP/out" || fail "check-config message"
printf '[http]\nlisten = nocolon\n' >"$SW_TMP/bad.ini"
"$SIPWARD" serve --check-config --config "$SW_TMP/bad.ini" 2>"$SW_TMP/err"; rc=$?
[ $rc -eq 2 ] || fail "check-config on a bad file: exit $rc"
grep -q "http.listen" "$SW_TMP/err" || fail "check-config does not name the option"
"$SIPWARD" serve --check-config --set http.token=short 2>"$SW_TMP/err"; rc=$?
[ $rc -eq 2 ] || fail "short token accepted"
grep -q short "$SW_TMP/err" && grep -q "http.token" "$SW_TMP/err" || fail "short token message"
pass "print-config and check-config"
