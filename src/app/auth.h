/*
 * Digest authentication (RFC 7616, RFC 8760 for SIP): SHA-256 and MD5 with
 * qop=auth. Users are stored as HA1 = H(username ":" realm ":" password)
 * only, never the password.
 *
 * Nonces carry their own issue time and are bound to it with a MAC
 * (SipHash-2-4 through OpenSSL's EVP_MAC) under a per-process secret, so
 * any worker can check any nonce; an expired one whose response is right
 * is answered with stale=true. Every issued nonce is kept whole in a
 * sharded table with the highest nonce-count seen, so a replayed nc is
 * refused and a nonce found there needs no MAC check (one whose slot was
 * recycled is treated as stale: the client simply retries with a fresh
 * one). Bad credentials from
 * one source address drain a token bucket; an empty bucket is answered
 * without hashing until it refills.
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
    AUTH_HEX_MAX = 65,   /* SHA-256 hex + NUL */
    AUTH_NONCE_LEN = 48, /* hex characters of a nonce */
};

/** Hex length of alg's digests: 32 or 64. */
size_t auth_hex_len(enum auth_alg alg);

/** HA1 = H(username:realm:password) as lower-case hex into out[65]. */
int auth_ha1(enum auth_alg alg, struct slice username, struct slice realm,
    struct slice password, char *out);

/* The fields of an Authorization header value (slices into it). */
struct auth_creds {
    struct slice username, realm, nonce, uri, response, cnonce, qop, nc_s;
    struct slice opaque, algorithm;
    enum auth_alg alg;
    uint32_t nc;
};

/**
 * Parses `Digest k=v, ...`. -EINVAL when it is not Digest or a required
 * field is missing (username, realm, nonce, uri, response), -ENOTSUP for
 * an unknown algorithm or a qop other than auth (and no qop at all: replay
 * protection needs nc and cnonce).
 */
int auth_creds_parse(struct auth_creds *c, struct slice value);

struct auth_conf {
    struct slice realm;
    uint32_t nonce_ttl_s; /* a nonce is fresh this long */
    bool sha256, md5;     /* algorithms offered, SHA-256 first */
    double fail_burst;    /* bad credentials allowed per source at once */
    double fail_per_sec;  /* refill rate */
};

struct auth;

int auth_new(struct auth **ap, const struct auth_conf *c);
void auth_free(struct auth *a);

/**
 * Writes the WWW-Authenticate values (one per algorithm, preferred first)
 * for a fresh nonce into buf, separated by NULs; vals[i] point into buf.
 * Returns how many (1 or 2), -ENOSPC, or -EIO when no nonce can be made.
 */
int auth_challenge(
    struct auth *a, bool stale, char *buf, size_t size, struct slice vals[2]);

enum auth_verdict {
    AUTH_OK = 0,
    AUTH_BAD,    /* wrong response, unknown nonce MAC, wrong realm */
    AUTH_STALE,  /* right response, expired or recycled nonce */
    AUTH_REPLAY, /* nonce-count not above the last one seen */
};

/**
 * Checks creds for method against ha1 (hex of creds->alg). The nonce must be
 * ours and the response right; then freshness and nonce-count. now: wall
 * seconds.
 */
enum auth_verdict auth_verify(struct auth *a, const struct auth_creds *c,
    struct slice method, const char *ha1, int64_t now);

/** False when this source spent its bad-credential budget (answer cheaply). */
bool auth_source_allowed(struct auth *a, const void *addr, size_t len);
/** Records one bad credential from this source. */
void auth_source_failed(struct auth *a, const void *addr, size_t len);

#endif
