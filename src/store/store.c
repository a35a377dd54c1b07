/*
 * The common part of every store: the request queue, the store thread with
 * group commit, the §10.3 binding rules, and dispatch to the back end.
 */
#define LOG_MODULE "store"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "store/store_int.h"
#include "store/store_metrics.h"
#include "store/store_pg.h"

enum {
    BATCH_MAX = 256,   /* requests per transaction */
    SEEN_SLOTS = 1024, /* AORs touched by one batch; > 2 * BATCH_MAX */
    MAX_CONTACTS = 2 * STORE_MAX_BINDINGS,
};

static const char *const store_err_names[] = {
    "request out of order (Call-ID/CSeq not newer)",
    "too many bindings for this address-of-record",
    "not found",
    "field too long",
    "unknown store schema version",
    "database error",
    "store is closing",
    "not a sip or sips address-of-record",
    "field is not valid UTF-8",
    "database unavailable",
};

void
store_err_init(void)
{
    err_register(STORE_E_FIRST, store_err_names,
        sizeof(store_err_names) / sizeof(store_err_names[0]));
}

/* 's' or 'S', 'i' or 'I', ... : or-ing 0x20 folds only these pairs onto
 * the lower-case letter. */
static inline bool
is_sip_scheme(struct slice s, size_t *skip)
{
    if (s.len < 4 || (s.p[0] | 0x20) != 's' || (s.p[1] | 0x20) != 'i'
        || (s.p[2] | 0x20) != 'p') {
        return false;
    }
    if (s.p[3] == ':') {
        *skip = 4;
        return true;
    }
    if (s.len >= 5 && (s.p[3] | 0x20) == 's' && s.p[4] == ':') {
        *skip = 5;
        return true;
    }
    return false;
}

/* What store_aor_canon_ex() must look at in a byte; 0 for the bytes it
 * only copies (letters in lower case, digits, most punctuation). */
enum {
    AC_BAD = 1,     /* control characters, SP, DEL: never in a key */
    AC_USERBAD = 2, /* < > " in the user part */
    AC_END = 4,     /* ends the host: ; ? > SP HTAB */
    AC_COLON = 8,   /* ends the host outside [ ] */
    AC_BRACKET = 16,
    AC_UPPER = 32,
    AC_HIGH = 64, /* past ASCII: UTF-8 to check */
};

static uint8_t aor_class[256];

__attribute__((constructor)) static void
aor_class_fill(void)
{
    for (int c = 0; c < 256; c++) {
        uint8_t k = 0;
        k |= c < 0x21 || c == 0x7f ? AC_BAD : 0;
        k |= c == '<' || c == '>' || c == '"' ? AC_USERBAD : 0;
        k |= c == ';' || c == '?' || c == '>' || c == ' ' || c == '\t' ? AC_END
                                                                       : 0;
        k |= c == ':' ? AC_COLON : 0;
        k |= c == '[' || c == ']' ? AC_BRACKET : 0;
        k |= c >= 'A' && c <= 'Z' ? AC_UPPER : 0;
        k |= c >= 0x80 ? AC_HIGH : 0;
        aor_class[c] = k;
    }
}

/* Where the host that starts at from ends: at ; ? > SP HTAB, or at a
 * port's ':' (not one inside an IPv6 reference). */
static size_t
host_end(struct slice s, size_t from)
{
    bool bracket = false;
    size_t end;

    for (end = from; end < s.len; end++) {
        unsigned char c = (unsigned char) s.p[end];
        uint8_t k = aor_class[c];
        if (k & AC_BRACKET) {
            bracket = c == '[';
        }
        if ((k & AC_END) || ((k & AC_COLON) && !bracket)) {
            break;
        }
    }
    return end;
}

