/*
 * TCP and TLS connections. Each worker accepts on its own SO_REUSEPORT
 * listening socket and owns the connections it accepted, so nothing here is
 * shared. A connection holds an input buffer only while a message is
 * incomplete (most reads carry whole messages and are framed straight from
 * the worker's shared read buffer), and an output buffer only while the
 * socket is full.
 */
#define LOG_MODULE "transport"
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "sip/sip_msg.h"
#include "transport/transport_int.h"
#include "transport/transport_metrics.h"

#define SWEEP_MS 100

static struct log_limit accept_limit;

static void conn_event(void *arg, uint32_t events);

static struct conn *
conn_get(struct transport *t, uint32_t id)
{
    size_t idx = id & 0xffff;

    if (idx >= t->max_conns) {
        return NULL;
    }
    struct conn *c = &t->conns[idx];
    return c->used && c->id == id ? c : NULL;
}

static void
conn_free(struct conn *c)
{
    struct transport *t = c->t;
    int fd = c->io.fd;

    ev_io_stop(t->loop, &c->io); /* sets io.fd to -1 */
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (fd >= 0) {
        close(fd);
    }
    free(c->in);
    free(c->out);
    c->in = c->out = NULL;
    c->in_len = c->in_cap = c->out_len = c->out_cap = 0;
    if (c->prev) {
        c->prev->next = c->next;
    } else {
        t->used_conns = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
    c->used = false;
    c->next = t->free_conns;
    c->prev = NULL;
    t->free_conns = c;
    t->nconns--;
    metric_gauge_add(&transport_m_conns, c->peer.proto, -1);
    if (t->nconns == 0) {
        ev_timer_stop(t->loop, &t->sweep);
    }
}

/* Closes now, or after the message being delivered returns. */
static void
conn_close(struct conn *c)
{
    if (c->in_cb) {
        c->closing = true;
        return;
    }
    conn_free(c);
}

static void
conn_want_write(struct conn *c, bool on)
{
    uint32_t ev = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0);
    ev_io_modify(c->t->loop, &c->io, ev);
}

/* Raw write of p[0..len) to the socket or TLS; bytes written or -errno. */
static ssize_t
conn_raw_write(struct conn *c, const char *p, size_t len)
{
    if (c->ssl) {
        ERR_clear_error();
        int n = SSL_write(c->ssl, p, (int) len);
        if (n > 0) {
            return n;
        }
        int e = SSL_get_error(c->ssl, n);
        return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? 0
                                                                     : -EPIPE;
    }
    ssize_t n = send(c->io.fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
            ? 0
            : -errno;
    }
    return n;
}

static int
conn_flush_out(struct conn *c)
{
    while (c->out_len > 0) {
        ssize_t n = conn_raw_write(c, c->out, c->out_len);
        if (n < 0) {
            return (int) n;
        }
        if (n == 0) {
            conn_want_write(c, true);
            return 0;
        }
        memmove(c->out, c->out + n, c->out_len - (size_t) n);
        c->out_len -= (size_t) n;
    }
    free(c->out);
    c->out = NULL;
    c->out_cap = 0;
    conn_want_write(c, false);
    return 0;
}

static int
conn_write(struct conn *c, const char *p, size_t len)
{
    struct transport *t = c->t;

    if (c->closing) {
        return -ENOTCONN;
    }
    if (c->out_len == 0 && !c->handshaking && !c->connecting) {
        ssize_t n = conn_raw_write(c, p, len);
        if (n < 0) {
            conn_close(c);
            return (int) n;
        }
        p += n;
        len -= (size_t) n;
        if (len == 0) {
            return 0;
        }
    }
    if (c->out_len + len > (size_t) t->conf->tcp_max_out) {
        /* The peer does not read its responses: drop it rather than hold
         * unbounded memory for it. */
        conn_close(c);
        return -ENOBUFS;
    }
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len) {
            cap *= 2;
        }
        char *b = realloc(c->out, cap);
        if (!b) {
            conn_close(c);
            return -ENOMEM;
        }
        c->out = b;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, len);
    c->out_len += len;
    conn_want_write(c, true);
    return 0;
}

