/*
 * The store: users (HA1 hashes only), registered bindings and the moved
 * directory. One interface, several back ends (SQLite now, PostgreSQL
 * later): a back end only persists; everything else lives here.
 *
 * Reads never touch the database: they come from an in-memory index split
 * into shards, each behind its own read-write lock, so N worker threads read
 * concurrently without a global lock.
 *
 * Writes are requests handed to ONE store thread. It drains its queue in
 * batches, runs each batch as one transaction (group commit: many writes,
 * one fsync), and only after the commit is on disk applies the batch to the
 * index and completes each request: with ev_post() onto the requesting
 * worker's loop, or directly on the store thread when no loop is given.
 * A completed request with result 0 is durable.
 *
 * A store opened STORE_MODE_DIRECT (the CLI) has no index and no thread:
 * store_submit_wait() runs the request in its own transaction and the list
 * functions read the database. Changes made that way are seen by a running
 * daemon within a second (it polls the back end for changes).
 */
#ifndef SW_STORE_STORE_H
#define SW_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/ev.h"
#include "base/slice.h"

enum store_err {
    STORE_E_OUT_OF_ORDER = STORE_E_FIRST - 1, /* §10.3 step 7: old CSeq */
    STORE_E_TOO_MANY = STORE_E_FIRST - 2,     /* bindings per AOR */
    STORE_E_NOT_FOUND = STORE_E_FIRST - 3,
    STORE_E_TOO_LONG = STORE_E_FIRST - 4, /* a field over STORE_MAX_FIELD */
    STORE_E_SCHEMA = STORE_E_FIRST - 5,   /* unknown schema version */
    STORE_E_DB = STORE_E_FIRST - 6,       /* the database failed */
    STORE_E_CLOSED = STORE_E_FIRST - 7,   /* store shutting down */
    STORE_E_BAD_AOR = STORE_E_FIRST - 8,
    STORE_E_ENCODING = STORE_E_FIRST - 9, /* not UTF-8 (PostgreSQL text) */
    /* the database is away (a back end's begin() while it reconnects, or
     * a statement that found the connection gone); the requests complete
     * with it, so callers can say "retry later" */
    STORE_E_UNAVAILABLE = STORE_E_FIRST - 10,
};

enum {
    STORE_MAX_BINDINGS = 16, /* per AOR */
    STORE_MAX_FIELD = 1024,  /* bytes of any one string */
    STORE_MAX_AOR = 256,
};

enum store_mode {
    STORE_MODE_SERVE,  /* index + store thread: the daemon */
    STORE_MODE_DIRECT, /* synchronous, no index: the CLI */
};

struct store_conf {
    /* SQLite file, or PostgreSQL: a postgres:// URL or a libpq conninfo
     * ("host=db dbname=sipward user=sw"); secret: log store_path_describe() */
    const char *path;
    enum store_mode mode;
    unsigned sweep_ms; /* expired-binding sweep period; 0 = 1000 */
    unsigned poll_ms;  /* external change poll period; 0 = 250 */
    bool no_migrate;   /* open an old PostgreSQL schema as is (store check) */
};

struct store;

/** Registers the store error names; called by store_open() too. */
void store_err_init(void);

/**
 * Opens (creating when missing) the store, loads the index and starts the
 * store thread in STORE_MODE_SERVE. *stp is set only on success.
 */
int store_open(struct store **stp, const struct store_conf *c);
/** Drains the queue (pending requests complete with STORE_E_CLOSED). */
void store_close(struct store *st);

/**
 * Writes store.path into out fit for logs and messages: a PostgreSQL
 * conninfo with its password masked, a SQLite path as is.
 */
void store_path_describe(char *out, size_t size, const char *path);

/* What `sipward store check` reports. */
struct store_info {
    const char *backend;       /* "sqlite", "postgresql" */
    int schema, schema_latest; /* found, known to this sipward; -1 unknown */
    uint64_t users, moved, bindings; /* rows (live bindings) */
};
/** Fills i from the database (counts only when the schema is current). */
int store_info_get(struct store *st, struct store_info *i);

/*
 * Canonical AOR of a sip/sips URI, the key of everything in the store:
 * "sip:user@host", scheme sip for both sip and sips, host
 * lower-cased, port, parameters and headers dropped. STORE_E_BAD_AOR when uri
 * is not sip:/sips:, has no user part, or is not UTF-8 (no back end could
 * store it the same, and no JSON could show it).
 */
int store_aor_canon(char *out, size_t size, struct slice uri);
/** store_aor_canon(), also giving the key's length and the offset of its
 * host (after the '@'). */
int store_aor_canon_ex(
    char *out, size_t size, struct slice uri, size_t *len, size_t *host);

/* ---- reads (index; STORE_MODE_SERVE) ---- */