int
store_aor_canon_ex(
    char *out, size_t size, struct slice uri, size_t *len, size_t *host)
{
    struct slice s = slice_trim(uri);
    size_t skip, at, end;
    size_t n = 0;
    uint8_t seen = 0;

    if (s.len && s.p[0] == '<') {
        ptrdiff_t gt = slice_chr(s, '>');
        if (gt < 0) {
            return STORE_E_BAD_AOR;
        }
        s = slice_sub(s, 1, (size_t) gt - 1);
    }
    if (!is_sip_scheme(s, &skip)) {
        return STORE_E_BAD_AOR;
    }
    s.p += skip;
    s.len -= skip;
    const char *a = s.len ? memchr(s.p, '@', s.len) : NULL;
    if (!a || a == s.p) {
        return STORE_E_BAD_AOR;
    }
    at = (size_t) (a - s.p);
    /* The port is dropped: an AOR names a user of a domain, whatever port
     * the request was sent to. Where out may be too small the host's end
     * is found first (too long wins over a bad byte); else while copying. */
    if (4 + s.len + 1 > size) {
        end = host_end(s, at + 1);
        if (end == at + 1 || 4 + end + 1 > size) {
            return end == at + 1 ? STORE_E_BAD_AOR : -ENOSPC;
        }
    }
    memcpy(out, "sip:", 4);
    n = 4;
    /* The canonical AOR is a C string and a key: a NUL or any other
     * control character (never valid in a URI, RFC 3261 §25.1) would cut
     * it or make two spellings of one user (found by fuzz_uri). */
    for (size_t i = 0; i < at; i++) {
        unsigned char c = (unsigned char) s.p[i];
        seen |= aor_class[c];
        out[n++] = (char) c;
    }
    out[n++] = '@';
    if (seen & (AC_BAD | AC_USERBAD)) {
        return STORE_E_BAD_AOR;
    }
    bool bracket = false;
    for (end = at + 1; end < s.len; end++) {
        unsigned char c = (unsigned char) s.p[end];
        uint8_t k = aor_class[c];
        if (k & (AC_END | AC_COLON | AC_BRACKET)) {
            if (k & AC_BRACKET) {
                bracket = c == '[';
            }
            if ((k & AC_END) || ((k & AC_COLON) && !bracket)) {
                break;
            }
        }
        seen |= k;
        out[n++] = (k & AC_UPPER) ? (char) (c + 32) : (char) c;
    }
    if (end == at + 1 || (seen & AC_BAD)) {
        return STORE_E_BAD_AOR;
    }
    /* Only a byte past ASCII needs the full UTF-8 check. */
    if ((seen & AC_HIGH) && slice_utf8_prefix(slice_make(s.p, end)) != end) {
        return STORE_E_BAD_AOR;
    }
    out[n] = '\0';
    *len = n;
    *host = 4 + at + 1;
    return 0;
}

int
store_aor_canon(char *out, size_t size, struct slice uri)
{
    size_t len, host;

    return store_aor_canon_ex(out, size, uri, &len, &host);
}

/* ---- the §10.3 rules, run twice: against the database, then the index --- */

struct sink {
    int (*put)(struct store *, struct slice, const struct store_binding *);
    int (*del)(struct store *, struct slice, struct slice);
    int (*clear)(struct store *, struct slice);
};

static int
idx_put(struct store *st, struct slice aor, const struct store_binding *b)
{
    return store__idx_binding_put(st->idx, aor, b);
}

static int
idx_del(struct store *st, struct slice aor, struct slice contact)
{
    store__idx_binding_del(st->idx, aor, contact);
    return 0;
}

static int
idx_clear(struct store *st, struct slice aor)
{
    store__idx_bindings_clear(st->idx, aor);
    return 0;
}

static const struct sink idx_sink = { idx_put, idx_del, idx_clear };

struct plan {
    int match[MAX_CONTACTS]; /* index into the view, or -1 */
    bool skip[MAX_CONTACTS];
};

/*
 * A REGISTER's view of its AOR and what it does to it, worked out once
 * against the index before the database write, and applied to the index
 * after the commit: a batch holds one request per AOR and nothing else
 * writes the index in between, so the view is still the index's then.
 */
struct reg_plan {
    struct store_aor_view v;
    struct plan p;
};

static void
copy_view(void *arg, const struct store_aor_view *v)
{
    *(struct store_aor_view *) arg = *v;
}

/* The AOR as the store thread sees it (no lock: it is the only writer). */
static void
current(
    struct store *st, struct slice aor, int64_t now, struct store_aor_view *v)
{
    if (store__idx_read(st->idx, aor, now, false, copy_view, v) != 0) {
        memset(v, 0, sizeof(*v));
    }
}

