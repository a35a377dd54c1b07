#!/bin/sh
# Interop with Kamailio's secsipid module (libsecsipid): a request signed
# by `sipward sign` passes secsipid_check_identity(), and an Identity built
# by secsipid_build_identity() passes `sipward verify`. Kamailio runs on a
# free loopback port with the minimal config of stir-reference.md §3.2.
. "$(dirname "$0")/lib.sh"

. "$SW_E2E/kamailio.inc"
[ -f "$KAM_MODS/secsipid.so" ] || fail "kamailio-secsipid-modules not installed"
CLIENT="python3 $SW_E2E/stir_sipclient.py"
HTTP_PID=""
kam_stop() {
    if [ -n "$HTTP_PID" ]; then
        kill "$HTTP_PID" 2>/dev/null
        HTTP_PID=""
    fi
    if [ -n "$KAM_PID" ] && kill -0 "$KAM_PID" 2>/dev/null; then
        kill -TERM "$KAM_PID" 2>/dev/null
        i=0
        while kill -0 "$KAM_PID" 2>/dev/null && [ $i -lt 30 ]; do
            sleep 0.1; i=$((i + 1))
        done
        kill -KILL "$KAM_PID" 2>/dev/null
    fi
    KAM_PID=""
}
trap 'kam_stop; cleanup' EXIT

P=$SW_TMP/pki
"$SIPWARD" pki init "$P" >/dev/null || fail "pki init"
"$SIPWARD" pki issue --dir "$P" --spc 1234 >/dev/null || fail "pki issue"
# libsecsipid reads SEC1 "EC PRIVATE KEY" files; give it that form.
openssl ec -in "$P/sp.key" -out "$P/sp-sec1.key" 2>/dev/null || fail "openssl ec"

# The x5u/info URL is served from loopback so both verifiers can fetch it.
HTTP_PORT=$(free_port)
( cd "$P" && exec python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 ) \
    >"$SW_TMP/http.log" 2>&1 &
HTTP_PID=$!
SW_PID=$HTTP_PID wait_listening "$HTTP_PORT" tcp || fail "http server"
X5U="http://127.0.0.1:$HTTP_PORT/sp-chain.pem"
PORT=$(free_port)
{
    kam_cfg_head "$PORT" 2 sl pv xlog textops siputils secsipid
    cat <<CFG
modparam("secsipid", "expire", 300)
modparam("secsipid", "timeout", 2)
request_route {
    if (!is_method("INVITE")) { sl_send_reply("200", "OK"); exit; }
    if (\$hdr(X-Mode) == "sign") {
        if (secsipid_build_identity("\$(fU{re.subst,/^\\\\+//})", "\$(tU{re.subst,/^\\\\+//})",
                "A", "", "$X5U", "$P/sp-sec1.key")) {
            append_to_reply("Contact: <sip:\$tU@127.0.0.1:9>\r\nIdentity: \$secsipid(val)\r\n");
            sl_send_reply("302", "Moved Temporarily");
        } else {
            sl_send_reply("500", "Signing failed");
        }
        exit;
    }
    if (!is_present_hf("Identity")) { sl_send_reply("428", "Use Identity Header"); exit; }
    if (\$hdr(X-Mode) == "verify-fetch") {
        \$var(rc) = secsipid_check_identity("");
    } else {
        \$var(rc) = secsipid_check_identity("$P/sp.pem");
    }
    append_to_reply("X-Secsipid-Rc: \$var(rc)\r\n");
    if (\$var(rc) == 1) { sl_send_reply("200", "Identity OK"); }
    else { sl_send_reply("438", "Invalid Identity Header"); }
    exit;
}
CFG
} >"$KAM_DIR/kamailio.cfg"
kam_start "$PORT"

cat >"$SW_TMP/invite.sip" <<MSG
INVITE sip:+12155551213@127.0.0.1:$PORT SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-sw-1;rport
Max-Forwards: 70
From: <sip:+12155551212@127.0.0.1;user=phone>;tag=sw1
To: <sip:+12155551213@127.0.0.1;user=phone>
Call-ID: stir-interop-1@127.0.0.1
CSeq: 1 INVITE
Contact: <sip:alice@127.0.0.1:9>
Content-Length: 0

MSG

# 1. sipward signs, secsipid verifies.
"$SIPWARD" sign --key "$P/sp.key" --x5u "$X5U" "$SW_TMP/invite.sip" \
    >"$SW_TMP/signed.sip" || fail "sipward sign"
$CLIENT "$PORT" "$SW_TMP/signed.sip" >"$SW_TMP/r1.txt" || fail "no answer to signed INVITE"
head -1 "$SW_TMP/r1.txt" | grep -q "200 Identity OK" \
    || { cat "$SW_TMP/r1.txt" >&2; fail "secsipid rejected sipward's Identity"; }
