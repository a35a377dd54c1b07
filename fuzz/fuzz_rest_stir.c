/*
 * Bodies of the STIR REST interface (POST /stir/v1/signing and
 * /stir/v1/verification, ATIS-1000082 style JSON): the input is the
 * request body, read as the HTTP handlers read it, then checked as a
 * signing and as a verification request. A refusal is a 4xx with a JSON
 * error body; an accepted request carries canonical telephone numbers.
 */
#include <string.h>

#include "fuzz_check.h"
#include "http/http_body.h"

static void
tn(const char *s)
{
    size_t n = strnlen(s, STIR_TN_MAX);

    check(n > 0 && n < STIR_TN_MAX && strspn(s, "0123456789#*") == n);
}

static void
answered(struct http_resp *rs, bool ok)
{
    if (ok) {
        check(rs->status == 0 && !rs->body);
    } else {
        check(rs->status >= 400 && rs->status < 500 && rs->body);
        json_t *e = json_loadb(rs->body, rs->len, 0, NULL);
        check(json_is_object(json_object_get(e, "error")));
        json_decref(e);
    }
    free(rs->body);
    memset(rs, 0, sizeof(*rs));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_resp rs = { 0 };
    struct http_sign_body sb;
    struct http_verify_body vb;
    bool ok;

    json_t *j =
        http_body_json("application/json", (const char *) data, size, &rs);
    answered(&rs, j != NULL);
    if (!j) {
        return 0;
    }
    ok = http_body_sign(&sb, j, &rs);
    if (ok) {
        check(sb.attest == 'A' || sb.attest == 'B' || sb.attest == 'C');
        tn(sb.orig);
        tn(sb.dest);
    }
    answered(&rs, ok);
    ok = http_body_verify(&vb, j, &rs);
    if (ok) {
        tn(vb.orig);
        tn(vb.dest);
        check(vb.identity && vb.identity[0]);
    }
    answered(&rs, ok);
    json_decref(j);
    return 0;
}
