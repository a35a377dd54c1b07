/*
 * SIP transports of one worker: its own SO_REUSEPORT UDP sockets read and
 * written in batches (recvmmsg/sendmmsg), its own TCP and TLS listeners and
 * the connections it accepted. Everything here is owned by one thread; no
 * locks. Complete messages go up through one callback; replies come down
 * through transport_send(), which batches UDP until transport_flush() (the
 * worker calls it before its loop sleeps).
 */
#ifndef SW_TRANSPORT_TRANSPORT_H
#define SW_TRANSPORT_TRANSPORT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/conf.h"
#include "base/ev.h"
#include "base/slice.h"
#include "transport/listen.h"

union transport_sa {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

/*
 * One end of a hop: where a message came from, or where one goes. For
 * streams, conn names the connection (worker-local id, 0 = none); for UDP,
 * listener names the local socket replies leave from.
 */
struct transport_ep {
    union transport_sa addr;
    socklen_t addrlen;
    enum transport_proto proto;
    uint16_t listener; /* index into the worker's listeners */
    uint32_t conn;     /* stream connection id; 0 for UDP */
};

/* The [transport] section. */
struct transport_conf {
    int64_t udp_batch;       /* datagrams per recvmmsg/sendmmsg */
    int64_t udp_coalesce_us; /* pause after a busy wake-up, 0 = never */
    int64_t max_msg;         /* largest message accepted, bytes */
    int64_t tcp_max_conns;   /* per worker */
    int64_t tcp_header_ms;   /* a message must be complete within this */
    int64_t tcp_idle_ms;     /* idle connections are closed after this */
    int64_t tcp_max_out;     /* unsent bytes held per connection */
    char *tls_cert;          /* PEM certificate chain */
    char *tls_key;           /* PEM private key */
    char *tls_ca;            /* CA file for client certificates */
    bool tls_verify_client;  /* require and verify a client certificate */
};

/** Registers the [transport] table into c, pointing at tc. */
void transport_conf_register(struct conf *c, struct transport_conf *tc);

/** Human address "ip:port" / "[ip6]:port" of ep. */
void transport_ep_str(const struct transport_ep *ep, char *buf, size_t size);

/** Copies a socket address into ep (AF_INET or AF_INET6 only). */
void transport_ep_set_addr(
    struct transport_ep *ep, const struct sockaddr *sa, socklen_t len);

/**
 * A complete message (for streams: framed, contiguous), with where it came
 * from. msg is valid only during the call. frame_err: 0, or why the bytes
 * could not be framed as a message (SIP_E_TOO_LARGE: msg holds the first
 * bytes of a larger one); the connection closes after the call, so an
 * answer naming the defect is all the peer gets.
 */
typedef void transport_msg_cb(
    void *arg, struct slice msg, const struct transport_ep *src, int frame_err);

/*
 * TLS server context shared by every worker (an SSL_CTX is safe to use from
 * several threads once configured).
 */
struct transport_tls;

/**
 * Loads certificate, key and optional CA for client verification; TLS 1.2
 * and later only. On error writes a message into err.
 */
int transport_tls_new(struct transport_tls **tp, const struct transport_conf *c,
    char *err, size_t errlen);
void transport_tls_free(struct transport_tls *t);

struct transport;

/**
 * Opens one socket per listener (SO_REUSEPORT, so every worker has its own)
 * and watches them on loop. tls may be NULL when no listener is tls.
 */
int transport_new(struct transport **tp, struct ev_loop *loop,
    const struct transport_conf *c, const struct transport_listener *ls,
    size_t n, struct transport_tls *tls, transport_msg_cb *cb, void *arg,
    char *err, size_t errlen);
void transport_free(struct transport *t);

/**
 * Sends msg to dst. UDP: copied into the send batch (flushed when full and
 * by transport_flush(), where consecutive replies to one peer of one length
 * leave as one GSO send). Streams: written on connection dst->conn; when it
 * is gone (or 0), on a live connection to dst->addr, else (TCP) on a new
 * outbound one (RFC 3261 §18.2.2); -ENOTCONN when none can be had (outbound
 * TLS is not supported yet). 0 or -errno.
 */
int transport_send(
    struct transport *t, const struct transport_ep *dst, struct slice msg);

/**
 * This worker's own UDP socket beside UDP listener i (same address, a port
 * of its own, opened on first use): what a proxy sends its requests from
 * and names in its Via, so that the responses come back to this worker
 * (SO_REUSEPORT spreads datagrams to the shared port over every worker)
 * where its client transactions live. *id is the transport_ep.listener to
 * send with (messages received on it carry it too), *port its port.
 * 0 or -errno.
 */
int transport_udp_private(
    struct transport *t, size_t listener, uint16_t *id, uint16_t *port);

/** Writes the pending UDP batch (sendmmsg). */
void transport_flush(struct transport *t);

/**
 * Called by the worker before its loop sleeps: flushes, and when the last
 * wake-up read datagrams while they arrive faster than two per
 * udp_coalesce_us (the worker is under load) pauses udp_coalesce_us so
 * that the next wake-up reads a full batch. Under load this trades a few
 * hundred microseconds of latency for far fewer wake-ups and system calls
 * per message (what NICs call interrupt moderation); an idle or lightly
 * loaded worker never pauses.
 */
void transport_before_sleep(struct transport *t);

/** The worker's listeners, as configured. */
const struct transport_listener *transport_listener_get(
    const struct transport *t, size_t i);
size_t transport_listener_count(const struct transport *t);

/** Counters of one worker's transports. */
struct transport_stats {
    uint64_t udp_rx, udp_tx, udp_tx_err;
    uint64_t udp_rx_calls, udp_tx_calls; /* recvmmsg / sendmmsg calls */
    uint64_t tcp_accepted, tcp_refused, tcp_closed_slow, tcp_closed_idle;
    uint64_t tcp_connected; /* outbound connections opened */
    uint64_t tcp_closed_oversize, tls_handshake_fail, keepalive_pong;
    uint64_t stream_rx;
};
const struct transport_stats *transport_stats_get(const struct transport *t);

/** Open stream connections of this worker. */
size_t transport_conn_count(const struct transport *t);

#endif
