#define LOG_MODULE "txn"
#include "txn/txn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/log.h"

#define OPT(k, field, min, max, def, help)                                     \
    {                                                                          \
        "txn", k, CONF_INT, offsetof(struct txn_conf, field), min, max, def,   \
            help, 0                                                            \
    }

static const struct conf_opt txn_opts[] = {
    OPT("t1_ms", t1_ms, 10, 60000, "500", "Timer T1, RFC 3261 §17.1.1.1"),
    OPT("t2_ms", t2_ms, 10, 600000, "4000", "Timer T2"),
    OPT("t4_ms", t4_ms, 10, 600000, "5000", "Timer T4"),
    OPT("max_txn", max_txn, 16, 16777216, "262144",
        "live transactions per worker; when full the oldest completed ones "
        "are retired early"),
};

void
txn_conf_register(struct conf *c, struct txn_conf *tc)
{
    conf_add(c, txn_opts, sizeof(txn_opts) / sizeof(txn_opts[0]), tc);
}

/*
 * Timers. Every transaction timer of one duration fires in the order it was
 * started, so a FIFO list per distinct duration is a complete timer queue:
 * O(1) to start, stop and expire, no heap. Timer G/A/E double; their
 * durations form a short series, each with its own list.
 */
struct tnode {
    struct tnode *prev, *next;
    uint64_t when;
    int8_t list;   /* -1: not armed */
    uint8_t which; /* RT or TO: its index in txn.tn */
};

#define MAX_TLISTS 24

struct tlist {
    uint64_t dur;
    struct tnode head; /* sentinel */
};

enum {
    RT = 0,
    TO = 1
}; /* the two timers of a transaction */

#define BUF_CLASSES 8

/* Timer C (RFC 3261 §16.6 item 11): more than 3 minutes. */
#define TIMER_C_MS 181000

/* Three cache lines, aligned, with what a lookup that matches reads (key,
 * mkey, state) in the first. */
struct txn {
    _Alignas(64) uint64_t key;
    uint64_t mkey; /* merged-request key; 0 when not indexed */
    uint8_t kind;
    uint8_t state;
    bool reliable;
    bool proxy; /* client INVITE of a proxy: see txn_client_proxy() */
    uint8_t buf_class, ack_class;
    uint16_t code;
    uint32_t gen;
    uint32_t rt_ms;
    uint32_t msg_len, ack_len;
    struct tnode tn[2];
    struct transport_ep dest;
    char *msg; /* last response (server) or request (client) */
    char *ack; /* client INVITE: the ACK for a non-2xx */
    void *user;
    txn_client_cb *cb;
    union {
        void *cb_arg;
        struct txn *next; /* on the free list, where cb is NULL */
    };
};

struct bufnode {
    struct bufnode *next;
};

/*
 * A completed non-INVITE server transaction over UDP only answers
 * retransmissions with its response until Timer J (64*T1), and a
 * registrar has many of them (every 200 OK for 32 s). So at the final
 * response it leaves struct txn and its buffer for a compact record (key,
 * destination, expiry, response bytes) appended to a log of chunks. All
 * records share one duration, so they expire in the order they were
 * written: the log is its own timer queue, written and retired
 * sequentially, and a chunk is recycled once its last record expired.
 */
struct done {
    uint64_t key;
    uint64_t mkey; /* 0 when not in the merged index */
    uint64_t when;
    struct transport_ep dest;
    uint32_t len;  /* response bytes in msg */
    uint32_t size; /* of the whole record; the next one follows */
    char msg[];
};

struct chunk {
    struct chunk *next;
    size_t head, tail; /* the live records are data[head..tail) */
    unsigned char data[];
};

#define CHUNK_BYTES ((size_t) 256 * 1024)
#define CHUNK_DATA  (CHUNK_BYTES - sizeof(struct chunk))
/* A larger response keeps its struct txn: a chunk holds several. */
#define DONE_MAX (CHUNK_DATA / 8)

/*
 * The two indexes (key, and merged-request key) are arrays of groups of one
 * cache line each: six entries and their tags (the top 16 bits of the key;
 * the low bits pick the home group). A lookup reads the home group's tags
 * and dereferences only an entry whose tag matches (another key's, 1 in
 * 65536), and reads the next group only when an entry stored further on
 * passed this one full when it was inserted: overflow counts those, so
 * removal leaves no tombstone. So a lookup that finds nothing (every new
 * request) mostly reads one line and no entry. An entry is a struct txn
 * or, with REF_DONE set, a struct done (both 8-byte aligned).
 */
#define GROUP_SLOTS 6

struct group {
    uint16_t tag[GROUP_SLOTS];
    uint32_t overflow;
    uintptr_t ref[GROUP_SLOTS]; /* 0: empty */
};

_Static_assert(sizeof(struct group) == 64, "a group is one cache line");

#define REF_DONE ((uintptr_t) 1)

/* A few lines per index: the live set of a busy worker is tens. */
#define MIN_GROUPS 16

struct txn_table {
    struct txn_conf conf;
    struct txn_io io;
    uint64_t sipkey[2];
    struct group *keys, *mkeys; /* gmask + 1 groups each */
    size_t gmask;
    struct txn *free;
    size_t count; /* all of them are indexed, the log's records too */
    struct tlist lists[MAX_TLISTS];
    int nlists;
    struct bufnode *bufs[BUF_CLASSES];
    /* completed non-INVITE transactions (struct done) */
    struct chunk *dhead, *dtail, *dspare; /* the log, oldest first */
    size_t ndone;
    struct txn_stats stats;
};

static const size_t buf_sizes[BUF_CLASSES] = { 256, 512, 1024, 2048, 4096, 8192,
    16384, 65536 };

/*
 * ---- keys: SipHash-1-3, keyed so that nobody can aim requests at one
 * bucket. The fields are absorbed straight from the message a word at a
 * time, each zero-padded to whole words, then one word of their lengths:
 * an unambiguous encoding (with the lengths, "ab"+"c" differs from
 * "a"+"bc"), without copying the fields into a buffer first. The kind of
 * key (server, client, RFC 2543, merged) is mixed into the initial state
 * as SipHash's 128-bit mode separates its outputs.
 */

struct sh {
    uint64_t v0, v1, v2, v3;
};