static bool
same_call_not_newer(const struct store_req *r, const struct store_binding *b)
{
    return slice_eq(b->call_id, r->call_id) && r->cseq <= b->cseq;
}

/*
 * §10.3 steps 6-7: decides, before anything is written, whether the whole
 * request applies, and which existing binding each contact updates. A
 * binding matches by +sip.instance and reg-id when the contact has an
 * instance (RFC 5626 §6), else by its URI.
 */
static int
reg_validate(
    const struct store_req *r, const struct store_aor_view *v, struct plan *p)
{
    bool used[STORE_MAX_BINDINGS] = { false };
    size_t count = v->nbindings;

    if (r->wildcard) {
        for (size_t k = 0; k < v->nbindings; k++) {
            if (same_call_not_newer(r, &v->bindings[k])) {
                return STORE_E_OUT_OF_ORDER;
            }
        }
        return 0;
    }
    if (r->ncontacts > MAX_CONTACTS) {
        return STORE_E_TOO_MANY;
    }
    for (size_t i = 0; i < r->ncontacts; i++) {
        const struct store_contact *c = &r->contacts[i];
        p->match[i] = -1;
        p->skip[i] = false;
        if (c->uri.len > STORE_MAX_FIELD || c->instance.len > STORE_MAX_FIELD) {
            return STORE_E_TOO_LONG;
        }
        for (size_t j = 0; j < i; j++) {
            if (slice_eq(r->contacts[j].uri, c->uri)) {
                p->skip[i] = true; /* the first of duplicates wins */
            }
        }
        if (p->skip[i]) {
            continue;
        }
        for (size_t k = 0; k < v->nbindings && p->match[i] < 0; k++) {
            const struct store_binding *b = &v->bindings[k];
            bool same = c->instance.len
                ? slice_eq(b->instance, c->instance) && b->reg_id == c->reg_id
                : slice_eq(b->contact, c->uri);
            if (same && !used[k]) {
                p->match[i] = (int) k;
                used[k] = true;
            }
        }
        if (p->match[i] >= 0) {
            if (same_call_not_newer(r, &v->bindings[p->match[i]])) {
                return STORE_E_OUT_OF_ORDER;
            }
            if (c->expires == 0) {
                count--;
            }
        } else if (c->expires == 0) {
            p->skip[i] = true;
        } else {
            count++;
        }
    }
    return count > STORE_MAX_BINDINGS ? STORE_E_TOO_MANY : 0;
}

/* §10.3 step 8: the writes, to the database or the index. */
static int
reg_exec(struct store *st, const struct store_req *r,
    const struct store_aor_view *v, const struct plan *p, const struct sink *k)
{
    int rc = 0;

    if (r->wildcard) {
        return k->clear(st, r->aor);
    }
    for (size_t i = 0; i < r->ncontacts && !rc; i++) {
        const struct store_contact *c = &r->contacts[i];
        if (p->skip[i]) {
            continue;
        }
        int m = p->match[i];
        if (m >= 0
            && (c->expires == 0 || !slice_eq(v->bindings[m].contact, c->uri))) {
            rc = k->del(st, r->aor, v->bindings[m].contact);
        }
        if (!rc && c->expires > 0) {
            struct store_binding b = {
                .contact = c->uri,
                .call_id = r->call_id,
                .instance = c->instance,
                .path = r->path,
                .received = r->received,
                .expires = r->now + (int64_t) c->expires,
                .cseq = r->cseq,
                .reg_id = c->reg_id,
                .q = c->q,
            };
            rc = k->put(st, r->aor, &b);
        }
    }
    return rc;
}

static int64_t
req_now(const struct store_req *r)
{
    return r->now ? r->now : (int64_t) clock_wall();
}

/* Validates req and writes it to the database (inside a transaction);
 * a REGISTER leaves its plan in rp. */
