#!/bin/sh
# Offline STIR tools: `sipward pki` makes certificates openssl accepts,
# `sipward sign` / `sipward verify` round-trip, tampering is named, the
# exit status follows the verdict, --fetch gets the x5u over HTTP (436 when
# it cannot), and legacy RFC 4474 signs and verifies.
. "$(dirname "$0")/lib.sh"

P=$SW_TMP/pki
"$SIPWARD" pki init "$P" >/dev/null || fail "pki init"
"$SIPWARD" pki issue --dir "$P" --spc 1234 >/dev/null || fail "pki issue --spc"
"$SIPWARD" pki issue --dir "$P" --name tn --tn-range 12155550000 100 \
    --tn 12155551212 >/dev/null || fail "pki issue --tn"
"$SIPWARD" pki issue --dir "$P" --tn-range 1 1 >/dev/null 2>&1
[ $? -eq 2 ] || fail "range of 1 accepted"
openssl verify -CAfile "$P/root.pem" -untrusted "$P/inter.pem" -crl_check \
    -CRLfile "$P/trust/inter.crl.pem" "$P/sp.pem" "$P/tn.pem" >/dev/null \
    || fail "openssl does not verify the pki output"
openssl x509 -in "$P/sp.pem" -outform DER -out "$SW_TMP/sp.der"
OFF=$(openssl asn1parse -inform DER -in "$SW_TMP/sp.der" \
    | grep -A1 "1.3.6.1.5.5.7.1.26" | tail -1 | cut -d: -f1 | tr -d ' ')
openssl asn1parse -inform DER -in "$SW_TMP/sp.der" -strparse "$OFF" \
    | grep -q "IA5STRING *:1234" || fail "TNAuthList SPC not found by openssl"
pass "pki init/issue: openssl verifies, TNAuthList SPC 1234"

cat >"$SW_TMP/invite.sip" <<'MSG'
INVITE sip:+12155551213@b.example SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK776asdhds
Max-Forwards: 70
To: <sip:+12155551213@b.example;user=phone>
From: "Alice" <sip:+1-215-555-1212@a.example;user=phone>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.a.example
CSeq: 314159 INVITE
Contact: <sip:alice@10.0.0.1>
Content-Length: 0

MSG
X5U=https://cert.example.net/sp-chain.pem
NOW=$(date +%s)
IAT=$((NOW - 600))
"$SIPWARD" sign --key "$P/sp.key" --x5u "$X5U" --iat $IAT \
    --origid 11111111-2222-4333-8444-555555555555 "$SW_TMP/invite.sip" \
    >"$SW_TMP/signed.sip" || fail "sign"
grep -q '^Identity: .*;info=<https://cert.example.net/sp-chain.pem>;alg=ES256;ppt=shaken' \
    "$SW_TMP/signed.sip" || fail "no Identity header"
grep -q "^Date: $(date -u -d @$IAT '+%a, %d %b %Y %H:%M:%S GMT')" "$SW_TMP/signed.sip" \
    || fail "no Date added"
V="$SIPWARD verify --trust $P/trust --cert $P/sp-chain.pem"
$V --now $((IAT + 30)) "$SW_TMP/signed.sip" >"$SW_TMP/out" \
    || { cat "$SW_TMP/out" >&2; fail "verify of own signature"; }
grep -q '^verdict: pass' "$SW_TMP/out" || fail "no pass verdict"
pass "sign -> verify pass"

$V --now $((IAT + 3600)) "$SW_TMP/signed.sip" >"$SW_TMP/out"
[ $? -eq 1 ] || fail "stale accepted"
grep -q '^code: 403 Stale Date' "$SW_TMP/out" || fail "stale not 403"
sed 's/^From: "Alice" <sip:+1-215-555-1212@/From: "Alice" <sip:+12155550000@/' \
    "$SW_TMP/signed.sip" >"$SW_TMP/t.sip"
$V --now $((IAT + 30)) "$SW_TMP/t.sip" >"$SW_TMP/out" && fail "tampered From accepted"
grep -q 'claim orig.tn is "12155551212" but From has "12155550000"' "$SW_TMP/out" \
    || { cat "$SW_TMP/out" >&2; fail "From tamper reason"; }