static struct conn *conn_find(
    struct transport *t, const struct transport_ep *dst);
static struct conn *conn_connect(
    struct transport *t, const struct transport_ep *dst);

int
transport__stream_send(
    struct transport *t, const struct transport_ep *dst, struct slice msg)
{
    struct conn *c = t->conns ? conn_get(t, dst->conn) : NULL;

    if (!c || c->closing) {
        c = t->conns && dst->addrlen ? conn_find(t, dst) : NULL;
    }
    if (!c && t->conns && dst->proto == TRANSPORT_TCP) {
        c = conn_connect(t, dst);
    }
    if (!c) {
        return -ENOTCONN; /* outbound TLS is not supported yet */
    }
    return conn_write(c, msg.p, msg.len);
}

/*
 * Delivers every complete message in p[0..len); returns how many bytes were
 * consumed, or -1 when the connection must close.
 */
static ssize_t
deliver(struct conn *c, const char *p, size_t len)
{
    struct transport *t = c->t;
    size_t used = 0;

    c->in_cb = true;
    while (used < len && !c->closing) {
        const char *q = p + used;
        size_t left = len - used;
        /* RFC 5626 §3.5.1: a double CRLF is a ping, answered with one CRLF;
         * a lone CRLF between messages is ignored (RFC 3261 §7.5). */
        if (q[0] == '\r' || q[0] == '\n') {
            if (left >= 4 && memcmp(q, "\r\n\r\n", 4) == 0) {
                t->stats.keepalive_pong++;
                conn_write(c, "\r\n", 2);
                used += 4;
                continue;
            }
            if (left >= 2 && memcmp(q, "\r\n", 2) == 0) {
                if (left == 2) {
                    break; /* maybe half of a ping */
                }
                used += 2;
                continue;
            }
            if (left == 1 && q[0] == '\r') {
                break;
            }
            used++;
            continue;
        }
        size_t n = 0;
        int rc = sip_msg_frame_ex(
            slice_make(q, left), &n, (uint32_t) t->conf->max_msg);
        if (rc == -EAGAIN) {
            break;
        }
        if (rc < 0 && rc != -EAGAIN && rc != -ENOMEM) {
            /* No way to frame it (too large, bad Content-Length): answer
             * from its first bytes naming the defect, then read and
             * discard the rest, so that closing with unread input does
             * not reset the connection before the peer has read it. */
            if (rc == SIP_E_TOO_LARGE) {
                t->stats.tcp_closed_oversize++;
            }
            t->cb(t->cb_arg, slice_make(q, left), &c->peer, rc);
            c->draining = true;
            if (!c->ssl && c->out_len == 0) {
                shutdown(c->io.fd, SHUT_WR);
            }
            used = len;
            break;
        }
        if (rc != 0 || n == 0) {
            log_debug("closing connection: bad framing (%s)", err_str(rc));
            c->in_cb = false;
            return -1;
        }
        t->stats.stream_rx++;
        t->cb(t->cb_arg, slice_make(q, n), &c->peer, 0);
        used += n;
    }
    c->in_cb = false;
    if (c->closing) {
        return -1;
    }
    return (ssize_t) used;
}

/* Reads into dst; bytes read, 0 when nothing now, -1 on EOF/error. */
static ssize_t
conn_read(struct conn *c, char *dst, size_t room)
{
    if (c->ssl) {
        ERR_clear_error();
        int n = SSL_read(c->ssl, dst, (int) room);
        if (n > 0) {
            return n;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_READ) {
            return 0;
        }
        if (e == SSL_ERROR_WANT_WRITE) {
            conn_want_write(c, true);
            return 0;
        }
        return -1;
    }
    ssize_t n = recv(c->io.fd, dst, room, MSG_DONTWAIT);
    if (n > 0) {
        return n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return 0;
    }
    return -1;
}

