/*
 * JWS ES256 (RFC 7518 §3.4): ECDSA P-256 with SHA-256, the signature
 * carried as raw 64-byte r||s. OpenSSL speaks DER ECDSA-Sig-Value, so the
 * two forms are converted with ECDSA_SIG. Contexts are cached per thread:
 * the verify context of the last key is reused while the key stays the
 * same (openssl speed measures the same way).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

#include "stir/stir_int.h"

struct stir_vctx {
    EVP_MD *md;
    EVP_MD_CTX *mdctx;
    EVP_PKEY_CTX *pctx; /* bound to key; holds a reference to it */
    const EVP_PKEY *key;
    struct stir__hdr_cache hdr;
};

struct stir__hdr_cache *
stir__vctx_hdr_cache(struct stir_vctx *v)
{
    return &v->hdr;
}

struct stir_signer {
    EVP_PKEY *key;
    EVP_PKEY_CTX *pctx;
    EVP_MD *md;
    EVP_MD_CTX *mdctx;
    char x5u[STIR_URI_MAX];
};

bool
stir__pkey_is_p256(const EVP_PKEY *pkey)
{
    char group[64];
    size_t len = 0;

    if (!pkey || !EVP_PKEY_is_a(pkey, "EC")) {
        return false;
    }
    if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &len) != 1) {
        return false;
    }
    return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

void
stir__pkey_describe(const EVP_PKEY *pkey, char *dst, size_t size)
{
    char group[64];
    size_t len = 0;

    if (!pkey) {
        stir__why(dst, size, "no key");
    } else if (EVP_PKEY_is_a(pkey, "EC")) {
        if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &len) != 1) {
            strcpy(group, "?");
        }
        stir__why(dst, size, "EC %s", group);
    } else {
        stir__why(dst, size, "%s %d-bit", EVP_PKEY_get0_type_name(pkey),
            EVP_PKEY_get_bits(pkey));
    }
}

int
stir_vctx_new(struct stir_vctx **vp)
{
    struct stir_vctx *v = calloc(1, sizeof(*v));

    if (!v) {
        return -ENOMEM;
    }
    v->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    v->mdctx = EVP_MD_CTX_new();
    if (!v->md || !v->mdctx) {
        stir_vctx_free(v);
        return -ENOMEM;
    }
    *vp = v;
    return 0;
}

void
stir_vctx_free(struct stir_vctx *v)
{
    if (!v) {
        return;
    }
    EVP_PKEY_CTX_free(v->pctx);
    EVP_MD_CTX_free(v->mdctx);
    EVP_MD_free(v->md);
    free(v);
}

static int
sha256(EVP_MD_CTX *c, const EVP_MD *md, struct slice in, unsigned char *out)
{
    unsigned int n = 0;

    if (EVP_DigestInit_ex2(c, md, NULL) != 1
        || EVP_DigestUpdate(c, in.p, in.len) != 1
        || EVP_DigestFinal_ex(c, out, &n) != 1 || n != 32) {
        return STIR_E_CRYPTO;
    }
    return 0;
}

/*
 * Raw r||s -> DER ECDSA-Sig-Value (RFC 3279 §2.2.3: SEQUENCE of two
 * INTEGERs) in der (at least 72 bytes). Plain DER encoding of two positive
 * 32-byte integers: minimal length (leading zero octets dropped) and a 0x00
 * in front when the top bit is set. Done by hand because i2d_ECDSA_SIG
 * with its BIGNUMs costs 3% of a verification; stir__es256_der_check()
 * in the unit tests compares it with i2d_ECDSA_SIG.
 */
int
stir__es256_der(const uint8_t raw[STIR_ES256_SIG_LEN], unsigned char *der)
{
    size_t n = 2;

    for (int k = 0; k < 2; k++) {
        const uint8_t *v = raw + 32 * k;
        size_t len = 32;
        while (len > 1 && v[0] == 0) {
            v++;
            len--;
        }
        bool pad = v[0] & 0x80;
        der[n++] = 0x02;
        der[n++] = (unsigned char) (len + pad);
        if (pad) {
            der[n++] = 0;
        }
        memcpy(der + n, v, len);
        n += len;
    }
    der[0] = 0x30;
    der[1] = (unsigned char) (n - 2);
    return (int) n;
}