"$SIPWARD" verify --trust "$P/trust" --cert "$P/tn-chain.pem" \
    --now $((IAT + 30)) "$SW_TMP/signed.sip" >"$SW_TMP/out"
grep -q '^code: 438' "$SW_TMP/out" || fail "other key not 438"
grep -v '^Identity:' "$SW_TMP/signed.sip" >"$SW_TMP/none.sip"
$V "$SW_TMP/none.sip" >"$SW_TMP/out"
grep -q '^code: 428 Use Identity Header' "$SW_TMP/out" || fail "no Identity not 428"
"$SIPWARD" verify --cert x "$SW_TMP/signed.sip" >/dev/null 2>&1
[ $? -eq 2 ] || fail "usage error not exit 2"
pass "tampered From 438, stale 403, wrong cert 438, none 428"

# --fetch from a local HTTP server (loopback only, bounded wait).
HTTP_PORT=$(free_port)
( cd "$P" && exec python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 ) \
    >"$SW_TMP/http.log" 2>&1 &
HTTP_PID=$!
trap 'kill "$HTTP_PID" 2>/dev/null; cleanup' EXIT
wait_listening "$HTTP_PORT" tcp || fail "http server"
URL=http://127.0.0.1:$HTTP_PORT/sp-chain.pem
"$SIPWARD" sign --key "$P/sp.key" --x5u "$URL" "$SW_TMP/invite.sip" >"$SW_TMP/f.sip" \
    || fail "sign for fetch"
"$SIPWARD" verify --trust "$P/trust" --fetch "$SW_TMP/f.sip" >"$SW_TMP/out" \
    || { cat "$SW_TMP/out" >&2; fail "verify --fetch"; }
"$SIPWARD" sign --key "$P/sp.key" --x5u "http://127.0.0.1:$HTTP_PORT/missing.pem" \
    "$SW_TMP/invite.sip" >"$SW_TMP/f404.sip" || fail "sign for 404"
"$SIPWARD" verify --trust "$P/trust" --fetch "$SW_TMP/f404.sip" >"$SW_TMP/out"
grep -q '^code: 436 Bad Identity Info' "$SW_TMP/out" || { cat "$SW_TMP/out" >&2; fail "404 not 436"; }
grep -q 'HTTP 404' "$SW_TMP/out" || fail "436 reason lacks HTTP 404"
kill "$HTTP_PID"
pass "verify --fetch: pass, and 436 on 404"

# Legacy RFC 4474 with an RSA certificate for the From domain.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$SW_TMP/rsa.key" \
    -out "$SW_TMP/rsa.pem" -days 30 -subj "/CN=a.example" \
    -addext "subjectAltName=DNS:a.example" >/dev/null 2>&1 || fail "openssl rsa"
mkdir "$SW_TMP/rsatrust" && cp "$SW_TMP/rsa.pem" "$SW_TMP/rsatrust/"
"$SIPWARD" sign --legacy --key "$SW_TMP/rsa.key" --x5u https://a.example/a.cer \
    "$SW_TMP/invite.sip" >"$SW_TMP/l.sip" || fail "legacy sign"
grep -q '^Identity-Info: <https://a.example/a.cer>;alg=rsa-sha256' "$SW_TMP/l.sip" \
    || fail "no Identity-Info"
L="$SIPWARD verify --trust $SW_TMP/rsatrust --cert $SW_TMP/rsa.pem"
$L "$SW_TMP/l.sip" >"$SW_TMP/out" || { cat "$SW_TMP/out" >&2; fail "legacy verify"; }
sed 's/^Contact: <sip:alice@10.0.0.1>/Contact: <sip:mallory@10.6.6.6>/' \
    "$SW_TMP/l.sip" >"$SW_TMP/l2.sip"
$L "$SW_TMP/l2.sip" >"$SW_TMP/out" && fail "legacy tamper accepted"
grep -q 'digest-string' "$SW_TMP/out" || fail "legacy tamper reason"
pass "legacy RFC 4474 sign/verify, Contact tamper 438"
