/*
 * Identity header field value (RFC 8224 §4, ABNF as corrected by errata
 * 6499: base64url characters and dots, then ";info=<URI>" and optional
 * "alg" and "ppt" tokens). We read what peers send: parameters in any
 * order, "ppt" quoted or not, unknown generic-params skipped. A value
 * starting with a quote is the RFC 4474 form.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "stir/stir_int.h"

static bool
is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t
skip_ws(struct slice s, size_t i)
{
    while (i < s.len && is_ws(s.p[i])) {
        i++;
    }
    return i;
}

static bool
is_token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9') || strchr("-.!%*_+`'~", c) != NULL;
}

/* Reads one parameter value at s[i]: <uri>, "quoted" or token. */
static int
param_value(struct slice s, size_t *ip, struct slice *out, bool *angle)
{
    size_t i = *ip, start;

    *angle = false;
    if (i < s.len && s.p[i] == '<') {
        start = ++i;
        while (i < s.len && s.p[i] != '>') {
            i++;
        }
        if (i == s.len) {
            return -1;
        }
        *out = slice_make(s.p + start, i - start);
        *angle = true;
        *ip = i + 1;
        return 0;
    }
    if (i < s.len && s.p[i] == '"') {
        start = ++i;
        while (i < s.len && s.p[i] != '"') {
            if (s.p[i] == '\\') {
                i++;
            }
            i++;
        }
        if (i >= s.len) {
            return -1;
        }
        *out = slice_make(s.p + start, i - start);
        *ip = i + 1;
        return 0;
    }
    start = i;
    while (i < s.len && s.p[i] != ';' && !is_ws(s.p[i])) {
        i++;
    }
    *out = slice_make(s.p + start, i - start);
    *ip = i;
    return 0;
}

#define FAIL(msg)                                                              \
    do {                                                                       \
        if (why) {                                                             \
            *why = (msg);                                                      \
        }                                                                      \
        return STIR_E_IDENTITY;                                                \
    } while (0)

static int
split_jws(struct stir_identity *id, struct slice d, const char **why)
{
    const char *dot1 = memchr(d.p, '.', d.len), *dot2;

    if (!dot1) {
        FAIL("signed-identity-digest has no '.' (not a JWS)");
    }
    dot2 = memchr(dot1 + 1, '.', (size_t) (d.p + d.len - dot1 - 1));
    if (!dot2) {
        FAIL("signed-identity-digest has one '.', a JWS has two");
    }
    if (memchr(dot2 + 1, '.', (size_t) (d.p + d.len - dot2 - 1))) {
        FAIL("signed-identity-digest has more than two '.'");
    }
    id->b64_hdr = slice_make(d.p, (size_t) (dot1 - d.p));
    id->b64_pay = slice_make(dot1 + 1, (size_t) (dot2 - dot1 - 1));
    id->b64_sig = slice_make(dot2 + 1, (size_t) (d.p + d.len - dot2 - 1));
    if (id->b64_sig.len == 0) {
        FAIL("JWS signature part is empty");
    }
    if (id->b64_hdr.len == 0 && id->b64_pay.len == 0) {
        id->compact = true; /* RFC 8225 §7 */
    } else if (id->b64_hdr.len == 0 || id->b64_pay.len == 0) {
        FAIL("JWS header or payload part is empty");
    } else {
        id->signing_input = slice_make(d.p, (size_t) (dot2 - d.p));
    }
    return 0;
}

int
stir_identity_parse(
    struct stir_identity *id, struct slice value, const char **why)
{
    struct slice s = slice_trim(value), d;
    size_t i = 0;

    memset(id, 0, sizeof(*id));
    id->value = s;
    if (s.len == 0) {
        FAIL("empty Identity header");
    }
    if (s.p[0] == '"') {
        /* RFC 4474 §9: quoted base64 signature, parameters elsewhere. */
        const char *q = memchr(s.p + 1, '"', s.len - 1);
        if (!q) {
            FAIL("unterminated quoted RFC 4474 signature");
        }
        id->legacy = true;
        id->b64_sig = slice_make(s.p + 1, (size_t) (q - s.p - 1));
        return 0;
    }
    while (i < s.len && s.p[i] != ';' && !is_ws(s.p[i])) {
        i++;
    }
    d = slice_make(s.p, i);
    if (split_jws(id, d, why) != 0) {
        return STIR_E_IDENTITY;
    }
    for (;;) {
        struct slice name, val;
        bool angle;

        i = skip_ws(s, i);
        if (i == s.len) {
            break;
        }
        if (s.p[i] != ';') {
            FAIL("garbage after the signed-identity-digest");
        }
        i = skip_ws(s, i + 1);
        size_t start = i;
        while (i < s.len && is_token_char(s.p[i])) {
            i++;
        }
        name = slice_make(s.p + start, i - start);
        if (name.len == 0) {
            FAIL("empty Identity parameter name");
        }
        i = skip_ws(s, i);
        val = SLICE_NULL;
        angle = false;
        if (i < s.len && s.p[i] == '=') {
            i = skip_ws(s, i + 1);
            if (param_value(s, &i, &val, &angle) != 0) {
                FAIL("unterminated Identity parameter value");
            }
        }
        if (slice_caseeq(name, SLICE_LIT("info"))) {
            if (id->info.len) {
                FAIL("two info parameters");
            }
            id->info = val;
            if (val.len == 0) {
                FAIL("empty info parameter");
            }
        } else if (slice_caseeq(name, SLICE_LIT("alg"))) {
            id->alg = val;
        } else if (slice_caseeq(name, SLICE_LIT("ppt"))) {
            id->ppt = val;
        }
    }
    return 0;
}

int
stir_identity_build(char *dst, size_t size, struct slice b64_hdr,
    struct slice b64_pay, struct slice b64_sig, struct slice info,
    struct slice ppt)
{
    int n;

    if (ppt.len) {
        n = snprintf(dst, size,
            SLICE_FMT "." SLICE_FMT "." SLICE_FMT ";info=<" SLICE_FMT
                      ">;alg=ES256;ppt=" SLICE_FMT,
            SLICE_ARG(b64_hdr), SLICE_ARG(b64_pay), SLICE_ARG(b64_sig),
            SLICE_ARG(info), SLICE_ARG(ppt));
    } else {
        n = snprintf(dst, size,
            SLICE_FMT "." SLICE_FMT "." SLICE_FMT ";info=<" SLICE_FMT
                      ">;alg=ES256",
            SLICE_ARG(b64_hdr), SLICE_ARG(b64_pay), SLICE_ARG(b64_sig),
            SLICE_ARG(info));
    }
    if (n < 0 || (size_t) n >= size) {
        return -ENOSPC;
    }
    return n;
}
