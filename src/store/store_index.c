/*
 * The in-memory index: AOR -> user, moved entry, bindings. 256 shards, each
 * a hash table behind a read-write lock, so readers on different AORs never
 * meet and readers of one AOR only share a read lock. There is a single
 * writer (the store thread), which may therefore read without a lock.
 *
 * Every redirect reads it, so a lookup touches few cache lines: the table
 * is open-addressed (linear probing, at most half full) with each slot
 * holding the AOR's whole hash next to its entry, so only an entry whose
 * hash matches is read; the entry holds the moved URI (all a 301 needs)
 * and, for an AOR with one binding, the pointer to it.
 *
 * Memory matters (a million bindings must fit well under 512 MB): a binding
 * is one allocation, its strings packed after a small header with 16-bit
 * lengths.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "store/store_int.h"

enum {
    NSHARDS = 256,
    B_CONTACT = 0,
    B_CALL_ID,
    B_INSTANCE,
    B_PATH,
    B_RECEIVED,
    B_NFIELDS,
};

struct bnd {
    int64_t expires;
    uint32_t cseq;
    uint32_t reg_id;
    uint16_t q;
    uint16_t len[B_NFIELDS];
    char data[];
};

struct user_ent {
    char md5[33];
    char sha256[65];
    uint16_t ulen, rlen;
    char data[]; /* username, realm */
};

struct aor_ent {
    struct user_ent *user;
    /* highest q first: bnds() */
    union {
        struct bnd *one;   /* capb <= 1 */
        struct bnd **many; /* capb > 1 */
    } b;
    int64_t moved_at;
    uint16_t nb, capb;
    uint16_t aor_len;
    uint16_t moved_ulen, moved_nlen; /* bytes after the AOR */
    bool moved;
    char data[]; /* the AOR, then the moved URI and note */
};

struct slot {
    uint64_t hash;
    struct aor_ent *e; /* NULL: empty */
};

struct shard {
    /* The table's address with log2 of its capacity (a power of two) in
     * the low 6 bits (the table is 64-aligned), 0 before the first: one
     * word, so that a reader finds it in the lock's cache line. */
    _Alignas(64) uintptr_t table;
    pthread_rwlock_t lock;
    size_t n;
    /* No binding of the shard expires before this (a lower bound; 0 until
     * a sweep computed it): the sweep skips a shard with nothing due. */
    int64_t min_expires;
};

struct store_idx {
    struct shard shards[NSHARDS];
    atomic_uint_fast64_t aors, users, moved, bindings;
};

/* The top byte picks the shard, the low bits the bucket: hash_final()
 * spreads both. */
static uint64_t
hash_aor(struct slice s)
{
    return hash_final(hash_slice(HASH_SEED, s));
}

static struct shard *
shard_of(struct store_idx *ix, uint64_t h)
{
    return &ix->shards[h >> 56];
}

int
store__idx_new(struct store_idx **ip)
{
    struct store_idx *ix = calloc(1, sizeof(*ix));

    if (!ix) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < NSHARDS; i++) {
        pthread_rwlock_init(&ix->shards[i].lock, NULL);
    }
    *ip = ix;
    return 0;
}

static struct slot *
tab_of(const struct shard *s)
{
    return (struct slot *) (s->table & ~(uintptr_t) 63);
}

static size_t
cap_of(const struct shard *s)
{
    return s->table ? (size_t) 1 << (s->table & 63) : 0;
}

static void
table_set(struct shard *s, struct slot *tab, size_t cap)
{
    s->table = (uintptr_t) tab | (uintptr_t) __builtin_ctzll(cap);
}

static struct bnd **
bnds(struct aor_ent *e)
{
    return e->capb > 1 ? e->b.many : &e->b.one;
}

static void
ent_free(struct aor_ent *e)
{
    struct bnd **b = bnds(e);

    for (size_t i = 0; i < e->nb; i++) {
        free(b[i]);
    }
    if (e->capb > 1) {
        free(e->b.many);
    }
    free(e->user);
    free(e);
}

void
store__idx_free(struct store_idx *ix)
{
    if (!ix) {
        return;
    }
    for (size_t i = 0; i < NSHARDS; i++) {
        struct shard *s = &ix->shards[i];
        struct slot *tab = tab_of(s);
        for (size_t j = 0; j < cap_of(s); j++) {
            if (tab[j].e) {
                ent_free(tab[j].e);
            }
        }
        free(tab);
        pthread_rwlock_destroy(&s->lock);
    }
    free(ix);
}