grep -q "X-Secsipid-Rc: 1" "$SW_TMP/r1.txt" || fail "secsipid rc not 1"
pass "sipward sign -> secsipid_check_identity rc=1"

# ... also when secsipid fetches the certificate from the info URL.
sed 's/^Content-Length: 0/X-Mode: verify-fetch\nContent-Length: 0/' "$SW_TMP/signed.sip" \
    >"$SW_TMP/signed-fetch.sip"
$CLIENT "$PORT" "$SW_TMP/signed-fetch.sip" >"$SW_TMP/r1f.txt" || fail "no answer (fetch)"
head -1 "$SW_TMP/r1f.txt" | grep -q "200 Identity OK" \
    || { cat "$SW_TMP/r1f.txt" >&2; fail "secsipid (fetching info) rejected sipward's Identity"; }
pass "sipward sign -> secsipid_check_identity with info fetch rc=1"

# ... and rejects it once a signature byte is changed (the test can fail).
# An A becomes a B, anything else an A: always the same letter would leave
# the signature as it was when it already held that letter.
sed 's/\(Identity: [^;]*\)A\([A-Za-z0-9_-]\{10\};info\)/\1B\2/; t
    s/\(Identity: [^;]*\)[A-Za-z0-9_-]\([A-Za-z0-9_-]\{10\};info\)/\1A\2/' \
    "$SW_TMP/signed.sip" >"$SW_TMP/bad.sip"
cmp -s "$SW_TMP/signed.sip" "$SW_TMP/bad.sip" && fail "tamper did not change the file"
$CLIENT "$PORT" "$SW_TMP/bad.sip" >"$SW_TMP/r2.txt" || fail "no answer to tampered INVITE"
head -1 "$SW_TMP/r2.txt" | grep -q "438" \
    || { cat "$SW_TMP/r2.txt" >&2; fail "secsipid accepted a tampered signature"; }
pass "tampered signature -> secsipid 438"

# 2. secsipid signs (302 + Identity), sipward verifies.
sed 's/^Content-Length: 0/X-Mode: sign\nContent-Length: 0/' "$SW_TMP/invite.sip" \
    >"$SW_TMP/sign-req.sip"
$CLIENT "$PORT" "$SW_TMP/sign-req.sip" >"$SW_TMP/r3.txt" || fail "no answer to sign request"
head -1 "$SW_TMP/r3.txt" | grep -q "302" || { cat "$SW_TMP/r3.txt" >&2; fail "kamailio did not sign"; }
IDENT=$(grep -i '^Identity:' "$SW_TMP/r3.txt" | tr -d '\r')
[ -n "$IDENT" ] || fail "no Identity in the 302"
awk -v id="$IDENT" '/^Content-Length/ { print id } { print }' "$SW_TMP/invite.sip" \
    >"$SW_TMP/kam-signed.sip"
"$SIPWARD" verify --trust "$P/trust" --cert "$P/sp-chain.pem" "$SW_TMP/kam-signed.sip" \
    >"$SW_TMP/v1.txt" || { cat "$SW_TMP/v1.txt" >&2; fail "sipward rejected secsipid's Identity"; }
grep -q "^code: 200" "$SW_TMP/v1.txt" || fail "verify verdict not 200"
pass "secsipid_build_identity -> sipward verify pass"
"$SIPWARD" verify --trust "$P/trust" --fetch "$SW_TMP/kam-signed.sip" \
    >"$SW_TMP/v1f.txt" || { cat "$SW_TMP/v1f.txt" >&2; fail "sipward verify --fetch of secsipid's Identity"; }
pass "secsipid_build_identity -> sipward verify --fetch pass"

# ... and names the claim when To is changed after signing.
sed 's/^To: <sip:+12155551213@/To: <sip:+12155550000@/' "$SW_TMP/kam-signed.sip" \
    >"$SW_TMP/kam-bad.sip"
"$SIPWARD" verify --trust "$P/trust" --cert "$P/sp-chain.pem" "$SW_TMP/kam-bad.sip" \
    >"$SW_TMP/v2.txt" && fail "sipward accepted a changed To"
grep -q '^code: 438' "$SW_TMP/v2.txt" || fail "changed To not 438"
grep -q 'claim dest.tn is "12155551213" but To has "12155550000"' "$SW_TMP/v2.txt" \
    || { cat "$SW_TMP/v2.txt" >&2; fail "reason does not name dest"; }
pass "changed To -> 438 naming dest"

kam_stop
pass "stir_kamailio"
