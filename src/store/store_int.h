/*
 * Inside the store layer: the back-end ops table, the in-memory index, and
 * what a back end may call. A back end (store_sqlite.c, later store_pg.c)
 * only persists and loads; the queue, the store thread, group commit, the
 * index and the §10.3 binding rules are common (store.c, store_index.c).
 */
#ifndef SW_STORE_STORE_INT_H
#define SW_STORE_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "store/store.h"

struct store_idx;

/*
 * Persistence. Every write function runs inside begin()..commit() on the
 * store thread (or the CLI's thread in DIRECT mode). commit() returns 0 only
 * once the transaction is durable.
 */
struct store_ops {
    const char *name;
    /** Loads every durable row into st->idx (bindings live at now). */
    int (*load)(struct store *st, int64_t now);
    int (*begin)(struct store *st);
    int (*commit)(struct store *st);
    void (*rollback)(struct store *st);

    int (*binding_put)(
        struct store *st, struct slice aor, const struct store_binding *b);
    int (*binding_del)(
        struct store *st, struct slice aor, struct slice contact);
    int (*bindings_clear)(struct store *st, struct slice aor);
    /* user and moved writes also record the AOR in the change log, so other
     * processes (the daemon, other nodes) pick them up */
    int (*user_put)(struct store *st, const struct store_req *r);
    int (*user_del)(struct store *st, struct slice aor);
    int (*moved_put)(struct store *st, const struct store_req *r, int64_t at);
    int (*moved_del)(struct store *st, struct slice aor);

    /** Deletes every binding expired at now, in its own transaction: a
     * scan of the table (no index on expires), for when the index may not
     * know them all (start-up, after a failed sweep). */
    int (*expire)(struct store *st, int64_t now);
    /** Deletes one binding if it expired at now (inside a transaction):
     * the sweep, by key, of what the index found due. */
    int (*binding_expire)(
        struct store *st, struct slice aor, struct slice contact, int64_t now);
    /**
     * Calls cb for every AOR changed by another process since the last
     * call (or since load). Cheap when nothing changed.
     */
    int (*changes)(
        struct store *st, void (*cb)(void *, struct slice), void *arg);
    /** Re-reads one AOR's user, moved entry and bindings into the index. */
    int (*reload_aor)(struct store *st, struct slice aor, int64_t now);

    /* DIRECT mode listings, ordered by AOR. */
    int (*user_list)(struct store *st, store_user_cb *cb, void *arg);
    int (*moved_list)(struct store *st, store_moved_cb *cb, void *arg);
    /** Optional: schema and row counts (store_info_get). */
    int (*info)(struct store *st, struct store_info *i);

    void (*close)(struct store *st);
};

/* The common part; first member of every back end's struct. */
struct store {
    const struct store_ops *ops;
    enum store_mode mode;
    struct store_idx *idx; /* NULL in DIRECT mode */

    pthread_t thread;
    bool thread_started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct store_req *q_head, *q_tail;
    bool stopping;
    unsigned sweep_ms, poll_ms;
    /* The next sweep scans the table rather than deleting what the index
     * finds due: at start (rows expired while we were down are in no
     * index) and after a sweep failed. */
    bool sweep_full;

    atomic_uint_fast64_t commits, committed_reqs;
    /* Wall-clock seconds since the database is away; 0 while it is there.
     * Written by the store thread, read by the HTTP one. */
    _Atomic int64_t down_since;
};

/* Back-end constructors: allocate, open, create or migrate the schema. */
int store__sqlite_open(struct store **stp, const struct store_conf *c);
int store__pg_open(struct store **stp, const struct store_conf *c);

/** A back end lost (false) or regained (true) its database. */
void store__set_available(struct store *st, bool available);

/* ---- index (store_index.c) ---- */
/* Mutations run on the store thread only (one writer); each takes the shard
 * lock for writing. Reads may run anywhere. */

int store__idx_new(struct store_idx **ip);
void store__idx_free(struct store_idx *ix);

int store__idx_user_set(struct store_idx *ix, struct slice aor,
    struct slice username, struct slice realm, struct slice md5,
    struct slice sha256);
void store__idx_user_clear(struct store_idx *ix, struct slice aor);
int store__idx_moved_set(struct store_idx *ix, struct slice aor,
    struct slice uri, struct slice note, int64_t at);
void store__idx_moved_clear(struct store_idx *ix, struct slice aor);
/** Inserts, or replaces the binding with the same contact. */
int store__idx_binding_put(
    struct store_idx *ix, struct slice aor, const struct store_binding *b);
void store__idx_binding_del(
    struct store_idx *ix, struct slice aor, struct slice contact);
void store__idx_bindings_clear(struct store_idx *ix, struct slice aor);
/* One binding the sweep drops (aor, contact as the index has them). */
typedef void store_expired_cb(
    void *arg, struct slice aor, struct slice contact);
/** Drops bindings expired at now, calling cb (if set) for each before any
 * is dropped; returns how many. */
uint64_t store__idx_expire(
    struct store_idx *ix, int64_t now, store_expired_cb *cb, void *arg);

/**
 * Fills v for aor (live bindings at now, highest q first) and calls cb.
 * locked = false only on the store thread, which is the only writer.
 */
int store__idx_read(struct store_idx *ix, struct slice aor, int64_t now,
    bool locked, store_read_cb *cb, void *arg);
int store__idx_user_list(struct store_idx *ix, store_user_cb *cb, void *arg);
int store__idx_moved_list(struct store_idx *ix, store_moved_cb *cb, void *arg);
void store__idx_stats(struct store_idx *ix, struct store_stats *s);
/**
 * Moves fresh's content into ix and frees fresh with ix's old content. Shard
 * by shard under the write lock: a reader sees an AOR wholly old or wholly
 * new (a back end resynchronizing after a reconnect).
 */
void store__idx_replace(struct store_idx *ix, struct store_idx *fresh);

#endif