/* The slot of aor, or NULL. */
static struct slot *
find(struct shard *s, struct slice aor, uint64_t h)
{
    size_t mask = cap_of(s) - 1;
    struct slot *tab = tab_of(s);

    if (!s->table) {
        return NULL;
    }
    for (size_t i = h & mask; tab[i].e; i = (i + 1) & mask) {
        struct slot *t = &tab[i];
        if (t->hash == h && t->e->aor_len == aor.len
            && memcmp(t->e->data, aor.p, aor.len) == 0) {
            return t;
        }
    }
    return NULL;
}

static struct aor_ent *
find_ent(struct shard *s, struct slice aor, uint64_t h)
{
    struct slot *t = find(s, aor, h);

    return t ? t->e : NULL;
}

/* There is an empty slot: the table is at most 3/4 full (see get()). */
static struct slot *
slot_put(struct slot *tab, size_t cap, uint64_t h, struct aor_ent *e)
{
    size_t i = h & (cap - 1);

    while (tab[i].e) {
        i = (i + 1) & (cap - 1);
    }
    tab[i].hash = h;
    tab[i].e = e;
    return &tab[i];
}

/* Called with the shard write-locked. */
static int
grow(struct shard *s)
{
    struct slot *old = tab_of(s);
    size_t n = cap_of(s), cap = n ? n * 2 : 16;
    struct slot *tab = aligned_alloc(64, cap * sizeof(*tab));

    if (!tab) {
        return -ENOMEM;
    }
    memset(tab, 0, cap * sizeof(*tab));
    for (size_t i = 0; i < n; i++) {
        if (old[i].e) {
            slot_put(tab, cap, old[i].hash, old[i].e);
        }
    }
    free(old);
    table_set(s, tab, cap);
    return 0;
}

/* Finds or creates the slot of aor; shard write-locked. A table past half
 * full grows (so probes stay short), and may fill up to 3/4 when it
 * cannot. */
static struct slot *
get(struct store_idx *ix, struct shard *s, struct slice aor, uint64_t h)
{
    struct slot *t = find(s, aor, h);

    if (t) {
        return t;
    }
    if (aor.len > STORE_MAX_AOR) {
        return NULL;
    }
    if (2 * (s->n + 1) > cap_of(s) && grow(s) != 0
        && 4 * (s->n + 1) > 3 * cap_of(s)) {
        return NULL;
    }
    struct aor_ent *e = calloc(1, sizeof(*e) + aor.len);
    if (!e) {
        return NULL;
    }
    e->aor_len = (uint16_t) aor.len;
    memcpy(e->data, aor.p, aor.len);
    s->n++;
    atomic_fetch_add(&ix->aors, 1);
    return slot_put(tab_of(s), cap_of(s), h, e);
}

static struct aor_ent *
get_ent(struct store_idx *ix, struct shard *s, struct slice aor, uint64_t h)
{
    struct slot *t = get(ix, s, aor, h);

    return t ? t->e : NULL;
}

/* Empties slot t, then moves back each slot of the run after it that may
 * live in the hole (its home is not between the hole and itself), so every
 * entry stays reachable from its home without passing an empty slot. */
static void
slot_del(struct shard *s, struct slot *t)
{
    struct slot *tab = tab_of(s);
    size_t mask = cap_of(s) - 1;
    size_t i = (size_t) (t - tab);

    for (size_t j = (i + 1) & mask; tab[j].e; j = (j + 1) & mask) {
        if (((j - (tab[j].hash & mask)) & mask) >= ((j - i) & mask)) {
            tab[i] = tab[j];
            i = j;
        }
    }
    tab[i].e = NULL;
    tab[i].hash = 0;
}

/* Unlinks and frees the entry of slot t if it holds nothing any more;
 * write-locked. True when it did (t holds another entry or none now). */
static bool
maybe_drop(struct store_idx *ix, struct shard *s, struct slot *t)
{
    struct aor_ent *e = t->e;

    if (e->user || e->moved || e->nb) {
        return false;
    }
    slot_del(s, t);
    s->n--;
    atomic_fetch_sub(&ix->aors, 1);
    ent_free(e);
    return true;
}

