#!/bin/sh
# The certificate cache and the trust anchors through the admin API and
# the CLI: GET /api/v1/certs lists what STI-VS fetched (pass/fail, reason,
# subject, notAfter, hits); DELETE flushes one URL or all, and the next
# call fetches again; POST /api/v1/trust/reload (and SIGHUP) swaps the
# anchors and drops the results validated against the old ones; a broken
# directory keeps the running anchors. Every route refuses a missing or
# wrong token. /metrics counts the lookups and fetches, and shows the
# cache size and the requests waiting for a certificate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sti_common.inc"

cd "$SW_TMP" || fail "cd"
make_pki
start_certs
mkdir trust
cp "$P/trust/root.pem" trust/
TOKEN=0123456789abcdef0123456789abcdef
printf '%s\n' "$TOKEN" >token
chmod 600 token
SW_HTTP_PORT=$(free_port)
cat >sipward.ini <<INI
[http]
listen = 127.0.0.1:$SW_HTTP_PORT
token_file = $SW_TMP/token
[store]
path = $SW_TMP/var/sipward.db
[stir]
trust = $SW_TMP/trust
http_hosts = 127.0.0.1
private_hosts = 127.0.0.1
fetch_timeout_ms = 3000
# Failures stay cached for the whole test, however slow the machine.
cache_neg_ttl = 3600
INI
start_daemon --config sipward.ini
wait_listening "$SW_HTTP_PORT" tcp || fail "HTTP not listening"
API=http://127.0.0.1:$SW_HTTP_PORT/api/v1
AUTH="Authorization: Bearer $TOKEN"
A=12155551212

req() {
    curl -s -o body -w '%{http_code}' -X "$1" -H "$AUTH" "$API$2"
}
jq_() { python3 -c "import json,sys; j=json.load(open('body')); print($1)"; }
errmsg() { jq_ 'j["error"]["message"]'; }
# cert URL FIELD: one field of URL's row in the last listing ("" if absent)
cert() {
    python3 -c "
import json, sys
rows = [c for c in json.load(open('body'))['certs'] if c['url'] == sys.argv[1]]
print(rows[0].get(sys.argv[2], '') if rows else '')" "$1" "$2"
}
fetches() { grep -c "GET /$1" "$SW_TMP/http.log"; }
# hup TEXT: SIGHUP, then waits up to 10 s for one more log line with TEXT
hup() {
    n=$(grep -c "$1" "$SW_LOG")
    kill -HUP "$SW_PID"
    i=0
    while [ "$(grep -c "$1" "$SW_LOG")" -le "$n" ] && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ $i -lt 100 ]
}
# metric NAME_AND_LABELS: its value now (0 when absent)
metric() {
    curl -s "http://127.0.0.1:$SW_HTTP_PORT/metrics" \
        | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}
HIT='sipward_stir_cert_lookups_total{result="hit"}'
MISS='sipward_stir_cert_lookups_total{result="miss"}'
FAILED='sipward_stir_cert_lookups_total{result="failure"}'
FETCHED=sipward_stir_cert_fetch_duration_seconds_count
# rest_verify ID: the verstat the REST verification gives ID from $A
rest_verify() {
    python3 -c "
import json, sys
print(json.dumps({'verificationRequest': {'from': {'tn': '$A'},
    'to': {'tn': ['12155551213']}, 'identity': sys.argv[1]}}))" "$1" >vreq
    curl -s -X POST -H 'Content-Type: application/json' --data-binary @vreq \
        "http://127.0.0.1:$SW_HTTP_PORT/stir/v1/verification" \
        | python3 -c "import json,sys; print(json.load(sys.stdin)['verificationResponse']['verstat'])"
}