static inline uint64_t
rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

static inline void
sh_round(struct sh *h)
{
    h->v0 += h->v1;
    h->v1 = rotl(h->v1, 13);
    h->v1 ^= h->v0;
    h->v0 = rotl(h->v0, 32);
    h->v2 += h->v3;
    h->v3 = rotl(h->v3, 16);
    h->v3 ^= h->v2;
    h->v0 += h->v3;
    h->v3 = rotl(h->v3, 21);
    h->v3 ^= h->v0;
    h->v2 += h->v1;
    h->v1 = rotl(h->v1, 17);
    h->v1 ^= h->v2;
    h->v2 = rotl(h->v2, 32);
}

static inline void
sh_word(struct sh *h, uint64_t m)
{
    h->v3 ^= m;
    sh_round(h);
    h->v0 ^= m;
}

enum key_kind {
    KEY_SERVER = 1, /* branch, sent-by, method */
    KEY_CLIENT,     /* branch, method */
    KEY_RFC2543,    /* Request-URI, From tag, Call-ID, CSeq, top Via, method */
    KEY_MERGED,     /* From tag, Call-ID, CSeq */
};

static inline struct sh
sh_init(const uint64_t k[2], enum key_kind kind)
{
    struct sh h = {
        0x736f6d6570736575ULL ^ k[0],
        0x646f72616e646f6dULL ^ k[1] ^ (uint64_t) kind,
        0x6c7967656e657261ULL ^ k[0],
        0x7465646279746573ULL ^ k[1],
    };
    return h;
}

static inline uint64_t
sh_final(struct sh *h)
{
    h->v2 ^= 0xff;
    sh_round(h);
    sh_round(h);
    sh_round(h);
    uint64_t r = h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
    return r ? r : 1; /* 0 means "not computed" in txn_match */
}

/* The n < 8 bytes at p as a zero-padded little-endian word, read without
 * going past p + n (two overlapping loads, or three bytes). */
static inline uint64_t
load_tail(const unsigned char *p, size_t n)
{
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        return lo | (uint64_t) hi << (8 * (n - 4));
    }
    if (n == 0) {
        return 0;
    }
    return p[0] | (uint64_t) p[n / 2] << (8 * (n / 2))
        | (uint64_t) p[n - 1] << (8 * (n - 1));
}

/* ASCII upper case to lower case in all eight bytes at once: a byte gets
 * 0x20 when its high bit is clear and it lies in 'A'..'Z'. */
static inline uint64_t
fold_word(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL;
    uint64_t low7 = w & (0x7f * ones);
    uint64_t ge_a = low7 + (0x80 - 'A') * ones;
    uint64_t gt_z = low7 + (0x80 - 'Z' - 1) * ones;
    uint64_t upper = ge_a & ~gt_z & ~w & (0x80 * ones);
    return w | (upper >> 2);
}

/* Inlined into each key function with fold a constant, so the state
 * stays in registers across the fields and no branch tests fold. */
static inline __attribute__((always_inline)) void
sh_field(struct sh *h, struct slice f, bool fold)
{
    const unsigned char *p = (const unsigned char *) f.p;
    const unsigned char *end = p + (f.len & ~(size_t) 7);
    uint64_t w;

    for (; p < end; p += 8) {
        memcpy(&w, p, 8);
        sh_word(h, fold ? fold_word(w) : w);
    }
    if (f.len & 7) {
        w = load_tail(p, f.len & 7);
        sh_word(h, fold ? fold_word(w) : w);
    }
}

/* Three field lengths in one word, 20 bits each: a field is shorter than
 * its message, and messages stay within 2^20 bytes (transport max_msg).
 * The top four bits are free for method_code(). */
static inline uint64_t
lens3(size_t a, size_t b, size_t c)
{
    const uint64_t m = (1u << 20) - 1;
    return ((uint64_t) a & m) | ((uint64_t) b & m) << 20
        | ((uint64_t) c & m) << 40;
}

static bool
is_method(struct slice m, const char *name, size_t len)
{
    return m.len == len && memcmp(m.p, name, len) == 0;
}

#define IS_METHOD(m, lit) is_method(m, lit, sizeof(lit) - 1)

/*
 * The methods of nearly every transaction are named by a code in the
 * lengths word (bits 60..63) instead of by their bytes: a word less to
 * hash. 0: any other method, hashed as a field. A method always gets the
 * same one of the two forms, so the encoding stays unambiguous.
 */
static uint64_t
method_code(struct slice m)
{
    unsigned c = 0;

    switch (m.len) {
    case 3:
        c = IS_METHOD(m, "BYE") ? 1 : 0;
        break;
    case 6:
        c = IS_METHOD(m, "INVITE")   ? 2
            : IS_METHOD(m, "CANCEL") ? 3
            : IS_METHOD(m, "NOTIFY") ? 4
                                     : 0;
        break;
    case 7:
        c = IS_METHOD(m, "OPTIONS") ? 5 : IS_METHOD(m, "MESSAGE") ? 6 : 0;
        break;
    case 8:
        c = IS_METHOD(m, "REGISTER") ? 7 : 0;
        break;
    case 9:
        c = IS_METHOD(m, "SUBSCRIBE") ? 8 : 0;
        break;
    default:
        break;
    }
    return (uint64_t) c << 60;
}

/* The method as a code, or as a field (then its length goes into the
 * lengths word as *len). */
static inline __attribute__((always_inline)) uint64_t
sh_method(struct sh *h, struct slice method, size_t *len)
{
    uint64_t code = method_code(method);

    *len = 0;
    if (!code) {
        sh_field(h, method, false);
        *len = method.len;
    }
    return code;
}

bool
txn_branch_rfc3261(struct slice branch)
{
    return branch.len > 7 && memcmp(branch.p, "z9hG4bK", 7) == 0;
}

/*
 * The §17.2.3 key (server) or the §17.1.3 one (client: branch and method);
 * method is the method of the transaction (INVITE for an ACK). A server
 * request whose branch lacks the magic cookie falls back to RFC 2543.
 */
static uint64_t
key_of(const struct txn_table *t, bool server, const struct txn_match *m,
    struct slice method)
{
    struct sh h;
    size_t mlen;