int
store__idx_user_set(struct store_idx *ix, struct slice aor,
    struct slice username, struct slice realm, struct slice md5,
    struct slice sha256)
{
    uint64_t h = hash_aor(aor);
    struct shard *s = shard_of(ix, h);
    int rc = 0;

    if (username.len > STORE_MAX_FIELD || realm.len > STORE_MAX_FIELD
        || md5.len > 32 || sha256.len > 64) {
        return STORE_E_TOO_LONG;
    }
    struct user_ent *u = calloc(1, sizeof(*u) + username.len + realm.len);
    if (!u) {
        return -ENOMEM;
    }
    u->ulen = (uint16_t) username.len;
    u->rlen = (uint16_t) realm.len;
    /* memcpy from a NULL slice is undefined even for 0 bytes */
    if (md5.len) {
        memcpy(u->md5, md5.p, md5.len);
    }
    if (sha256.len) {
        memcpy(u->sha256, sha256.p, sha256.len);
    }
    if (username.len) {
        memcpy(u->data, username.p, username.len);
    }
    if (realm.len) {
        memcpy(u->data + username.len, realm.p, realm.len);
    }

    pthread_rwlock_wrlock(&s->lock);
    struct aor_ent *e = get_ent(ix, s, aor, h);
    if (!e) {
        free(u);
        rc = -ENOMEM;
        goto out;
    }
    if (!e->user) {
        atomic_fetch_add(&ix->users, 1);
    }
    free(e->user);
    e->user = u;
out:
    pthread_rwlock_unlock(&s->lock);
    return rc;
}

void
store__idx_user_clear(struct store_idx *ix, struct slice aor)
{
    uint64_t h = hash_aor(aor);
    struct shard *s = shard_of(ix, h);

    pthread_rwlock_wrlock(&s->lock);
    struct slot *t = find(s, aor, h);
    if (t && t->e->user) {
        free(t->e->user);
        t->e->user = NULL;
        atomic_fetch_sub(&ix->users, 1);
        maybe_drop(ix, s, t);
    }
    pthread_rwlock_unlock(&s->lock);
}

/* The moved URI and note live in the entry, after the AOR: setting them
 * replaces the entry by a larger copy (the aor matched, so its length is
 * aor.len: the copy is built before taking the lock). */
int
store__idx_moved_set(struct store_idx *ix, struct slice aor, struct slice uri,
    struct slice note, int64_t at)
{
    uint64_t h = hash_aor(aor);
    struct shard *s = shard_of(ix, h);
    int rc = 0;

    if (uri.len > STORE_MAX_FIELD || note.len > STORE_MAX_FIELD) {
        return STORE_E_TOO_LONG;
    }
    struct aor_ent *n = malloc(sizeof(*n) + aor.len + uri.len + note.len);
    if (!n) {
        return -ENOMEM;
    }
    memcpy(n->data, aor.p, aor.len);
    if (uri.len) {
        memcpy(n->data + aor.len, uri.p, uri.len);
    }
    if (note.len) {
        memcpy(n->data + aor.len + uri.len, note.p, note.len);
    }

    pthread_rwlock_wrlock(&s->lock);
    struct slot *t = get(ix, s, aor, h);
    if (!t) {
        free(n);
        rc = -ENOMEM;
        goto out;
    }
    if (!t->e->moved) {
        atomic_fetch_add(&ix->moved, 1);
    }
    *n = *t->e; /* user and bindings move over */
    n->moved = true;
    n->moved_at = at;
    n->moved_ulen = (uint16_t) uri.len;
    n->moved_nlen = (uint16_t) note.len;
    free(t->e);
    t->e = n;
out:
    pthread_rwlock_unlock(&s->lock);
    return rc;
}

void
store__idx_moved_clear(struct store_idx *ix, struct slice aor)
{
    uint64_t h = hash_aor(aor);
    struct shard *s = shard_of(ix, h);

    pthread_rwlock_wrlock(&s->lock);
    struct slot *t = find(s, aor, h);
    if (t && t->e->moved) {
        struct aor_ent *e = t->e;
        e->moved = false;
        e->moved_ulen = e->moved_nlen = 0;
        atomic_fetch_sub(&ix->moved, 1);
        if (!maybe_drop(ix, s, t)) {
            /* Give the URI's bytes back; if that fails they are slack. */
            struct aor_ent *n = realloc(e, sizeof(*e) + e->aor_len);
            t->e = n ? n : e;
        }
    }
    pthread_rwlock_unlock(&s->lock);
}

