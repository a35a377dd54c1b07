/*
 * Legacy SIP Identity (RFC 4474): "Identity" carries a quoted base64 RSA
 * signature over the digest-string, "Identity-Info" the certificate URI
 * and algorithm. rsa-sha256 is produced and verified; rsa-sha1 is only
 * verified (old equipment still sends it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "sip/sip_hdr.h"
#include "stir/stir_int.h"

/* CSeq "0314159  INVITE" -> "314159 INVITE" (leading zeros dropped). */
static int
cseq_norm(struct slice cseq, char *dst, size_t size)
{
    struct slice s = slice_trim(cseq);
    size_t i = 0, start;

    while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9') {
        i++;
    }
    if (i == 0) {
        return -EINVAL;
    }
    struct slice num = slice_sub(s, 0, i);
    while (num.len > 1 && num.p[0] == '0') {
        num = slice_sub(num, 1, num.len - 1);
    }
    while (i < s.len && (s.p[i] == ' ' || s.p[i] == '\t')) {
        i++;
    }
    start = i;
    struct slice method = slice_trim(slice_sub(s, start, s.len - start));
    if (method.len == 0) {
        return -EINVAL;
    }
    int n = snprintf(
        dst, size, SLICE_FMT " " SLICE_FMT, SLICE_ARG(num), SLICE_ARG(method));
    return n < 0 || (size_t) n >= size ? -ENOSPC : 0;
}

int
stir_legacy_digest_string(const struct stir_call *call, char *dst, size_t size)
{
    char cseq[96];
    struct slice contact =
        call->contact.len ? stir__addr_spec(call->contact) : SLICE_NULL;

    if (!call->from.len || !call->to.len || !call->call_id.len
        || !call->date.len || cseq_norm(call->cseq, cseq, sizeof(cseq)) != 0) {
        return STIR_E_MESSAGE;
    }
    /* RFC 4474 §9: addr-spec|addr-spec|callid|cseq|date|[contact]|body */
    int n = snprintf(dst, size,
        SLICE_FMT "|" SLICE_FMT "|" SLICE_FMT "|%s|" SLICE_FMT "|" SLICE_FMT
                  "|",
        SLICE_ARG(stir__addr_spec(call->from)),
        SLICE_ARG(stir__addr_spec(call->to)),
        SLICE_ARG(slice_trim(call->call_id)), cseq,
        SLICE_ARG(slice_trim(call->date)), SLICE_ARG(contact));
    if (n < 0 || (size_t) n + call->body.len >= size) {
        return -ENOSPC;
    }
    if (call->body.len) {
        memcpy(dst + n, call->body.p, call->body.len);
    }
    n += (int) call->body.len;
    dst[n] = '\0';
    return n;
}

/* Identity-Info: <URI>;alg=rsa-sha1, parsed by the sip layer. */
static int
parse_info(struct slice v, struct slice *uri, struct slice *alg)
{
    struct sip_identity_info ii;

    if (sip_identity_info_parse(&ii, v) != 0) {
        return -EINVAL;
    }
    *uri = ii.uri;
    *alg = ii.alg;
    return 0;
}

static int
b64_decode_std(struct slice in, unsigned char *dst, size_t size)
{
    unsigned char tmp[2048];
    size_t pad = 0;

    if (in.len == 0 || in.len % 4 || in.len >= sizeof(tmp)
        || in.len / 4 * 3 > size) {
        return -EINVAL;
    }
    memcpy(tmp, in.p, in.len);
    tmp[in.len] = '\0';
    while (pad < 2 && in.len > pad && in.p[in.len - 1 - pad] == '=') {
        pad++;
    }
    int n = EVP_DecodeBlock(dst, tmp, (int) in.len);
    return n < 0 ? -EINVAL : n - (int) pad;
}

static int
lfail(struct stir_verdict *out, int code, const char *msg, struct slice arg)
{
    out->code = code;
    snprintf(out->reason, sizeof(out->reason), "RFC 4474: %s" SLICE_FMT, msg,
        SLICE_ARG(arg));
    return code;
}

