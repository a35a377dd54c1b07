#!/bin/sh
# Hostile STIR input (docs/HOSTILE.md): PASSporTs signed with alg none,
# HS256 or RS256; an x5u that sends a giant body, redirects to file:// or
# to a special-purpose address, or never answers; a 12-level chain, a
# self-signed and an expired certificate. Each is rejected with its code and
# a Reason naming it, and the daemon still verifies a good call afterwards
# and stops clean under ASan.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sti_common.inc"

# A PKI made with openssl, so that it can hold what `sipward pki` never
# makes: a deep chain, a self-signed and an expired certificate.
O=$SW_TMP/o
mkdir -p "$O/trust" "$STI_WWW"
cat >"$O/ext.cnf" <<'CNF'
[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[leaf]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
# TNAuthList (RFC 8226): one SPC entry, "1234"
1.3.6.1.5.5.7.1.26=DER:30:08:a0:06:16:04:31:32:33:34
CNF
ecKey() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }
# issue NAME ISSUER EXTENSIONS DAYS
issue() {
    ecKey "$O/$1.key" || fail "key $1"
    openssl req -new -key "$O/$1.key" -subj "/CN=$1" -out "$O/$1.csr" \
        2>/dev/null || fail "csr $1"
    openssl x509 -req -in "$O/$1.csr" -CA "$O/$2.pem" -CAkey "$O/$2.key" \
        -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
        -days "$4" -extfile "$O/ext.cnf" -extensions "$3" -out "$O/$1.pem" \
        2>/dev/null || fail "certificate $1"
}
ecKey "$O/root.key"
openssl req -x509 -new -key "$O/root.key" -subj /CN=HostileRoot -days 30 \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$O/root.pem" 2>/dev/null || fail "root"
cp "$O/root.pem" "$O/trust/"
issue inter root ca 30
issue sp inter leaf 30
issue expired inter leaf -1 # notAfter yesterday
cat "$O/sp.pem" "$O/inter.pem" >"$STI_WWW/sp.pem"
cat "$O/expired.pem" "$O/inter.pem" >"$STI_WWW/expired.pem"
# leaf + 10 intermediates + root: 12 levels.
prev=root
chain=""
for i in 1 2 3 4 5 6 7 8 9 10; do
    issue "deep$i" "$prev" ca 30
    chain="$O/deep$i.pem $chain"
    prev=deep$i
done
issue deepleaf deep10 leaf 30
# shellcheck disable=SC2086
cat "$O/deepleaf.pem" $chain >"$STI_WWW/deep.pem"
ecKey "$O/self.key"
openssl req -x509 -new -key "$O/self.key" -subj /CN=SelfSigned -days 30 \
    -addext 1.3.6.1.5.5.7.1.26=DER:30:08:a0:06:16:04:31:32:33:34 \
    -out "$STI_WWW/self.pem" 2>/dev/null || fail "self-signed"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$O/rsa.key" 2>/dev/null || fail "RSA key"

# The hostile repository on 127.0.0.1, its private twin on 127.0.0.2.
CERT_PORT=$(free_port)
PRIV_PORT=$(free_port)
python3 "$SW_E2E/hostile_x5u.py" "$CERT_PORT" "$STI_WWW" "$PRIV_PORT" \
    >"$SW_TMP/http.log" 2>&1 &
CERT_PID=$!
wait_listening "$CERT_PORT" tcp || fail "certificate server not up"
X5U=http://127.0.0.1:$CERT_PORT

# 127.0.0.2 may be fetched over http, but it is not an allowed private
# address: the redirect to it must be refused for that reason.
start_daemon --set "stir.trust=$O/trust" \
    --set stir.http_hosts=127.0.0.1,127.0.0.2 \
    --set stir.private_hosts=127.0.0.1 --set stir.fetch_timeout_ms=3000
A=12155551212
B=12155551213
good() { sign_id "$O/sp.key" "$X5U/sp.pem" $A $B; }

invite valid 302 "P-Asserted-Identity:" "verstat=TN-Validation-Passed" \
    "$(good)" $A

# Algorithms other than ES256, in the PASSporT header.
FORGE="python3 $SW_E2E/hostile.py forge"
invite alg_none 438 "Reason:" \
    'cause=438;text=.malformed Identity header: JWS signature part is empty' \
    "$($FORGE none "$(good)")" $A
invite alg_hs256 438 "Reason:" \
    'cause=438;text=.PASSporT header alg is .HS256., expected .ES256.' \
    "$($FORGE HS256 "$(good)")" $A
invite alg_rs256 438 "Reason:" \
    'cause=438;text=.PASSporT header alg is .RS256., expected .ES256.' \
    "$($FORGE RS256 "$(good)" "$O/rsa.key")" $A
invite alg_param_none 438 "Reason:" \
    'cause=438;text=.Identity alg parameter is .none., only ES256' \
    "$(good | sed 's/;alg=ES256//; s/$/;alg=none/')" $A

# Hostile certificate repositories.
invite x5u_giant 436 "Reason:" \
    'cause=436;text=.certificate at [^ ]*/giant is larger than 65536 bytes' \
    "$(sign_id "$O/sp.key" "$X5U/giant" $A $B)" $A
invite x5u_to_file 436 "Reason:" \
    'cause=436;text=.cannot fetch [^ ]*/to-file: Unsupported protocol' \
    "$(sign_id "$O/sp.key" "$X5U/to-file" $A $B)" $A
invite x5u_to_private 436 "Reason:" \
    'cause=436;text=.info URL [^ ]*/to-private resolves to a special-purpose address' \
    "$(sign_id "$O/sp.key" "$X5U/to-private" $A $B)" $A
grep -q "^127.0.0.2 " "$SW_TMP/http.log" \
    && fail "the daemon followed a redirect to 127.0.0.2"
invite x5u_hang 436 "Reason:" \
    'cause=436;text=.fetching [^ ]*/hang timed out after 3000 ms' \
    "$(sign_id "$O/sp.key" "$X5U/hang" $A $B)" $A

# Certificates that must not be trusted.
invite chain_12_levels 437 "Reason:" \
    'cause=437;text=.certificate from [^ ]*/deep.pem: certificate .deep6. untrusted: certificate chain too long' \
    "$(sign_id "$O/deepleaf.key" "$X5U/deep.pem" $A $B)" $A
invite self_signed 437 "Reason:" \
    'cause=437;text=.*"SelfSigned" untrusted: self-signed certificate' \
    "$(sign_id "$O/self.key" "$X5U/self.pem" $A $B)" $A
invite expired 437 "Reason:" \
    'cause=437;text=.*"expired" expired: notAfter' \
    "$(sign_id "$O/expired.key" "$X5U/expired.pem" $A $B)" $A

# Still verifying, and still answering OPTIONS.
invite valid_afterwards 302 "P-Asserted-Identity:" \
    "verstat=TN-Validation-Passed" "$(good)" $A
python3 "$SW_E2E/hostile.py" "$SW_PORT" alive || fail "not serving afterwards"
stop_clean
pass "hostile_stir"