static struct slice
bnd_field(const struct bnd *b, int f)
{
    const char *p = b->data;

    for (int i = 0; i < f; i++) {
        p += b->len[i];
    }
    return slice_make(p, b->len[f]);
}

static int
bnd_find(struct aor_ent *e, struct slice contact)
{
    struct bnd **b = bnds(e);

    for (int i = 0; i < e->nb; i++) {
        if (slice_eq(bnd_field(b[i], B_CONTACT), contact)) {
            return i;
        }
    }
    return -1;
}

static void
bnd_remove_at(struct aor_ent *e, int i)
{
    struct bnd **b = bnds(e);

    free(b[i]);
    memmove(&b[i], &b[i + 1], (size_t) (e->nb - i - 1) * sizeof(b[0]));
    e->nb--;
}

/* Room for one more binding: the first is kept in the entry, more in an
 * array of their own. */
static int
bnd_reserve(struct aor_ent *e)
{
    if (e->nb < e->capb) {
        return 0;
    }
    uint16_t cap = e->capb ? (uint16_t) (e->capb * 2) : 1;
    if (cap > 1) {
        struct bnd **many =
            realloc(e->capb > 1 ? e->b.many : NULL, cap * sizeof(*many));
        if (!many) {
            return -ENOMEM;
        }
        if (e->capb == 1) {
            many[0] = e->b.one;
        }
        e->b.many = many;
    }
    e->capb = cap;
    return 0;
}

int
store__idx_binding_put(
    struct store_idx *ix, struct slice aor, const struct store_binding *b)
{
    uint64_t h = hash_aor(aor);
    struct shard *s = shard_of(ix, h);
    const struct slice f[B_NFIELDS] = { b->contact, b->call_id, b->instance,
        b->path, b->received };
    size_t total = 0;
    int rc = 0;

    for (int i = 0; i < B_NFIELDS; i++) {
        if (f[i].len > STORE_MAX_FIELD) {
            return STORE_E_TOO_LONG;
        }
        total += f[i].len;
    }
    struct bnd *n = malloc(sizeof(*n) + total);
    if (!n) {
        return -ENOMEM;
    }
    n->expires = b->expires;
    n->cseq = b->cseq;
    n->reg_id = b->reg_id;
    n->q = b->q;
    char *p = n->data;
    for (int i = 0; i < B_NFIELDS; i++) {
        n->len[i] = (uint16_t) f[i].len;
        if (f[i].len) {
            memcpy(p, f[i].p, f[i].len);
        }
        p += f[i].len;
    }

    pthread_rwlock_wrlock(&s->lock);
    struct slot *t = get(ix, s, aor, h);
    if (!t) {
        free(n);
        rc = -ENOMEM;
        goto out;
    }
    struct aor_ent *e = t->e;
    if (b->expires < s->min_expires) {
        s->min_expires = b->expires;
    }
    int old = bnd_find(e, b->contact);
    if (old >= 0) {
        bnd_remove_at(e, old);
        atomic_fetch_sub(&ix->bindings, 1);
    }
    if (bnd_reserve(e) != 0) {
        free(n);
        rc = -ENOMEM;
        maybe_drop(ix, s, t);
        goto out;
    }
    /* Keep highest q first; among equals, the newest last (stable). */
    struct bnd **bs = bnds(e);
    int at = e->nb;
    while (at > 0 && bs[at - 1]->q < n->q) {
        at--;
    }
    memmove(&bs[at + 1], &bs[at], (size_t) (e->nb - at) * sizeof(bs[0]));
    bs[at] = n;
    e->nb++;
    atomic_fetch_add(&ix->bindings, 1);
out:
    pthread_rwlock_unlock(&s->lock);
    return rc;
}

void
store__idx_binding_del(
    struct store_idx *ix, struct slice aor, struct slice contact)
{
    uint64_t h = hash_aor(aor);
    struct shard *s = shard_of(ix, h);

    pthread_rwlock_wrlock(&s->lock);
    struct slot *t = find(s, aor, h);
    if (t) {
        int i = bnd_find(t->e, contact);
        if (i >= 0) {
            bnd_remove_at(t->e, i);
            atomic_fetch_sub(&ix->bindings, 1);
            maybe_drop(ix, s, t);
        }
    }
    pthread_rwlock_unlock(&s->lock);
}

