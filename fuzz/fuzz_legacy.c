/*
 * RFC 4474 identity: the input is the header values of a request, one per
 * line in this order: From, To, Call-ID, CSeq, Date, Contact,
 * Identity-Info, Identity; the rest is the body. They go through the
 * digest-string builder and the legacy verifier with an RSA certificate
 * made at start for example.com. With an empty Identity line the request
 * is signed with that certificate's key first: what we sign must never
 * fail to validate.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "fuzz_check.h"
#include "stir/stir.h"

static struct stir_cert *cert;
static struct stir_vctx *vctx;
static char *key_pem;
static size_t key_len;

/* PEM of an EVP_PKEY or X509 written by fn into a malloc'd string. */
static char *
pem_of(int (*fn)(BIO *, void *), void *obj, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p, *out = NULL;
    long n;

    if (b && fn(b, obj) == 1 && (n = BIO_get_mem_data(b, &p)) > 0
        && (out = malloc((size_t) n + 1))) {
        memcpy(out, p, (size_t) n);
        out[n] = '\0';
        *len = (size_t) n;
    }
    BIO_free(b);
    return out;
}

static int
write_key(BIO *b, void *k)
{
    return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

static int
write_cert(BIO *b, void *x)
{
    return PEM_write_bio_X509(b, x);
}

/* A self-signed RSA certificate for DNS:example.com and its key. */
static void
setup(void)
{
    EVP_PKEY *k = EVP_RSA_gen(1024);
    X509 *x = X509_new();
    X509V3_CTX ctx;
    size_t n;

    check(k && x);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -86400L * 365 * 20);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365 * 20);
    X509_set_pubkey(x, k);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
        (const unsigned char *) "example.com", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(
        NULL, &ctx, NID_subject_alt_name, "DNS:example.com");
    check(e && X509_add_ext(x, e, -1) == 1);
    X509_EXTENSION_free(e);
    check(X509_sign(x, k, EVP_sha256()) > 0);
    key_pem = pem_of(write_key, k, &key_len);
    char *cert_pem = pem_of(write_cert, x, &n);
    check(key_pem && cert_pem);
    stir_err_init();
    check(stir_cert_parse(&cert, cert_pem, n) == 0);
    check(stir_vctx_new(&vctx) == 0);
    free(cert_pem);
    X509_free(x);
    EVP_PKEY_free(k);
}

static const struct stir_cert *
cred(void *arg, struct slice info, int *code, char *why, size_t size)
{
    (void) arg;
    /* An info URL starting with 'x' stands for one that cannot be
     * fetched. */
    if (info.len && info.p[0] == 'x') {
        *code = 436;
        snprintf(why, size, "cannot fetch");
        return NULL;
    }
    return cert;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct slice in = slice_make((const char *) data, size), f[8];
    struct stir_call call;
    struct stir_policy pol;
    struct stir_verdict *out = malloc(sizeof(*out));
    char ident[1500], info[600], *ds = malloc(8192 + size);
    size_t at = 0;
    bool signed_here = false;

    if (!cert) {
        setup();
    }
    if (!out || !ds) {
        goto out;
    }
    for (size_t i = 0; i < 8; i++) {
        ptrdiff_t nl = slice_chr(slice_sub(in, at, size), '\n');
        size_t len = nl < 0 ? size - at : (size_t) nl;
        f[i] = slice_sub(in, at, len);
        at = nl < 0 ? size : at + len + 1;
    }
    memset(&call, 0, sizeof(call));
    call.from = f[0];
    call.to = f[1];
    call.call_id = f[2];
    call.cseq = f[3];
    call.date = f[4];
    call.contact = f[5];
    call.identity_info = f[6];
    call.body = slice_sub(in, at, size);
    int n = stir_legacy_digest_string(&call, ds, 8192 + size);
    check(n < 0 || (size_t) n < 8192 + size);
    if (f[7].len == 0) {
        if (stir_legacy_sign(key_pem, key_len, &call, f[6], ident,
                sizeof(ident), info, sizeof(info))
            != 0) {
            goto out;
        }
        signed_here = true;
        call.identity[0] = slice_cstr(ident);
        call.identity_info = slice_cstr(info);
    } else {
        call.identity[0] = f[7];
    }
    call.nidentity = 1;
    stir_policy_default(&pol);
    stir_verify(vctx, &call, cred, NULL, &pol, 1795501029, out);
    check(out->code == 200 || out->code == 403 || out->code == 428
        || out->code == 436 || out->code == 437 || out->code == 438);
    check(strnlen(out->reason, sizeof(out->reason)) < sizeof(out->reason));
    if (signed_here) {
        check(strstr(out->reason, "does not validate") == NULL);
    }
out:
    free(out);
    free(ds);
    return 0;
}