    if (!server) {
        h = sh_init(t->sipkey, KEY_CLIENT);
        sh_field(&h, m->branch, false);
        uint64_t code = sh_method(&h, method, &mlen);
        sh_word(&h, lens3(m->branch.len, mlen, 0) | code);
    } else if (txn_branch_rfc3261(m->branch)) {
        /* Every branch here starts with the cookie: a word less to hash
         * for most. */
        struct slice b = slice_make(m->branch.p + 7, m->branch.len - 7);
        h = sh_init(t->sipkey, KEY_SERVER);
        sh_field(&h, b, false);
        sh_field(&h, m->sent_by, true);
        uint64_t code = sh_method(&h, method, &mlen);
        sh_word(&h, lens3(b.len, m->sent_by.len, mlen) | code);
    } else {
        /* The To tag is left out: the INVITE had none and its ACK carries
         * ours. */
        h = sh_init(t->sipkey, KEY_RFC2543);
        sh_field(&h, m->ruri, false);
        sh_field(&h, m->from_tag, false);
        sh_field(&h, m->call_id, false);
        sh_word(&h, lens3(m->ruri.len, m->from_tag.len, m->call_id.len));
        sh_field(&h, m->top_via, false);
        uint64_t code = sh_method(&h, method, &mlen);
        sh_word(&h, lens3(m->top_via.len, mlen, 0) | code);
        sh_word(&h, m->cseq);
    }
    return sh_final(&h);
}

/* §8.2.2.2: From tag, Call-ID and CSeq (number and method). */
static uint64_t
mkey_of(const struct txn_table *t, const struct txn_match *m)
{
    struct sh h = sh_init(t->sipkey, KEY_MERGED);
    size_t mlen;

    sh_field(&h, m->from_tag, false);
    sh_field(&h, m->call_id, false);
    uint64_t code = sh_method(&h, m->cseq_method, &mlen);
    sh_word(&h, lens3(m->from_tag.len, m->call_id.len, mlen) | code);
    sh_word(&h, m->cseq);
    return sh_final(&h);
}


static struct slice
txn_method(const struct txn_match *m)
{
    return IS_METHOD(m->method, "ACK") ? SLICE_LIT("INVITE") : m->method;
}

/* ---- buffers: size classes with free lists, no malloc once warm ---- */

static int
buf_class(size_t len)
{
    for (int i = 0; i < BUF_CLASSES; i++) {
        if (len <= buf_sizes[i]) {
            return i;
        }
    }
    return -1;
}

static char *
buf_get(struct txn_table *t, size_t len, uint8_t *cls)
{
    int c = buf_class(len);

    if (c < 0) {
        return NULL;
    }
    *cls = (uint8_t) c;
    if (t->bufs[c]) {
        struct bufnode *b = t->bufs[c];
        t->bufs[c] = b->next;
        return (char *) b;
    }
    return malloc(buf_sizes[c]);
}

static void
buf_put(struct txn_table *t, char *p, uint8_t cls)
{
    if (p) {
        struct bufnode *b = (struct bufnode *) (void *) p;
        b->next = t->bufs[cls];
        t->bufs[cls] = b;
    }
}

/* ---- timers ---- */

static uint64_t
now(const struct txn_table *t)
{
    return t->io.now(t->io.arg);
}

static void
tn_stop(struct tnode *n)
{
    if (n->list >= 0) {
        n->prev->next = n->next;
        n->next->prev = n->prev;
        n->list = -1;
    }
}

/* Arms n to fire dur ms after base (a txn_io.now() reading). */
static void
tn_start_at(struct txn_table *t, struct tnode *n, uint64_t dur, uint64_t base)
{
    int i;

    tn_stop(n);
    for (i = 0; i < t->nlists; i++) {
        if (t->lists[i].dur == dur) {
            break;
        }
    }
    if (i == t->nlists) {
        if (t->nlists == MAX_TLISTS) {
            i = t->nlists - 1; /* cannot happen with the fixed timer set */
        } else {
            struct tlist *l = &t->lists[t->nlists++];
            l->dur = dur;
            l->head.next = l->head.prev = &l->head;
            l->head.list = (int8_t) i;
        }
    }
    struct tlist *l = &t->lists[i];
    n->when = base + dur;
    n->list = (int8_t) i;
    n->prev = l->head.prev;
    n->next = &l->head;
    l->head.prev->next = n;
    l->head.prev = n;
}

static void
tn_start(struct txn_table *t, struct tnode *n, uint64_t dur)
{
    tn_start_at(t, n, dur, now(t));
}

static struct txn *
tn_txn(struct tnode *n)
{
    return (struct txn *) (void *) ((char *) (n - n->which)
        - offsetof(struct txn, tn));
}

uint64_t
txn_table_next_ms(const struct txn_table *t)
{
    uint64_t next = UINT64_MAX;

    for (int i = 0; i < t->nlists; i++) {
        const struct tnode *f = t->lists[i].head.next;
        if (f != &t->lists[i].head && f->when < next) {
            next = f->when;
        }
    }
    if (t->ndone) {
        const struct chunk *c = t->dhead;
        const struct done *d = (const void *) (c->data + c->head);
        next = d->when < next ? d->when : next;
    }
    return next;
}

/* ---- index (struct group) ---- */

static struct group *
groups_new(size_t n)
{
    struct group *g = aligned_alloc(sizeof(*g), n * sizeof(*g));

    if (g) {
        memset(g, 0, n * sizeof(*g));
    }
    return g;
}

static uint16_t
tag_of(uint64_t key)
{
    return (uint16_t) (key >> 48);
}

/* Bit j set for each slot j of g with tag (an empty slot's is 0): the six
 * tags at once where SSE2 is (the x86-64 baseline). */
static inline unsigned
tag_hits(const struct group *g, uint16_t tag)
{
#ifdef __SSE2__
    /* The 16 bytes are the tags and overflow: 2 mask bits a tag, the
     * overflow's dropped. */
    __m128i v = _mm_load_si128((const __m128i *) (const void *) g);
    unsigned m = (unsigned) _mm_movemask_epi8(
        _mm_cmpeq_epi16(v, _mm_set1_epi16((short) tag)));
    return m & 0x555;
#else
    unsigned m = 0;
    for (int j = 0; j < GROUP_SLOTS; j++) {
        m |= (unsigned) (g->tag[j] == tag) << (2 * j);
    }
    return m;
#endif
}