void
store__idx_bindings_clear(struct store_idx *ix, struct slice aor)
{
    uint64_t h = hash_aor(aor);
    struct shard *s = shard_of(ix, h);

    pthread_rwlock_wrlock(&s->lock);
    struct slot *t = find(s, aor, h);
    if (t) {
        while (t->e->nb) {
            bnd_remove_at(t->e, t->e->nb - 1);
            atomic_fetch_sub(&ix->bindings, 1);
        }
        maybe_drop(ix, s, t);
    }
    pthread_rwlock_unlock(&s->lock);
}

/* Whether e has a binding due at now; lowers *min to its earliest expiry.
 * cb, when set, hears of each one due. */
static bool
has_expired(struct aor_ent *e, int64_t now, int64_t *min, store_expired_cb *cb,
    void *arg)
{
    struct bnd **b = bnds(e);
    bool due = false;

    for (int i = 0; i < e->nb; i++) {
        if (b[i]->expires <= now) {
            due = true;
            if (cb) {
                cb(arg, slice_make(e->data, e->aor_len),
                    slice_make(b[i]->data, b[i]->len[B_CONTACT]));
            }
        }
        if (b[i]->expires < *min) {
            *min = b[i]->expires;
        }
    }
    return due;
}

uint64_t
store__idx_expire(
    struct store_idx *ix, int64_t now, store_expired_cb *cb, void *arg)
{
    uint64_t dropped = 0;

    for (size_t i = 0; i < NSHARDS; i++) {
        struct shard *s = &ix->shards[i];
        int64_t min = INT64_MAX;
        bool any = false;

        /* Nothing due: no need to walk a shard that may hold thousands of
         * AORs, every second. */
        if (s->min_expires > now) {
            continue;
        }
        /* Scan without the lock (we are the only writer); lock only the
         * shards that have something to drop. */
        struct slot *tab = tab_of(s);
        for (size_t j = 0; j < cap_of(s); j++) {
            if (tab[j].e) {
                any |= has_expired(tab[j].e, now, &min, cb, arg);
            }
        }
        if (!any) {
            s->min_expires = min;
            continue;
        }
        min = INT64_MAX;
        pthread_rwlock_wrlock(&s->lock);
        /* A dropped entry's slot gets a later one (maybe one seen already,
         * from across the end: harmless): look at it again. */
        for (size_t j = 0; j < cap_of(s);) {
            struct aor_ent *e = tab[j].e;
            if (!e) {
                j++;
                continue;
            }
            for (int k = e->nb - 1; k >= 0; k--) {
                int64_t exp = bnds(e)[k]->expires;
                if (exp <= now) {
                    bnd_remove_at(e, k);
                    atomic_fetch_sub(&ix->bindings, 1);
                    dropped++;
                } else if (exp < min) {
                    min = exp;
                }
            }
            if (!maybe_drop(ix, s, &tab[j])) {
                j++;
            }
        }
        s->min_expires = min;
        pthread_rwlock_unlock(&s->lock);
    }
    return dropped;
}

static void
fill_view(struct aor_ent *e, int64_t now, struct store_aor_view *v)
{
    v->aor = slice_make(e->data, e->aor_len);
    v->user = e->user != NULL;
    if (e->user) {
        const struct user_ent *u = e->user;
        v->username = slice_make(u->data, u->ulen);
        v->realm = slice_make(u->data + u->ulen, u->rlen);
        memcpy(v->ha1_md5, u->md5, sizeof(v->ha1_md5));
        memcpy(v->ha1_sha256, u->sha256, sizeof(v->ha1_sha256));
    } else {
        v->username = v->realm = SLICE_NULL;
        v->ha1_md5[0] = v->ha1_sha256[0] = '\0';
    }
    v->moved = e->moved;
    if (e->moved) {
        const char *m = e->data + e->aor_len;
        v->moved_uri = slice_make(m, e->moved_ulen);
        v->moved_note = slice_make(m + e->moved_ulen, e->moved_nlen);
        v->moved_at = e->moved_at;
    } else {
        v->moved_uri = v->moved_note = SLICE_NULL;
        v->moved_at = 0;
    }
    v->nbindings = 0;
    struct bnd **bs = bnds(e);
    for (int i = 0; i < e->nb && v->nbindings < STORE_MAX_BINDINGS; i++) {
        const struct bnd *b = bs[i];
        if (b->expires <= now) {
            continue;
        }
        struct store_binding *o = &v->bindings[v->nbindings++];
        const char *p = b->data;
        o->contact = slice_make(p, b->len[B_CONTACT]);
        p += b->len[B_CONTACT];
        o->call_id = slice_make(p, b->len[B_CALL_ID]);
        p += b->len[B_CALL_ID];
        o->instance = slice_make(p, b->len[B_INSTANCE]);
        p += b->len[B_INSTANCE];
        o->path = slice_make(p, b->len[B_PATH]);
        p += b->len[B_PATH];
        o->received = slice_make(p, b->len[B_RECEIVED]);
        o->expires = b->expires;
        o->cseq = b->cseq;
        o->reg_id = b->reg_id;
        o->q = b->q;
    }
}