static int
exec_db(struct store *st, struct store_req *r, struct reg_plan *rp)
{
    const struct store_ops *o = st->ops;
    int rc = 0;

    if (!r->aor.len || r->aor.len > STORE_MAX_AOR) {
        return STORE_E_BAD_AOR;
    }
    switch (r->kind) {
    case STORE_REQ_REGISTER:
        if (!st->idx) {
            return -ENOTSUP;
        }
        current(st, r->aor, req_now(r), &rp->v);
        rc = reg_validate(r, &rp->v, &rp->p);
        if (!rc) {
            const struct sink db = { o->binding_put, o->binding_del,
                o->bindings_clear };
            rc = reg_exec(st, r, &rp->v, &rp->p, &db);
        }
        break;
    case STORE_REQ_USER_PUT:
        if (r->ha1_md5.len > 32 || r->ha1_sha256.len > 64
            || r->username.len > STORE_MAX_FIELD
            || r->realm.len > STORE_MAX_FIELD) {
            return STORE_E_TOO_LONG;
        }
        rc = o->user_put(st, r);
        break;
    case STORE_REQ_USER_DEL:
        rc = o->user_del(st, r->aor);
        break;
    case STORE_REQ_MOVED_PUT:
        if (r->uri.len > STORE_MAX_FIELD || r->note.len > STORE_MAX_FIELD) {
            return STORE_E_TOO_LONG;
        }
        rc = o->moved_put(st, r, req_now(r));
        break;
    case STORE_REQ_MOVED_DEL:
        rc = o->moved_del(st, r->aor);
        break;
    default:
        rc = -EINVAL;
    }
    return rc;
}

/* After the commit: the same change, to the index. */
static int
apply_idx(struct store *st, struct store_req *r, const struct reg_plan *rp)
{
    struct store_idx *ix = st->idx;
    int rc = 0;

    switch (r->kind) {
    case STORE_REQ_REGISTER:
        rc = reg_exec(st, r, &rp->v, &rp->p, &idx_sink);
        break;
    case STORE_REQ_USER_PUT:
        rc = store__idx_user_set(
            ix, r->aor, r->username, r->realm, r->ha1_md5, r->ha1_sha256);
        break;
    case STORE_REQ_USER_DEL:
        store__idx_user_clear(ix, r->aor);
        store__idx_bindings_clear(ix, r->aor);
        break;
    case STORE_REQ_MOVED_PUT:
        rc = store__idx_moved_set(ix, r->aor, r->uri, r->note, req_now(r));
        break;
    case STORE_REQ_MOVED_DEL:
        store__idx_moved_clear(ix, r->aor);
        break;
    }
    return rc;
}

static void
complete(struct store_req *r)
{
    /* r may be freed by done: nothing touches it afterwards. */
    if (r->loop) {
        if (ev_post(r->loop, r->done, r->arg) != 0) {
            log_error("cannot post a store completion: out of memory");
        }
    } else if (r->done) {
        r->done(r->arg);
    }
}

/* Group commit: one transaction, one fsync, for the whole batch. rp: one
 * plan per request. */