# --- the token ---
for r in "GET /certs" "DELETE /certs" "POST /trust/reload"; do
    set -- $r
    [ "$(curl -s -o body -w '%{http_code}' -X "$1" "$API$2")" = 401 ] \
        || fail "$r without a token: $(cat body)"
    errmsg | grep -q "missing credentials" || fail "$r: $(cat body)"
    [ "$(curl -s -o body -w '%{http_code}' -X "$1" -H 'Authorization: Bearer nope' "$API$2")" = 401 ] \
        || fail "$r with a wrong token"
done
[ "$(req PUT /certs)" = 405 ] || fail "PUT /certs: $(cat body)"
pass "certificate and trust routes need the token"

[ "$(req GET /certs)" = 200 ] || fail "GET /certs: $(cat body)"
[ "$(jq_ 'len(j["certs"])')" = 0 ] || fail "cache not empty at start: $(cat body)"

# --- list: what verification put there ---
T0=$(date +%s)
h0=$(metric "$HIT"); m0=$(metric "$MISS"); x0=$(metric "$FAILED"); d0=$(metric $FETCHED)
invite first 302 "P-Asserted-Identity:" "verstat=TN-Validation-Passed" \
    "$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213)" $A
invite again 302 "P-Asserted-Identity:" "verstat=TN-Validation-Passed" \
    "$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213)" $A
[ "$(rest_verify "$(sign_id "$U/sp.key" "$X5U/rogue.pem" $A 12155551213)")" = TN-Validation-Failed ] \
    || fail "rogue certificate passed"
[ "$(req GET /certs)" = 200 ] || fail "GET /certs"
[ "$(jq_ 'len(j["certs"])')" = 2 ] || fail "expected 2 entries: $(cat body)"
[ "$(cert "$X5U/sp.pem" state)" = pass ] || fail "sp.pem state: $(cat body)"
[ "$(cert "$X5U/sp.pem" hits)" -ge 1 ] || fail "sp.pem hits: $(cat body)"
cert "$X5U/sp.pem" subject | grep -q "CN=" || fail "sp.pem subject: $(cat body)"
[ "$(cert "$X5U/sp.pem" not_after)" -gt "$T0" ] || fail "sp.pem notAfter: $(cat body)"
[ "$(cert "$X5U/sp.pem" fetched_at)" -ge $((T0 - 1)) ] || fail "fetched_at: $(cat body)"
[ "$(cert "$X5U/sp.pem" expires_at)" -gt "$T0" ] || fail "expires_at: $(cat body)"
[ "$(cert "$X5U/rogue.pem" state)" = fail ] || fail "rogue state: $(cat body)"
[ "$(cert "$X5U/rogue.pem" code)" = 437 ] || fail "rogue code: $(cat body)"
[ -n "$(cert "$X5U/rogue.pem" error)" ] || fail "rogue has no reason: $(cat body)"
cert "$X5U/rogue.pem" subject | grep -q "CN=" || fail "rogue subject: $(cat body)"
pass "GET /certs: pass and fail entries with subject, notAfter, hits"
[ $(($(metric "$MISS") - m0)) -eq 1 ] || fail "misses: $(($(metric "$MISS") - m0)), not 1"
[ $(($(metric "$FAILED") - x0)) -ge 1 ] || fail "no failed lookup counted"
[ $(($(metric "$HIT") - h0)) -ge 1 ] || fail "no cache hit counted"
[ $(($(metric $FETCHED) - d0)) -eq 2 ] || fail "fetch latency observed $(($(metric $FETCHED) - d0)) times, not 2"
[ "$(metric sipward_stir_cert_cache_entries)" = 2 ] || fail "cache entries gauge is not 2"
pass "metrics: lookups (hit, miss, failure), fetch latency, cache size"

"$SIPWARD" certs list -c sipward.ini >list 2>err || fail "certs list: $(cat err)"
grep -q "^pass	$X5U/sp.pem	[1-9][0-9]*	20.*	CN=" list || fail "certs list: $(cat list)"
grep -q "^fail	$X5U/rogue.pem	[0-9]*	.*	437 certificate from " list || fail "certs list fail row: $(cat list)"
"$SIPWARD" certs list --json -c sipward.ini | grep -q '"state": "pass"' || fail "certs list --json"
pass "sipward certs list"

