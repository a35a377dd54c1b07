/* Digest authentication for the client (RFC 3261 §22.2, RFC 7616). */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "cli/ua_int.h"
#include "sip/sip_hdr.h"

/* Hex digest of the concatenated C strings parts[0..n) into out. */
static int
hash_hex(const EVP_MD *md, const char *const *parts, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int rc = -EIO;

    if (!c || EVP_DigestInit_ex(c, md, NULL) != 1) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (EVP_DigestUpdate(c, parts[i], strlen(parts[i])) != 1) {
            goto out;
        }
    }
    if (EVP_DigestFinal_ex(c, d, &dl) != 1) {
        goto out;
    }
    for (unsigned int i = 0; i < dl; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * dl] = '\0';
    rc = 0;
out:
    EVP_MD_CTX_free(c);
    return rc;
}

/* True when the qop list (e.g. "auth,auth-int") offers "auth". */
static bool
offers_auth(struct slice qop)
{
    struct slice rest = qop, item;

    while (rest.len) {
        ptrdiff_t comma = slice_chr(rest, ',');
        item =
            slice_trim(comma < 0 ? rest : slice_sub(rest, 0, (size_t) comma));
        if (slice_caseeq(item, SLICE_LIT("auth"))) {
            return true;
        }
        rest = comma < 0 ? SLICE_NULL
                         : slice_sub(rest, (size_t) comma + 1, rest.len);
    }
    return false;
}

int
ua__digest(const struct ua_opts *o, struct sip_msg *m, struct slice resp,
    const char *method, const char *uri, const char *cnonce_in, char *out,
    size_t size)
{
    struct sip_auth best = { 0 }, a;
    const EVP_MD *md = NULL;
    bool have = false, proxy;
    char realm[256], nonce[512], opaque[512], algo[32], cnonce[64];
    char ha1[2 * EVP_MAX_MD_SIZE + 1], ha2[sizeof(ha1)], rsp[sizeof(ha1)];
    int n;

    if (!o->user || !o->password || sip_msg_parse(m, resp) != 0) {
        return -ENOTSUP;
    }
    proxy = m->status == 407;
    enum sip_hdr_id id =
        proxy ? SIP_HDR_PROXY_AUTHENTICATE : SIP_HDR_WWW_AUTHENTICATE;
    /* Prefer SHA-256 when several challenges are offered (RFC 7616 §3.7). */
    for (const struct sip_hdr *h = sip_msg_hdr(m, id); h;
         h = sip_msg_hdr_next(m, h)) {
        if (sip_auth_parse(&a, h->value) != 0
            || !slice_caseeq(a.scheme, SLICE_LIT("Digest"))) {
            continue;
        }
        bool sha = slice_caseeq(a.algorithm, SLICE_LIT("SHA-256"));
        bool md5 =
            !a.algorithm.len || slice_caseeq(a.algorithm, SLICE_LIT("MD5"));
        if (sha) {
            best = a;
            md = EVP_sha256();
            have = true;
            break;
        }
        if (md5 && !have) {
            best = a;
            md = EVP_md5();
            have = true;
        }
    }
    if (!have || slice_copy(realm, sizeof(realm), best.realm) != 0
        || slice_copy(nonce, sizeof(nonce), best.nonce) != 0
        || slice_copy(opaque, sizeof(opaque), best.opaque) != 0) {
        return -ENOTSUP;
    }
    snprintf(algo, sizeof(algo), "%s", md == EVP_md5() ? "MD5" : "SHA-256");
    bool qop = offers_auth(best.qop);
    if (cnonce_in) {
        snprintf(cnonce, sizeof(cnonce), "%s", cnonce_in);
    } else {
        unsigned char rb[8] = { 0 };
        FILE *rf = fopen("/dev/urandom", "rb");
        if (!rf || fread(rb, 1, sizeof(rb), rf) != sizeof(rb)) {
            memcpy(rb, &resp.p,
                sizeof(rb) < sizeof(resp.p) ? sizeof(rb) : sizeof(resp.p));
        }
        if (rf) {
            fclose(rf);
        }
        for (size_t i = 0; i < sizeof(rb); i++) {
            snprintf(cnonce + 2 * i, 3, "%02x", rb[i]);
        }
    }
    const char *p1[] = { o->user, ":", realm, ":", o->password };
    const char *p2[] = { method, ":", uri };
    if (hash_hex(md, p1, sizeof(p1) / sizeof(p1[0]), ha1) != 0
        || hash_hex(md, p2, sizeof(p2) / sizeof(p2[0]), ha2) != 0) {
        return -EIO;
    }
    if (qop) {
        const char *p3[] = { ha1, ":", nonce, ":", "00000001", ":", cnonce,
            ":auth:", ha2 };
        if (hash_hex(md, p3, sizeof(p3) / sizeof(p3[0]), rsp) != 0) {
            return -EIO;
        }
    } else {
        const char *p3[] = { ha1, ":", nonce, ":", ha2 };
        if (hash_hex(md, p3, sizeof(p3) / sizeof(p3[0]), rsp) != 0) {
            return -EIO;
        }
    }
    n = snprintf(out, size,
        "%cDigest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
        "response=\"%s\", algorithm=%s%s%s%s%s%s%s",
        proxy ? 'P' : 'W', o->user, realm, nonce, uri, rsp, algo,
        qop ? ", qop=auth, nc=00000001, cnonce=\"" : "", qop ? cnonce : "",
        qop ? "\"" : "", opaque[0] ? ", opaque=\"" : "", opaque,
        opaque[0] ? "\"" : "");
    if (n < 0 || (size_t) n >= size) {
        return -ENOSPC;
    }
    return slice_caseeq(best.stale, SLICE_LIT("true")) ? 1 : 0;
}