struct store_binding {
    struct slice contact; /* the Contact URI as registered */
    struct slice call_id;
    struct slice instance; /* +sip.instance, without quotes; may be empty */
    struct slice path;     /* Path header values, comma-joined; may be empty */
    struct slice received; /* source "proto:ip:port" of the REGISTER */
    int64_t expires;       /* absolute, wall-clock seconds */
    uint32_t cseq;
    uint32_t reg_id; /* 0 = none */
    uint16_t q;      /* q * 1000 */
};

struct store_aor_view {
    struct slice aor;
    bool user;
    struct slice username, realm;
    char ha1_md5[33];    /* lower-case hex, NUL-terminated */
    char ha1_sha256[65]; /* lower-case hex, NUL-terminated */
    bool moved;
    struct slice moved_uri, moved_note;
    int64_t moved_at;
    size_t nbindings; /* live ones only, highest q first */
    struct store_binding bindings[STORE_MAX_BINDINGS];
};

/**
 * Calls cb with everything known about aor, bindings expired at now left
 * out. The view's slices are valid only during cb (a shard lock is held:
 * keep cb short and never call into the store from it). Returns 0, or
 * STORE_E_NOT_FOUND (cb not called) when the AOR is unknown.
 */
typedef void store_read_cb(void *arg, const struct store_aor_view *v);
int store_aor_read(struct store *st, struct slice aor, int64_t now,
    store_read_cb *cb, void *arg);

/** Counts of the index, for logs, metrics and benchmarks. */
struct store_stats {
    uint64_t aors, users, moved, bindings;
    uint64_t commits, committed_reqs; /* batches and requests in them */
};
void store_stats_get(struct store *st, struct store_stats *s);

/* Whether the database behind the store is reachable: while it is not,
 * reads go on from the index and writes fail (readiness reports it). */
struct store_health {
    const char *backend; /* "sqlite", "postgresql" */
    bool available;
    int64_t down_since; /* wall-clock seconds it went away; 0 when available */
};
void store_health_get(struct store *st, struct store_health *h);

/* ---- writes ---- */

enum store_req_kind {
    STORE_REQ_REGISTER,  /* §10.3 steps 6-8 for one REGISTER */
    STORE_REQ_USER_PUT,  /* add or replace */
    STORE_REQ_USER_DEL,  /* also drops the AOR's bindings */
    STORE_REQ_MOVED_PUT, /* add or replace */
    STORE_REQ_MOVED_DEL,
};

/* One Contact of a REGISTER. */
struct store_contact {
    struct slice uri;
    struct slice instance; /* may be empty */
    uint32_t expires;      /* relative seconds; 0 removes the binding */
    uint32_t reg_id;
    uint16_t q; /* q * 1000 */
};

typedef void store_done_cb(void *arg);

/*
 * A write request. The caller owns it and every buffer its slices point
 * into until done runs; the store never allocates for a request.
 */
struct store_req {
    enum store_req_kind kind;
    struct slice aor; /* canonical (store_aor_canon) */

    /* STORE_REQ_REGISTER */
    struct slice call_id;
    uint32_t cseq;
    bool wildcard; /* Contact: * with Expires: 0 */
    const struct store_contact *contacts;
    size_t ncontacts;
    struct slice path, received;
    int64_t now; /* wall-clock seconds the expiries count from */

    /* STORE_REQ_USER_PUT */
    struct slice username, realm;
    struct slice ha1_md5, ha1_sha256; /* hex; either may be empty */

    /* STORE_REQ_MOVED_PUT */
    struct slice uri, note;

    /* completion */
    int result;           /* 0 durable, else a STORE_E_* or -errno */
    struct ev_loop *loop; /* NULL: done runs on the store thread */
    store_done_cb *done;
    void *arg;

    struct store_req *next; /* queue link, the store's */
};

/**
 * Queues req; req->done runs exactly once, after the write is durable or
 * has failed. Returns 0, or an error (done then never runs).
 */
int store_submit(struct store *st, struct store_req *req);

/**
 * Runs req and waits for it: through the store thread in SERVE mode, in
 * its own transaction in DIRECT mode. Returns req->result. done is ignored.
 */
int store_submit_wait(struct store *st, struct store_req *req);

/* ---- listings (index in SERVE mode, database in DIRECT mode) ---- */

struct store_user_row {
    struct slice aor, username, realm;
    bool md5, sha256; /* which hashes are stored */
};
struct store_moved_row {
    struct slice aor, uri, note;
    int64_t at;
};
typedef void store_user_cb(void *arg, const struct store_user_row *u);
typedef void store_moved_cb(void *arg, const struct store_moved_row *m);

/** Rows in no particular order in SERVE mode, by AOR in DIRECT mode. */
int store_user_list(struct store *st, store_user_cb *cb, void *arg);
int store_moved_list(struct store *st, store_moved_cb *cb, void *arg);

#endif
