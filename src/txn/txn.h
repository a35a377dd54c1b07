/*
 * The RFC 3261 §17 transaction layer of one worker: server transactions
 * (INVITE and non-INVITE), client transactions (INVITE and non-INVITE) and
 * their timers. One table per worker thread, no locks; transactions come
 * from a free list and are matched through a hash of the §17.2.3 key.
 *
 * The table knows nothing about sockets or clocks: it sends through
 * txn_io.send and reads the time from txn_io.now, and its owner calls
 * txn_table_tick() when txn_table_next_ms() is reached. So unit tests drive
 * it with a fake clock and a fake transport.
 *
 * Messages are opaque bytes here: the caller builds responses, requests and
 * ACKs (with the sip builder) and extracts the matching fields (struct
 * txn_match) from parsed messages.
 */
#ifndef SW_TXN_TXN_H
#define SW_TXN_TXN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/slice.h"
#include "transport/transport.h"

/* The [txn] section. */
struct txn_conf {
    int64_t t1_ms;   /* RTT estimate, RFC 3261 §17.1.1.1: 500 */
    int64_t t2_ms;   /* retransmit cap for non-INVITE and INVITE responses */
    int64_t t4_ms;   /* how long a message stays in the network */
    int64_t max_txn; /* per worker */
};

/** Registers the [txn] table into c, pointing at tc. */
void txn_conf_register(struct conf *c, struct txn_conf *tc);

/* What the table needs from its owner. */
struct txn_io {
    /** Sends msg to dst; 0 or -errno. */
    int (*send)(void *arg, const struct transport_ep *dst, struct slice msg);
    /** Monotonic milliseconds. */
    uint64_t (*now)(void *arg);
    void *arg;
};

/*
 * The fields of a message that identify its transaction (RFC 3261 §17.1.3,
 * §17.2.3), as slices into the parsed message. For the RFC 2543 fallback
 * (top Via branch without the "z9hG4bK" magic cookie) the Request-URI, tags,
 * Call-ID, CSeq and the whole top Via are used.
 */
struct txn_match {
    struct slice method;  /* request method; for responses: empty */
    struct slice branch;  /* top Via branch parameter */
    struct slice sent_by; /* top Via sent-by (host[:port]) */
    struct slice top_via; /* whole top Via value */
    struct slice ruri;    /* Request-URI */
    struct slice call_id;
    struct slice from_tag;
    struct slice to_tag; /* empty when absent */
    uint32_t cseq;
    struct slice cseq_method; /* CSeq method */
    /* Filled by the table on first use, so one message is hashed once;
     * zero them when the fields above change. */
    uint64_t key, mkey;
};

enum txn_kind {
    TXN_SERVER_INVITE,
    TXN_SERVER_NON_INVITE,
    TXN_CLIENT_INVITE,
    TXN_CLIENT_NON_INVITE,
};

enum txn_state {
    TXN_CALLING,    /* client INVITE: request sent, nothing received */
    TXN_TRYING,     /* non-INVITE: request sent/received, no response */
    TXN_PROCEEDING, /* provisional response sent/received */
    TXN_COMPLETED,  /* final response; absorbing retransmissions */
    TXN_ACCEPTED,   /* server INVITE after 2xx (RFC 6026 Timer L) */
    TXN_TERMINATED,
};

struct txn;
struct txn_table;

/**
 * Client transaction result: a response (code 100..699, msg its bytes), or
 * the transaction's own verdict: 408 with an empty msg on Timer B/F (and
 * C, see txn_client_proxy()). A request that cannot be sent at all is
 * txn_client_new()'s error, which the caller turns into its 503 (RFC 3261
 * §8.1.3.1). For a non-2xx final response to an INVITE, the callback
 * should call txn_client_ack() with the ACK bytes. Code 0: a proxy's
 * transaction ended.
 */
typedef void txn_client_cb(
    void *arg, struct txn *tx, int code, struct slice msg);

int txn_table_new(
    struct txn_table **tp, const struct txn_conf *c, const struct txn_io *io);
void txn_table_free(struct txn_table *t);

/** Absolute time (txn_io.now scale) of the next timer; UINT64_MAX if none. */
uint64_t txn_table_next_ms(const struct txn_table *t);
/** Runs the timers due at txn_io.now(). */
void txn_table_tick(struct txn_table *t);
/** Live transactions. */
size_t txn_table_count(const struct txn_table *t);

/**
 * Whether branch starts with RFC 3261's magic cookie (§8.1.1.7): only then
 * do the top Via's branch and sent-by alone match a request to its server
 * transaction (§17.2.3); without it the RFC 2543 match needs the rest.
 */
bool txn_branch_rfc3261(struct slice branch);

/* ---- server transactions (RFC 3261 §17.2) ---- */

