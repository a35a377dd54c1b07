/*
 * STIR certificates (RFC 8226): the x5u bundle (leaf first, intermediates
 * after, as every peer publishes it), validation against a trust-anchor
 * store at a given time, optional CRLs, and the TNAuthList of the leaf.
 * A parsed struct stir_cert is immutable and refcounted so a cache can hand
 * it to many worker threads.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "stir/stir_int.h"

#define TNAUTH_OID "1.3.6.1.5.5.7.1.26"

enum tnauth_state {
    TNAUTH_ABSENT = 0,
    TNAUTH_OK = 1,
    TNAUTH_MALFORMED = 2,
};

struct stir_cert {
    atomic_int refs;
    X509 *leaf;
    STACK_OF(X509) * chain; /* untrusted intermediates from the bundle */
    EVP_PKEY *pkey;
    bool p256; /* read once: the verifier asks on every call */
    enum tnauth_state tn_state;
    struct stir_tnauth tn;
    time_t not_before, not_after;
};

struct stir_trust {
    X509_STORE *store;
    size_t anchors, crls;
};

int
stir_trust_new(struct stir_trust **tp)
{
    struct stir_trust *t = calloc(1, sizeof(*t));

    if (!t) {
        return -ENOMEM;
    }
    t->store = X509_STORE_new();
    if (!t->store) {
        free(t);
        return -ENOMEM;
    }
    *tp = t;
    return 0;
}

void
stir_trust_free(struct stir_trust *t)
{
    if (!t) {
        return;
    }
    X509_STORE_free(t->store);
    free(t);
}

size_t
stir_trust_anchors(const struct stir_trust *t)
{
    return t->anchors;
}

size_t
stir_trust_crls(const struct stir_trust *t)
{
    return t->crls;
}

int
stir_trust_add_pem(struct stir_trust *t, const void *pem, size_t len)
{
    BIO *bio;
    STACK_OF(X509_INFO) * infos;
    int added = 0;

    if (len > INT32_MAX) {
        return STIR_E_TOO_LONG;
    }
    bio = BIO_new_mem_buf(pem, (int) len);
    if (!bio) {
        return -ENOMEM;
    }
    infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!infos) {
        return STIR_E_CERT_PARSE;
    }
    for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *xi = sk_X509_INFO_value(infos, i);
        if (xi->x509 && X509_STORE_add_cert(t->store, xi->x509) == 1) {
            t->anchors++;
            added++;
        }
        if (xi->crl && X509_STORE_add_crl(t->store, xi->crl) == 1) {
            t->crls++;
            added++;
        }
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    return added;
}

static time_t
asn1_time(const ASN1_TIME *a)
{
    struct tm tm;

    if (!a || ASN1_TIME_to_tm(a, &tm) != 1) {
        return 0;
    }
    return timegm(&tm);
}

static void
read_tnauth(struct stir_cert *c)
{
    ASN1_OBJECT *oid = OBJ_txt2obj(TNAUTH_OID, 1);
    int idx;

    c->tn_state = TNAUTH_ABSENT;
    if (!oid) {
        return;
    }
    idx = X509_get_ext_by_OBJ(c->leaf, oid, -1);
    ASN1_OBJECT_free(oid);
    if (idx < 0) {
        return;
    }
    X509_EXTENSION *ext = X509_get_ext(c->leaf, idx);
    ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(ext);
    c->tn_state = stir_tnauth_parse(&c->tn, ASN1_STRING_get0_data(data),
                      (size_t) ASN1_STRING_length(data))
            == 0
        ? TNAUTH_OK
        : TNAUTH_MALFORMED;
}

int
stir_cert_parse(struct stir_cert **cp, const void *pem, size_t len)
{
    struct stir_cert *c = NULL;
    BIO *bio = NULL;
    X509 *x;
    int err = -ENOMEM;

    if (len > INT32_MAX) {
        return STIR_E_TOO_LONG;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        goto out;
    }
    atomic_init(&c->refs, 1);
    c->chain = sk_X509_new_null();
    bio = BIO_new_mem_buf(pem, (int) len);
    if (!c->chain || !bio) {
        goto out;
    }
    c->leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (!c->leaf) {
        err = STIR_E_CERT_PARSE;
        goto out;
    }
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (!sk_X509_push(c->chain, x)) {
            X509_free(x);
            goto out;
        }
    }
    c->pkey = X509_get_pubkey(c->leaf);
    if (!c->pkey) {
        err = STIR_E_CERT_PARSE;
        goto out;
    }
    c->p256 = stir__pkey_is_p256(c->pkey);
    c->not_before = asn1_time(X509_get0_notBefore(c->leaf));
    c->not_after = asn1_time(X509_get0_notAfter(c->leaf));
    read_tnauth(c);
    *cp = c;
    c = NULL;
    err = 0;