int
stir_es256_verify(struct stir_vctx *v, const void *pkey, struct slice input,
    const uint8_t sig[STIR_ES256_SIG_LEN])
{
    const EVP_PKEY *key = pkey;
    unsigned char md[32], der[80];
    int err, len;

    if (v->key != key || !v->pctx) {
        EVP_PKEY_CTX_free(v->pctx);
        v->pctx = NULL;
        v->key = NULL;
        if (!stir__pkey_is_p256(key)) {
            return STIR_E_KEY_TYPE;
        }
        v->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *) key, NULL);
        if (!v->pctx || EVP_PKEY_verify_init(v->pctx) != 1) {
            EVP_PKEY_CTX_free(v->pctx);
            v->pctx = NULL;
            return STIR_E_CRYPTO;
        }
        v->key = key;
    }
    err = sha256(v->mdctx, v->md, input, md);
    if (err) {
        return err;
    }
    len = stir__es256_der(sig, der);
    int rc = EVP_PKEY_verify(v->pctx, der, (size_t) len, md, sizeof(md));
    return rc == 1 ? 0 : STIR_E_SIG_INVALID;
}

int
stir_signer_new(
    struct stir_signer **sp, const void *pem, size_t len, struct slice x5u)
{
    struct stir_signer *s = NULL;
    BIO *bio = NULL;
    int err = -ENOMEM;

    if (len > INT32_MAX) {
        return STIR_E_TOO_LONG;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        goto out;
    }
    if (slice_copy(s->x5u, sizeof(s->x5u), x5u) != 0) {
        err = STIR_E_TOO_LONG;
        goto out;
    }
    bio = BIO_new_mem_buf(pem, (int) len);
    if (!bio) {
        goto out;
    }
    s->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    if (!s->key) {
        err = STIR_E_KEY_TYPE;
        goto out;
    }
    if (!stir__pkey_is_p256(s->key)) {
        err = STIR_E_KEY_TYPE;
        goto out;
    }
    s->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    s->mdctx = EVP_MD_CTX_new();
    s->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, s->key, NULL);
    if (!s->md || !s->mdctx || !s->pctx || EVP_PKEY_sign_init(s->pctx) != 1) {
        err = STIR_E_CRYPTO;
        goto out;
    }
    *sp = s;
    s = NULL;
    err = 0;
out:
    BIO_free(bio);
    stir_signer_free(s);
    return err;
}

void
stir_signer_free(struct stir_signer *s)
{
    if (!s) {
        return;
    }
    EVP_PKEY_CTX_free(s->pctx);
    EVP_MD_CTX_free(s->mdctx);
    EVP_MD_free(s->md);
    EVP_PKEY_free(s->key);
    free(s);
}

const char *
stir__signer_x5u(const struct stir_signer *s)
{
    return s->x5u;
}

int
stir_es256_sign(
    struct stir_signer *s, struct slice input, uint8_t sig[STIR_ES256_SIG_LEN])
{
    unsigned char md[32], der[80];
    size_t dlen = sizeof(der);
    ECDSA_SIG *es = NULL;
    const BIGNUM *r, *sv;
    int err = sha256(s->mdctx, s->md, input, md);

    if (err) {
        return err;
    }
    if (EVP_PKEY_sign(s->pctx, der, &dlen, md, sizeof(md)) != 1) {
        return STIR_E_CRYPTO;
    }
    const unsigned char *p = der;
    es = d2i_ECDSA_SIG(NULL, &p, (long) dlen);
    if (!es) {
        return STIR_E_CRYPTO;
    }
    ECDSA_SIG_get0(es, &r, &sv);
    if (BN_bn2binpad(r, sig, 32) != 32
        || BN_bn2binpad(sv, sig + 32, 32) != 32) {
        err = STIR_E_CRYPTO;
    }
    ECDSA_SIG_free(es);
    return err;
}