int
store__idx_read(struct store_idx *ix, struct slice aor, int64_t now,
    bool locked, store_read_cb *cb, void *arg)
{
    uint64_t h = hash_aor(aor);
    struct shard *s = shard_of(ix, h);
    struct store_aor_view v;
    int rc = 0;

    if (locked) {
        pthread_rwlock_rdlock(&s->lock);
    }
    struct aor_ent *e = find_ent(s, aor, h);
    if (!e) {
        rc = STORE_E_NOT_FOUND;
        goto out;
    }
    fill_view(e, now, &v);
    cb(arg, &v);
out:
    if (locked) {
        pthread_rwlock_unlock(&s->lock);
    }
    return rc;
}

int
store__idx_user_list(struct store_idx *ix, store_user_cb *cb, void *arg)
{
    for (size_t i = 0; i < NSHARDS; i++) {
        struct shard *s = &ix->shards[i];
        pthread_rwlock_rdlock(&s->lock);
        for (size_t j = 0; j < cap_of(s); j++) {
            const struct aor_ent *e = tab_of(s)[j].e;
            if (!e || !e->user) {
                continue;
            }
            const struct user_ent *u = e->user;
            struct store_user_row r = {
                .aor = slice_make(e->data, e->aor_len),
                .username = slice_make(u->data, u->ulen),
                .realm = slice_make(u->data + u->ulen, u->rlen),
                .md5 = u->md5[0] != '\0',
                .sha256 = u->sha256[0] != '\0',
            };
            cb(arg, &r);
        }
        pthread_rwlock_unlock(&s->lock);
    }
    return 0;
}

int
store__idx_moved_list(struct store_idx *ix, store_moved_cb *cb, void *arg)
{
    for (size_t i = 0; i < NSHARDS; i++) {
        struct shard *s = &ix->shards[i];
        pthread_rwlock_rdlock(&s->lock);
        for (size_t j = 0; j < cap_of(s); j++) {
            const struct aor_ent *e = tab_of(s)[j].e;
            if (!e || !e->moved) {
                continue;
            }
            const char *m = e->data + e->aor_len;
            struct store_moved_row r = {
                .aor = slice_make(e->data, e->aor_len),
                .uri = slice_make(m, e->moved_ulen),
                .note = slice_make(m + e->moved_ulen, e->moved_nlen),
                .at = e->moved_at,
            };
            cb(arg, &r);
        }
        pthread_rwlock_unlock(&s->lock);
    }
    return 0;
}

void
store__idx_stats(struct store_idx *ix, struct store_stats *s)
{
    s->aors = atomic_load(&ix->aors);
    s->users = atomic_load(&ix->users);
    s->moved = atomic_load(&ix->moved);
    s->bindings = atomic_load(&ix->bindings);
}

void
store__idx_replace(struct store_idx *ix, struct store_idx *fresh)
{
    for (size_t i = 0; i < NSHARDS; i++) {
        struct shard *s = &ix->shards[i], *f = &fresh->shards[i];
        uintptr_t table = f->table;
        size_t n = f->n;

        pthread_rwlock_wrlock(&s->lock);
        f->table = s->table;
        f->n = s->n;
        s->table = table;
        s->n = n;
        /* The bound belongs to the table: one kept from an emptier old
         * table would have the sweep skip the new one's bindings. */
        s->min_expires = f->min_expires;
        pthread_rwlock_unlock(&s->lock);
    }
    atomic_store(&ix->aors, atomic_load(&fresh->aors));
    atomic_store(&ix->users, atomic_load(&fresh->users));
    atomic_store(&ix->moved, atomic_load(&fresh->moved));
    atomic_store(&ix->bindings, atomic_load(&fresh->bindings));
    store__idx_free(fresh);
}