/* The slot of the lowest bit of a tag_hits() mask. */
static inline int
hit_slot(unsigned m)
{
    return __builtin_ctz(m) / 2;
}

static struct done *
ref_done(uintptr_t ref)
{
    return (struct done *) (ref & ~REF_DONE);
}

/* The key (merged: the merged-request key) of an indexed entry. */
static uint64_t
ref_key(uintptr_t ref, bool merged)
{
    if (ref & REF_DONE) {
        const struct done *d = ref_done(ref);
        return merged ? d->mkey : d->key;
    }
    const struct txn *tx = (const struct txn *) ref;
    return merged ? tx->mkey : tx->key;
}

/* The slot of g holding ref (whose tag is tag; 0, 0: an empty one), or
 * -1. */
static int
slot_of(const struct group *g, uint16_t tag, uintptr_t ref)
{
    for (unsigned hits = tag_hits(g, tag); hits; hits &= hits - 1) {
        if (g->ref[hit_slot(hits)] == ref) {
            return hit_slot(hits);
        }
    }
    return -1;
}

/* There is an empty slot: the groups are at most 5/6 full (see room()). */
static inline __attribute__((always_inline)) void
idx_put(struct group *g, size_t gmask, uint64_t key, uintptr_t ref)
{
    for (size_t i = key & gmask;; i = (i + 1) & gmask) {
        int j = slot_of(&g[i], 0, 0);
        if (j >= 0) {
            g[i].tag[j] = tag_of(key);
            g[i].ref[j] = ref;
            return;
        }
        g[i].overflow++;
    }
}

/* Removes (key, ref) if it is indexed (a client transaction may end before
 * its insert), and takes it off the overflow counts it raised. */
static inline __attribute__((always_inline)) void
idx_del(struct group *g, size_t gmask, uint64_t key, uintptr_t ref)
{
    size_t i = key & gmask;
    int j;

    while ((j = slot_of(&g[i], tag_of(key), ref)) < 0) {
        if (!g[i].overflow) {
            return;
        }
        i = (i + 1) & gmask;
        if (i == (key & gmask)) {
            return; /* every group seen (see probe_next()) */
        }
    }
    g[i].ref[j] = 0;
    g[i].tag[j] = 0;
    for (size_t k = key & gmask; k != i; k = (k + 1) & gmask) {
        g[k].overflow--;
    }
}

/* A walk over the entries whose tag is key's, from key's home group to
 * the first group nothing passed. */
struct probe {
    const struct group *groups;
    size_t i, home, gmask;
    unsigned hits; /* of groups[i], not yet returned */
    uint16_t tag;
};

static inline struct probe
probe_start(const struct group *groups, size_t gmask, uint64_t key)
{
    struct probe p = { groups, key & gmask, key & gmask, gmask, 0,
        tag_of(key) };

    p.hits = tag_hits(&groups[p.i], p.tag);
    return p;
}

/* The next entry (its key may still differ), or 0. */
static inline uintptr_t
probe_next(struct probe *p)
{
    for (;;) {
        while (p->hits) {
            uintptr_t r = p->groups[p->i].ref[hit_slot(p->hits)];
            p->hits &= p->hits - 1;
            if (r) {
                return r;
            }
        }
        if (!p->groups[p->i].overflow) {
            return 0;
        }
        p->i = (p->i + 1) & p->gmask;
        /* Back home: every group seen (overflow counts may stand in all
         * of them at once, each for an entry that passed it). */
        if (p->i == p->home) {
            return 0;
        }
        p->hits = tag_hits(&p->groups[p->i], p->tag);
    }
}

/* Moves both indexes to n groups each. */
static int
resize(struct txn_table *t, size_t n)
{
    struct group *k = groups_new(n);
    struct group *mk = groups_new(n);

    if (!k || !mk) {
        free(k);
        free(mk);
        return -ENOMEM;
    }
    for (size_t i = 0; i <= t->gmask; i++) {
        for (int j = 0; j < GROUP_SLOTS; j++) {
            uintptr_t r = t->keys[i].ref[j];
            if (r) {
                idx_put(k, n - 1, ref_key(r, false), r);
            }
            r = t->mkeys[i].ref[j];
            if (r) {
                idx_put(mk, n - 1, ref_key(r, true), r);
            }
        }
    }
    free(t->keys);
    free(t->mkeys);
    t->keys = k;
    t->mkeys = mk;
    t->gmask = n - 1;
    return 0;
}

/* Before one more is counted (every transaction is indexed, and the log's
 * records too): doubles the indexes past 4 entries a group so that few
 * overflow; when that fails, lets them fill up to 5. Rehashing is O(n),
 * amortized over the inserts that led here. */
static bool
room(struct txn_table *t)
{
    size_t n = t->gmask + 1;

    return t->count + 1 <= 4 * n || resize(t, 2 * n) == 0
        || t->count + 1 <= 5 * n;
}

/* The indexes follow the live count down too (below one entry a group, to
 * half the size: a burst does not leave them spread over lines that every
 * later lookup misses). From the timers, so that no walk of the groups
 * sees them move. */
static void
shrink_if_sparse(struct txn_table *t)
{
    size_t n = t->gmask + 1;

    if (n > MIN_GROUPS && t->count < n) {
        resize(t, n / 2);
    }
}

static void
hash_insert(struct txn_table *t, struct txn *tx)
{
    idx_put(t->keys, t->gmask, tx->key, (uintptr_t) tx);
    if (tx->mkey) {
        idx_put(t->mkeys, t->gmask, tx->mkey, (uintptr_t) tx);
    }
}

static void
hash_remove(struct txn_table *t, struct txn *tx)
{
    idx_del(t->keys, t->gmask, tx->key, (uintptr_t) tx);
    if (tx->mkey) {
        idx_del(t->mkeys, t->gmask, tx->mkey, (uintptr_t) tx);
    }
}

/* The live transaction with key, in one probe of the index that also
 * finds the log's record with key for d (when set; *d starts NULL). */
