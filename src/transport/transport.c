#define LOG_MODULE "transport"
#include "transport/transport.h"

#include <arpa/inet.h>
#include <netinet/udp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "sip/sip_msg.h"
#include "transport/transport_int.h"
#include "transport/transport_metrics.h"

#define OPT(k, type, field, min, max, def, help)                               \
    {                                                                          \
        "transport", k, type, offsetof(struct transport_conf, field), min,     \
            max, def, help, 0                                                  \
    }

static const struct conf_opt transport_opts[] = {
    OPT("udp_batch", CONF_INT, udp_batch, 1, 1024, "64",
        "datagrams read (recvmmsg) and written (sendmmsg) per system call"),
    OPT("udp_coalesce_us", CONF_INT, udp_coalesce_us, 0, 10000, "200",
        "when datagrams arrive faster than two per this span, pause this "
        "long after a busy wake-up so replies and requests move in full "
        "batches (0: never)"),
    OPT("max_msg", CONF_INT, max_msg, 1024, 1048576, "65535",
        "largest SIP message accepted, in bytes"),
    OPT("tcp_max_conns", CONF_INT, tcp_max_conns, 1, 65535, "1024",
        "open TCP/TLS connections per worker; beyond it new ones are refused"),
    OPT("tcp_header_ms", CONF_INT, tcp_header_ms, 100, 600000, "5000",
        "a started message (or TLS handshake) must complete within this; "
        "slower senders are disconnected"),
    OPT("tcp_idle_ms", CONF_INT, tcp_idle_ms, 100, 86400000, "300000",
        "connections with no traffic for this long are closed"),
    OPT("tcp_max_out", CONF_INT, tcp_max_out, 4096, 67108864, "1048576",
        "unsent bytes held per connection before it is dropped"),
    OPT("tls_cert", CONF_STR, tls_cert, 0, 4096, "",
        "PEM certificate chain for tls listeners"),
    OPT("tls_key", CONF_STR, tls_key, 0, 4096, "",
        "PEM private key for tls listeners"),
    OPT("tls_ca", CONF_STR, tls_ca, 0, 4096, "",
        "PEM CA file that client certificates must chain to"),
    OPT("tls_verify_client", CONF_BOOL, tls_verify_client, 0, 1, "false",
        "require a client certificate that chains to tls_ca"),
};

void
transport_conf_register(struct conf *c, struct transport_conf *tc)
{
    conf_add(c, transport_opts,
        sizeof(transport_opts) / sizeof(transport_opts[0]), tc);
}

void
transport_ep_set_addr(
    struct transport_ep *ep, const struct sockaddr *sa, socklen_t len)
{
    memset(&ep->addr, 0, sizeof(ep->addr));
    if (len > sizeof(ep->addr)) {
        len = sizeof(ep->addr);
    }
    memcpy(&ep->addr, sa, len);
    ep->addrlen = len;
}

void
transport_ep_str(const struct transport_ep *ep, char *buf, size_t size)
{
    transport_addr_str(&ep->addr.sa, buf, size);
}

/* Points every receive entry at its slot and overflow area, once: the
 * kernel reads the iovecs and writes back only msg_len, msg_namelen and
 * msg_flags. */
static void
rx_slots_init(struct transport *t)
{
    for (size_t i = 0; i < t->batch; i++) {
        struct iovec *v = &t->rx_iov[2 * i];
        struct msghdr *h = &t->rx_msgs[i].msg_hdr;
        v[0].iov_base = t->rx_slots + i * UDP_RX_SLOT;
        v[0].iov_len = t->slot_len;
        h->msg_iovlen = 1;
        if (t->rx_over) {
            v[1].iov_base = t->rx_over + i * t->rx_max + t->slot_len;
            v[1].iov_len = t->rx_max - t->slot_len;
            h->msg_iovlen = 2;
        }
        h->msg_iov = v;
        h->msg_name = &t->rx_addr[i];
        h->msg_namelen = sizeof(t->rx_addr[i]);
    }
}

