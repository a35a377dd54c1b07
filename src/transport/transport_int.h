/* Declarations shared by the files of the transport layer. */
#ifndef SW_TRANSPORT_INT_H
#define SW_TRANSPORT_INT_H

#include <openssl/ssl.h>
#include <sys/socket.h>

#include "transport/transport.h"

struct transport_tls {
    SSL_CTX *ctx;
};

/* A stream connection (TCP or TLS), owned by the worker that accepted it. */
struct conn {
    struct ev_io io;
    struct transport *t;
    struct conn *prev, *next; /* used list, or free list (next only) */
    uint32_t id;              /* gen << 16 | index; 0 never */
    uint16_t gen;
    bool used;
    bool tls;
    bool handshaking;
    bool connecting; /* outbound, connect() in progress */
    bool in_cb;      /* messages of this connection are being delivered */
    bool closing;    /* close once delivery returns */
    bool draining;   /* answered 513: input discarded until EOF */
    struct transport_ep peer;
    SSL *ssl;
    char *in; /* held only while a message is incomplete */
    size_t in_len, in_cap;
    char *out; /* unsent bytes, held only while the socket is full */
    size_t out_len, out_cap;
    uint64_t last_ms;    /* last byte received */
    uint64_t partial_ms; /* since when an incomplete message waits; 0 none */
};

struct udp_sock {
    int fd;
    uint16_t listener; /* transport_ep.listener of what it receives */
    uint16_t ls;       /* the configured listener it belongs to */
    uint16_t port;     /* private sockets: the port the kernel chose */
    struct ev_io io;
    struct transport *t;
};

struct stream_sock {
    int fd;
    uint16_t listener;
    bool tls;
    struct ev_io io;
    struct transport *t;
};

struct udp_out {
    int fd;
    size_t off, len;
    union transport_sa addr;
    socklen_t addrlen;
};

/* UDP GSO limits: the kernel's UDP_MAX_SEGMENTS, and segments small enough
 * to pass an Ethernet path unfragmented (GSO cannot fragment). */
enum {
    UDP_GSO_MAX_SEGS = 64,
    UDP_GSO_MAX_SEG = 1400,
    UDP_GSO_MAX_BYTES = 65000,
};

/* Receive slot stride: room for nearly every SIP datagram (RFC 3261
 * §18.1.1 sends anything near the MTU over TCP). A batch's datagrams sit
 * side by side on few pages; 33 cache lines, not a power of two, so slots
 * start in different cache sets. */
enum {
    UDP_RX_SLOT = 2112,
};

/* Span over which the UDP arrival rate is counted, ms. */
#define RATE_WINDOW_MS 10

/* Control message carrying one UDP_SEGMENT size. */
union udp_gso_cmsg {
    char buf[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
};

struct transport {
    struct ev_loop *loop;
    const struct transport_conf *conf;
    struct transport_tls *tls;
    transport_msg_cb *cb;
    void *cb_arg;
    struct transport_listener ls[TRANSPORT_MAX_LISTENERS];
    size_t nls;

    struct udp_sock udp[2 * TRANSPORT_MAX_LISTENERS]; /* + private ones */
    size_t nudp;
    struct stream_sock stream[TRANSPORT_MAX_LISTENERS];
    size_t nstream;

    uint64_t rx_since_sleep; /* datagrams read since the last sleep */
    uint64_t win_start;      /* rate window: its start (ms), */
    uint64_t win_count;      /* datagrams read in it so far, */
    uint64_t win_prev;       /* and in the window before */

    /* UDP receive slots: datagram i lands in rx_slots + i * UDP_RX_SLOT;
     * what does not fit runs on into its own overflow area, rx_over + i *
     * rx_max + slot_len, whose pages only large datagrams touch. */
    size_t batch;
    size_t rx_max;   /* longest datagram read whole: max_msg, <= 65535 */
    size_t slot_len; /* bytes of it in the slot */
    char *rx_slots;
    char *rx_over; /* NULL when rx_max fits a slot */
    struct mmsghdr *rx_msgs;
    struct iovec *rx_iov; /* two per datagram: slot, overflow */
    union transport_sa *rx_addr;

    /* UDP send batch: replies are copied here and flushed together. */
    char *tx_buf;
    size_t tx_cap, tx_used;
    struct udp_out *tx;
    size_t ntx;
    struct mmsghdr *tx_msgs;
    struct iovec *tx_iov;
    union udp_gso_cmsg *tx_cmsg; /* per message */
    uint32_t *tx_group;          /* datagrams in each message */
    bool udp_gso_off;            /* the kernel has no UDP GSO */

    /* Stream connections. */
    struct conn *conns;
    size_t max_conns;
    struct conn *free_conns;
    struct conn *used_conns;
    size_t nconns;
    char *stream_rbuf; /* shared read buffer for connections with no data */
    struct ev_timer sweep;

    struct transport_stats stats;
};

int transport__stream_open(struct transport *t,
    const struct transport_listener *l, uint16_t idx, char *err, size_t errlen);
void transport__stream_close_all(struct transport *t);
int transport__stream_send(
    struct transport *t, const struct transport_ep *dst, struct slice msg);
void transport__stream_init(struct transport *t);

#endif
