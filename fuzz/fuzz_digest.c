/*
 * Digest headers (RFC 3261 §20.7, §20.44; RFC 7616, RFC 8760): the input
 * is an Authorization or WWW-Authenticate value. It goes through the
 * generic sip_auth_parse and its parameter walk, the registrar's
 * auth_creds_parse, and when that accepts it, auth_verify against a live
 * nonce table (hex decoding of nonce and nc, the nonce MAC, hashing).
 * At start our own challenge must parse back with our realm and nonce.
 */
#include <string.h>

#include "app/auth.h"
#include "fuzz_check.h"
#include "sip/sip_hdr.h"

static struct auth *auth;

static void
setup(void)
{
    struct auth_conf c = { .realm = SLICE_LIT("sipward"),
        .nonce_ttl_s = 300,
        .sha256 = true,
        .md5 = true,
        .fail_burst = 5,
        .fail_per_sec = 1 };
    char buf[1024];
    struct slice vals[2];
    struct sip_auth a;

    check(auth_new(&auth, &c) == 0);
    int n = auth_challenge(auth, false, buf, sizeof(buf), vals);
    check(n == 2);
    for (int i = 0; i < n; i++) {
        check(sip_auth_parse(&a, vals[i]) == 0);
        check(slice_eq(a.realm, c.realm) && a.nonce.len == AUTH_NONCE_LEN);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct slice in = slice_make((const char *) data, size);
    struct sip_auth a;
    struct auth_creds c;
    struct slice rest, n, v;
    static const char ha1_md5[] = "8f4f0ba35a8b1a8e1b7b3c5b0e64c0a3";
    static const char ha1_sha[] =
        "5d2d3ceb7abe552344276d47d36a8175b7aeb250a9bf0bf00e850cd23ecf2e43";

    if (!auth) {
        setup();
    }
    if (sip_auth_parse(&a, in) == 0) {
        check_within(a.scheme, in);
        check_within(a.username, in);
        check_within(a.realm, in);
        check_within(a.nonce, in);
        check_within(a.uri, in);
        check_within(a.response, in);
        check_within(a.params, in);
        rest = a.params;
        while (sip_auth_param_next(&rest, &n, &v)) {
            check_within(n, in);
            check_within(v, in);
        }
    }
    if (auth_creds_parse(&c, in) == 0) {
        check_within(c.username, in);
        check_within(c.nonce, in);
        check_within(c.response, in);
        check(c.alg == AUTH_MD5 || c.alg == AUTH_SHA256);
        enum auth_verdict vd = auth_verify(auth, &c, SLICE_LIT("REGISTER"),
            c.alg == AUTH_MD5 ? ha1_md5 : ha1_sha, 1795501029);
        check(vd <= AUTH_REPLAY);
    }
    return 0;
}
