/*
 * Shared by pipeline.c (the walk, answering, deferring) and proxy.c (the
 * RFC 3261 §16 forwarding): the pipeline and its per-worker state.
 */
#ifndef SW_APP_PIPELINE_INT_H
#define SW_APP_PIPELINE_INT_H

#include "app/pipeline.h"

#define MAX_SERVICES 16
#define MAX_TAGS     64

/* Where forwarded requests go (app_pipeline_set_proxy). */
struct app_proxy {
    bool on;
    struct transport_ep next_hop;
    char next_hop_text[96];
    char host[64]; /* the listener's address, IPv6 in brackets */
    uint16_t port; /* and port */
    char rr[160];  /* Record-Route value, or "" */
};

struct app_pipeline {
    const struct app_service *svc[MAX_SERVICES];
    size_t nsvc;
    uint32_t allow;
    char allow_hdr[256];
    char supported_hdr[512];
    const char *tags[MAX_TAGS];
    size_t ntags;
    struct app_proxy proxy;
};

/* What a server transaction's user pointer holds (txn_set_user): the
 * first member of each. */
enum app_held {
    APP_HELD_DEFERRED = 1,
    APP_HELD_FORWARD = 2,
};

/* Request copies up to this size come from a per-worker free list. */
#define HOLD_SLAB 4096
#define HOLD_KEEP 1024

struct app_deferred {
    uint8_t held; /* APP_HELD_DEFERRED */
    bool slab;    /* HOLD_SLAB bytes, returns to the free list */
    struct app_deferred *prev, *next;
    struct app_worker *w;
    struct txn *tx;
    uint32_t gen;
    uint64_t t0_ns; /* when deferred: the latency metric's start */
    struct transport_ep src;
    /* What the answer copies from the request, built while it was parsed:
     * answering does not parse it again. Points into buf. */
    struct sip_resp_head head;
    char buf[];
};

struct app_forward; /* proxy.c */

/* A source address as text, kept while requests keep coming from it. */
struct app_ip {
    char s[64];
    size_t len; /* 0: nothing kept */
    sa_family_t family;
    unsigned char addr[16];
};

struct app_worker {
    const struct app_pipeline *p;
    struct ev_loop *loop;
    struct transport *tr;
    struct txn_table *txn;
    int id;
    void *wstate[MAX_SERVICES];
    bool started[MAX_SERVICES];
    struct arena scratch;
    struct app_deferred *deferred; /* pending, for cleanup */
    struct app_forward *forwards;  /* live, for cleanup */
    void *hfree;                   /* free HOLD_SLAB blocks */
    size_t nhfree;
    uint64_t branch_seq; /* our Via branches: salt + worker + sequence */
    uint32_t branch_salt;
    struct transport_ep hop; /* the next hop, from this worker's socket */
    char via[128]; /* "SIP/2.0/UDP host:port": our Via, before ;branch */
    struct app_worker_stats stats;
    uint32_t answered;  /* answered since the loop woke, latency not recorded */
    struct sip_msg msg; /* the request being handled */
    struct sip_msg fmsg; /* a forwarded request, parsed again */
    char out[65536];     /* responses are built here */
    char fwd[65536];     /* forwarded requests and relayed responses */
    struct app_ip ip;    /* the source address, for received= */
    struct app_ip dip;   /* same, for a deferred request */
    /* Our own listeners as text, to spot a request that came back to us. */
    struct {
        char host[64];
        uint16_t port;
    } self[TRANSPORT_MAX_LISTENERS + 1]; /* + the next hop socket */
    size_t nself;
};

/** A block of at least size bytes for a request copy; *slab says whether
 * it came from the free list. NULL when out of memory. */
void *app__hold_get(struct app_worker *w, size_t size, bool *slab);
void app__hold_put(struct app_worker *w, void *p, bool slab);

/** True when host:port (port 0: 5060) is one of our listeners. */
bool app__is_self(const struct app_worker *w, struct slice host, int port);

/** Builds and sends a response to m (the request of r) through r->tx. */
int app__send_response(struct app_worker *w, struct app_req *r,
    const struct sip_msg *m, int code, struct slice reason,
    const struct sip_field *extra, size_t nextra);

/* ---- proxy.c ---- */

/** CANCEL for a forwarded INVITE (§16.10): relayed downstream. */
void app__proxy_cancel(struct app_worker *w, struct app_forward *f);
/** An ACK that matched no transaction: the ACK for a 2xx, forwarded
 * statelessly (§16.11). */
void app__proxy_ack(struct app_worker *w, struct app_req *r);
/** The worker's side of the proxy: its socket towards the next hop. */
int app__proxy_worker_init(struct app_worker *w);
/** Drops every forwarding context (worker shutdown). */
void app__proxy_free_all(struct app_worker *w);

#endif
