#define LOG_MODULE "auth"
#include "app/auth.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>

size_t
auth_hex_len(enum auth_alg alg)
{
    return alg == AUTH_SHA256 ? 64 : 32;
}

static void
to_hex(const unsigned char *d, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[2 * n] = '\0';
}

/* H(p0 ":" p1 ":" ... ) over n parts, as hex into out. */
static int
hash_parts(enum auth_alg alg, const struct slice *parts, size_t n, char *out)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = -ENOMEM;

    if (!ctx) {
        return rc;
    }
    if (EVP_DigestInit_ex(
            ctx, alg == AUTH_SHA256 ? EVP_sha256() : EVP_md5(), NULL)
        != 1) {
        rc = -EIO;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (i) {
            EVP_DigestUpdate(ctx, ":", 1);
        }
        if (parts[i].len) {
            EVP_DigestUpdate(ctx, parts[i].p, parts[i].len);
        }
    }
    if (EVP_DigestFinal_ex(ctx, d, &dlen) != 1) {
        rc = -EIO;
        goto out;
    }
    to_hex(d, dlen, out);
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

int
auth_ha1(enum auth_alg alg, struct slice username, struct slice realm,
    struct slice password, char *out)
{
    const struct slice p[3] = { username, realm, password };

    return hash_parts(alg, p, 3, out);
}
