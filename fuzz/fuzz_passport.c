/*
 * PASSporT decoding: "b64url(header).b64url(payload)" through the strict
 * base64url decoder and the jansson claim parser. Whatever parses cleanly
 * is serialized deterministically and parsed again: the claims must come
 * back identical (round trip).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stir/stir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
roundtrip(const struct stir_passport *p)
{
    struct stir_passport *q = malloc(sizeof(*q));
    char *h = malloc(4096), *c = malloc(8192);

    if (!q || !h || !c) {
        goto out;
    }
    if (p->problem[0] || !p->has_orig || !p->has_dest || !p->has_iat) {
        goto out;
    }
    if (stir_passport_json(p, h, 4096, c, 8192) != 0) {
        goto out;
    }
    if (stir_passport_parse(q, slice_cstr(h), slice_cstr(c)) != 0
        || q->iat != p->iat || strcmp(q->orig.v, p->orig.v) != 0
        || q->orig.is_tn != p->orig.is_tn || q->ndest != p->ndest
        || strcmp(q->attest, p->attest) != 0
        || strcmp(q->origid, p->origid) != 0 || strcmp(q->x5u, p->x5u) != 0) {
        abort();
    }
out:
    free(q);
    free(h);
    free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct slice in = slice_make((const char *) data, size);
    struct stir_passport *p = malloc(sizeof(*p));
    char *h = malloc(8192), *c = malloc(8192);
    ptrdiff_t dot = slice_chr(in, '.');

    if (!p || !h || !c) {
        goto out;
    }
    stir_err_init();
    if (dot >= 0) {
        int hl = stir_b64url_decode(h, 8192, slice_sub(in, 0, (size_t) dot));
        int cl = stir_b64url_decode(
            c, 8192, slice_sub(in, (size_t) dot + 1, in.len));
        if (hl >= 0 && cl >= 0
            && stir_passport_parse(
                   p, slice_make(h, (size_t) hl), slice_make(c, (size_t) cl))
                == 0) {
            roundtrip(p);
        }
        /* base64url round trip of the raw bytes */
        if (hl >= 0) {
            char *enc = malloc(12000);
            uint8_t *dec = malloc(8192);
            if (enc && dec
                && stir_b64url_encode(enc, 12000, h, (size_t) hl) >= 0) {
                int n = stir_b64url_decode(dec, 8192, slice_cstr(enc));
                if (n != hl || memcmp(dec, h, (size_t) hl) != 0) {
                    abort();
                }
            }
            free(enc);
            free(dec);
        }
    } else {
        /* Plain JSON: header and payload separated by a NUL or newline. */
        size_t cut = 0;
        while (cut < size && data[cut] != '\n' && data[cut] != '\0') {
            cut++;
        }
        if (stir_passport_parse(
                p, slice_sub(in, 0, cut), slice_sub(in, cut + 1, size))
            == 0) {
            roundtrip(p);
        }
    }
out:
    free(p);
    free(h);
    free(c);
    return 0;
}