out:
    BIO_free(bio);
    stir_cert_deref(c);
    return err;
}

struct stir_cert *
stir_cert_ref(struct stir_cert *c)
{
    if (c) {
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    }
    return c;
}

struct stir_cert *
stir_cert_deref(struct stir_cert *c)
{
    if (!c
        || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1) {
        return NULL;
    }
    X509_free(c->leaf);
    sk_X509_pop_free(c->chain, X509_free);
    EVP_PKEY_free(c->pkey);
    free(c);
    return NULL;
}

const struct stir_tnauth *
stir_cert_tnauth(const struct stir_cert *c)
{
    return c->tn_state == TNAUTH_OK ? &c->tn : NULL;
}

bool
stir__cert_is_p256(const struct stir_cert *c)
{
    return c->p256;
}

const void *
stir_cert_pkey(const struct stir_cert *c)
{
    return c->pkey;
}

time_t
stir_cert_not_before(const struct stir_cert *c)
{
    return c->not_before;
}

time_t
stir_cert_not_after(const struct stir_cert *c)
{
    return c->not_after;
}

void
stir_cert_subject(const struct stir_cert *c, char *dst, size_t size)
{
    X509_NAME *n = X509_get_subject_name(c->leaf);
    BIO *b = BIO_new(BIO_s_mem());
    int len = -1;

    if (size == 0) {
        return;
    }
    dst[0] = '\0';
    if (b && n && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0) {
        len = BIO_read(b, dst, (int) size - 1);
    }
    dst[len > 0 ? len : 0] = '\0';
    BIO_free(b);
}

static void
fmt_time(time_t t, char *dst, size_t size)
{
    struct tm tm;

    if (!gmtime_r(&t, &tm)
        || strftime(dst, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        stir__why(dst, size, "%lld", (long long) t);
    }
}

static void
subject_cn(X509 *x, char *dst, size_t size)
{
    X509_NAME *n = x ? X509_get_subject_name(x) : NULL;

    dst[0] = '\0';
    if (!n
        || X509_NAME_get_text_by_NID(n, NID_commonName, dst, (int) size) < 0) {
        stir__why(dst, size, "?");
    }
}

const void *
stir_cert_x509(const struct stir_cert *c)
{
    return c->leaf;
}

int
stir__cert_tnauth_state(const struct stir_cert *c)
{
    return c->tn_state == TNAUTH_OK ? 0 : c->tn_state == TNAUTH_ABSENT ? 1 : 2;
}

int
stir_cert_validate(const struct stir_cert *c, const struct stir_trust *t,
    time_t now, char *why, size_t why_size)
{
    X509_STORE_CTX *ctx = NULL;
    char a[32], b[32], cn[96];
    int err = STIR_E_CERT_UNTRUSTED;

    ctx = X509_STORE_CTX_new();
    if (!ctx || X509_STORE_CTX_init(ctx, t->store, c->leaf, c->chain) != 1) {
        err = -ENOMEM;
        goto out;
    }
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, now);
    /* SHAKEN chains are leaf, intermediate, root; a long one costs a
     * signature check per level and is never legitimate. */
    X509_VERIFY_PARAM_set_depth(param, STIR_MAX_CHAIN_DEPTH);
    if (t->crls) {
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK);
    }
    if (X509_verify_cert(ctx) == 1) {
        err = 0;
        goto out;
    }
    int verr = X509_STORE_CTX_get_error(ctx);
    int depth = X509_STORE_CTX_get_error_depth(ctx);
    X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
    subject_cn(bad ? bad : c->leaf, cn, sizeof(cn));
    fmt_time(now, b, sizeof(b));
    if (verr == X509_V_ERR_CERT_HAS_EXPIRED && bad) {
        fmt_time(asn1_time(X509_get0_notAfter(bad)), a, sizeof(a));
        stir__why(why, why_size,
            "certificate \"%s\" expired: notAfter %s, now %s", cn, a, b);
    } else if (verr == X509_V_ERR_CERT_NOT_YET_VALID && bad) {
        fmt_time(asn1_time(X509_get0_notBefore(bad)), a, sizeof(a));
        stir__why(why, why_size,
            "certificate \"%s\" not yet valid: notBefore %s, now %s", cn, a, b);
    } else {
        stir__why(why, why_size, "certificate \"%s\" untrusted: %s (depth %d)",
            cn, X509_verify_cert_error_string(verr), depth);
    }
out:
    X509_STORE_CTX_free(ctx);
    return err;
}