int
stir__verify_legacy(const struct stir_identity *id,
    const struct stir_call *call, stir_cred_cb *cred, void *arg,
    const struct stir_policy *pol, time_t now, struct stir_verdict *out)
{
    struct slice uri, alg, host;
    const EVP_MD *md;
    unsigned char sig[1024];
    char *ds = NULL, cwhy[256], hostz[256];
    EVP_MD_CTX *mctx = NULL;
    time_t date;
    int rc, code;

    if (call->identity_info.len == 0
        || parse_info(call->identity_info, &uri, &alg) != 0) {
        return lfail(out, STIR_BAD_INFO,
            "Identity without a usable Identity-Info header", SLICE_LIT(""));
    }
    if (slice_caseeq(alg, SLICE_LIT("rsa-sha256"))) {
        md = EVP_sha256();
    } else if (alg.len == 0 || slice_caseeq(alg, SLICE_LIT("rsa-sha1"))) {
        md = EVP_sha1();
    } else {
        return lfail(out, STIR_BAD_CRED, "unsupported Identity-Info alg ", alg);
    }
    if (call->date.len == 0 || stir__parse_date(call->date, &date) != 0) {
        return lfail(out, STIR_INVALID,
            "a valid Date header is part of the digest-string", SLICE_LIT(""));
    }
    int slen = b64_decode_std(id->b64_sig, sig, sizeof(sig));
    if (slen <= 0) {
        return lfail(
            out, STIR_INVALID, "signature is not base64", SLICE_LIT(""));
    }
    code = STIR_BAD_INFO;
    cwhy[0] = '\0';
    const struct stir_cert *c = cred(arg, uri, &code, cwhy, sizeof(cwhy));
    if (!c) {
        out->code = code == STIR_BAD_CRED ? STIR_BAD_CRED : STIR_BAD_INFO;
        snprintf(out->reason, sizeof(out->reason), "RFC 4474: %s", cwhy);
        return out->code;
    }
    EVP_PKEY *pk = (EVP_PKEY *) stir_cert_pkey(c);
    if (!EVP_PKEY_is_a(pk, "RSA")) {
        return lfail(out, STIR_BAD_CRED,
            "certificate key is not RSA (rsa-sha1/rsa-sha256)", SLICE_LIT(""));
    }
    /* RFC 4474 §6: the certificate must cover the From domain. */
    struct slice from = stir__addr_spec(call->from);
    ptrdiff_t at = slice_chr(from, '@');
    host = at < 0 ? SLICE_LIT("") : slice_sub(from, (size_t) at + 1, from.len);
    for (size_t i = 0; i < host.len; i++) {
        if (host.p[i] == ';' || host.p[i] == ':' || host.p[i] == '>') {
            host.len = i;
            break;
        }
    }
    if (slice_copy(hostz, sizeof(hostz), host) != 0 || host.len == 0
        || X509_check_host((X509 *) stir_cert_x509(c), hostz, host.len, 0, NULL)
            != 1) {
        return lfail(out, STIR_BAD_CRED,
            "certificate does not cover the From domain ", host);
    }
    ds = malloc(8192 + call->body.len);
    if (!ds) {
        return lfail(out, STIR_INVALID, "out of memory", SLICE_LIT(""));
    }
    rc = stir_legacy_digest_string(call, ds, 8192 + call->body.len);
    mctx = EVP_MD_CTX_new();
    if (rc < 0 || !mctx || EVP_DigestVerifyInit(mctx, NULL, md, NULL, pk) != 1
        || EVP_DigestVerify(
               mctx, sig, (size_t) slen, (unsigned char *) ds, (size_t) rc)
            != 1) {
        lfail(out, STIR_INVALID,
            "signature does not validate over the digest-string "
            "(From, To, Call-ID, CSeq, Date, Contact or body changed?)",
            SLICE_LIT(""));
        goto out;
    }
    int64_t age = (int64_t) now - (int64_t) date;
    int64_t lim = (int64_t) pol->freshness + pol->skew;
    if (age > lim || -age > lim) {
        out->code = STIR_STALE;
        snprintf(out->reason, sizeof(out->reason),
            "RFC 4474: Date is %lld s %s now, freshness window %u s",
            (long long) (age > 0 ? age : -age), age > 0 ? "before" : "after",
            pol->freshness);
        goto out;
    }
    out->code = STIR_PASS;
    snprintf(out->reason, sizeof(out->reason),
        "RFC 4474 signature valid (" SLICE_FMT ") for %s",
        SLICE_ARG(alg.len ? alg : SLICE_LIT("rsa-sha1")), hostz);
out:
    EVP_MD_CTX_free(mctx);
    free(ds);
    return out->code;
}

int
stir_legacy_sign(const void *key_pem, size_t key_len,
    const struct stir_call *call, struct slice info_url, char *ident,
    size_t ident_size, char *info, size_t info_size)
{
    BIO *bio = NULL;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *mctx = NULL;
    unsigned char sig[1024];
    unsigned char b64[1400];
    size_t slen = sizeof(sig);
    char *ds = NULL;
    int err = -ENOMEM, n;

    if (key_len > INT32_MAX) {
        return STIR_E_TOO_LONG;
    }
    bio = BIO_new_mem_buf(key_pem, (int) key_len);
    key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    if (!key || !EVP_PKEY_is_a(key, "RSA")) {
        err = STIR_E_KEY_TYPE;
        goto out;
    }
    ds = malloc(8192 + call->body.len);
    if (!ds) {
        goto out;
    }
    n = stir_legacy_digest_string(call, ds, 8192 + call->body.len);
    if (n < 0) {
        err = n;
        goto out;
    }
    mctx = EVP_MD_CTX_new();
    if (!mctx || EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, key) != 1
        || EVP_DigestSign(mctx, sig, &slen, (unsigned char *) ds, (size_t) n)
            != 1
        || slen > 1000) {
        err = STIR_E_CRYPTO;
        goto out;
    }
    EVP_EncodeBlock(b64, sig, (int) slen);
    n = snprintf(ident, ident_size, "\"%s\"", b64);
    if (n < 0 || (size_t) n >= ident_size) {
        err = -ENOSPC;
        goto out;
    }
    n = snprintf(
        info, info_size, "<" SLICE_FMT ">;alg=rsa-sha256", SLICE_ARG(info_url));
    err = n < 0 || (size_t) n >= info_size ? -ENOSPC : 0;
out:
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_free(key);
    BIO_free(bio);
    free(ds);
    return err;
}