# --- flush ---
[ "$(req DELETE "/certs?url=$X5U/nothing.pem")" = 404 ] || fail "flush unknown URL: $(cat body)"
errmsg | grep -q "not in the certificate cache" || fail "flush unknown: $(cat body)"
[ "$(req DELETE '/certs?url=')" = 400 ] || fail "flush with an empty url: $(cat body)"
[ "$(fetches sp.pem)" = 1 ] || fail "sp.pem fetched $(fetches sp.pem) times before the flush"
"$SIPWARD" certs flush "$X5U/sp.pem" -c sipward.ini >out 2>&1 || fail "certs flush URL: $(cat out)"
grep -q "^1 cached certificates flushed" out || fail "certs flush said: $(cat out)"
[ "$(req GET /certs)" = 200 ] && [ "$(cert "$X5U/sp.pem" state)" = "" ] \
    || fail "sp.pem still cached: $(cat body)"
[ "$(cert "$X5U/rogue.pem" state)" = fail ] || fail "flushing one URL dropped another"
invite refetch 302 "P-Asserted-Identity:" "verstat=TN-Validation-Passed" \
    "$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213)" $A
[ "$(fetches sp.pem)" = 2 ] || fail "not fetched again after the flush"
[ "$(req DELETE /certs)" = 200 ] || fail "flush all: $(cat body)"
[ "$(jq_ 'j["flushed"]')" = 2 ] || fail "flush all count: $(cat body)"
[ "$(req GET /certs)" = 200 ] && [ "$(jq_ 'len(j["certs"])')" = 0 ] || fail "not empty after flush"
"$SIPWARD" certs flush "$X5U/sp.pem" -c sipward.ini >out 2>&1
[ $? -eq 1 ] || fail "certs flush of an absent URL did not exit 1"
grep -q "not in the certificate cache" out || fail "certs flush absent: $(cat out)"
pass "flush one URL, then all; the next call fetches again"

# --- trust reload: trust the rogue root instead ---
[ "$(rest_verify "$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213)")" = TN-Validation-Passed ] \
    || fail "sp not passing before the reload"
rm trust/root.pem
cp "$U/trust/root.pem" trust/rogue-root.pem
[ "$(req POST /trust/reload)" = 200 ] || fail "trust reload: $(cat body)"
[ "$(jq_ 'j["anchors"], j["crls"], j["flushed"]' | tr '\n' ' ')" = "1 0 1 " ] \
    || fail "trust reload answer: $(cat body)"
[ "$(jq_ 'j["dir"]')" = "$SW_TMP/trust" ] || fail "trust reload dir: $(cat body)"
[ "$(rest_verify "$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213)")" = TN-Validation-Failed ] \
    || fail "sp still passes after its root left the trust store"
[ "$(rest_verify "$(sign_id "$U/sp.key" "$X5U/rogue.pem" $A 12155551213)")" = TN-Validation-Passed ] \
    || fail "the newly trusted root is not used"
pass "trust reload swaps the anchors and drops cached validations"

# --- a broken directory keeps the running anchors ---
mkdir empty-trust
mv trust trust.away
[ "$(req POST /trust/reload)" = 500 ] || fail "reload of a missing dir: $(cat body)"
errmsg | grep -q "cannot read $SW_TMP/trust: No such file" || fail "missing dir message: $(cat body)"
errmsg | grep -q "stay in use" || fail "missing dir message: $(cat body)"
mkdir trust
touch trust/junk.pem
"$SIPWARD" trust reload -c sipward.ini >out 2>&1
[ $? -eq 1 ] || fail "trust reload of an empty dir did not exit 1: $(cat out)"
grep -q "no trust anchor in $SW_TMP/trust" out || fail "trust reload empty: $(cat out)"
grep -q "junk.pem: no certificate or CRL" "$SW_LOG" || fail "junk file not reported in the log"
[ "$(req DELETE /certs)" = 200 ] || fail "flush"
[ "$(rest_verify "$(sign_id "$U/sp.key" "$X5U/rogue.pem" $A 12155551213)")" = TN-Validation-Passed ] \
    || fail "a failed reload dropped the running anchors"