/**
 * The server transaction a request belongs to (an ACK finds its INVITE), or
 * NULL: the request is new, or it belongs to a completed non-INVITE
 * transaction, which lives on in compact form (see txn_server_respond())
 * that only txn_server_retransmission() finds.
 */
struct txn *txn_server_find(struct txn_table *t, struct txn_match *m);

/**
 * txn_server_find() and txn_server_absorb() in one, for every live server
 * transaction: true when m belonged to one, which dealt with it (the
 * caller drops m); false when m is a new request, or an ACK that matches
 * no transaction.
 */
bool txn_server_retransmission(
    struct txn_table *t, struct txn_match *m, bool is_ack);

/**
 * The INVITE server transaction a CANCEL targets (RFC 3261 §9.2: same key,
 * method INVITE), or NULL.
 */
struct txn *txn_server_find_invite(
    struct txn_table *t, const struct txn_match *cancel);

/**
 * A request that matched tx again: a retransmission gets the last response
 * again (RFC 3261 §17.2.1, §17.2.2); an ACK ends a completed INVITE
 * transaction (no Confirmed state: its only work, absorbing retransmitted
 * ACKs, is what the core does with an ACK that matches nothing). Returns
 * true when the message was an ACK that the transaction absorbed; tx is
 * gone then.
 */
bool txn_server_absorb(struct txn_table *t, struct txn *tx, bool is_ack);

/**
 * RFC 3261 §8.2.2.2: a request with no To tag whose From tag, Call-ID and
 * CSeq match a live server transaction, but that is not part of it, is a
 * merged request (to be answered 482).
 */
bool txn_server_merged(struct txn_table *t, struct txn_match *m);

/**
 * Creates the server transaction for a new request; responses go to dest.
 * -EBUSY when the table is full and nothing can be reclaimed.
 */
int txn_server_new(struct txn_table *t, struct txn_match *m,
    const struct transport_ep *dest, struct txn **out);

/**
 * Sends a response (msg: its bytes, code: its status) through tx and moves
 * the state machine: finals are kept and retransmitted over UDP (Timer G)
 * until ACK (INVITE) or absorbed for Timer J (non-INVITE). -EINVAL when tx
 * already sent its final response. A non-INVITE final over UDP ends tx
 * (txn_gen() changes): what answers retransmissions for Timer J is a
 * compact copy of its key, destination and response.
 */
int txn_server_respond(
    struct txn_table *t, struct txn *tx, int code, struct slice msg);

/* ---- client transactions (RFC 3261 §17.1) ---- */

/**
 * Sends request msg to dest inside a new client transaction. m describes
 * msg (its branch must be unique, with the magic cookie). Timers A and B
 * (INVITE) or E and F (non-INVITE) run over UDP; B and F everywhere.
 */
int txn_client_new(struct txn_table *t, const struct txn_match *m,
    const struct transport_ep *dest, struct slice msg, txn_client_cb *cb,
    void *arg, struct txn **out);

/**
 * Hands a response to its client transaction (matched by top Via branch
 * and CSeq method, §17.1.3). 0 when consumed, -ENOENT when it matches none
 * (the caller drops it, or passes a stray 2xx to the core).
 */
int txn_client_recv(struct txn_table *t, const struct txn_match *resp, int code,
    struct slice msg);

/** The ACK for a non-2xx final response (§17.1.1.3), sent and kept for
 * response retransmissions while Timer D runs. */
int txn_client_ack(struct txn_table *t, struct txn *tx, struct slice ack);

/**
 * Makes tx a proxy's client transaction (RFC 3261 §16): for an INVITE, a
 * provisional response replaces Timer B with Timer C (> 3 min, restarted
 * by each one, fires as 408), and a 2xx moves it to Accepted (RFC 6026
 * §8.4) for Timer M (64*T1), handing every further 2xx to the callback.
 * Whatever the method, the callback is called once more with code 0 when
 * the transaction ends, so the proxy frees what it attached.
 */
void txn_client_proxy(struct txn *tx);

/** Drops a client transaction without telling its callback. */
void txn_client_abandon(struct txn_table *t, struct txn *tx);

/* ---- accessors ---- */

enum txn_kind txn_kind(const struct txn *tx);
enum txn_state txn_state(const struct txn *tx);
/** Changes every time the slot is reused: pair it with the pointer to hold
 * a reference that survives the transaction (see app_pending). */
uint32_t txn_gen(const struct txn *tx);
/** Status of the last response sent or received; 0 if none. */
int txn_code(const struct txn *tx);
const struct transport_ep *txn_dest(const struct txn *tx);
/** An opaque value the owner attaches (the pipeline's request context). */
void txn_set_user(struct txn *tx, void *user);
void *txn_user(const struct txn *tx);

/** Counters. */
struct txn_stats {
    uint64_t created, retrans_absorbed, acks_absorbed, resp_retransmitted;
    uint64_t timeouts, reclaimed, full;
};
const struct txn_stats *txn_stats_get(const struct txn_table *t);

#endif
