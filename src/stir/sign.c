/*
 * Authentication service (RFC 8224 §6.1, RFC 8588): PASSporT from the
 * request (orig from P-Asserted-Identity or From, dest from To, both
 * canonicalized per §8.3), deterministic JSON, ES256, full-form Identity
 * header "h.p.s;info=<x5u>;alg=ES256;ppt=shaken".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "stir/stir_int.h"

/* RFC 4122 version 4 UUID, what every peer puts in origid by default. */
static int
uuid4(char *dst, size_t size)
{
    unsigned char b[16];

    if (RAND_bytes(b, sizeof(b)) != 1 || size < 37) {
        return STIR_E_CRYPTO;
    }
    b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80);
    snprintf(dst, size,
        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
        b[11], b[12], b[13], b[14], b[15]);
    return 0;
}

int
stir_sign(struct stir_signer *s, const struct stir_call *call,
    const struct stir_sign_opts *o, char *dst, size_t size)
{
    struct stir_passport p;
    char h[512], c[1024], bh[700], bc[1400], in[2200], bs[96];
    uint8_t sig[STIR_ES256_SIG_LEN];
    int err;

    memset(&p, 0, sizeof(p));
    if (o->attest != 'A' && o->attest != 'B' && o->attest != 'C') {
        return STIR_E_CLAIMS;
    }
    struct slice orig =
        o->orig_from_pai && call->pai.len ? call->pai : call->from;
    /* SHAKEN identities are telephone numbers (RFC 8588). */
    if (stir_ident_from_header(&p.orig, orig) != 0 || !p.orig.is_tn
        || stir_ident_from_header(&p.dest[0], call->to) != 0
        || !p.dest[0].is_tn) {
        return STIR_E_NOT_TN;
    }
    p.ndest = 1;
    snprintf(p.alg, sizeof(p.alg), "ES256");
    snprintf(p.ppt, sizeof(p.ppt), "shaken");
    snprintf(p.x5u, sizeof(p.x5u), "%s", stir__signer_x5u(s));
    p.iat = o->iat;
    p.attest[0] = o->attest;
    if (o->origid && *o->origid) {
        if (strlen(o->origid) >= sizeof(p.origid)) {
            return STIR_E_TOO_LONG;
        }
        snprintf(p.origid, sizeof(p.origid), "%s", o->origid);
    } else if ((err = uuid4(p.origid, sizeof(p.origid))) != 0) {
        return err;
    }
    err = stir_passport_json(&p, h, sizeof(h), c, sizeof(c));
    if (err) {
        return err;
    }
    int hl = stir_b64url_encode(bh, sizeof(bh), h, strlen(h));
    int cl = stir_b64url_encode(bc, sizeof(bc), c, strlen(c));
    if (hl < 0 || cl < 0) {
        return -ENOSPC;
    }
    int n = snprintf(in, sizeof(in), "%s.%s", bh, bc);
    if (n < 0 || (size_t) n >= sizeof(in)) {
        return -ENOSPC;
    }
    err = stir_es256_sign(s, slice_make(in, (size_t) n), sig);
    if (err) {
        return err;
    }
    int sl = stir_b64url_encode(bs, sizeof(bs), sig, sizeof(sig));
    if (sl < 0) {
        return sl;
    }
    return stir_identity_build(dst, size, slice_make(bh, (size_t) hl),
        slice_make(bc, (size_t) cl), slice_make(bs, (size_t) sl),
        slice_cstr(p.x5u), SLICE_LIT("shaken"));
}
