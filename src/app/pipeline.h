/*
 * How a parsed request walks through the server.
 *
 * Every message a worker receives goes through app_worker_input():
 *
 *   1. parse (sip_msg_parse); a malformed request gets the parser's 400 (or
 *      414/505/513) with its reason phrase, a malformed response is dropped;
 *   2. responses go to the client transactions, strays are dropped;
 *   3. a request that matches a server transaction is a retransmission: it
 *      gets the last response again and goes no further; a matching ACK is
 *      absorbed; an unmatched ACK is dropped (ACK to a stateless reply);
 *   4. CANCEL: 200, and 487 for the INVITE when it is still pending
 *      (deferred); 481 when nothing matches;
 *   5. built-in checks, in this order: a relayed request with one of our
 *      own listeners in a Via below the top (it looped back) → 482; merged
 *      request (§8.2.2.2) → 482;
 *      Max-Forwards 0 → 483; unknown method → 501 with Allow; a method no
 *      service serves → 405 with Allow; Require with an option tag no
 *      service supports → 420 with Unsupported; OPTIONS to the server
 *      itself (no user part in the Request-URI) → 200 with Allow, Accept,
 *      Supported;
 *   6. the SERVICES, in the order they were added: each handler answers,
 *      defers, or passes to the next;
 *   7. nobody answered: 404.
 *
 * An INVITE always runs inside a server transaction (created before step 5),
 * so its final response is retransmitted over UDP until the ACK (Timer G),
 * a retransmitted INVITE gets the same response without reaching a service
 * again, and CANCEL works. Other requests are answered statelessly (as
 * Kamailio's sl_send_reply does: the To tag is derived from the request, so
 * a retransmission gets an identical answer), unless the handler asks for a
 * transaction with app_req_stateful() or defers.
 *
 * ---- Writing a service (e.g. the registrar / redirect, STI-AS, STI-VS) ----
 *
 *   static int
 *   location_handle(void *arg, struct app_req *req)
 *   {
 *       const struct sip_msg *m = req->msg;       // parsed, slices valid
 *       if (m->method != SIP_METHOD_INVITE) {     // only during this call
 *           return APP_PASS;
 *       }
 *       ... look up the AOR ...
 *       struct sip_field f[] = { SIP_FIELD("Contact", contact) };
 *       app_req_reply(req, 301, SLICE_NULL, f, 1); // reason from catalog
 *       return APP_DONE;
 *   }
 *
 *   static const struct app_service location_service = {
 *       .name = "location",
 *       .methods = APP_METHOD(SIP_METHOD_INVITE) | ...,  // joins Allow
 *       .option_tags = (const char *const[]){ "path", NULL },
 *       .handle = location_handle,
 *       .arg = &my_state,                          // shared by workers
 *   };
 *   // in daemon.c, before the workers start:
 *   app_pipeline_add(pipeline, &location_service);
 *
 * Handlers run on worker threads, several at once: .arg is shared, so
 * what it points to must be read-only or synchronized (per-worker state
 * goes in .worker_start's *worker_state, passed back as req->wstate).
 *
 * Answering later (async, e.g. a REGISTER waiting for its store write):
 *
 *   struct app_deferred *d = app_req_defer(req);  // NULL: answer 500 now
 *   ... hand d (and copies of what you need; req->msg dies on return) to
 *       the store thread; return APP_DEFER;
 *   // store thread, when durable:
 *   ev_post(app_deferred_loop(d), register_done, ctx);
 *   // register_done(), now on the worker's thread:
 *   app_deferred_reply(d, 200, SLICE_NULL, fields, n);   // frees d
 *
 * While deferred, the request sits in a server transaction: retransmissions
 * are absorbed (an INVITE got 100 Trying), a CANCEL answers 487 for it.
 * Every deferred request must be completed exactly once with
 * app_deferred_reply(); when the transaction already ended (CANCEL), the
 * reply is discarded and d freed anyway.
 */
#ifndef SW_APP_PIPELINE_H
#define SW_APP_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/ev.h"
#include "base/slice.h"
#include "sip/sip_build.h"
#include "sip/sip_msg.h"
#include "transport/listen.h"
#include "transport/transport.h"
#include "txn/txn.h"