pass "a missing or empty directory keeps the running anchors (500 with the reason)"

# --- the CLI and SIGHUP ---
rm -r trust
mv trust.away trust
"$SIPWARD" trust reload -c sipward.ini >out 2>&1 || fail "trust reload: $(cat out)"
grep -q "^1 trust anchors and 0 CRLs loaded from $SW_TMP/trust; 1 cached certificates dropped" out \
    || fail "trust reload said: $(cat out)"
rm trust/rogue-root.pem
cp "$P/trust/root.pem" trust/
hup "CRLs loaded from $SW_TMP/trust;" || fail "SIGHUP did not reload the trust anchors"
[ "$(rest_verify "$(sign_id "$P/sp.key" "$X5U/sp.pem" $A 12155551213)")" = TN-Validation-Passed ] \
    || fail "sp does not pass after SIGHUP restored its root"
[ "$(rest_verify "$(sign_id "$U/sp.key" "$X5U/rogue.pem" $A 12155551213)")" = TN-Validation-Failed ] \
    || fail "rogue still trusted after SIGHUP"
pass "sipward trust reload and SIGHUP"

# A changed stir.trust takes effect on SIGHUP; the API then reads it too.
mkdir trust2
cp "$U/trust/root.pem" trust2/
sed -i "s|^trust = .*|trust = $SW_TMP/trust2|" sipward.ini
hup "CRLs loaded from $SW_TMP/trust2;" || fail "SIGHUP did not read the new stir.trust"
[ "$(rest_verify "$(sign_id "$U/sp.key" "$X5U/rogue.pem" $A 12155551213)")" = TN-Validation-Passed ] \
    || fail "the new stir.trust is not used"
[ "$(req POST /trust/reload)" = 200 ] && [ "$(jq_ 'j["dir"]')" = "$SW_TMP/trust2" ] \
    || fail "API reload after the SIGHUP: $(cat body)"
pass "a changed stir.trust applies on SIGHUP"

# --- queues: an INVITE waits for a certificate server that never answers ---
start_hang
(invite hang 436 "Reason:" 'cause=436' \
    "$(sign_id "$P/sp.key" "http://127.0.0.1:$HANG_PORT/sp.pem" $A 12155551213)" $A) \
    >hang.out 2>&1 &
HANG_SIPP=$!
i=0
while { [ "$(metric sipward_sip_requests_waiting)" = 0 ] \
    || [ "$(metric sipward_stir_cert_fetches_running)" = 0 ]; } && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
[ $i -lt 100 ] || fail "no waiting request or running fetch seen in /metrics"
wait $HANG_SIPP || fail "hanging fetch: $(cat hang.out)"
[ "$(metric sipward_sip_requests_waiting)" = 0 ] || fail "a request still waits"
[ "$(metric sipward_stir_cert_fetches_running)" = 0 ] || fail "a fetch still runs"
pass "metrics: requests waiting for a certificate, fetches running"

grep -q "$TOKEN" "$SW_LOG" && fail "the token is in the log"
stop_daemon
[ "$SW_EXIT" = 0 ] || fail "daemon exit $SW_EXIT"
"$SIPWARD" certs list -c sipward.ini >out 2>&1
[ $? -eq 1 ] || fail "certs list with no daemon did not exit 1"
grep -q "no daemon answers on http.listen" out || fail "certs list, no daemon: $(cat out)"
"$SIPWARD" trust reload -c sipward.ini >/dev/null 2>&1
[ $? -eq 1 ] || fail "trust reload with no daemon did not exit 1"
"$SIPWARD" certs frobnicate >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown certs action not a usage error"
pass "ops_certs"
