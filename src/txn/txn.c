#define LOG_MODULE "txn"
#include "txn/txn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

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

struct txn {
    uint64_t key;
    uint64_t mkey; /* merged-request key; 0 when not indexed */
    struct txn *hnext, *mnext;
    struct tnode tn[2];
    uint8_t kind;
    uint8_t state;
    bool reliable;
    bool proxy; /* client INVITE of a proxy: see txn_client_proxy() */
    uint8_t buf_class;
    uint16_t code;
    uint32_t gen;
    uint32_t rt_ms;
    struct transport_ep dest;
    char *msg; /* last response (server) or request (client) */
    uint32_t msg_len;
    char *ack; /* client INVITE: the ACK for a non-2xx */
    uint32_t ack_len;
    uint8_t ack_class;
    void *user;
    txn_client_cb *cb;
    void *cb_arg;
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
    struct done *hnext, *mnext;
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

struct txn_table {
    struct txn_conf conf;
    struct txn_io io;
    uint64_t sipkey[2];
    struct txn **buckets;
    struct txn **mbuckets;
    size_t mask;
    struct txn *free;
    size_t count; /* all of them are indexed, the log's records too */
    struct tlist lists[MAX_TLISTS];
    int nlists;
    struct bufnode *bufs[BUF_CLASSES];
    /* completed non-INVITE transactions (struct done), same mask */
    struct done **dbuckets, **dmbuckets;
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

static bool
has_cookie(struct slice branch)
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
    } else if (has_cookie(m->branch)) {
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

/* ---- hash table ---- */

/* Moves every entry of the chains in from[0..oldn) to the buckets of to
 * (mask: their count - 1), by the link field next and the hash field key
 * of type: the same for both indexes of both kinds of entries. */
#define REHASH(type, from, to, oldn, mask, next, key)                          \
    for (size_t i_ = 0; i_ < (oldn); i_++) {                                   \
        while ((from)[i_]) {                                                   \
            type *e_ = (from)[i_];                                             \
            (from)[i_] = e_->next;                                             \
            e_->next = (to)[e_->key & (mask)];                                 \
            (to)[e_->key & (mask)] = e_;                                       \
        }                                                                      \
    }

/* Doubles the bucket arrays when more transactions are indexed than
 * buckets; rehashing is O(n), amortized over the inserts that led here. */
static void
grow(struct txn_table *t)
{
    size_t n = (t->mask + 1) * 2;
    struct txn **b = calloc(n, sizeof(*b));
    struct txn **mb = calloc(n, sizeof(*mb));
    struct done **db = calloc(n, sizeof(*db));
    struct done **dmb = calloc(n, sizeof(*dmb));

    if (!b || !mb || !db || !dmb) {
        free(b);
        free(mb);
        free(db);
        free(dmb);
        return; /* keep the longer chains */
    }
    REHASH(struct txn, t->buckets, b, t->mask + 1, n - 1, hnext, key);
    REHASH(struct txn, t->mbuckets, mb, t->mask + 1, n - 1, mnext, mkey);
    REHASH(struct done, t->dbuckets, db, t->mask + 1, n - 1, hnext, key);
    REHASH(struct done, t->dmbuckets, dmb, t->mask + 1, n - 1, mnext, mkey);
    free(t->buckets);
    free(t->mbuckets);
    free(t->dbuckets);
    free(t->dmbuckets);
    t->buckets = b;
    t->mbuckets = mb;
    t->dbuckets = db;
    t->dmbuckets = dmb;
    t->mask = n - 1;
}

/* After one more was counted: every transaction is indexed, and the log's
 * records count too, as both kinds share the mask. */
static void
grow_if_full(struct txn_table *t)
{
    if (t->count > t->mask + 1 && t->mask + 1 < ((size_t) 1 << 24)) {
        grow(t);
    }
}

static void
hash_insert(struct txn_table *t, struct txn *tx)
{
    grow_if_full(t);
    struct txn **b = &t->buckets[tx->key & t->mask];
    tx->hnext = *b;
    *b = tx;
    if (tx->mkey) {
        struct txn **mb = &t->mbuckets[tx->mkey & t->mask];
        tx->mnext = *mb;
        *mb = tx;
    }
}

static void
hash_remove(struct txn_table *t, struct txn *tx)
{
    for (struct txn **pp = &t->buckets[tx->key & t->mask]; *pp;
         pp = &(*pp)->hnext) {
        if (*pp == tx) {
            *pp = tx->hnext;
            break;
        }
    }
    if (tx->mkey) {
        for (struct txn **pp = &t->mbuckets[tx->mkey & t->mask]; *pp;
             pp = &(*pp)->mnext) {
            if (*pp == tx) {
                *pp = tx->mnext;
                break;
            }
        }
    }
}

static struct txn *
hash_find(struct txn_table *t, uint64_t key)
{
    for (struct txn *tx = t->buckets[key & t->mask]; tx; tx = tx->hnext) {
        if (tx->key == key && tx->state != TXN_TERMINATED) {
            return tx;
        }
    }
    return NULL;
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
    tx->hnext = t->free;
    t->free = tx;
    t->count--;
}

/* ---- completed non-INVITE transactions, compact (struct done) ---- */

static struct done *
done_find(const struct txn_table *t, uint64_t key)
{
    for (struct done *d = t->dbuckets[key & t->mask]; d; d = d->hnext) {
        if (d->key == key) {
            return d;
        }
    }
    return NULL;
}

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
    /* Indexed and counted as tx was. */
    t->count++;
    grow_if_full(t);
    d->hnext = t->dbuckets[d->key & t->mask];
    t->dbuckets[d->key & t->mask] = d;
    if (d->mkey) {
        d->mnext = t->dmbuckets[d->mkey & t->mask];
        t->dmbuckets[d->mkey & t->mask] = d;
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
    struct done **pp = &t->dbuckets[d->key & t->mask];
    while (*pp != d) {
        pp = &(*pp)->hnext;
    }
    *pp = d->hnext;
    if (d->mkey) {
        pp = &t->dmbuckets[d->mkey & t->mask];
        while (*pp != d) {
            pp = &(*pp)->mnext;
        }
        *pp = d->mnext;
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

    if (t->count >= (size_t) t->conf.max_txn && !reclaim(t)) {
        t->stats.full++;
        return NULL;
    }
    tx = t->free;
    if (tx) {
        t->free = tx->hnext;
    } else {
        tx = calloc(1, sizeof(*tx));
        if (!tx) {
            return NULL;
        }
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
    size_t n = 1024;

    if (!t) {
        return -ENOMEM;
    }
    t->conf = *c;
    t->io = *io;
    /* Start small and grow with the live count (see grow()): a table sized
     * for the maximum would spread a few thousand transactions over
     * megabytes and miss the cache on every lookup. */
    t->mask = n - 1;
    t->buckets = calloc(n, sizeof(*t->buckets));
    t->mbuckets = calloc(n, sizeof(*t->mbuckets));
    t->dbuckets = calloc(n, sizeof(*t->dbuckets));
    t->dmbuckets = calloc(n, sizeof(*t->dmbuckets));
    if (!t->buckets || !t->mbuckets || !t->dbuckets || !t->dmbuckets) {
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
    for (size_t i = 0; t->buckets && i <= t->mask; i++) {
        while (t->buckets[i]) {
            txn_destroy(t, t->buckets[i]);
        }
    }
    while (t->free) {
        struct txn *tx = t->free;
        t->free = tx->hnext;
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
    free(t->buckets);
    free(t->mbuckets);
    free(t->dbuckets);
    free(t->dmbuckets);
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
    struct txn *tx = txn_server_find(t, m);

    if (tx) {
        txn_server_absorb(t, tx, is_ack);
        return true;
    }
    struct done *d = t->ndone ? done_find(t, skey(t, m)) : NULL;
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
    for (struct txn *tx = t->mbuckets[mk & t->mask]; tx; tx = tx->mnext) {
        if (tx->mkey == mk && tx->key != k && tx->state != TXN_TERMINATED) {
            return true;
        }
    }
    for (struct done *d = t->dmbuckets[mk & t->mask]; d; d = d->mnext) {
        if (d->mkey == mk && d->key != k) {
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

    if (!has_cookie(m->branch)) {
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