/* Bit for a method (enum sip_method) in app_service.methods. */
#define APP_METHOD(m) (1u << (m))

enum app_verdict {
    APP_PASS = 0,  /* not mine: the next service sees the request */
    APP_DONE = 1,  /* answered with app_req_reply() */
    APP_DEFER = 2, /* app_req_defer() called; answered later */
};

struct app_worker;
struct app_deferred;

/* One request on its way through the pipeline. */
struct app_req {
    const struct sip_msg *msg;      /* valid only during the handler call */
    const struct transport_ep *src; /* where it came from */
    struct app_worker *w;           /* the worker running it */
    void *wstate;                   /* this service's per-worker state */
    struct arena *scratch;          /* reset after every request */
    /* private to the pipeline */
    struct txn *tx;
    struct txn_match *tm;      /* its transaction fields, hashed once */
    struct transport_ep dest;  /* where responses go (RFC 3261 §18.2.2) */
    struct slice received;     /* for the top Via (§18.2.1), or empty */
    const struct sip_via *via; /* the top Via, parsed */
    int rport;                 /* RFC 3581 value to fill, or 0 */
    bool answered;
    bool deferred; /* answered later: its latency is timed then */
};

typedef int app_handle_fn(void *arg, struct app_req *req);

struct app_service {
    const char *name;
    uint32_t methods; /* APP_METHOD() bits this service answers: Allow */
    const char *const *option_tags; /* NULL-terminated; Require/Supported */
    app_handle_fn *handle;
    void *arg;
    /* Optional, called on each worker's thread before it takes traffic and
     * after it stopped; *wstate is handed back in app_req.wstate. */
    int (*worker_start)(void *arg, struct app_worker *w, void **wstate);
    void (*worker_stop)(void *arg, struct app_worker *w, void *wstate);
};

/* ---- the pipeline (shared, read-only once the workers run) ---- */

struct app_pipeline;

int app_pipeline_new(struct app_pipeline **pp);
void app_pipeline_free(struct app_pipeline *p);
/** Appends a service; s must outlive the pipeline. -E2BIG past 16. */
int app_pipeline_add(struct app_pipeline *p, const struct app_service *s);

/* ---- answering, from a handler ---- */

/**
 * Answers req: the response is built from the request (RFC 3261 §8.2.6,
 * top Via with received/rport per §18.2.1 and RFC 3581), sent where
 * §18.2.2 says, through the request's transaction when it has one. reason
 * empty: the catalog's phrase. extra: headers to add (Contact, Warning...).
 * Provisional codes (1xx) may be followed by a final one. 0 or -errno.
 */
int app_req_reply(struct app_req *req, int code, struct slice reason,
    const struct sip_field *extra, size_t nextra);

/** Same, with a body. */
int app_req_reply_body(struct app_req *req, int code, struct slice reason,
    const struct sip_field *extra, size_t nextra, struct slice content_type,
    struct slice body);

/**
 * Puts a non-INVITE request in a server transaction before answering, so
 * that retransmissions are absorbed instead of handled again (use it for
 * requests that are not idempotent). 0, or -EBUSY when the table is full.
 */
int app_req_stateful(struct app_req *req);

/**
 * Defers the answer (see above). Returns NULL when the worker cannot hold
 * another request; then answer now (503 or 500).
 */
struct app_deferred *app_req_defer(struct app_req *req);

/** The worker loop to ev_post() the completion to. */
struct ev_loop *app_deferred_loop(const struct app_deferred *d);

/**
 * Completes a deferred request; runs on its worker's thread. Frees d.
 * 0, or -ECANCELED when the transaction ended meanwhile (reply discarded).
 */
int app_deferred_reply(struct app_deferred *d, int code, struct slice reason,
    const struct sip_field *extra, size_t nextra);

