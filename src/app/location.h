/*
 * The location service: registrar (RFC 3261 §10.3) and redirect server
 * (§8.3 / §21.3) over the store. One app_service answering REGISTER and
 * the out-of-dialog requests addressed to users of the served domains:
 *
 *   moved (store moved directory)   -> 301, Contact: <new-uri>, Warning 399
 *   live bindings                   -> 302, every contact by q, expires
 *   known user, nothing registered  -> 480
 *   unknown                         -> 404
 *
 * A REGISTER's 200 OK is sent only once its store write is durable (the
 * request is deferred until the store thread's completion).
 */
#ifndef SW_APP_LOCATION_H
#define SW_APP_LOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/slice.h"
#include "store/store.h"

/* The [registrar] section. */
struct location_conf {
    bool auth;           /* digest authentication required for REGISTER */
    char *algorithms;    /* "sha256,md5": offered, preferred first */
    bool use_domain;     /* false: every served domain is one (aliases) */
    int64_t min_expires; /* shorter non-zero expiries get 423 */
    int64_t max_expires; /* longer ones are cut to this */
    int64_t default_expires;
    int64_t nonce_ttl;    /* seconds a nonce stays fresh */
    int64_t fail_burst;   /* bad credentials per source before throttling */
    int64_t fail_per_min; /* refill of that allowance */
};

/** Registers the [registrar] table into c, pointing at lc. */
void location_conf_register(struct conf *c, struct location_conf *lc);
/** Cross-option checks; message in c->err. */
int location_conf_validate(struct conf *c, const struct location_conf *lc);

/* The served domains, parsed once. */
enum {
    LOCATION_MAX_DOMAINS = 32
};
struct location_domains {
    char name[LOCATION_MAX_DOMAINS][128]; /* lower case, no port */
    uint8_t len[LOCATION_MAX_DOMAINS];    /* strlen of each name */
    size_t n;
    bool use_domain;
};

/** Parses "a.example,b.example" (server.domains). -EINVAL on a bad list. */
int location_domains_parse(
    struct location_domains *d, const char *csv, bool use_domain);
/** True when host (no port, any case) is served. */
bool location_domain_served(
    const struct location_domains *d, struct slice host);
/**
 * The store key of a sip/sips URI: store_aor_canon(), and without
 * use_domain a served host is replaced by the first served domain (every
 * served domain is an alias of it). STORE_E_BAD_AOR or -ENOSPC.
 */
int location_aor_key(
    const struct location_domains *d, char *out, size_t size, struct slice uri);

struct app_service;
struct location;

/**
 * Creates the service over st. domains: server.domains; realm:
 * server.realm. On error writes a message into err.
 */
int location_new(struct location **lp, struct store *st, const char *domains,
    const char *realm, const struct location_conf *lc, char *err,
    size_t errlen);
void location_free(struct location *l);
/** The service to add to the pipeline; lives as long as l. */
const struct app_service *location_service(const struct location *l);

#endif