/* Keeps the unconsumed tail rest[0..len) in the connection's own buffer. */
static int
hold_rest(struct conn *c, const char *rest, size_t len)
{
    size_t max = (size_t) c->t->conf->max_msg;

    if (len == 0) {
        free(c->in);
        c->in = NULL;
        c->in_len = c->in_cap = 0;
        /* A draining connection has tcp_header_ms to stop sending. */
        c->partial_ms = c->draining ? ev_now_ms(c->t->loop) : 0;
        return 0;
    }
    if (!c->in) {
        size_t cap = len * 2 < 4096 ? 4096 : len * 2;
        if (cap > max + 4) {
            cap = max + 4;
        }
        c->in = malloc(cap);
        if (!c->in) {
            return -ENOMEM;
        }
        c->in_cap = cap;
    }
    if (rest != c->in) {
        memmove(c->in, rest, len);
    }
    c->in_len = len;
    /* A bare CRLF does not start the clock: only message bytes do. */
    if (c->partial_ms == 0 && !(len <= 2 && rest[0] == '\r')) {
        c->partial_ms = ev_now_ms(c->t->loop);
    }
    return 0;
}

static void
conn_readable(struct conn *c)
{
    struct transport *t = c->t;
    size_t max = (size_t) t->conf->max_msg;

    for (int round = 0; round < 16; round++) {
        ssize_t n;
        if (c->draining) {
            n = conn_read(c, t->stream_rbuf, max + 4);
            if (n < 0) {
                conn_close(c);
            }
            if (n <= 0) {
                return;
            }
            continue;
        }
        if (!c->in) {
            n = conn_read(c, t->stream_rbuf, max + 4);
            if (n <= 0) {
                if (n < 0) {
                    conn_close(c);
                }
                return;
            }
            c->last_ms = ev_now_ms(t->loop);
            ssize_t used = deliver(c, t->stream_rbuf, (size_t) n);
            if (used < 0
                || hold_rest(c, t->stream_rbuf + used, (size_t) (n - used))
                    != 0) {
                conn_close(c);
                return;
            }
        } else {
            if (c->in_len == c->in_cap) {
                if (c->in_cap >= max + 4) {
                    /* A message larger than max_msg: no way to frame it. */
                    t->stats.tcp_closed_oversize++;
                    conn_close(c);
                    return;
                }
                size_t cap = c->in_cap * 2;
                if (cap > max + 4) {
                    cap = max + 4;
                }
                char *b = realloc(c->in, cap);
                if (!b) {
                    conn_close(c);
                    return;
                }
                c->in = b;
                c->in_cap = cap;
            }
            n = conn_read(c, c->in + c->in_len, c->in_cap - c->in_len);
            if (n <= 0) {
                if (n < 0) {
                    conn_close(c);
                }
                return;
            }
            c->last_ms = ev_now_ms(t->loop);
            c->in_len += (size_t) n;
            ssize_t used = deliver(c, c->in, c->in_len);
            if (used < 0
                || hold_rest(c, c->in + used, c->in_len - (size_t) used) != 0) {
                conn_close(c);
                return;
            }
        }
        if (!c->used) {
            return;
        }
    }
}

static void
conn_handshake(struct conn *c)
{
    ERR_clear_error();
    int r = SSL_accept(c->ssl);
    if (r == 1) {
        c->handshaking = false;
        c->partial_ms = 0;
        conn_want_write(c, c->out_len > 0);
        if (c->out_len > 0 && conn_flush_out(c) < 0) {
            conn_close(c);
            return;
        }
        conn_readable(c);
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
        conn_want_write(c, false);
        return;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        conn_want_write(c, true);
        return;
    }
    c->t->stats.tls_handshake_fail++;
    char peer[64];
    transport_ep_str(&c->peer, peer, sizeof(peer));
    unsigned long oe = ERR_peek_last_error();
    log_debug("TLS handshake with %s failed: %s", peer,
        oe ? ERR_reason_error_string(oe) : "connection closed");
    conn_close(c);
}

static void
conn_event(void *arg, uint32_t events)
{
    struct conn *c = arg;

    if (c->connecting) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            return;
        }
        getsockopt(c->io.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || (events & (EPOLLERR | EPOLLHUP))) {
            char peer[64];
            transport_ep_str(&c->peer, peer, sizeof(peer));
            log_debug("connect to %s failed: %s", peer, strerror(err));
            conn_close(c);
            return;
        }
        c->connecting = false;
        c->partial_ms = 0;
    }

    if (c->handshaking) {
        conn_handshake(c);
        return;
    }
    if (events & EPOLLOUT) {
        if (conn_flush_out(c) < 0) {
            conn_close(c);
            return;
        }
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
        conn_readable(c);
    }
}