/* ---- forwarding, from a handler (RFC 3261 §16, src/app/proxy.c) ----
 *
 * With a next hop set (app_pipeline_set_proxy), a handler may forward the
 * request instead of answering it; the pipeline is then a transaction-
 * stateful proxy for it: our Via on top (the sender's gains received and
 * rport), Max-Forwards decremented, a top Route naming us dropped, a
 * Record-Route (;lr) on initial requests when configured, the
 * Request-URI kept (the next hop is an outbound proxy). The request's
 * server transaction stays upstream, a client transaction goes
 * downstream: provisional (but 100) and final responses are relayed
 * with our Via popped, 2xx retransmissions too (RFC 6026); the ACK for a
 * non-2xx is absorbed and sent hop by hop, the ACK for a 2xx is forwarded
 * statelessly; a CANCEL is answered 200 and relayed for the pending
 * branch; a next hop that does not answer earns 408 upstream, one that
 * cannot be reached 503. Requests inside a dialog (To tag) are forwarded
 * by the pipeline itself, before the services.
 *
 *   struct sip_hdr_edit e = { pai_hdr, new_value };  // entry of req->msg
 *   struct app_fwd f = { .edit = &e, .nedit = 1 };
 *   app_req_forward(req, &f);
 *   return APP_DONE;
 */

#define APP_FWD_MAX_EDIT 8

/* A service's edits of the request it forwards; NULL or zero: as is. */
struct app_fwd {
    const struct sip_hdr_edit *edit; /* entries of the forwarded message */
    size_t nedit;                    /* at most APP_FWD_MAX_EDIT */
    const struct sip_field *add;     /* headers appended */
    size_t nadd;
};

/**
 * Sets the next hop ("udp:IP:PORT", "tcp:[IPv6]:PORT") forwarded requests
 * go to, through one of the listeners ls of the same transport and family
 * (its address in our Via and Record-Route: it must not be a wildcard).
 * Before the workers start. 0, or <0 with a message in err.
 */
int app_pipeline_set_proxy(struct app_pipeline *p, const char *next_hop,
    bool record_route, const struct transport_listener *ls, size_t nls,
    char *err, size_t errlen);

/**
 * Forwards req (see above). Always completes it: when it cannot be
 * forwarded it is answered here (483, 500, 503) and the reason returned
 * (<0); 0 once sent. The handler returns APP_DONE.
 */
int app_req_forward(struct app_req *req, const struct app_fwd *f);

/**
 * Same for a deferred request, with m its copy parsed by the service (the
 * edits point into it). Frees d; -ECANCELED when the transaction ended
 * meanwhile.
 */
int app_deferred_forward(
    struct app_deferred *d, const struct sip_msg *m, const struct app_fwd *f);

/* ---- the worker side (src/app/worker.c) ---- */

struct app_worker_stats {
    uint64_t requests;  /* requests that reached step 5 (processed) */
    uint64_t responses; /* responses sent by the pipeline */
    uint64_t retrans;   /* retransmitted requests absorbed (step 3) */
    uint64_t bad;       /* malformed messages */
    uint64_t deferred;
};

/**
 * Per-worker pipeline state. transport and txn belong to the worker; the
 * pipeline sends through them.
 */
int app_worker_new(struct app_worker **wp, const struct app_pipeline *p,
    struct ev_loop *loop, struct transport *tr, struct txn_table *txn, int id);
void app_worker_free(struct app_worker *w);
/** Runs one received message through the pipeline. */
void app_worker_input(
    struct app_worker *w, struct slice msg, const struct transport_ep *src);
/**
 * The same; frame_err: the transport could not frame msg (a SIP_E_* code;
 * SIP_E_TOO_LARGE: msg is the first bytes of a larger message). It is
 * answered with that defect when its Via can be read.
 */
void app_worker_input_ex(struct app_worker *w, struct slice msg,
    const struct transport_ep *src, int frame_err);
/**
 * At the end of a wake-up, once its replies are sent: the requests answered
 * since the loop woke took now_ns - ev_now_ns() each (the latency
 * histogram), so no message reads the clock of its own.
 */
void app_worker_flush(struct app_worker *w, uint64_t now_ns);
struct ev_loop *app_worker_loop(const struct app_worker *w);
int app_worker_id(const struct app_worker *w);
const struct app_worker_stats *app_worker_stats_get(const struct app_worker *w);

#endif