static void
udp_readable(void *arg, uint32_t events)
{
    struct udp_sock *u = arg;
    struct transport *t = u->t;
    struct transport_ep src;

    (void) events;
    memset(&src, 0, sizeof(src));
    src.proto = TRANSPORT_UDP;
    src.listener = u->listener;
    /* A few batches per wake-up, then back to the loop so other sockets and
     * timers get their turn. */
    for (int round = 0; round < 8; round++) {
        int n = recvmmsg(
            u->fd, t->rx_msgs, (unsigned) t->batch, MSG_DONTWAIT, NULL);
        t->stats.udp_rx_calls++;
        if (n <= 0) {
            return;
        }
        t->stats.udp_rx += (uint64_t) n;
        t->rx_since_sleep += (uint64_t) n;
        for (int i = 0; i < n; i++) {
            struct msghdr *h = &t->rx_msgs[i].msg_hdr;
            const char *p = t->rx_slots + (size_t) i * UDP_RX_SLOT;
            size_t len = t->rx_msgs[i].msg_len;
            /* Larger than max_msg: its first rx_max bytes were kept, enough
             * for the Via that routes a 513. */
            int ferr = 0;
            if (h->msg_flags & MSG_TRUNC) {
                len = t->rx_max;
                ferr = SIP_E_TOO_LARGE;
            }
            if (len > t->slot_len) {
                /* It ran on into the overflow area: the slot's part goes in
                 * front of the rest, so the message is one slice. */
                char *whole = t->rx_over + (size_t) i * t->rx_max;
                memcpy(whole, p, t->slot_len);
                p = whole;
            }
            src.addrlen = h->msg_namelen;
            memcpy(&src.addr, &t->rx_addr[i], sizeof(src.addr));
            /* The kernel left the length of this sender's address. */
            h->msg_namelen = sizeof(t->rx_addr[i]);
            t->cb(t->cb_arg, slice_make(p, len), &src, ferr);
        }
        if ((size_t) n < t->batch) {
            return;
        }
    }
}

/* Replies that may share one UDP GSO send: same socket, same peer, and the
 * same length as the first of the group (the last may be shorter). */
static bool
gso_joins(const struct udp_out *first, const struct udp_out *o, size_t n,
    size_t bytes)
{
    return o->fd == first->fd && n < UDP_GSO_MAX_SEGS && o->len <= first->len
        && bytes + o->len <= UDP_GSO_MAX_BYTES && o->addrlen == first->addrlen
        && memcmp(&o->addr, &first->addr, o->addrlen) == 0;
}

/* Fills tx_msgs[m] with entries [i, i + n) of the batch: one datagram, or a
 * GSO send the kernel splits every first->len bytes. */
static void
tx_msg_fill(struct transport *t, size_t m, size_t i, size_t n)
{
    struct udp_out *o = &t->tx[i];
    struct msghdr *h = &t->tx_msgs[m].msg_hdr;

    memset(h, 0, sizeof(*h));
    h->msg_name = &o->addr;
    h->msg_namelen = o->addrlen;
    h->msg_iov = &t->tx_iov[i];
    h->msg_iovlen = n;
    t->tx_group[m] = (uint32_t) n;
    if (n > 1) {
        struct cmsghdr *c = (struct cmsghdr *) t->tx_cmsg[m].buf;
        uint16_t seg = (uint16_t) o->len;
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(seg));
        memcpy(CMSG_DATA(c), &seg, sizeof(seg));
        h->msg_control = c;
        h->msg_controllen = CMSG_SPACE(sizeof(seg));
    }
}

/* Sends msgs [m0, m1) on fd; a GSO send the kernel refuses (a path MTU below
 * the segment size, no GSO support) goes again one datagram at a time. */