static void
sweep(void *arg)
{
    struct transport *t = arg;
    uint64_t now = ev_now_ms(t->loop);
    struct conn *c = t->used_conns;

    while (c) {
        struct conn *next = c->next;
        if (c->partial_ms
            && now - c->partial_ms >= (uint64_t) t->conf->tcp_header_ms) {
            char peer[64];
            transport_ep_str(&c->peer, peer, sizeof(peer));
            log_info("%s: message not complete after %lld ms, disconnected",
                peer, (long long) t->conf->tcp_header_ms);
            t->stats.tcp_closed_slow++;
            conn_free(c);
        } else if (now - c->last_ms >= (uint64_t) t->conf->tcp_idle_ms) {
            t->stats.tcp_closed_idle++;
            conn_free(c);
        }
        c = next;
    }
    if (t->nconns > 0) {
        ev_timer_start(t->loop, &t->sweep, SWEEP_MS, sweep, t);
    }
}

/*
 * Takes a free slot for fd. listener: the local listener it belongs to (for
 * outbound connections, one of the same protocol and family, or 0).
 */
static struct conn *
conn_open(struct transport *t, int fd, const struct sockaddr *sa, socklen_t len,
    enum transport_proto proto, uint16_t listener)
{
    struct conn *c = t->free_conns;
    int one = 1;

    t->free_conns = c->next;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->used = true;
    c->gen = (uint16_t) (c->gen + 1 ? c->gen + 1 : 1);
    c->id = ((uint32_t) c->gen << 16) | (uint32_t) (c - t->conns);
    c->tls = proto == TRANSPORT_TLS;
    c->handshaking = false;
    c->connecting = false;
    c->closing = false;
    c->draining = false;
    c->in_cb = false;
    c->ssl = NULL;
    memset(&c->peer, 0, sizeof(c->peer));
    transport_ep_set_addr(&c->peer, sa, len);
    c->peer.proto = proto;
    c->peer.listener = listener;
    c->peer.conn = c->id;
    c->last_ms = ev_now_ms(t->loop);
    c->partial_ms = 0;
    c->prev = NULL;
    c->next = t->used_conns;
    if (c->next) {
        c->next->prev = c;
    }
    t->used_conns = c;
    t->nconns++;
    metric_gauge_add(&transport_m_conns, c->peer.proto, 1);
    c->io.fd = fd;
    if (ev_io_start(t->loop, &c->io, fd, EPOLLIN | EPOLLRDHUP, conn_event, c)
        != 0) {
        conn_free(c);
        return NULL;
    }
    if (!ev_timer_active(&t->sweep)) {
        ev_timer_start(t->loop, &t->sweep, SWEEP_MS, sweep, t);
    }
    return c;
}

static void
acceptable(void *arg, uint32_t events)
{
    struct stream_sock *s = arg;
    struct transport *t = s->t;

    (void) events;
    for (int i = 0; i < 64; i++) {
        union transport_sa sa;
        socklen_t len = sizeof(sa);
        int fd = accept4(s->fd, &sa.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                log_warn_limited(&accept_limit, "accept: %s", strerror(errno));
            }
            return;
        }
        if (!t->free_conns) {
            /* At the limit: refuse, so the existing connections keep their
             * share of the worker. */
            t->stats.tcp_refused++;
            close(fd);
            continue;
        }
        struct conn *c = conn_open(t, fd, &sa.sa, len,
            s->tls ? TRANSPORT_TLS : TRANSPORT_TCP, s->listener);
        if (!c) {
            continue;
        }
        t->stats.tcp_accepted++;
        if (s->tls) {
            c->ssl = SSL_new(t->tls->ctx);
            if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
                conn_free(c);
                continue;
            }
            SSL_set_mode(c->ssl,
                SSL_MODE_ENABLE_PARTIAL_WRITE
                    | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
            c->handshaking = true;
            /* The handshake is held to the same deadline as a header. */
            c->partial_ms = c->last_ms;
        }
    }
}

