/*
 * base64url (RFC 4648 §5) without padding, as JWS uses it (RFC 7515 §2).
 * OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock do the coding; this file only
 * swaps the two alphabet characters and handles the padding.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "stir/stir_int.h"

int
stir_b64url_encode(char *dst, size_t size, const void *src, size_t n)
{
    size_t want = stir_b64url_len(n);
    unsigned char tmp[STIR__B64_MAX + 4];

    if (want + 1 > size || n > (STIR__B64_MAX / 4) * 3) {
        return -ENOSPC;
    }
    int len = EVP_EncodeBlock(tmp, src, (int) n);
    while (len > 0 && tmp[len - 1] == '=') {
        len--;
    }
    for (int i = 0; i < len; i++) {
        char c = (char) tmp[i];
        dst[i] = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    dst[len] = '\0';
    return len;
}

int
stir_b64url_decode(void *dst, size_t size, struct slice in)
{
    unsigned char tmp[STIR__B64_MAX + 4];
    unsigned char out[(STIR__B64_MAX / 4) * 3 + 3];
    size_t n = in.len;

    if (n > STIR__B64_MAX) {
        return STIR_E_TOO_LONG;
    }
    if (n % 4 == 1) {
        return STIR_E_BASE64;
    }
    /* EVP_DecodeBlock accepts '+', '/', '=' and trims whitespace: check
     * the strict base64url alphabet first. */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) in.p[i];
        if (c == '-') {
            c = '+';
        } else if (c == '_') {
            c = '/';
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                       || (c >= '0' && c <= '9'))) {
            return STIR_E_BASE64;
        }
        tmp[i] = c;
    }
    size_t pad = (4 - n % 4) % 4;
    memset(tmp + n, '=', pad);
    size_t dec = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (dec > size) {
        return -ENOSPC;
    }
    if (n == 0) {
        return 0;
    }
    int len = EVP_DecodeBlock(out, tmp, (int) (n + pad));
    if (len < 0 || (size_t) len < dec) {
        return STIR_E_BASE64;
    }
    memcpy(dst, out, dec);
    return (int) dec;
}