static inline __attribute__((always_inline)) struct txn *
lookup(const struct txn_table *t, uint64_t key, struct done **d)
{
    struct probe p = probe_start(t->keys, t->gmask, key);

    for (uintptr_t r; (r = probe_next(&p)) != 0;) {
        if (ref_key(r, false) != key) {
            continue;
        }
        if (!(r & REF_DONE)) {
            struct txn *tx = (struct txn *) r;
            if (tx->state != TXN_TERMINATED) {
                return tx;
            }
        } else if (d && !*d) {
            *d = ref_done(r);
        }
    }
    return NULL;
}

static struct txn *
hash_find(struct txn_table *t, uint64_t key)
{
    return lookup(t, key, NULL);
}

static void
txn_destroy(struct txn_table *t, struct txn *tx)
{
    if (tx->proxy && tx->cb) {
        /* The proxy's context lives as long as its client transaction. */
        txn_client_cb *cb = tx->cb;
        tx->cb = NULL;
        cb(tx->cb_arg, tx, 0, SLICE_NULL);
    }
    tn_stop(&tx->tn[RT]);
    tn_stop(&tx->tn[TO]);
    hash_remove(t, tx);
    buf_put(t, tx->msg, tx->buf_class);
    buf_put(t, tx->ack, tx->ack_class);
    tx->msg = tx->ack = NULL;
    tx->state = TXN_TERMINATED;
    tx->gen++;
    tx->user = NULL;
    tx->cb = NULL;
    tx->next = t->free;
    t->free = tx;
    t->count--;
}

/* ---- completed non-INVITE transactions, compact (struct done) ---- */

/* Moves tx, which just sent its final response msg, into the log and ends
 * it; -E2BIG or -ENOMEM when it has to stay as it is. */
static int
done_add(struct txn_table *t, struct txn *tx, struct slice msg, uint64_t when)
{
    size_t size = (sizeof(struct done) + msg.len + 7) & ~(size_t) 7;
    struct chunk *c = t->dtail;

    if (msg.len > DONE_MAX) {
        return -E2BIG;
    }
    if (!c || CHUNK_DATA - c->tail < size) {
        struct chunk *n = t->dspare ? t->dspare : malloc(CHUNK_BYTES);
        if (!n) {
            return -ENOMEM;
        }
        t->dspare = NULL;
        n->next = NULL;
        n->head = n->tail = 0;
        if (c) {
            c->next = n;
        } else {
            t->dhead = n;
        }
        t->dtail = c = n;
    }
    struct done *d = (struct done *) (void *) (c->data + c->tail);
    c->tail += size;
    d->key = tx->key;
    d->mkey = tx->mkey;
    d->when = when;
    d->dest = tx->dest;
    d->len = (uint32_t) msg.len;
    d->size = (uint32_t) size;
    memcpy(d->msg, msg.p, msg.len);
    txn_destroy(t, tx);
    /* Indexed and counted as tx was: the indexes have room. */
    t->count++;
    idx_put(t->keys, t->gmask, d->key, (uintptr_t) d | REF_DONE);
    if (d->mkey) {
        idx_put(t->mkeys, t->gmask, d->mkey, (uintptr_t) d | REF_DONE);
    }
    t->ndone++;
    return 0;
}

/* Retires the oldest record of the log if it expires by upto. */
static bool
done_expire_one(struct txn_table *t, uint64_t upto)
{
    struct chunk *c = t->dhead;

    if (!t->ndone) {
        return false;
    }
    struct done *d = (struct done *) (void *) (c->data + c->head);
    if (d->when > upto) {
        return false;
    }
    idx_del(t->keys, t->gmask, d->key, (uintptr_t) d | REF_DONE);
    if (d->mkey) {
        idx_del(t->mkeys, t->gmask, d->mkey, (uintptr_t) d | REF_DONE);
    }
    t->ndone--;
    t->count--;
    c->head += d->size;
    if (c->head == c->tail) {
        /* Only the tail chunk is ever empty: the others are recycled. */
        if (c == t->dtail) {
            c->head = c->tail = 0;
        } else {
            t->dhead = c->next;
            free(t->dspare);
            t->dspare = c;
        }
    }
    return true;
}

/* Retires the oldest completed transaction (it only absorbs retransmissions)
 * so a full table keeps serving new requests. */
static bool
reclaim(struct txn_table *t)
{
    if (done_expire_one(t, UINT64_MAX)) {
        t->stats.reclaimed++;
        return true;
    }
    for (int i = 0; i < t->nlists; i++) {
        struct tnode *f = t->lists[i].head.next;
        if (f == &t->lists[i].head) {
            continue;
        }
        struct txn *tx = tn_txn(f);
        if (f->which == TO
            && (tx->state == TXN_COMPLETED || tx->state == TXN_ACCEPTED)
            && (tx->kind == TXN_SERVER_NON_INVITE
                || tx->state != TXN_COMPLETED)) {
            t->stats.reclaimed++;
            txn_destroy(t, tx);
            return true;
        }
    }
    return false;
}

static struct txn *
txn_alloc(struct txn_table *t)
{
    struct txn *tx;

    if ((t->count >= (size_t) t->conf.max_txn && !reclaim(t)) || !room(t)) {
        t->stats.full++;
        return NULL;
    }
    tx = t->free;
    if (tx) {
        t->free = tx->next;
    } else {
        tx = aligned_alloc(_Alignof(struct txn), sizeof(*tx));
        if (!tx) {
            return NULL;
        }
        tx->gen = 0;
    }
    uint32_t gen = tx->gen;
    memset(tx, 0, sizeof(*tx));
    tx->gen = gen + 1;
    tx->tn[RT].list = tx->tn[TO].list = -1;
    tx->tn[RT].which = RT;
    tx->tn[TO].which = TO;
    t->count++;
    t->stats.created++;
    return tx;
}

int
txn_table_new(
    struct txn_table **tp, const struct txn_conf *c, const struct txn_io *io)
{
    struct txn_table *t = calloc(1, sizeof(*t));

    if (!t) {
        return -ENOMEM;
    }
    t->conf = *c;
    t->io = *io;
    /* Start small and follow the live count (see room()): a table sized
     * for the maximum would spread a few thousand transactions over
     * megabytes and miss the cache on every lookup. */
    t->gmask = MIN_GROUPS - 1;
    t->keys = groups_new(MIN_GROUPS);
    t->mkeys = groups_new(MIN_GROUPS);
    if (!t->keys || !t->mkeys) {
        txn_table_free(t);
        return -ENOMEM;
    }
    if (getrandom(t->sipkey, sizeof(t->sipkey), 0) != sizeof(t->sipkey)) {
        t->sipkey[0] = (uint64_t) (uintptr_t) t ^ now(t);
        t->sipkey[1] = 0x9e3779b97f4a7c15ULL;
    }
    *tp = t;
    return 0;
}