static bool
same_addr(const union transport_sa *a, const union transport_sa *b)
{
    if (a->sa.sa_family != b->sa.sa_family) {
        return false;
    }
    if (a->sa.sa_family == AF_INET) {
        return a->in.sin_port == b->in.sin_port
            && a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
    }
    return a->in6.sin6_port == b->in6.sin6_port
        && memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
}

/* A live connection to dst's address over dst's protocol. */
static struct conn *
conn_find(struct transport *t, const struct transport_ep *dst)
{
    for (struct conn *c = t->used_conns; c; c = c->next) {
        if (!c->closing && c->peer.proto == dst->proto
            && same_addr(&c->peer.addr, &dst->addr)) {
            return c;
        }
    }
    return NULL;
}

/* Opens an outbound TCP connection to dst (RFC 3261 §18.2.2: when the
 * request's connection is gone, the response goes to a new one). */
static struct conn *
conn_connect(struct transport *t, const struct transport_ep *dst)
{
    uint16_t listener = 0;

    if (!t->free_conns || dst->addrlen == 0) {
        return NULL;
    }
    for (size_t i = 0; i < t->nls; i++) {
        if (t->ls[i].proto == dst->proto
            && t->ls[i].addr.ss_family == dst->addr.sa.sa_family) {
            listener = (uint16_t) i;
            break;
        }
    }
    int fd = socket(
        dst->addr.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return NULL;
    }
    if (connect(fd, &dst->addr.sa, dst->addrlen) != 0 && errno != EINPROGRESS) {
        close(fd);
        return NULL;
    }
    struct conn *c =
        conn_open(t, fd, &dst->addr.sa, dst->addrlen, dst->proto, listener);
    if (!c) {
        return NULL;
    }
    t->stats.tcp_connected++;
    c->connecting = true;
    c->partial_ms = c->last_ms; /* connect held to the header deadline */
    conn_want_write(c, true);
    return c;
}

void
transport__stream_init(struct transport *t)
{
    t->max_conns = (size_t) t->conf->tcp_max_conns;
}

static int
stream_alloc(struct transport *t)
{
    if (t->conns) {
        return 0;
    }
    t->conns = calloc(t->max_conns, sizeof(*t->conns));
    t->stream_rbuf = malloc((size_t) t->conf->max_msg + 4);
    if (!t->conns || !t->stream_rbuf) {
        return -ENOMEM;
    }
    for (size_t i = t->max_conns; i-- > 0;) {
        t->conns[i].t = t;
        t->conns[i].io.fd = -1;
        t->conns[i].next = t->free_conns;
        t->free_conns = &t->conns[i];
    }
    return 0;
}

int
transport__stream_open(struct transport *t, const struct transport_listener *l,
    uint16_t idx, char *err, size_t errlen)
{
    int rc = stream_alloc(t);

    if (rc) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    int fd = transport_socket_open(l, true);
    if (fd < 0) {
        snprintf(
            err, errlen, "cannot listen on %s: %s", l->text, strerror(-fd));
        return fd;
    }
    struct stream_sock *s = &t->stream[t->nstream++];
    s->fd = fd;
    s->listener = idx;
    s->tls = l->proto == TRANSPORT_TLS;
    s->t = t;
    rc = ev_io_start(t->loop, &s->io, fd, EPOLLIN, acceptable, s);
    if (rc) {
        snprintf(err, errlen, "epoll: %s", strerror(-rc));
        return rc;
    }
    return 0;
}

void
transport__stream_close_all(struct transport *t)
{
    for (size_t i = 0; i < t->nstream; i++) {
        ev_io_stop(t->loop, &t->stream[i].io);
        close(t->stream[i].fd);
    }
    t->nstream = 0;
    while (t->used_conns) {
        conn_free(t->used_conns);
    }
    ev_timer_stop(t->loop, &t->sweep);
    free(t->conns);
    free(t->stream_rbuf);
    t->conns = NULL;
    t->stream_rbuf = NULL;
}
