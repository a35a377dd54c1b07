/*
 * URIs on their own (RFC 3261 §19.1, RFC 3966): parse, walk parameters and
 * headers, unescape the user part, compare with a second parse, and
 * canonicalize as the store does for every address-of-record. Every part
 * must lie inside the input, a URI must equal itself, and a canonical AOR
 * must canonicalize to itself.
 */
#include <string.h>

#include "fuzz_check.h"
#include "sip/sip_uri.h"
#include "stir/stir.h"
#include "store/store.h"

static void
params(struct slice list, struct slice in)
{
    struct slice rest = list, n, v;
    size_t steps = 0;

    while (sip_param_next(&rest, &n, &v)) {
        check_within(n, in);
        check_within(v, in);
        check(++steps <= list.len + 1);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct slice in = slice_make((const char *) data, size);
    struct sip_uri u, u2;
    char buf[512], aor[STORE_MAX_AOR + 1], aor2[STORE_MAX_AOR + 1];
    char tn[STIR_TN_MAX];
    struct slice v;

    if (sip_uri_parse(&u, in) == 0) {
        check(slice_eq(u.raw, in));
        check_within(u.scheme_s, in);
        check_within(u.user, in);
        check_within(u.password, in);
        check_within(u.host, in);
        check_within(u.params, in);
        check_within(u.headers, in);
        check_within(u.opaque, in);
        check(u.scheme <= SIP_URI_TEL && u.host_type <= SIP_HOST_IPV6);
        check(sip_uri_parse(&u2, in) == 0 && sip_uri_equal(&u, &u2));
        params(u.params, in);
        (void) sip_param_get(u.params, SLICE_LIT("transport"), &v);
        (void) sip_param_get(u.params, SLICE_LIT("user"), NULL);
        int n = sip_uri_unescape(buf, sizeof(buf), u.user);
        check(n < 0 || ((size_t) n < sizeof(buf) && buf[n] == '\0'));
        (void) sip_uri_unescape(buf, sizeof(buf), u.password);
        (void) stir_tn_canon(tn, sizeof(tn), u.user);
    }
    if (store_aor_canon(aor, sizeof(aor), in) == 0) {
        size_t n = strlen(aor);
        check(n <= STORE_MAX_AOR);
        check(store_aor_canon(aor2, sizeof(aor2), slice_make(aor, n)) == 0);
        check(strcmp(aor, aor2) == 0);
    }
    return 0;
}
