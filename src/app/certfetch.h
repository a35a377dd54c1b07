/*
 * Certificates named by Identity info/x5u URLs (RFC 8224 §6.2.1, ATIS-1000074
 * §5.3.1): fetched with libcurl's multi interface on the worker's own event
 * loop (curl_multi_socket_action + timers), so no SIP worker ever blocks on
 * HTTP, and kept in one in-memory cache shared by every worker.
 *
 * Fetch rules: https only, unless the URL's host is allow-listed for http;
 * redirects only to the same scheme; a timeout (2 s) and a size cap (64 KB);
 * addresses in RFC 6890 special-purpose ranges (loopback, private, link
 * local, documentation, ...) refused unless the host or address is
 * allow-listed. One fetch per URL at a time per worker: later calls wait on
 * it.
 *
 * Cache: keyed by URL. A fetched bundle is parsed and its chain validated
 * against the trust store once, when it enters the cache; calls then only
 * take a reference. Lifetime: Cache-Control max-age / Expires, bounded by
 * [ttl_min, ttl_max] and by the leaf's notAfter. Failures (436: cannot
 * fetch; 437: not a usable or trusted certificate) are cached for neg_ttl.
 */
#ifndef SW_APP_CERTFETCH_H
#define SW_APP_CERTFETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "base/ev.h"
#include "base/slice.h"
#include "stir/stir.h"

struct certcache_conf {
    int64_t timeout_ms;                /* whole transfer */
    int64_t max_bytes;                 /* body cap */
    int64_t ttl_min, ttl_max, neg_ttl; /* seconds */
    int64_t max_entries;
    const char *http_hosts;         /* comma-separated: http allowed */
    const char *private_hosts;      /* comma-separated hosts or addresses */
    const struct stir_trust *trust; /* borrowed; outlives the cache */
};

struct certcache;

/*
 * The caching headers of an x5u response (Cache-Control max-age, s-maxage,
 * no-store, no-cache; Expires and Date), read one line at a time as
 * libcurl hands them over; the fetched certificate is kept until
 * certcache_hdrs_expiry().
 */
struct certcache_hdrs {
    int64_t ttl;          /* seconds; 0 for no-store/no-cache; -1 absent */
    time_t date, expires; /* 0 absent, -1 unreadable */
};

void certcache_hdrs_init(struct certcache_hdrs *h);
/** One header line ("Name: value\r\n"); others than the above are ignored. */
void certcache_hdrs_line(struct certcache_hdrs *h, const char *p, size_t len);
/** When an entry fetched at now expires: the headers' lifetime bounded to
 * [ttl_min, ttl_max] (ttl_max without caching headers). */
time_t certcache_hdrs_expiry(const struct certcache_hdrs *h, time_t now,
    int64_t ttl_min, int64_t ttl_max);

int certcache_new(struct certcache **cp, const struct certcache_conf *c);
void certcache_free(struct certcache *c);

/**
 * Allow-lists host for http and for special-purpose addresses (the daemon's
 * own certificate repository). Before the workers start only.
 */
int certcache_allow_host(struct certcache *c, const char *host);

enum certcache_state {
    CERTCACHE_MISS = 0,
    CERTCACHE_OK = 1,
    CERTCACHE_FAIL = 2,
};

/**
 * Looks url up at now. OK: *cert is a new reference (stir_cert_deref it).
 * FAIL: *code is 436 or 437 and why says what went wrong. MISS: absent or
 * expired.
 */
enum certcache_state certcache_get(struct certcache *c, struct slice url,
    time_t now, struct stir_cert **cert, int *code, char *why, size_t why_size);

/**
 * Blocking fetch for threads that may block (the REST handlers): fetches
 * url with the same rules, caches the result, and answers like
 * certcache_get (never MISS).
 */
enum certcache_state certcache_fetch_sync(struct certcache *c, struct slice url,
    time_t now, struct stir_cert **cert, int *code, char *why, size_t why_size);

/** One cached URL, as the admin API lists it. */
struct certcache_row {
    const char *url;
    bool ok;             /* a validated certificate; false: a failure */
    int code;            /* 436 / 437 for a failure */
    const char *why;     /* the failure ("" when ok) */
    const char *subject; /* leaf subject; "" when nothing parsed */
    time_t fetched, expires;
    time_t not_after; /* of the leaf; 0 when nothing parsed */
    uint64_t hits;    /* lookups answered by this entry */
};
typedef void certcache_row_cb(void *arg, const struct certcache_row *r);

/**
 * Calls cb for every entry still valid at now, under the cache's lock (cb
 * must be quick and must not call into the cache). Returns the count.
 */
size_t certcache_list(
    struct certcache *c, time_t now, certcache_row_cb *cb, void *arg);

/**
 * Drops the entry of url (NULL: every entry), so the next call fetches and
 * validates again. Returns how many were dropped.
 */
size_t certcache_flush(struct certcache *c, const char *url);

/**
 * Validates against t from now on and drops every entry, since they were
 * validated against the previous store. Waits for validations running
 * with the previous store, so the caller may free what this returns.
 * *flushed (may be NULL) gets how many entries were dropped.
 */
const struct stir_trust *certcache_set_trust(
    struct certcache *c, const struct stir_trust *t, size_t *flushed);

/* Counters, for the logs and tests. */
struct certcache_stats {
    uint64_t hits, misses, fetches, fetch_fail, entries;
};
void certcache_stats_get(struct certcache *c, struct certcache_stats *s);

/* ---- per worker ---- */

struct certfetch;

/** Somebody waiting for a URL; embedded by the caller. */
typedef void certfetch_cb(void *arg);
struct certfetch_waiter {
    struct certfetch_waiter *next;
    certfetch_cb *cb;
    void *arg;
};

/** The fetcher of one worker, driven by its loop. */
int certfetch_new(
    struct certfetch **fp, struct certcache *c, struct ev_loop *loop);
/**
 * Aborts every transfer (waiters are not called: their owner is going
 * away too) and frees f. On the loop's thread or after it stopped.
 */
void certfetch_free(struct certfetch *f);

/**
 * Makes sure url gets fetched (unless a fetch of it is running already) and
 * calls w->cb(w->arg) on the loop when it is in the cache (as a
 * certificate or a failure). 0: waiting; 1: the URL was refused at once
 * (scheme, host) and the failure is in the cache already, nothing to wait
 * for; -errno when no fetch can start (then answer without waiting).
 */
int certfetch_want(struct certfetch *f, struct slice url,
    struct certfetch_waiter *w, certfetch_cb *cb, void *arg);

/** Transfers running on this worker. */
size_t certfetch_running(const struct certfetch *f);

/** True when a is in an RFC 6890 special-purpose range. */
bool certfetch_addr_special(const struct sockaddr *a);

#endif