void
txn_table_free(struct txn_table *t)
{
    if (!t) {
        return;
    }
    for (size_t i = 0; t->keys && i <= t->gmask; i++) {
        for (int j = 0; j < GROUP_SLOTS; j++) {
            uintptr_t r = t->keys[i].ref[j];
            if (r && !(r & REF_DONE)) {
                txn_destroy(t, (struct txn *) r);
            }
        }
    }
    while (t->free) {
        struct txn *tx = t->free;
        t->free = tx->next;
        free(tx);
    }
    for (int c = 0; c < BUF_CLASSES; c++) {
        while (t->bufs[c]) {
            struct bufnode *b = t->bufs[c];
            t->bufs[c] = b->next;
            free(b);
        }
    }
    while (t->dhead) {
        struct chunk *c = t->dhead;
        t->dhead = c->next;
        free(c);
    }
    free(t->dspare);
    free(t->keys);
    free(t->mkeys);
    free(t);
}

size_t
txn_table_count(const struct txn_table *t)
{
    return t->count;
}

/* Keeps a copy of msg in tx (the last response, or the request). */
static int
keep(struct txn_table *t, struct txn *tx, struct slice msg)
{
    uint8_t cls;

    if (tx->msg && msg.len <= buf_sizes[tx->buf_class]) {
        memcpy(tx->msg, msg.p, msg.len);
        tx->msg_len = (uint32_t) msg.len;
        return 0;
    }
    char *b = buf_get(t, msg.len, &cls);
    if (!b) {
        return -ENOMEM;
    }
    buf_put(t, tx->msg, tx->buf_class);
    memcpy(b, msg.p, msg.len);
    tx->msg = b;
    tx->buf_class = cls;
    tx->msg_len = (uint32_t) msg.len;
    return 0;
}

static int
send_kept(struct txn_table *t, struct txn *tx)
{
    return t->io.send(t->io.arg, &tx->dest, slice_make(tx->msg, tx->msg_len));
}

/* ---- server transactions ---- */

/* The server key of m, computed once per message. */
static uint64_t
skey(const struct txn_table *t, struct txn_match *m)
{
    if (!m->key) {
        m->key = key_of(t, true, m, txn_method(m));
    }
    return m->key;
}

static uint64_t
smkey(const struct txn_table *t, struct txn_match *m)
{
    if (!m->mkey) {
        m->mkey = mkey_of(t, m);
    }
    return m->mkey;
}

struct txn *
txn_server_find(struct txn_table *t, struct txn_match *m)
{
    if (t->count == 0) {
        return NULL; /* the common stateless case: skip the hashing */
    }
    return hash_find(t, skey(t, m));
}

bool
txn_server_retransmission(struct txn_table *t, struct txn_match *m, bool is_ack)
{
    struct done *d = NULL;

    if (t->count == 0) {
        return false;
    }
    struct txn *tx = lookup(t, skey(t, m), &d);
    if (tx) {
        txn_server_absorb(t, tx, is_ack);
        return true;
    }
    if (!d) {
        return false;
    }
    /* Completed non-INVITE (an ACK never has its key): the response again. */
    t->stats.retrans_absorbed++;
    t->stats.resp_retransmitted++;
    t->io.send(t->io.arg, &d->dest, slice_make(d->msg, d->len));
    return true;
}

struct txn *
txn_server_find_invite(struct txn_table *t, const struct txn_match *cancel)
{
    return hash_find(t, key_of(t, true, cancel, SLICE_LIT("INVITE")));
}

bool
txn_server_merged(struct txn_table *t, struct txn_match *m)
{
    if (m->to_tag.len || !m->from_tag.len || t->count == 0) {
        return false;
    }
    uint64_t mk = smkey(t, m);
    uint64_t k = skey(t, m);
    struct probe p = probe_start(t->mkeys, t->gmask, mk);
    for (uintptr_t r; (r = probe_next(&p)) != 0;) {
        if (ref_key(r, true) == mk && ref_key(r, false) != k
            && ((r & REF_DONE)
                || ((const struct txn *) r)->state != TXN_TERMINATED)) {
            return true;
        }
    }
    return false;
}

int
txn_server_new(struct txn_table *t, struct txn_match *m,
    const struct transport_ep *dest, struct txn **out)
{
    bool invite = IS_METHOD(m->method, "INVITE");
    struct txn *tx = txn_alloc(t);

    if (!tx) {
        return -EBUSY;
    }
    tx->key = skey(t, m);
    tx->mkey = m->to_tag.len || !m->from_tag.len ? 0 : smkey(t, m);
    tx->kind = invite ? TXN_SERVER_INVITE : TXN_SERVER_NON_INVITE;
    tx->state = invite ? TXN_PROCEEDING : TXN_TRYING;
    tx->dest = *dest;
    tx->reliable = dest->proto != TRANSPORT_UDP;
    hash_insert(t, tx);
    *out = tx;
    return 0;
}

bool
txn_server_absorb(struct txn_table *t, struct txn *tx, bool is_ack)
{
    if (is_ack) {
        if (tx->kind != TXN_SERVER_INVITE) {
            return false;
        }
        if (tx->state == TXN_COMPLETED) {
            /* §17.2.1: the ACK for the non-2xx stops G and H. Confirmed
             * (Timer I) would only absorb ACK retransmissions, and the core
             * drops ACKs that match nothing: so the transaction ends here,
             * on every transport, and the lookup index keeps only those
             * awaiting an answer or an ACK. */
            t->stats.acks_absorbed++;
            txn_destroy(t, tx);
            return true;
        }
        /* An ACK for a 2xx is end-to-end: not ours to absorb. */
        return false;
    }
    t->stats.retrans_absorbed++;
    if ((tx->state == TXN_PROCEEDING || tx->state == TXN_COMPLETED)
        && tx->msg) {
        t->stats.resp_retransmitted++;
        send_kept(t, tx);
    }
    return false;
}