static void
tx_send_run(struct transport *t, int fd, size_t m0, size_t m1, size_t first)
{
    size_t m = m0, e = first;

    while (m < m1) {
        int n = sendmmsg(fd, &t->tx_msgs[m], (unsigned) (m1 - m), 0);
        t->stats.udp_tx_calls++;
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            size_t g = t->tx_group[m];
            if (g > 1 && errno != EAGAIN && errno != ECONNREFUSED) {
                if (errno == EIO || errno == ENOPROTOOPT) {
                    t->udp_gso_off = true; /* for good: no GSO here */
                }
                for (size_t k = 0; k < g; k++) {
                    struct msghdr h = { 0 };
                    h.msg_name = &t->tx[e + k].addr;
                    h.msg_namelen = t->tx[e + k].addrlen;
                    h.msg_iov = &t->tx_iov[e + k];
                    h.msg_iovlen = 1;
                    t->stats.udp_tx_calls++;
                    if (sendmsg(fd, &h, 0) < 0) {
                        t->stats.udp_tx_err++;
                    } else {
                        t->stats.udp_tx++;
                    }
                }
            } else {
                /* This datagram cannot go (EAGAIN: buffer full; ECONNREFUSED
                 * from an earlier ICMP): skip it, as the network would. */
                t->stats.udp_tx_err += g;
            }
            e += g;
            m++;
            continue;
        }
        for (int k = 0; k < n; k++) {
            if (t->tx_group[m] > 1) {
                metric_add(&transport_m_udp_gso, 0, t->tx_group[m]);
            }
            t->stats.udp_tx += t->tx_group[m];
            e += t->tx_group[m];
            m++;
        }
    }
}

void
transport_flush(struct transport *t)
{
    size_t i = 0;

    for (size_t j = 0; j < t->ntx; j++) {
        t->tx_iov[j].iov_base = t->tx_buf + t->tx[j].off;
        t->tx_iov[j].iov_len = t->tx[j].len;
    }
    while (i < t->ntx) {
        /* sendmmsg takes one socket: send runs of entries with the same fd.
         * Within a run, consecutive replies to one peer of one length go as
         * one GSO send (UDP_SEGMENT): one trip through routing, the IP
         * stack and the device for the lot, split again by the kernel at
         * the end (on loopback, at the receiving socket). */
        int fd = t->tx[i].fd;
        size_t first = i, m = 0;
        while (i < t->ntx && t->tx[i].fd == fd) {
            const struct udp_out *o = &t->tx[i];
            size_t n = 1, bytes = o->len;
            if (!t->udp_gso_off && o->len <= UDP_GSO_MAX_SEG) {
                while (
                    i + n < t->ntx && gso_joins(o, &t->tx[i + n], n, bytes)) {
                    bytes += t->tx[i + n].len;
                    if (t->tx[i + n++].len < o->len) {
                        break;
                    }
                }
            }
            tx_msg_fill(t, m++, i, n);
            i += n;
        }
        tx_send_run(t, fd, 0, m, first);
    }
    t->ntx = 0;
    t->tx_used = 0;
}

/* Whether datagrams arrive fast enough that a pause of udp_coalesce_us
 * gathers at least two: only then does it save wake-ups. The rate is the
 * count over the current or the previous window of RATE_WINDOW_MS. */
static bool
udp_busy(struct transport *t)
{
    uint64_t now = ev_now_ms(t->loop);

    if (now - t->win_start >= RATE_WINDOW_MS) {
        t->win_prev =
            now - t->win_start < 2 * RATE_WINDOW_MS ? t->win_count : 0;
        t->win_start = now;
        t->win_count = 0;
    }
    t->win_count += t->rx_since_sleep;
    uint64_t need =
        2 * RATE_WINDOW_MS * 1000 / (uint64_t) t->conf->udp_coalesce_us;
    return t->win_count >= need || t->win_prev >= need;
}

void
transport_before_sleep(struct transport *t)
{
    transport_flush(t);
    if (t->conf->udp_coalesce_us > 0 && t->rx_since_sleep > 0 && udp_busy(t)) {
        struct timespec ts = { 0, (long) t->conf->udp_coalesce_us * 1000 };
        nanosleep(&ts, NULL);
    }
    t->rx_since_sleep = 0;
}