static void
run_batch(struct store *st, struct store_req **b, struct reg_plan *rp, size_t n)
{
    const struct store_ops *o = st->ops;
    uint64_t t0 = clock_mono_ns();
    int rc = o->begin(st);
    bool failed = rc != 0;

    for (size_t i = 0; i < n && !failed; i++) {
        int r = exec_db(st, b[i], &rp[i]);
        b[i]->result = r;
        /* A database failure leaves the transaction unknown: drop it all.
         * A refused request (out of order, ...) wrote nothing. */
        if (r == STORE_E_DB || r == STORE_E_UNAVAILABLE || r == -ENOMEM
            || r == -EIO) {
            failed = true;
            rc = r;
        }
    }
    if (!failed) {
        rc = o->commit(st);
        failed = rc != 0;
    }
    if (failed) {
        o->rollback(st);
        /* Unavailable: the back end logged it once, not once per batch. */
        if (rc != STORE_E_UNAVAILABLE) {
            log_error("store: transaction of %zu requests failed: %s", n,
                err_str(rc));
        }
        /* Unavailable tells the caller the same write may succeed
         * later (503, Retry-After); anything else is a failure. */
        for (size_t i = 0; i < n; i++) {
            b[i]->result =
                rc == STORE_E_UNAVAILABLE ? STORE_E_UNAVAILABLE : STORE_E_DB;
        }
    } else {
        atomic_fetch_add(&st->commits, 1);
        atomic_fetch_add(&st->committed_reqs, n);
        metric_observe(&store_m_commit_latency, 0, clock_mono_ns() - t0);
        metric_observe(&store_m_batch_size, 0, n);
        for (size_t i = 0; i < n; i++) {
            if (b[i]->result == 0) {
                int r = apply_idx(st, b[i], &rp[i]);
                if (r) {
                    log_error("store: %.*s is durable but not in the "
                              "index: %s",
                        SLICE_ARG(b[i]->aor), err_str(r));
                    /* The sweep by key would never find its rows. */
                    st->sweep_full = true;
                }
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        complete(b[i]);
    }
}

static uint64_t
aor_hash(struct slice s)
{
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < s.len; i++) {
        h = (h ^ (unsigned char) s.p[i]) * 1099511628211ULL;
    }
    return h | 1; /* 0 marks an empty slot */
}

/*
 * Takes requests from the head of *work into b until BATCH_MAX or until a
 * request touches an AOR already in the batch: the second one must see the
 * first one's effect in the index, which is applied only after the commit.
 */
static size_t
take_batch(struct store_req **work, struct store_req **b)
{
    uint64_t seen[SEEN_SLOTS];
    size_t seen_at[SEEN_SLOTS];
    size_t n = 0;

    memset(seen, 0, sizeof(seen));
    while (*work && n < BATCH_MAX) {
        struct store_req *r = *work;
        uint64_t h = aor_hash(r->aor);
        size_t k = h & (SEEN_SLOTS - 1);
        bool dup = false;
        while (seen[k]) {
            if (seen[k] == h && slice_eq(b[seen_at[k]]->aor, r->aor)) {
                dup = true;
                break;
            }
            k = (k + 1) & (SEEN_SLOTS - 1);
        }
        if (dup) {
            break;
        }
        seen[k] = h;
        seen_at[k] = n;
        b[n++] = r;
        *work = r->next;
        r->next = NULL;
    }
    return n;
}

struct reload_ctx {
    struct store *st;
    int64_t now;
};

static void
reload_one(void *arg, struct slice aor)
{
    struct reload_ctx *c = arg;
    int rc = c->st->ops->reload_aor(c->st, aor, c->now);

    if (rc) {
        log_error("store: cannot reload %.*s: %s", SLICE_ARG(aor), err_str(rc));
    }
}

static void
poll_changes(struct store *st)
{
    struct reload_ctx c = { st, (int64_t) clock_wall() };
    int rc = st->ops->changes(st, reload_one, &c);

    if (rc) {
        log_warn("store: change poll failed: %s", err_str(rc));
    }
}

struct sweep_ctx {
    struct store *st;
    int64_t now;
    bool begun;
    int rc;
};

/* Deletes one due binding by its key: no index on expires to keep up on
 * every REGISTER. The first failure stops the deletes (the next sweep
 * scans the table instead). */
static void
sweep_one(void *arg, struct slice aor, struct slice contact)
{
    struct sweep_ctx *c = arg;
    const struct store_ops *o = c->st->ops;

    if (!c->rc && !c->begun) {
        c->rc = o->begin(c->st);
        c->begun = c->rc == 0;
    }
    if (!c->rc) {
        c->rc = o->binding_expire(c->st, aor, contact, c->now);
    }
}

static void
sweep(struct store *st)
{
    const struct store_ops *o = st->ops;
    struct sweep_ctx c = { st, (int64_t) clock_wall(), false, 0 };
    uint64_t n;

    if (st->sweep_full) {
        c.rc = o->expire(st, c.now);
        n = store__idx_expire(st->idx, c.now, NULL, NULL);
    } else {
        n = store__idx_expire(st->idx, c.now, sweep_one, &c);
        if (c.begun) {
            c.rc = c.rc ? c.rc : o->commit(st);
            if (c.rc) {
                o->rollback(st);
            }
        }
    }
    st->sweep_full = c.rc != 0;
    /* Unavailable: the back end said so once; the rows wait for it. */
    if (c.rc && c.rc != STORE_E_UNAVAILABLE) {
        log_warn("store: expiry sweep failed: %s", err_str(c.rc));
    }
    if (n) {
        log_debug(
            "store: %llu expired bindings removed", (unsigned long long) n);
    }
}

static void
deadline_ts(uint64_t ms, struct timespec *ts)
{
    ts->tv_sec = (time_t) (ms / 1000);
    ts->tv_nsec = (long) (ms % 1000) * 1000000L;
}

static void *
store_main(void *arg)
{
    struct store *st = arg;
    struct store_req **batch = malloc(BATCH_MAX * sizeof(*batch));
    struct reg_plan *plans = malloc(BATCH_MAX * sizeof(*plans));
    struct store_req *work = NULL, **work_tail = &work;
    uint64_t next_sweep = clock_mono_ms() + st->sweep_ms;
    uint64_t next_poll = clock_mono_ms() + st->poll_ms;
    bool stop = false;

    while (!stop || work) {
        pthread_mutex_lock(&st->lock);
        while (!st->q_head && !st->stopping && !work) {
            uint64_t now = clock_mono_ms();
            uint64_t until = next_sweep < next_poll ? next_sweep : next_poll;
            if (now >= until) {
                break;
            }
            struct timespec ts;
            deadline_ts(until, &ts);
            pthread_cond_timedwait(&st->cond, &st->lock, &ts);
        }
        if (st->q_head) {
            *work_tail = st->q_head;
            work_tail = &st->q_tail->next;
            st->q_head = st->q_tail = NULL;
        }
        stop = st->stopping;
        pthread_mutex_unlock(&st->lock);

        while (work && batch && plans) {
            size_t n = take_batch(&work, batch);
            run_batch(st, batch, plans, n);
            metric_gauge_add(&store_m_queue, 0, -(int64_t) n);
        }
        if (!batch || !plans) {
            /* No memory for even the batch array: fail what is queued. */
            while (work) {
                struct store_req *r = work;
                work = r->next;
                r->result = -ENOMEM;
                complete(r);
            }
        }
        work_tail = &work;

        uint64_t now = clock_mono_ms();
        if (now >= next_poll) {
            poll_changes(st);
            next_poll = now + st->poll_ms;
        }
        if (now >= next_sweep) {
            sweep(st);
            next_sweep = now + st->sweep_ms;
        }
    }
    free(plans);
    free(batch);
    return NULL;
}

int
store_open(struct store **stp, const struct store_conf *c)
{
    struct store *st = NULL;
    pthread_condattr_t ca;
    int rc;

    store_err_init();
    if (!c->path || !c->path[0]) {
        return -EINVAL;
    }
    rc = store_pg_is_conninfo(c->path) ? store__pg_open(&st, c)
                                       : store__sqlite_open(&st, c);
    if (rc) {
        return rc;
    }
    st->mode = c->mode;
    st->sweep_full = true;
    st->sweep_ms = c->sweep_ms ? c->sweep_ms : 1000;
    /* A back end may have chosen its own default (PostgreSQL: 100 ms). */
    st->poll_ms = c->poll_ms ? c->poll_ms : st->poll_ms ? st->poll_ms : 250;
    pthread_mutex_init(&st->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&st->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (c->mode == STORE_MODE_DIRECT) {
        goto out;
    }
    rc = store__idx_new(&st->idx);
    if (!rc) {
        rc = st->ops->load(st, (int64_t) clock_wall());
    }
    if (!rc) {
        /* The store thread never takes signals: the daemon waits for them
         * with signalfd, which needs them blocked in every thread. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        rc = -pthread_create(&st->thread, NULL, store_main, st);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        st->thread_started = rc == 0;
    }
out:
    if (rc) {
        store_close(st);
        return rc;
    }
    *stp = st;
    return 0;
}

void
store_close(struct store *st)
{
    if (!st) {
        return;
    }
    if (st->thread_started) {
        pthread_mutex_lock(&st->lock);
        st->stopping = true;
        pthread_cond_signal(&st->cond);
        pthread_mutex_unlock(&st->lock);
        pthread_join(st->thread, NULL);
    }
    store__idx_free(st->idx);
    st->idx = NULL;
    pthread_mutex_destroy(&st->lock);
    pthread_cond_destroy(&st->cond);
    st->ops->close(st);
}

int
store_submit(struct store *st, struct store_req *req)
{
    int rc = 0;

    if (st->mode != STORE_MODE_SERVE) {
        return -ENOTSUP;
    }
    req->next = NULL;
    req->result = 0;
    pthread_mutex_lock(&st->lock);
    if (st->stopping) {
        rc = STORE_E_CLOSED;
    } else {
        if (st->q_tail) {
            st->q_tail->next = req;
        } else {
            st->q_head = req;
        }
        st->q_tail = req;
        metric_gauge_add(&store_m_queue, 0, 1);
        pthread_cond_signal(&st->cond);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
};

static void
wake_waiter(void *arg)
{
    struct waiter *w = arg;

    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int
store_submit_wait(struct store *st, struct store_req *req)
{
    if (st->mode == STORE_MODE_DIRECT) {
        int rc = st->ops->begin(st);
        if (!rc) {
            /* No index, no plan: a REGISTER is refused (-ENOTSUP). */
            rc = exec_db(st, req, NULL);
            rc = rc ? rc : st->ops->commit(st);
            if (rc) {
                st->ops->rollback(st);
            }
        }
        req->result = rc;
        return rc;
    }

    struct waiter w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
        false };
    req->loop = NULL;
    req->done = wake_waiter;
    req->arg = &w;
    int rc = store_submit(st, req);
    if (rc) {
        req->result = rc;
        return rc;
    }
    pthread_mutex_lock(&w.lock);
    while (!w.done) {
        pthread_cond_wait(&w.cond, &w.lock);
    }
    pthread_mutex_unlock(&w.lock);
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.cond);
    return req->result;
}