int
txn_server_respond(
    struct txn_table *t, struct txn *tx, int code, struct slice msg)
{
    int rc;

    if (tx->kind != TXN_SERVER_INVITE && tx->kind != TXN_SERVER_NON_INVITE) {
        return -EINVAL;
    }
    if (tx->state != TXN_TRYING && tx->state != TXN_PROCEEDING) {
        return -EINVAL;
    }
    tx->code = (uint16_t) code;
    if (code < 200) {
        rc = keep(t, tx, msg);
        tx->state = TXN_PROCEEDING;
        t->io.send(t->io.arg, &tx->dest, msg);
        return rc;
    }
    rc = t->io.send(t->io.arg, &tx->dest, msg);
    if (tx->kind == TXN_SERVER_INVITE && code < 300) {
        /* RFC 6026 §7.1 Accepted: absorb INVITE retransmissions for Timer L;
         * the 2xx itself is retransmitted by its TU, not by us. */
        buf_put(t, tx->msg, tx->buf_class);
        tx->msg = NULL;
        tx->state = TXN_ACCEPTED;
        tn_start(t, &tx->tn[TO], 64 * (uint64_t) t->conf.t1_ms);
        return rc;
    }
    if (tx->reliable && tx->kind == TXN_SERVER_NON_INVITE) {
        /* Timer J is 0 on reliable transports. */
        txn_destroy(t, tx);
        return rc;
    }
    uint64_t at = now(t);
    if (tx->kind == TXN_SERVER_NON_INVITE
        && done_add(t, tx, msg, at + 64 * (uint64_t) t->conf.t1_ms) == 0) {
        return rc; /* Timer J runs in the log */
    }
    int krc = keep(t, tx, msg);
    if (krc) {
        txn_destroy(t, tx);
        return krc;
    }
    tx->state = TXN_COMPLETED;
    if (tx->kind == TXN_SERVER_INVITE && !tx->reliable) {
        tx->rt_ms = (uint32_t) t->conf.t1_ms; /* Timer G */
        tn_start_at(t, &tx->tn[RT], tx->rt_ms, at);
    }
    /* Timer H (INVITE) or J */
    tn_start_at(t, &tx->tn[TO], 64 * (uint64_t) t->conf.t1_ms, at);
    return rc;
}

/* ---- client transactions ---- */

int
txn_client_new(struct txn_table *t, const struct txn_match *m,
    const struct transport_ep *dest, struct slice msg, txn_client_cb *cb,
    void *arg, struct txn **out)
{
    bool invite = IS_METHOD(m->method, "INVITE");
    struct txn *tx;
    int rc;

    if (!txn_branch_rfc3261(m->branch)) {
        return -EINVAL;
    }
    tx = txn_alloc(t);
    if (!tx) {
        return -EBUSY;
    }
    tx->key = key_of(t, false, m, m->method);
    tx->kind = invite ? TXN_CLIENT_INVITE : TXN_CLIENT_NON_INVITE;
    tx->state = invite ? TXN_CALLING : TXN_TRYING;
    tx->dest = *dest;
    tx->reliable = dest->proto != TRANSPORT_UDP;
    tx->cb = cb;
    tx->cb_arg = arg;
    rc = keep(t, tx, msg);
    if (rc) {
        txn_destroy(t, tx);
        return rc;
    }
    hash_insert(t, tx);
    rc = send_kept(t, tx);
    if (rc) {
        txn_destroy(t, tx);
        return rc;
    }
    if (!tx->reliable) {
        tx->rt_ms = (uint32_t) t->conf.t1_ms; /* Timer A or E */
        tn_start(t, &tx->tn[RT], tx->rt_ms);
    }
    tn_start(t, &tx->tn[TO], 64 * (uint64_t) t->conf.t1_ms); /* B or F */
    *out = tx;
    return 0;
}

static void
client_report(struct txn_table *t, struct txn *tx, int code, struct slice msg)
{
    if (tx->cb) {
        tx->cb(tx->cb_arg, tx, code, msg);
    }
}

int
txn_client_recv(struct txn_table *t, const struct txn_match *resp, int code,
    struct slice msg)
{
    struct txn_match m = *resp;

    /* §17.1.3: branch of the top Via and the CSeq method. */
    m.method = resp->cseq_method;
    struct txn *tx = hash_find(t, key_of(t, false, &m, m.method));
    if (!tx) {
        return -ENOENT;
    }
    if (tx->kind == TXN_CLIENT_INVITE) {
        switch (tx->state) {
        case TXN_CALLING:
        case TXN_PROCEEDING:
            tn_stop(&tx->tn[RT]); /* any response stops Timer A */
            tx->code = (uint16_t) code;
            if (code < 200) {
                bool calling = tx->state == TXN_CALLING;
                tx->state = TXN_PROCEEDING;
                if (!tx->proxy) {
                    /* §17.1.1.2: Timer B times out Calling only; once the
                     * far end answers, how long to wait is the TU's choice
                     * (CANCEL). */
                    tn_stop(&tx->tn[TO]);
                } else if (calling || code > 100) {
                    /* §16.6 item 11, §16.7 item 2: Timer C replaces B, and
                     * each 101..199 restarts it; a 100 does not, nor does it
                     * stop it (else nothing would end the transaction). */
                    tn_start(t, &tx->tn[TO], TIMER_C_MS);
                }
                client_report(t, tx, code, msg);
            } else if (code < 300 && tx->proxy) {
                /* RFC 6026 §8.4: Accepted, for Timer M; every 2xx (the
                 * retransmissions too) goes up to be relayed. */
                tx->state = TXN_ACCEPTED;
                tn_start(t, &tx->tn[TO], 64 * (uint64_t) t->conf.t1_ms);
                client_report(t, tx, code, msg);
            } else if (code < 300) {
                /* The 2xx goes to the TU, which ACKs it end to end. */
                client_report(t, tx, code, msg);
                txn_destroy(t, tx);
            } else {
                tx->state = TXN_COMPLETED;
                tn_stop(&tx->tn[TO]);
                client_report(t, tx, code, msg);
                if (tx->state != TXN_COMPLETED) {
                    break;
                }
                if (tx->reliable) {
                    txn_destroy(t, tx);
                } else {
                    tn_start(t, &tx->tn[TO], 32000); /* Timer D: > 32 s */
                }
            }
            break;
        case TXN_ACCEPTED:
            if (code >= 200 && code < 300) {
                client_report(t, tx, code, msg);
            }
            break;
        case TXN_COMPLETED:
            /* A retransmitted final: resend our ACK, tell nobody. */
            if (code >= 300 && tx->ack) {
                t->io.send(
                    t->io.arg, &tx->dest, slice_make(tx->ack, tx->ack_len));
            }
            break;
        default:
            break;
        }
        return 0;
    }
    switch (tx->state) {
    case TXN_TRYING:
    case TXN_PROCEEDING:
        tx->code = (uint16_t) code;
        if (code < 200) {
            tx->state = TXN_PROCEEDING;
            client_report(t, tx, code, msg);
            break;
        }
        tn_stop(&tx->tn[RT]);
        tn_stop(&tx->tn[TO]);
        tx->state = TXN_COMPLETED;
        client_report(t, tx, code, msg);
        if (tx->state != TXN_COMPLETED) {
            break;
        }
        buf_put(t, tx->msg, tx->buf_class);
        tx->msg = NULL;
        if (tx->reliable) {
            txn_destroy(t, tx);
        } else {
            tn_start(t, &tx->tn[TO], (uint64_t) t->conf.t4_ms); /* K */
        }
        break;
    default:
        break; /* Completed: absorb retransmitted responses */
    }
    return 0;
}