static int
udp_send(struct transport *t, const struct transport_ep *dst, struct slice msg)
{
    int fd = -1;

    for (size_t i = 0; i < t->nudp; i++) {
        if (t->udp[i].listener == dst->listener) {
            fd = t->udp[i].fd;
            break;
        }
    }
    if (fd < 0) {
        /* No socket for that listener: any UDP socket of the same family. */
        for (size_t i = 0; i < t->nudp; i++) {
            if (t->ls[t->udp[i].ls].addr.ss_family == dst->addr.sa.sa_family) {
                fd = t->udp[i].fd;
                break;
            }
        }
    }
    if (fd < 0) {
        return -EAFNOSUPPORT;
    }
    if (msg.len > t->tx_cap) {
        ssize_t n = sendto(
            fd, msg.p, msg.len, MSG_DONTWAIT, &dst->addr.sa, dst->addrlen);
        return n < 0 ? -errno : 0;
    }
    if (t->ntx == t->batch || t->tx_cap - t->tx_used < msg.len) {
        transport_flush(t);
    }
    struct udp_out *o = &t->tx[t->ntx++];
    o->fd = fd;
    o->off = t->tx_used;
    o->len = msg.len;
    o->addr = dst->addr;
    o->addrlen = dst->addrlen;
    memcpy(t->tx_buf + t->tx_used, msg.p, msg.len);
    /* Keep entries aligned for the next memcpy. */
    t->tx_used += (msg.len + 15) & ~(size_t) 15;
    if (t->tx_used > t->tx_cap) {
        t->tx_used = t->tx_cap;
    }
    return 0;
}

int
transport_send(
    struct transport *t, const struct transport_ep *dst, struct slice msg)
{
    if (dst->proto == TRANSPORT_UDP) {
        return udp_send(t, dst, msg);
    }
    return transport__stream_send(t, dst, msg);
}

int
transport_new(struct transport **tp, struct ev_loop *loop,
    const struct transport_conf *c, const struct transport_listener *ls,
    size_t n, struct transport_tls *tls, transport_msg_cb *cb, void *arg,
    char *err, size_t errlen)
{
    struct transport *t = calloc(1, sizeof(*t));
    int rc = -ENOMEM;

    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    t->loop = loop;
    t->conf = c;
    t->tls = tls;
    t->cb = cb;
    t->cb_arg = arg;
    t->nls = n > TRANSPORT_MAX_LISTENERS ? TRANSPORT_MAX_LISTENERS : n;
    memcpy(t->ls, ls, t->nls * sizeof(*ls));
    t->batch = (size_t) c->udp_batch;
    t->rx_max = c->max_msg > 65535 ? 65535 : (size_t) c->max_msg;
    t->slot_len = t->rx_max < UDP_RX_SLOT ? t->rx_max : UDP_RX_SLOT;
    t->tx_cap = 256 * 1024;
    transport__stream_init(t);

    bool any_udp = false;
    for (size_t i = 0; i < t->nls; i++) {
        any_udp |= t->ls[i].proto == TRANSPORT_UDP;
    }
    if (any_udp) {
        t->rx_slots = aligned_alloc(64, t->batch * UDP_RX_SLOT);
        /* Only what large datagrams write gets backed by memory. */
        if (t->rx_max > t->slot_len) {
            t->rx_over = malloc(t->batch * t->rx_max);
        }
        t->rx_msgs = calloc(t->batch, sizeof(*t->rx_msgs));
        t->rx_iov = calloc(2 * t->batch, sizeof(*t->rx_iov));
        t->rx_addr = calloc(t->batch, sizeof(*t->rx_addr));
        t->tx_buf = malloc(t->tx_cap);
        t->tx = calloc(t->batch, sizeof(*t->tx));
        t->tx_msgs = calloc(t->batch, sizeof(*t->tx_msgs));
        t->tx_iov = calloc(t->batch, sizeof(*t->tx_iov));
        t->tx_cmsg = calloc(t->batch, sizeof(*t->tx_cmsg));
        t->tx_group = calloc(t->batch, sizeof(*t->tx_group));
        if (!t->rx_slots || (t->rx_max > t->slot_len && !t->rx_over)
            || !t->rx_msgs || !t->rx_iov || !t->rx_addr || !t->tx_buf || !t->tx
            || !t->tx_msgs || !t->tx_iov || !t->tx_cmsg || !t->tx_group) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        rx_slots_init(t);
    }
    for (size_t i = 0; i < t->nls; i++) {
        const struct transport_listener *l = &t->ls[i];
        if (l->proto == TRANSPORT_UDP) {
            int fd = transport_socket_open(l, true);
            if (fd < 0) {
                snprintf(err, errlen, "cannot listen on %s: %s", l->text,
                    strerror(-fd));
                rc = fd;
                goto fail;
            }
            int sz = 4 * 1024 * 1024;
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
            /* A kernel without UDP GSO (before 4.18) would not refuse the
             * UDP_SEGMENT cmsg but ignore it, sending the group as one
             * datagram: it does not know the socket option either. */
            int seg;
            socklen_t seglen = sizeof(seg);
            if (getsockopt(fd, SOL_UDP, UDP_SEGMENT, &seg, &seglen) != 0) {
                t->udp_gso_off = true;
            }
            struct udp_sock *u = &t->udp[t->nudp++];
            u->fd = fd;
            u->listener = (uint16_t) i;
            u->ls = (uint16_t) i;
            u->t = t;
            rc = ev_io_start(loop, &u->io, fd, EPOLLIN, udp_readable, u);
            if (rc) {
                snprintf(err, errlen, "epoll: %s", strerror(-rc));
                goto fail;
            }
        } else {
            if (l->proto == TRANSPORT_TLS && !tls) {
                snprintf(err, errlen,
                    "%s: tls listeners need transport.tls_cert and "
                    "transport.tls_key",
                    l->text);
                rc = -EINVAL;
                goto fail;
            }
            rc = transport__stream_open(t, l, (uint16_t) i, err, errlen);
            if (rc) {
                goto fail;
            }
        }
    }
    *tp = t;
    return 0;
fail:
    transport_free(t);
    return rc;
}