int
store_aor_read(struct store *st, struct slice aor, int64_t now,
    store_read_cb *cb, void *arg)
{
    if (!st->idx) {
        return -ENOTSUP;
    }
    return store__idx_read(st->idx, aor, now, true, cb, arg);
}

void
store_stats_get(struct store *st, struct store_stats *s)
{
    memset(s, 0, sizeof(*s));
    if (st->idx) {
        store__idx_stats(st->idx, s);
    }
    s->commits = atomic_load(&st->commits);
    s->committed_reqs = atomic_load(&st->committed_reqs);
}

void
store__set_available(struct store *st, bool available)
{
    int64_t up = 0;

    if (available) {
        atomic_store(&st->down_since, 0);
    } else {
        /* Since the first loss, not the latest failed retry. */
        atomic_compare_exchange_strong(
            &st->down_since, &up, (int64_t) clock_wall());
    }
}

void
store_health_get(struct store *st, struct store_health *h)
{
    h->backend = st->ops->name;
    h->down_since = atomic_load(&st->down_since);
    h->available = h->down_since == 0;
}

int
store_user_list(struct store *st, store_user_cb *cb, void *arg)
{
    return st->idx ? store__idx_user_list(st->idx, cb, arg)
                   : st->ops->user_list(st, cb, arg);
}