int
txn_client_ack(struct txn_table *t, struct txn *tx, struct slice ack)
{
    uint8_t cls;

    if (tx->kind != TXN_CLIENT_INVITE || tx->state != TXN_COMPLETED) {
        return -EINVAL;
    }
    char *b = buf_get(t, ack.len, &cls);
    if (!b) {
        return -ENOMEM;
    }
    memcpy(b, ack.p, ack.len);
    buf_put(t, tx->ack, tx->ack_class);
    tx->ack = b;
    tx->ack_len = (uint32_t) ack.len;
    tx->ack_class = cls;
    return t->io.send(t->io.arg, &tx->dest, ack);
}

void
txn_client_proxy(struct txn *tx)
{
    if (tx->kind == TXN_CLIENT_INVITE || tx->kind == TXN_CLIENT_NON_INVITE) {
        tx->proxy = true;
    }
}

void
txn_client_abandon(struct txn_table *t, struct txn *tx)
{
    tx->cb = NULL;
    if (tx->state != TXN_TERMINATED) {
        txn_destroy(t, tx);
    }
}

/* ---- timers firing ---- */

static void
fire_rt(struct txn_table *t, struct txn *tx)
{
    uint64_t t2 = (uint64_t) t->conf.t2_ms;

    switch (tx->kind) {
    case TXN_SERVER_INVITE:
        /* Timer G: the final response again, interval doubling up to T2. */
        if (tx->state == TXN_COMPLETED && tx->msg) {
            t->stats.resp_retransmitted++;
            send_kept(t, tx);
            tx->rt_ms = (uint32_t) (2 * tx->rt_ms < t2 ? 2 * tx->rt_ms : t2);
            tn_start(t, &tx->tn[RT], tx->rt_ms);
        }
        break;
    case TXN_CLIENT_INVITE:
        /* Timer A: the INVITE again, doubling without cap. */
        if (tx->state == TXN_CALLING) {
            send_kept(t, tx);
            tx->rt_ms *= 2;
            tn_start(t, &tx->tn[RT], tx->rt_ms);
        }
        break;
    case TXN_CLIENT_NON_INVITE:
        /* Timer E: doubling up to T2; in Proceeding always T2. */
        if (tx->state == TXN_TRYING || tx->state == TXN_PROCEEDING) {
            send_kept(t, tx);
            tx->rt_ms = tx->state == TXN_PROCEEDING
                ? (uint32_t) t2
                : (uint32_t) (2 * tx->rt_ms < t2 ? 2 * tx->rt_ms : t2);
            tn_start(t, &tx->tn[RT], tx->rt_ms);
        }
        break;
    default:
        break;
    }
}

static void
fire_to(struct txn_table *t, struct txn *tx)
{
    if ((tx->kind == TXN_CLIENT_INVITE || tx->kind == TXN_CLIENT_NON_INVITE)
        && (tx->state == TXN_CALLING || tx->state == TXN_TRYING
            || tx->state == TXN_PROCEEDING)) {
        /* Timer B or F: the request timed out. */
        t->stats.timeouts++;
        client_report(t, tx, 408, SLICE_NULL);
    } else if (tx->kind == TXN_SERVER_INVITE && tx->state == TXN_COMPLETED) {
        t->stats.timeouts++; /* Timer H: no ACK came */
    }
    if (tx->state != TXN_TERMINATED) {
        txn_destroy(t, tx);
    }
}

void
txn_table_tick(struct txn_table *t)
{
    uint64_t n = now(t);

    while (done_expire_one(t, n)) {
    }
    for (int i = 0; i < t->nlists; i++) {
        struct tlist *l = &t->lists[i];
        while (l->head.next != &l->head && l->head.next->when <= n) {
            struct tnode *f = l->head.next;
            struct txn *tx = tn_txn(f);
            tn_stop(f);
            if (f->which == TO) {
                fire_to(t, tx);
            } else {
                fire_rt(t, tx);
            }
        }
    }
    shrink_if_sparse(t);
}

/* ---- accessors ---- */

enum txn_kind
txn_kind(const struct txn *tx)
{
    return (enum txn_kind) tx->kind;
}

enum txn_state
txn_state(const struct txn *tx)
{
    return (enum txn_state) tx->state;
}

uint32_t
txn_gen(const struct txn *tx)
{
    return tx->gen;
}

int
txn_code(const struct txn *tx)
{
    return tx->code;
}

const struct transport_ep *
txn_dest(const struct txn *tx)
{
    return &tx->dest;
}

void
txn_set_user(struct txn *tx, void *user)
{
    tx->user = user;
}

void *
txn_user(const struct txn *tx)
{
    return tx->user;
}

const struct txn_stats *
txn_stats_get(const struct txn_table *t)
{
    return &t->stats;
}