int
transport_udp_private(
    struct transport *t, size_t listener, uint16_t *id, uint16_t *port)
{
    uint16_t want = (uint16_t) (TRANSPORT_MAX_LISTENERS + listener);
    union transport_sa sa;
    socklen_t len = sizeof(sa);
    int rc;

    if (listener >= t->nls || t->ls[listener].proto != TRANSPORT_UDP) {
        return -EINVAL;
    }
    for (size_t i = 0; i < t->nudp; i++) {
        if (t->udp[i].listener == want) {
            *id = want;
            *port = t->udp[i].port;
            return 0;
        }
    }
    struct transport_listener l = t->ls[listener];
    if (l.addr.ss_family == AF_INET6) {
        ((struct sockaddr_in6 *) &l.addr)->sin6_port = 0;
    } else {
        ((struct sockaddr_in *) &l.addr)->sin_port = 0;
    }
    int fd = transport_socket_open(&l, false);
    if (fd < 0) {
        return fd;
    }
    if (getsockname(fd, &sa.sa, &len) != 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    struct udp_sock *u = &t->udp[t->nudp];
    u->fd = fd;
    u->listener = want;
    u->ls = (uint16_t) listener;
    u->port =
        ntohs(sa.sa.sa_family == AF_INET6 ? sa.in6.sin6_port : sa.in.sin_port);
    u->t = t;
    rc = ev_io_start(t->loop, &u->io, fd, EPOLLIN, udp_readable, u);
    if (rc) {
        close(fd);
        return rc;
    }
    t->nudp++;
    *id = want;
    *port = u->port;
    return 0;
}

void
transport_free(struct transport *t)
{
    if (!t) {
        return;
    }
    for (size_t i = 0; i < t->nudp; i++) {
        ev_io_stop(t->loop, &t->udp[i].io);
        close(t->udp[i].fd);
    }
    transport__stream_close_all(t);
    free(t->rx_slots);
    free(t->rx_over);
    free(t->rx_msgs);
    free(t->rx_iov);
    free(t->rx_addr);
    free(t->tx_buf);
    free(t->tx);
    free(t->tx_msgs);
    free(t->tx_iov);
    free(t->tx_cmsg);
    free(t->tx_group);
    free(t);
}

const struct transport_listener *
transport_listener_get(const struct transport *t, size_t i)
{
    return i < t->nls ? &t->ls[i] : NULL;
}

size_t
transport_listener_count(const struct transport *t)
{
    return t->nls;
}

const struct transport_stats *
transport_stats_get(const struct transport *t)
{
    return &t->stats;
}

size_t
transport_conn_count(const struct transport *t)
{
    return t->nconns;
}