int
store_moved_list(struct store *st, store_moved_cb *cb, void *arg)
{
    return st->idx ? store__idx_moved_list(st->idx, cb, arg)
                   : st->ops->moved_list(st, cb, arg);
}

void
store_path_describe(char *out, size_t size, const char *path)
{
    if (store_pg_is_conninfo(path)) {
        store_pg_describe(out, size, path);
    } else if (size) {
        snprintf(out, size, "%s", path ? path : "");
    }
}

static void
count_user(void *arg, const struct store_user_row *u)
{
    (void) u;
    ((struct store_info *) arg)->users++;
}

static void
count_moved(void *arg, const struct store_moved_row *m)
{
    (void) m;
    ((struct store_info *) arg)->moved++;
}

int
store_info_get(struct store *st, struct store_info *i)
{
    memset(i, 0, sizeof(*i));
    i->backend = st->ops->name;
    i->schema = i->schema_latest = -1;
    if (st->ops->info) {
        return st->ops->info(st, i);
    }
    if (st->idx) {
        struct store_stats s;
        store__idx_stats(st->idx, &s);
        i->users = s.users;
        i->moved = s.moved;
        i->bindings = s.bindings;
        return 0;
    }
    int rc = st->ops->user_list(st, count_user, i);
    return rc ? rc : st->ops->moved_list(st, count_moved, i);
}
