/*
 * Digest authentication (RFC 7616, RFC 8760 for SIP): SHA-256 and MD5 with
 * qop=auth. Users are stored as HA1 = H(username ":" realm ":" password)
 * only, never the password.
 *
 * Nonces carry their own issue time and are bound to it with an HMAC under
 * a per-process secret, so any worker can check any nonce without shared
 * state; an old nonce is answered with stale=true. Nonce-count replays are
 * refused with a small per-worker table of the highest nc seen per nonce.
 * Bad credentials from one source drain a per-source token bucket; an empty
 * bucket is answered cheaply (no hashing) until it refills.
 */
#ifndef SW_APP_AUTH_H
#define SW_APP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/slice.h"

enum auth_alg {
    AUTH_MD5 = 0,
    AUTH_SHA256 = 1,
};

enum {
    AUTH_HEX_MAX = 65, /* SHA-256 hex + NUL */
};

/** Hex length of alg's digests: 32 or 64. */
size_t auth_hex_len(enum auth_alg alg);

/** HA1 = H(username:realm:password) as lower-case hex into out[65]. */
int auth_ha1(enum auth_alg alg, struct slice username, struct slice realm,
    struct slice password, char *out);

#endif
