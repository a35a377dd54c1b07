/*
 * The client engine: one request to one target at a time (ua_send_once),
 * and around it the redirect logic of RFC 3261 §8.1.3.4 and the learning
 * from 301 (§21.3.2).
 *
 * Each phase of a request (waiting for the final response, the call's
 * duration, the BYE) runs a fresh ev loop over the one socket, with the
 * transaction table's timers armed after every event.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/ev.h"
#include "cli/cli.h"
#include "cli/ua.h"
#include "cli/ua_int.h"
#include "sip/sip_build.h"
#include "sip/sip_codes.h"
#include "sip/sip_hdr.h"
#include "sip/sip_msg.h"
#include "sip/sip_uri.h"
#include "stir/stir.h"
#include "transport/tls.h"
#include "transport/transport.h"
#include "txn/txn.h"

#define MAX_TARGETS 32
#define MSG_MAX     65535
#define CONNECT_MS  5000 /* TCP connect, then TLS handshake: no --timeout */
/* How long a call may ring without --timeout: Timer C's minimum (§16.6). */
#define RING_MAX_MS    180000
#define CANCEL_WAIT_MS 5000 /* for the 487 after our CANCEL */

struct target {
    char uri[UA_BOOK_MAX_URI];
    int q; /* 0..1000 */
    unsigned order;
    bool tried;
};

struct ua {
    const struct ua_opts *o;
    struct ev_loop *loop; /* only while a phase runs */
    struct txn_table *txn;
    struct ev_timer tick, deadline, hold;
    struct ev_io io, sigio;
    int fd, sigfd;
    SSL *ssl; /* TLS: on fd */
    enum transport_proto proto;
    struct transport_ep dst;
    char dst_str[64];
    char conn_err[160]; /* why the connection failed after it was open */
    char local[80];     /* Via sent-by: host:port */
    char rbuf[MSG_MAX + 1];
    size_t rlen;

    /* The request in flight. */
    const char *ruri;
    const char *to_uri; /* the URI the user asked for */
    char call_id[48], from_tag[20], branch[40];
    char from[UA_BOOK_MAX_URI + 2];
    char contact[128];
    char authz[2048];    /* Authorization value for a retry; "" none */
    char date[40];       /* Date value when signing; "" none */
    char identity[4096]; /* Identity value; "" none */
    uint32_t cseq;
    char req[MSG_MAX];
    size_t req_len;
    struct txn *tx;
    bool invite, provisional, cancel_wanted, cancel_sent, interrupted;
    bool ring_timeout; /* rang past the deadline: we CANCELled */
    int sigs;

    /* The final response of the phase. */
    bool done, net;
    int code;
    char resp[MSG_MAX];
    size_t resp_len;
    char ack[4096]; /* the ACK of a 2xx, resent on retransmissions */
    size_t ack_len;

    struct sip_msg msg; /* parse scratch */
};

/* ---- transport ---- */

static uint64_t
io_now(void *arg)
{
    (void) arg;
    return clock_mono_ms();
}

/* Waits up to ms for events on fd: >0 ready, 0 timeout, <0 error. */
static int
wait_fd(int fd, short events, int ms)
{
    struct pollfd p = { .fd = fd, .events = events };
    int n;

    do {
        n = poll(&p, 1, ms);
    } while (n < 0 && errno == EINTR);
    return n;
}

/* Writes part of m: bytes written, or 0 with *want set to the poll event
 * to wait for, or -errno. */
static ssize_t
write_some(struct ua *u, struct slice m, short *want)
{
    if (u->ssl) {
        ERR_clear_error();
        int r =
            SSL_write(u->ssl, m.p, m.len > INT32_MAX ? INT32_MAX : (int) m.len);
        if (r > 0) {
            return r;
        }
        int e = SSL_get_error(u->ssl, r);
        *want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0
                                                                     : -EPIPE;
    }
    ssize_t n = send(u->fd, m.p, m.len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        *want = POLLOUT;
        return 0;
    }
    return n < 0 ? -errno : n;
}

static int
send_all(struct ua *u, struct slice m)
{
    size_t off = 0;

    if (u->fd < 0) {
        return -ENOTCONN;
    }
    while (off < m.len) {
        short want = 0;
        ssize_t n = write_some(u, slice_sub(m, off, m.len), &want);
        if (n < 0) {
            return (int) n;
        }
        if (n == 0 && wait_fd(u->fd, want, 2000) <= 0) {
            return -ETIMEDOUT;
        }
        off += (size_t) n;
    }
    return 0;
}

static int
io_send(void *arg, const struct transport_ep *dst, struct slice msg)
{
    struct ua *u = arg;

    (void) dst; /* the socket is connected to it */
    if (u->o->verbose) {
        printf("> sent to %s %s (%zu bytes):\n%.*s\n", u->dst_str,
            transport_proto_name(u->proto), msg.len, SLICE_ARG(msg));
    }
    return send_all(u, msg);
}

static void
conn_close(struct ua *u)
{
    if (u->ssl) {
        SSL_shutdown(u->ssl); /* close_notify, not waiting for the peer's */
        SSL_free(u->ssl);
        u->ssl = NULL;
        ERR_clear_error();
    }
    if (u->fd >= 0) {
        close(u->fd);
        u->fd = -1;
    }
    u->rlen = 0;
}

/* How long a connect, and then a TLS handshake, may take. */
static int
connect_ms(const struct ua *u)
{
    return u->o->timeout_s > 0 ? u->o->timeout_s * 1000 : CONNECT_MS;
}

/* Connects fd to one resolved address, waiting connect_ms() for a stream.
 * 0 or -errno. */
static int
connect_one(struct ua *u, const struct addrinfo *ai)
{
    int soerr = 0;
    socklen_t sl = sizeof(soerr);

    u->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
    if (u->fd < 0) {
        return -errno;
    }
    /* UDP too is connected: the kernel picks the source address for the
     * Via, and an ICMP port unreachable comes back as ECONNREFUSED. */
    fcntl(u->fd, F_SETFL, O_NONBLOCK);
    if (connect(u->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        return 0;
    }
    if (errno != EINPROGRESS || u->proto == TRANSPORT_UDP) {
        return -errno;
    }
    if (wait_fd(u->fd, POLLOUT, connect_ms(u)) <= 0) {
        return -ETIMEDOUT;
    }
    getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    return -soerr;
}

/* The TLS handshake on the connected fd, the certificate checked for
 * host. 0, or -EPROTO / -ETIMEDOUT with the reason in why. */
static int
tls_handshake(struct ua *u, const char *host, char *why, size_t whylen)
{
    uint64_t deadline = clock_mono_ms() + (uint64_t) connect_ms(u);
    char desc[1024];

    if (transport_tls_client_ssl(u->o->tls, u->fd, host, &u->ssl) != 0) {
        snprintf(why, whylen, "TLS: out of memory");
        return -ENOMEM;
    }
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int r = SSL_connect(u->ssl);
        int sys_errno = errno;
        if (r == 1) {
            break;
        }
        int e = SSL_get_error(u->ssl, r);
        uint64_t now = clock_mono_ms();
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            enum transport_tls_fail f =
                transport_tls_connect_error(u->ssl, r, sys_errno, why, whylen);
            static const char hint[] = "; give its CA with --tls-ca FILE";
            size_t n = strlen(why);
            if (f == TRANSPORT_TLS_UNTRUSTED) {
                snprintf(why + n, whylen - n, "%s", hint);
            }
            return -EPROTO;
        }
        if (now >= deadline
            || wait_fd(u->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                   (int) (deadline - now))
                <= 0) {
            snprintf(why, whylen, "TLS handshake timed out (is %s a TLS port?)",
                u->dst_str);
            return -ETIMEDOUT;
        }
    }
    transport_tls_describe(u->ssl, desc, sizeof(desc));
    if (u->o->verbose) {
        printf("TLS with %s (%s): %s\n", u->dst_str, host, desc);
    }
    if (transport_tls_cert_asked(u->ssl)) {
        /* A failure from now on is most likely the server refusing us. */
        snprintf(u->conn_err, sizeof(u->conn_err),
            "the server asked for a client certificate (--tls-cert) and "
            "closed the connection");
        if (u->o->verbose) {
            printf("the server asks for a client certificate; none sent\n");
        }
    }
    if (!transport_tls_verified(u->ssl)) {
        /* Only --tls-insecure gets here: say it every time. */
        fprintf(stderr,
            "sipward %s: WARNING: --tls-insecure: the certificate of %s was "
            "NOT verified; anyone could be answering\n",
            u->o->cmd, u->dst_str);
        if (u->o->verbose) {
            printf("WARNING: TLS certificate NOT VERIFIED (--tls-insecure)\n");
        }
    }
    return 0;
}

/*
 * The transport of uri (§18, §26.2): sips: is TLS (RFC 5630: whatever its
 * transport parameter says, TLS over TCP), else the transport parameter,
 * else UDP; --transport overrides. -EINVAL with err set when sips: is
 * asked to go over something else.
 */
static int
uri_proto(struct ua *u, const struct sip_uri *pu, const char *uri, char *err,
    size_t errlen)
{
    struct slice tp;

    u->proto = TRANSPORT_UDP;
    if (sip_param_get(pu->params, SLICE_LIT("transport"), &tp)) {
        if (slice_caseeq(tp, SLICE_LIT("tcp"))) {
            u->proto = TRANSPORT_TCP;
        } else if (slice_caseeq(tp, SLICE_LIT("tls"))) {
            u->proto = TRANSPORT_TLS;
        }
    }
    if (pu->scheme == SIP_URI_SIPS) {
        u->proto = TRANSPORT_TLS;
    }
    if (u->o->transport >= 0) {
        if (pu->scheme == SIP_URI_SIPS && u->o->transport != TRANSPORT_TLS) {
            snprintf(err, errlen,
                "%s: a sips: URI goes over TLS only, not --transport %s", uri,
                transport_proto_name((enum transport_proto) u->o->transport));
            return -EINVAL;
        }
        u->proto = (enum transport_proto) u->o->transport;
    }
    return 0;
}

/* Resolves and connects to uri (sip/sips), over TLS when its transport is.
 * 0, or -errno with err set (-EINVAL: the URI cannot be used). */
static int
conn_open(struct ua *u, const char *uri, char *err, size_t errlen)
{
    struct sip_uri pu;
    char host[256];
    char port[8];
    char why[768] = "";
    struct addrinfo hints = { 0 }, *res = NULL;
    union transport_sa la;
    socklen_t lalen = sizeof(la);
    int rc;

    conn_close(u);
    if (sip_uri_parse(&pu, slice_cstr(uri)) != 0
        || (pu.scheme != SIP_URI_SIP && pu.scheme != SIP_URI_SIPS)
        || !pu.host.len) {
        snprintf(err, errlen, "%s: not a sip: or sips: URI", uri);
        return -EINVAL;
    }
    rc = uri_proto(u, &pu, uri, err, errlen);
    if (rc != 0) {
        return rc;
    }
    struct slice h = pu.host;
    if (pu.host_type == SIP_HOST_IPV6 && h.len >= 2) {
        h = slice_sub(h, 1, h.len - 2);
    }
    if (slice_copy(host, sizeof(host), h) != 0) {
        snprintf(err, errlen, "%s: host name too long", uri);
        return -EINVAL;
    }
    /* RFC 3263 SRV/NAPTR lookups are not done: A/AAAA and the default
     * port of the transport (§19.1.2). */
    snprintf(port, sizeof(port), "%u",
        pu.has_port ? pu.port : (u->proto == TRANSPORT_TLS ? 5061 : 5060));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = u->proto == TRANSPORT_UDP ? SOCK_DGRAM : SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot resolve %s: %s", uri, host,
            gai_strerror(rc));
        return -EHOSTUNREACH;
    }
    /* Each address in turn (RFC 3263 §4.3: the next on failure). */
    rc = -EHOSTUNREACH;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        memset(&u->dst, 0, sizeof(u->dst));
        transport_ep_set_addr(&u->dst, ai->ai_addr, ai->ai_addrlen);
        u->dst.proto = u->proto;
        transport_ep_str(&u->dst, u->dst_str, sizeof(u->dst_str));
        rc = connect_one(u, ai);
        if (rc == 0) {
            break;
        }
        snprintf(why, sizeof(why), "%s", strerror(-rc));
        conn_close(u);
    }
    if (rc == 0 && u->proto == TRANSPORT_TLS) {
        rc = tls_handshake(u, host, why, sizeof(why));
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot connect to %s over %s: %s", uri,
            u->dst_str, transport_proto_name(u->proto), why);
        conn_close(u);
        goto out;
    }
    getsockname(u->fd, &la.sa, &lalen);
    struct transport_ep lep = { 0 };
    transport_ep_set_addr(&lep, &la.sa, lalen);
    transport_ep_str(&lep, u->local, sizeof(u->local));
out:
    freeaddrinfo(res);
    return rc;
}

/* ---- one phase of the event loop ---- */

static void phase_end(struct ua *u);

static void
on_tick(void *arg)
{
    struct ua *u = arg;

    txn_table_tick(u->txn);
    ua__rearm(u);
}

void
ua__rearm(struct ua *u)
{
    uint64_t next = txn_table_next_ms(u->txn);
    uint64_t now = clock_mono_ms();

    if (!u->loop) {
        return;
    }
    if (next == UINT64_MAX) {
        ev_timer_stop(u->loop, &u->tick);
        return;
    }
    ev_timer_start(u->loop, &u->tick, next > now ? next - now : 0, on_tick, u);
}

static void
phase_end(struct ua *u)
{
    u->done = true;
    if (u->loop) {
        ev_stop(u->loop);
    }
}

static void
net_failure(struct ua *u, int code)
{
    if (u->tx) {
        txn_client_abandon(u->txn, u->tx);
        u->tx = NULL;
    }
    u->net = true;
    u->code = code;
    u->resp_len = 0;
    phase_end(u);
}

static void send_cancel(struct ua *u);

static void
handle_msg(struct ua *u, struct slice in)
{
    struct sip_msg *m = &u->msg;
    struct txn_match tm = { 0 };

    if (sip_msg_parse(m, in) != 0 || m->request) {
        /* Requests to the client (a BYE from the far end) are not
         * served; the far end's transaction times out. */
        return;
    }
    tm.branch = m->branch;
    tm.cseq_method = m->cseq_method_name;
    tm.call_id = m->call_id;
    tm.cseq = m->cseq;
    if (txn_client_recv(u->txn, &tm, m->status, in) == -ENOENT
        && m->status >= 200 && m->status < 300
        && m->cseq_method == SIP_METHOD_INVITE && u->ack_len) {
        /* A retransmitted 2xx: our ACK was lost (§13.2.2.4). */
        send_all(u, slice_make(u->ack, u->ack_len));
    }
    ua__rearm(u);
}

/* Reads from the stream: bytes, 0 at the end, -EAGAIN, or -errno. */
static ssize_t
read_some(struct ua *u, char *buf, size_t len)
{
    if (!u->ssl) {
        ssize_t n = recv(u->fd, buf, len, 0);
        if (n < 0
            && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return -EAGAIN;
        }
        return n < 0 ? -errno : n;
    }
    ERR_clear_error();
    int r = SSL_read(u->ssl, buf, (int) len);
    if (r > 0) {
        return r;
    }
    int e = SSL_get_error(u->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        return -EAGAIN;
    }
    /* TLS 1.3 servers refuse a client certificate after our handshake is
     * done: their alert arrives here. */
    const char *why = ERR_reason_error_string(ERR_peek_last_error());
    if (e == SSL_ERROR_SSL && why && !u->conn_err[0]) {
        snprintf(u->conn_err, sizeof(u->conn_err), "TLS: %s", why);
    }
    ERR_clear_error();
    return e == SSL_ERROR_ZERO_RETURN ? 0 : -ECONNRESET;
}

static void
on_io(void *arg, uint32_t events)
{
    struct ua *u = arg;

    (void) events;
    if (u->proto == TRANSPORT_UDP) {
        for (int i = 0; i < 64 && u->fd >= 0; i++) {
            ssize_t n = recv(u->fd, u->rbuf, MSG_MAX, 0);
            if (n < 0) {
                if (errno == ECONNREFUSED && !u->done) {
                    net_failure(u, 503);
                }
                return;
            }
            handle_msg(u, slice_make(u->rbuf, (size_t) n));
        }
        return;
    }
    /* TLS: until OpenSSL has nothing left, since what it already
     * decrypted does not make the socket readable again. */
    do {
        if (u->rlen >= MSG_MAX) {
            u->rlen = 0; /* no message is that long: drop it */
        }
        ssize_t n = read_some(u, u->rbuf + u->rlen, MSG_MAX - u->rlen);
        if (n == -EAGAIN) {
            return;
        }
        if (n <= 0) {
            ev_io_stop(u->loop, &u->io);
            conn_close(u);
            if (!u->done) {
                net_failure(u, 503);
            }
            return;
        }
        u->rlen += (size_t) n;
        for (;;) {
            size_t mlen;
            int rc = sip_msg_frame(slice_make(u->rbuf, u->rlen), &mlen);
            if (rc < 0) {
                if (rc != -EAGAIN) {
                    u->rlen = 0; /* garbage: drop it */
                }
                break;
            }
            if (rc == 0) {
                handle_msg(u, slice_make(u->rbuf, mlen));
            }
            memmove(u->rbuf, u->rbuf + mlen, u->rlen - mlen);
            u->rlen -= mlen;
        }
    } while (u->ssl);
}

/* The INVITE's deadline, in ms (0: none but the transaction's timers). */
static uint64_t
deadline_ms(const struct ua *u)
{
    if (u->o->timeout_s > 0) {
        return (uint64_t) u->o->timeout_s * 1000;
    }
    return u->invite ? RING_MAX_MS : 0;
}

static void
on_deadline(void *arg)
{
    struct ua *u = arg;

    if (u->done) {
        return;
    }
    if (u->tx && u->invite && u->provisional && !u->cancel_sent) {
        /* Ringing too long: give up as the user would (§9.1), and wait a
         * little for the 487 that ends the INVITE transaction. */
        u->ring_timeout = true;
        send_cancel(u);
        ev_timer_start(u->loop, &u->deadline, CANCEL_WAIT_MS, on_deadline, u);
        return;
    }
    net_failure(u, 408);
}

static void
on_hold(void *arg)
{
    phase_end(arg);
}

static void
on_signal(void *arg, uint32_t events)
{
    struct ua *u = arg;
    struct signalfd_siginfo si;

    (void) events;
    while (read(u->sigfd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
        u->sigs++;
    }
    u->interrupted = true;
    if (u->sigs > 1) {
        net_failure(u, 487); /* a second Ctrl-C: give up at once */
        return;
    }
    if (u->tx && u->invite) {
        /* §9.1: CANCEL only once a provisional response came. */
        u->cancel_wanted = true;
        if (u->provisional) {
            send_cancel(u);
        }
        return;
    }
    phase_end(u); /* in a call: hang up now */
}

/* Runs the loop until phase_end; hold_ms > 0: end after that long. */
static void
phase_run(struct ua *u, int64_t hold_ms)
{
    u->done = false;
    if (ev_loop_new(&u->loop) != 0) {
        net_failure(u, 503);
        return;
    }
    memset(&u->tick, 0, sizeof(u->tick));
    memset(&u->deadline, 0, sizeof(u->deadline));
    memset(&u->hold, 0, sizeof(u->hold));
    if (u->fd >= 0) {
        ev_io_start(u->loop, &u->io, u->fd, EPOLLIN, on_io, u);
    }
    if (u->sigfd >= 0) {
        ev_io_start(u->loop, &u->sigio, u->sigfd, EPOLLIN, on_signal, u);
    }
    if (hold_ms > 0) {
        ev_timer_start(u->loop, &u->hold, (uint64_t) hold_ms, on_hold, u);
    } else if (deadline_ms(u) > 0) {
        ev_timer_start(u->loop, &u->deadline, deadline_ms(u), on_deadline, u);
    }
    ua__rearm(u);
    ev_run(u->loop);
    if (u->fd >= 0) {
        ev_io_stop(u->loop, &u->io);
    }
    if (u->sigfd >= 0) {
        ev_io_stop(u->loop, &u->sigio);
    }
    ev_timer_stop(u->loop, &u->tick);
    ev_timer_stop(u->loop, &u->deadline);
    ev_timer_stop(u->loop, &u->hold);
    ev_loop_free(u->loop);
    u->loop = NULL;
}

/* ---- building and sending requests ---- */

static void
rand_hex(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[32];

    if (nbytes > sizeof(b)) {
        nbytes = sizeof(b);
    }
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(b, 1, nbytes, f) != nbytes) {
        uint64_t x = clock_mono_ns() ^ (uint64_t) getpid();
        for (size_t i = 0; i < nbytes; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            b[i] = (unsigned char) (x >> 56);
        }
    }
    if (f) {
        fclose(f);
    }
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * nbytes] = '\0';
}

static const char sdp_fmt[] = "v=0\r\n"
                              "o=sipward %llu 1 IN IP4 %s\r\n"
                              "s=sipward call\r\n"
                              "c=IN IP4 %s\r\n"
                              "t=0 0\r\n"
                              "m=audio 9 RTP/AVP 0\r\n"
                              "a=rtpmap:0 PCMU/8000\r\n"
                              "a=sendrecv\r\n";

/*
 * Builds method to ruri into out. to: the To value (with the far end's tag
 * in a dialog). branch: NULL for a fresh one (stored in u->branch).
 */
static int
build(struct ua *u, char *out, size_t size, size_t *len, const char *method,
    const char *ruri, const char *to, uint32_t cseq, bool body)
{
    struct sip_field f[6];
    size_t nf = 0;
    char sdp[512];
    char ip[80];
    struct slice ct = SLICE_NULL, b = SLICE_NULL;

    f[nf++] = SIP_FIELD("Contact", slice_cstr(u->contact));
    f[nf++] = SIP_FIELD("User-Agent", SLICE_LIT("sipward/" SIPWARD_VERSION));
    if (u->authz[0] && strcmp(method, "ACK") != 0
        && strcmp(method, "CANCEL") != 0) {
        f[nf++] = (struct sip_field){ u->authz[0] == 'P'
                ? SLICE_LIT("Proxy-Authorization")
                : SLICE_LIT("Authorization"),
            slice_cstr(u->authz + 1) };
    }
    if (u->date[0]) {
        f[nf++] = SIP_FIELD("Date", slice_cstr(u->date));
    }
    if (u->identity[0]) {
        f[nf++] = SIP_FIELD("Identity", slice_cstr(u->identity));
    }
    if (body && strcmp(method, "MESSAGE") == 0) {
        ct = SLICE_LIT("text/plain");
        b = slice_cstr(u->o->text);
    } else if (body && strcmp(method, "INVITE") == 0) {
        /* A minimal offer (RFC 3264): one audio stream on the discard
         * port; the client sends and receives no media. */
        snprintf(ip, sizeof(ip), "%s", u->local);
        char *colon = strrchr(ip, ':');
        if (colon) {
            *colon = '\0';
        }
        snprintf(sdp, sizeof(sdp), sdp_fmt, (unsigned long long) clock_wall(),
            ip, ip);
        ct = SLICE_LIT("application/sdp");
        b = slice_cstr(sdp);
    }
    struct sip_req_opts ro = {
        .method = slice_cstr(method),
        .ruri = slice_cstr(ruri),
        .via_transport = u->proto == TRANSPORT_TLS ? SLICE_LIT("TLS")
            : u->proto == TRANSPORT_TCP            ? SLICE_LIT("TCP")
                                                   : SLICE_LIT("UDP"),
        .via_host = slice_cstr(u->local),
        .branch = slice_cstr(u->branch),
        .from = slice_cstr(u->from),
        .from_tag = slice_cstr(u->from_tag),
        .to = slice_cstr(to),
        .call_id = slice_cstr(u->call_id),
        .cseq = cseq,
        .extra = f,
        .nextra = nf,
        .content_type = ct,
        .body = b,
    };
    return sip_build_request(out, size, len, &ro);
}

static void
match_of(struct ua *u, const char *method, const char *ruri, uint32_t cseq,
    struct txn_match *tm)
{
    memset(tm, 0, sizeof(*tm));
    tm->method = slice_cstr(method);
    tm->branch = slice_cstr(u->branch);
    tm->sent_by = slice_cstr(u->local);
    tm->ruri = slice_cstr(ruri);
    tm->call_id = slice_cstr(u->call_id);
    tm->from_tag = slice_cstr(u->from_tag);
    tm->cseq = cseq;
    tm->cseq_method = slice_cstr(method);
}

/* The To of the response (with the far end's tag) into out. */
static void
resp_to(struct ua *u, char *out, size_t size)
{
    const struct sip_hdr *h;

    out[0] = '\0';
    if (sip_msg_parse(&u->msg, slice_make(u->resp, u->resp_len)) == 0
        && (h = sip_msg_hdr(&u->msg, SIP_HDR_TO))) {
        slice_copy(out, size, h->value);
    }
}

static void on_resp(void *arg, struct txn *tx, int code, struct slice msg);

static void
on_cancel_resp(void *arg, struct txn *tx, int code, struct slice msg)
{
    struct ua *u = arg;

    (void) tx;
    (void) msg;
    if (code >= 200 && u->o->verbose) {
        printf("< CANCEL answered %d %s\n", code, sip_code_reason(code));
    }
}

static void
send_cancel(struct ua *u)
{
    char buf[4096];
    size_t len;
    struct txn_match tm;
    struct txn *tx;
    char to[UA_BOOK_MAX_URI + 2];

    if (u->cancel_sent || !u->tx) {
        return;
    }
    u->cancel_sent = true;
    /* §9.1: same Request-URI, Call-ID, To, From, CSeq number and top Via
     * as the INVITE. */
    snprintf(to, sizeof(to), "<%s>", u->to_uri);
    if (build(u, buf, sizeof(buf), &len, "CANCEL", u->ruri, to, u->cseq, false)
        != 0) {
        return;
    }
    match_of(u, "CANCEL", u->ruri, u->cseq, &tm);
    txn_client_new(
        u->txn, &tm, &u->dst, slice_make(buf, len), on_cancel_resp, u, &tx);
    ua__rearm(u);
}

static void
on_resp(void *arg, struct txn *tx, int code, struct slice msg)
{
    struct ua *u = arg;

    if (code < 200) {
        u->provisional = true;
        if (u->o->verbose) {
            printf("< %d %s\n", code, sip_code_reason(code));
        }
        if (u->cancel_wanted) {
            send_cancel(u);
        }
        return;
    }
    u->tx = NULL;
    if (msg.len == 0) {
        /* The transaction's own verdict: Timer B/F or a transport error. */
        u->net = true;
        u->code = code;
        u->resp_len = 0;
        phase_end(u);
        return;
    }
    u->code = code;
    u->resp_len = msg.len < sizeof(u->resp) ? msg.len : sizeof(u->resp) - 1;
    memcpy(u->resp, msg.p, u->resp_len);
    if (u->o->verbose) {
        printf("< received from %s:\n%.*s\n", u->dst_str, (int) u->resp_len,
            u->resp);
    }
    if (u->invite && code >= 300 && txn_kind(tx) == TXN_CLIENT_INVITE) {
        /* §17.1.1.3: the ACK of a non-2xx final is part of the INVITE
         * transaction: same branch, the response's To. */
        char to[1024], buf[4096];
        size_t len;
        resp_to(u, to, sizeof(to));
        if (to[0]
            && build(u, buf, sizeof(buf), &len, "ACK", u->ruri, to, u->cseq,
                   false)
                == 0) {
            txn_client_ack(u->txn, tx, slice_make(buf, len));
        }
    }
    phase_end(u);
}

/*
 * RFC 8224 §6.1: the Identity header signs the Date, From, To and the
 * request as built; build once without it, sign, and let the caller build
 * again with it (same branch, same bytes otherwise).
 */
static int
sign(struct ua *u, const char *method, const char *to, bool body)
{
    struct stir_call call;
    struct stir_sign_opts so = {
        .attest = u->o->attest ? u->o->attest : 'A',
        .iat = clock_wall(),
        .orig_from_pai = true,
    };
    int rc;

    sip_date_format(u->date, sizeof(u->date), so.iat);
    rc = build(u, u->req, sizeof(u->req), &u->req_len, method, u->ruri, to,
        u->cseq, body);
    if (rc == 0) {
        rc = sip_msg_parse(&u->msg, slice_make(u->req, u->req_len));
    }
    if (rc == 0) {
        rc = stir_call_from_msg(&call, &u->msg);
    }
    if (rc == 0) {
        rc = stir_sign(
            u->o->signer, &call, &so, u->identity, sizeof(u->identity));
        rc = rc < 0 ? rc : 0;
    }
    if (rc != 0) {
        u->identity[0] = '\0';
        fprintf(stderr, "sipward %s: cannot sign the request: %s\n", u->o->cmd,
            rc == STIR_E_NOT_TN ? "From and To must be telephone numbers "
                                  "for SHAKEN (use --from sip:+1...@host)"
                                : err_str(rc));
    }
    return rc;
}

/*
 * Sends the request (u->ruri, u->cseq) in a new client transaction and
 * waits for its final response.
 */
static void
request_run(struct ua *u, const char *method, bool body)
{
    struct txn_match tm;
    char to[UA_BOOK_MAX_URI + 2];
    int rc;

    rand_hex(u->branch, 12);
    memmove(u->branch + 7, u->branch, strlen(u->branch) + 1);
    memcpy(u->branch, "z9hG4bK", 7);
    snprintf(to, sizeof(to), "<%s>", u->to_uri);
    u->provisional = false;
    u->cancel_sent = false;
    u->ring_timeout = false;
    u->net = false;
    u->code = 0;
    u->date[0] = '\0';
    u->identity[0] = '\0';
    if (u->o->signer && sign(u, method, to, body) != 0) {
        net_failure(u, 513);
        return;
    }
    if (build(u, u->req, sizeof(u->req), &u->req_len, method, u->ruri, to,
            u->cseq, body)
        != 0) {
        net_failure(u, 513);
        return;
    }
    match_of(u, method, u->ruri, u->cseq, &tm);
    rc = txn_client_new(u->txn, &tm, &u->dst, slice_make(u->req, u->req_len),
        on_resp, u, &u->tx);
    if (rc != 0) {
        u->tx = NULL;
        if (!u->net) {
            net_failure(u, 503);
        }
        return;
    }
    if (!u->net && u->code < 200) {
        phase_run(u, 0);
    }
}

/* ---- one target ---- */

/* Reads one response header's first value into out ("" when absent). */
static void
hdr_copy(const struct sip_msg *m, enum sip_hdr_id id, char *out, size_t size)
{
    const struct sip_hdr *h = sip_msg_hdr(m, id);

    out[0] = '\0';
    if (h) {
        slice_copy(out, size, h->value);
    }
}

/* In a call after a 2xx to INVITE: ACK, wait, BYE (§13.2.2.4, §15). */
static void
dialog_run(struct ua *u)
{
    char to[1024], target[UA_BOOK_MAX_URI], buf[4096];
    char contact[UA_BOOK_MAX_URI + 64];
    size_t len;
    struct sip_contact c;
    int code = u->code;
    uint64_t t0 = clock_mono_ms();

    resp_to(u, to, sizeof(to));
    hdr_copy(&u->msg, SIP_HDR_CONTACT, contact, sizeof(contact));
    snprintf(target, sizeof(target), "%s", u->ruri);
    if (contact[0] && sip_contact_parse(&c, slice_cstr(contact)) == 0) {
        slice_copy(target, sizeof(target), c.addr.uri_s);
    }
    /* The 2xx's ACK is its own transaction: a fresh branch. Record-Route
     * is not followed: the ACK and BYE go straight to the far end's
     * Contact over the same connection. */
    rand_hex(u->branch, 12);
    memmove(u->branch + 7, u->branch, strlen(u->branch) + 1);
    memcpy(u->branch, "z9hG4bK", 7);
    if (build(u, u->ack, sizeof(u->ack), &u->ack_len, "ACK", target, to,
            u->cseq, false)
        == 0) {
        io_send(u, &u->dst, slice_make(u->ack, u->ack_len));
    } else {
        u->ack_len = 0;
    }
    if (!u->interrupted && u->o->duration_s > 0) {
        phase_run(u, (int64_t) u->o->duration_s * 1000);
    }
    u->ack_len = 0;
    /* BYE: a non-INVITE transaction in the dialog. */
    rand_hex(u->branch, 12);
    memmove(u->branch + 7, u->branch, strlen(u->branch) + 1);
    memcpy(u->branch, "z9hG4bK", 7);
    u->cseq++;
    struct txn_match tm;
    if (build(u, buf, sizeof(buf), &len, "BYE", target, to, u->cseq, false)
        != 0) {
        return;
    }
    match_of(u, "BYE", target, u->cseq, &tm);
    u->invite = false;
    u->code = 0;
    if (txn_client_new(
            u->txn, &tm, &u->dst, slice_make(buf, len), on_resp, u, &u->tx)
        == 0) {
        phase_run(u, 0);
    }
    printf("call lasted %.1f s; BYE answered %d %s\n",
        (double) (clock_mono_ms() - t0) / 1000.0, u->code,
        u->net ? (u->code == 408 ? "(no answer)" : "(network failure)")
               : sip_code_reason(u->code));
    u->code = code;
    u->net = false;
}

/*
 * Sends the request to target and waits for its final response (answering
 * a digest challenge, and once more if the nonce was stale). 0 with
 * u->code and u->resp, or u->net set.
 */
static int
send_once(struct ua *u, const char *target, char *err, size_t errlen)
{
    bool body = u->o->text != NULL || u->invite;
    int rc;

    u->conn_err[0] = '\0';
    rc = conn_open(u, target, err, errlen);
    if (rc != 0) {
        u->net = true;
        u->code = 503;
        return rc;
    }
    u->ruri = target;
    u->authz[0] = '\0';
    /* §8.1.1.8: a sips: request carries a sips: Contact. */
    bool sips = strncasecmp(target, "sips:", 5) == 0;
    snprintf(u->contact, sizeof(u->contact), "<%s:sipward@%s%s>",
        sips ? "sips" : "sip", u->local,
        sips                            ? ""
            : u->proto == TRANSPORT_TLS ? ";transport=tls"
            : u->proto == TRANSPORT_TCP ? ";transport=tcp"
                                        : "");
    if (!u->o->from) {
        snprintf(u->from, sizeof(u->from), "<sip:sipward@%s>", u->local);
    }
    u->cseq++;
    request_run(u, u->o->method, body);
    /* One answer to a challenge; a second only when the server says the
     * first was refused for a stale nonce, not for the password. */
    for (int n = 0;
         n < 2 && !u->net && (u->code == 401 || u->code == 407) && u->o->user;
         n++) {
        int dr = ua__digest(u->o, &u->msg, slice_make(u->resp, u->resp_len),
            u->o->method, target, NULL, u->authz, sizeof(u->authz));
        if (dr < 0 || (n > 0 && dr != 1)) {
            break;
        }
        if (u->o->verbose) {
            printf("> answering the %d challenge%s as %s\n", u->code,
                dr == 1 ? " (stale nonce)" : "", u->o->user);
        }
        u->cseq++;
        request_run(u, u->o->method, body);
    }
    if (u->net && !err[0] && u->ring_timeout) {
        snprintf(err, errlen,
            "%s: rang for %.0f s without an answer; CANCEL sent, no final "
            "response",
            target, (double) deadline_ms(u) / 1000.0);
    } else if (u->net && !err[0]) {
        snprintf(err, errlen, "%s: %s from %s over %s", target,
            u->conn_err[0]       ? u->conn_err
                : u->code == 408 ? "no answer"
                                 : "network failure",
            u->dst_str, transport_proto_name(u->proto));
    }
    return u->net ? -ETIMEDOUT : 0;
}

/* ---- redirects and the address book ---- */

static bool
uri_same(const char *a, const char *b)
{
    struct sip_uri ua, ub;

    if (sip_uri_parse(&ua, slice_cstr(a)) != 0
        || sip_uri_parse(&ub, slice_cstr(b)) != 0) {
        return strcmp(a, b) == 0;
    }
    return sip_uri_equal(&ua, &ub);
}

/* The next target: highest q, then the order they came in (§8.1.3.4). */
static struct target *
next_target(struct target *t, size_t n)
{
    struct target *best = NULL;

    for (size_t i = 0; i < n; i++) {
        if (!t[i].tried
            && (!best || t[i].q > best->q
                || (t[i].q == best->q && t[i].order < best->order))) {
            best = &t[i];
        }
    }
    return best;
}

/* The Reason and Warning headers of the parsed response u->msg. */
static void
print_reasons(struct ua *u)
{
    const struct sip_msg *m = &u->msg;

    for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_REASON); h;
         h = sip_msg_hdr_next(m, h)) {
        struct sip_reason r;
        if (sip_reason_parse(&r, h->value) == 0 && r.text.len) {
            printf("  Reason: " SLICE_FMT " %d \"" SLICE_FMT "\"\n",
                SLICE_ARG(r.protocol), r.cause, SLICE_ARG(r.text));
        } else {
            printf("  Reason: " SLICE_FMT "\n", SLICE_ARG(h->value));
        }
    }
    for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_WARNING); h;
         h = sip_msg_hdr_next(m, h)) {
        printf("  Warning: " SLICE_FMT "\n", SLICE_ARG(h->value));
    }
}

/* Prints the parts of a failure a user needs: Reason, Warning, and for the
 * codes whose fix is not obvious the catalog's explanation. */
static void
explain_failure(struct ua *u)
{
    bool brief = u->o->verbose;

    if (sip_msg_parse(&u->msg, slice_make(u->resp, u->resp_len)) != 0) {
        return;
    }
    print_reasons(u);
    switch (u->code) {
    case 403:
    case 428:
    case 436:
    case 437:
    case 438:
        brief = true;
        break;
    default:
        break;
    }
    if (brief && u->code >= 300) {
        cli_code_brief(stdout, u->code, 2);
    }
}

/*
 * What a 3xx to the Request-URI itself carries: the answer of an STI-VS
 * (verstat on the asserted identity, ATIS-1000074 §5.3.1) or of an STI-AS
 * (the Identity header to copy into the INVITE) through its 302
 * interface, and any Reason.
 */
static void
print_carried(struct ua *u)
{
    const struct sip_msg *m = &u->msg;
    const struct sip_hdr *h;
    bool any = false;

    if (sip_msg_parse(&u->msg, slice_make(u->resp, u->resp_len)) != 0) {
        return;
    }
    for (h = sip_msg_hdr(m, SIP_HDR_P_ASSERTED_IDENTITY); h;
         h = sip_msg_hdr_next(m, h)) {
        struct slice v = h->value;
        const char *p = memmem(v.p, v.len, "verstat=", 8);
        if (p) {
            struct slice vs = slice_sub(v, (size_t) (p - v.p) + 8, v.len);
            size_t n = 0;
            while (n < vs.len && !strchr(";>, \t", vs.p[n])) {
                n++;
            }
            printf("  verstat=%.*s (P-Asserted-Identity: " SLICE_FMT ")\n",
                (int) n, vs.p, SLICE_ARG(v));
            any = true;
        }
    }
    h = sip_msg_hdr_find(m, SLICE_LIT("P-Attestation-Indicator"));
    if (h) {
        printf("  attestation " SLICE_FMT "\n", SLICE_ARG(h->value));
    }
    h = sip_msg_hdr(m, SIP_HDR_IDENTITY);
    if (h) {
        printf("  Identity (%zu bytes, to copy into the INVITE): %.*s...\n",
            h->value.len, (int) (h->value.len < 40 ? h->value.len : 40),
            h->value.p);
        any = true;
    }
    print_reasons(u);
    if (!any && sip_msg_hdr(m, SIP_HDR_REASON) == NULL) {
        printf("  (no verstat, Identity or Reason: the server redirects the "
               "URI to itself)\n");
    }
}

/* Joins the URIs tried so far and then last into out: "a -> b -> c". */
static void
chain_str(char *out, size_t size, char (*tried)[UA_BOOK_MAX_URI], size_t n,
    const char *last)
{
    size_t off = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n && off < size; i++) {
        off += (size_t) snprintf(out + off, size - off, "%s -> ", tried[i]);
    }
    if (off < size) {
        snprintf(out + off, size - off, "%s", last);
    }
}

/* What the Contacts of a 3xx held besides new targets. */
struct redirect {
    bool self;                       /* the Request-URI itself */
    char loop_uri[UA_BOOK_MAX_URI];  /* one tried before */
    char downgrade[UA_BOOK_MAX_URI]; /* a sip: one for a sips: target */
};

/*
 * Adds the Contacts of the 3xx in u->resp (for target t) to the target
 * set: never one already in it (§8.1.3.4), and for a sips: target never
 * a sip: one (RFC 5630 forbids the downgrade). The Contact URI becomes the
 * Request-URI (§19.1.5). Returns how many were added.
 */
static size_t
add_targets(struct ua *u, const struct target *t, struct target *targets,
    size_t *ntargets, unsigned *order, struct redirect *rd)
{
    bool sips = strncasecmp(t->uri, "sips:", 5) == 0;
    size_t nnew = 0;

    if (sip_msg_parse(&u->msg, slice_make(u->resp, u->resp_len)) != 0) {
        return 0;
    }
    for (const struct sip_hdr *h = sip_msg_hdr(&u->msg, SIP_HDR_CONTACT); h;
         h = sip_msg_hdr_next(&u->msg, h)) {
        struct sip_contact c;
        char cu[UA_BOOK_MAX_URI];
        if (sip_contact_parse(&c, h->value) != 0 || c.star
            || (c.addr.uri.scheme != SIP_URI_SIP
                && c.addr.uri.scheme != SIP_URI_SIPS)
            || slice_copy(cu, sizeof(cu), c.addr.uri_s) != 0) {
            continue;
        }
        if (sips && c.addr.uri.scheme == SIP_URI_SIP) {
            if (u->o->verbose) {
                printf(
                    "  refused %s (a sips: request is not downgraded)\n", cu);
            }
            snprintf(rd->downgrade, sizeof(rd->downgrade), "%s", cu);
            continue;
        }
        bool seen = false;
        for (size_t i = 0; i < *ntargets && !seen; i++) {
            seen = uri_same(targets[i].uri, cu);
            if (seen && targets[i].tried) {
                if (&targets[i] == t) {
                    rd->self = true;
                } else if (!rd->loop_uri[0]) {
                    snprintf(rd->loop_uri, sizeof(rd->loop_uri), "%s", cu);
                }
            }
        }
        if (seen || *ntargets >= MAX_TARGETS) {
            continue;
        }
        struct target *n = &targets[(*ntargets)++];
        snprintf(n->uri, sizeof(n->uri), "%s", cu);
        n->q = c.q < 0 ? 1000 : c.q;
        n->order = ++*order;
        n->tried = false;
        nnew++;
        if (u->o->verbose) {
            printf(
                "  new target %s (q=%d.%03d)\n", cu, n->q / 1000, n->q % 1000);
        }
    }
    return nnew;
}

int
ua_request(const struct ua_opts *o, const char *uri)
{
    static struct target targets[MAX_TARGETS];
    static char tried[MAX_TARGETS][UA_BOOK_MAX_URI];
    struct ua *u = calloc(1, sizeof(*u));
    struct txn_conf tc = {
        .t1_ms = 500, .t2_ms = 4000, .t4_ms = 5000, .max_txn = 16
    };
    struct txn_io io = { .send = io_send, .now = io_now };
    size_t ntargets = 0, ntried = 0;
    unsigned order = 0;
    int redirects = 0, rc = UA_EXIT_NET;
    char err[1024] = "";
    char start[UA_BOOK_MAX_URI], chain[4096];
    sigset_t ss;

    if (!u) {
        return UA_EXIT_NET;
    }
    u->o = o;
    u->fd = -1;
    u->sigfd = -1;
    u->to_uri = uri;
    u->invite = strcmp(o->method, "INVITE") == 0;
    io.arg = u;
    if (o->from) {
        snprintf(u->from, sizeof(u->from), "<%s>", o->from);
    }
    rand_hex(u->call_id, 16);
    rand_hex(u->from_tag, 8);
    u->cseq = (uint32_t) (clock_wall_ns() % 100000);
    if (txn_table_new(&u->txn, &tc, &io) != 0) {
        fprintf(stderr, "sipward %s: out of memory\n", o->cmd);
        goto out;
    }
    /* OpenSSL writes with write(2), not send(MSG_NOSIGNAL): a server that
     * went away must be an EPIPE, not a killed client. */
    signal(SIGPIPE, SIG_IGN);
    if (o->verbose) {
        /* -v shows a call as it happens, also through a pipe or a file. */
        setvbuf(stdout, NULL, _IOLBF, 0);
    }
    if (u->invite) {
        /* Ctrl-C cancels the call instead of killing the client. */
        sigemptyset(&ss);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGTERM);
        sigprocmask(SIG_BLOCK, &ss, NULL);
        u->sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
    }

    /* The address book first: a URI learnt from 301, followed to the end
     * of its chain. */
    snprintf(start, sizeof(start), "%s", uri);
    for (int hop = 0; o->book && hop < 16; hop++) {
        char next[UA_BOOK_MAX_URI];
        if (ua_book_get(o->book, start, next, sizeof(next)) != 1
            || uri_same(next, uri) || uri_same(next, start)) {
            break;
        }
        if (o->verbose) {
            printf("address book: %s moved to %s\n", start, next);
        }
        snprintf(start, sizeof(start), "%s", next);
    }
    memset(targets, 0, sizeof(targets));
    snprintf(targets[0].uri, sizeof(targets[0].uri), "%s", start);
    targets[0].q = 1000;
    ntargets = 1;

    for (;;) {
        struct target *t = next_target(targets, ntargets);
        if (!t) {
            break;
        }
        t->tried = true;
        if (ntried < MAX_TARGETS) {
            snprintf(tried[ntried++], UA_BOOK_MAX_URI, "%s", t->uri);
        }
        err[0] = '\0';
        if (o->verbose) {
            printf("trying %s\n", t->uri);
        }
        int src = send_once(u, t->uri, err, sizeof(err));
        if (src != 0 || u->net) {
            fprintf(stderr, "sipward %s: %s\n", o->cmd, err);
            if (src == -EINVAL && !redirects) {
                rc = UA_EXIT_USAGE; /* the URI the user gave */
                goto out;
            }
            /* A Contact we cannot use is the 3xx's failure, not ours. */
            rc = src == -EINVAL ? UA_EXIT_FINAL : UA_EXIT_NET;
            continue; /* §8.1.3.4: a failed target, try the next */
        }
        if (u->code < 300 || u->code >= 400) {
            rc = u->code < 300 ? UA_EXIT_OK : UA_EXIT_FINAL;
            printf("%d " SLICE_FMT " from %s\n", u->code,
                SLICE_ARG(u->msg.reason), t->uri);
            if (u->code >= 300 && u->ring_timeout) {
                /* The 487 answers our CANCEL: the outcome is the timeout. */
                fprintf(stderr,
                    "sipward %s: %s rang for %.0f s without an answer: "
                    "cancelled\n",
                    o->cmd, t->uri, (double) deadline_ms(u) / 1000.0);
                rc = UA_EXIT_NET;
            } else if (u->code >= 300) {
                explain_failure(u);
            } else if (u->invite) {
                dialog_run(u);
            }
            goto out;
        }

        redirects++;
        char reason[64];
        slice_copy(reason, sizeof(reason), u->msg.reason);
        struct redirect rd = { 0 };
        size_t nnew = add_targets(u, t, targets, &ntargets, &order, &rd);
        if (o->verbose) {
            printf("%d %s from %s: %zu new target%s\n", u->code, reason, t->uri,
                nnew, nnew == 1 ? "" : "s");
        }
        if (u->code == 301 && o->book) {
            /* Learn the best new target (§21.3.2: the caller should update
             * its address book). Several 301s in a row are each recorded,
             * so the book follows the chain to its end. */
            struct target *nb = next_target(targets, ntargets);
            if (nb && !nb->tried && nnew) {
                if (ua_book_put(o->book, t->uri, nb->uri) == 0) {
                    printf("moved permanently: %s -> %s (recorded in the "
                           "address book)\n",
                        t->uri, nb->uri);
                }
            }
        }
        if (redirects > o->max_redirects) {
            fprintf(stderr,
                "sipward %s: stopped after %d redirects (--max-redirects "
                "%d); last: %d %s from %s\n",
                o->cmd, redirects, o->max_redirects, u->code, reason, t->uri);
            rc = UA_EXIT_FINAL;
            goto out;
        }
        if (!next_target(targets, ntargets)) {
            rc = UA_EXIT_FINAL;
            if (rd.self) {
                /* The same URI again (an STI-AS/STI-VS 302 interface does
                 * this on purpose): never retried, but its answer is the
                 * outcome. */
                printf("%d %s from %s pointed back at the same URI (not "
                       "retried, RFC 3261 §8.1.3.4)\n",
                    u->code, reason, t->uri);
                print_carried(u);
            } else if (rd.loop_uri[0]) {
                chain_str(chain, sizeof(chain), tried, ntried, rd.loop_uri);
                fprintf(stderr,
                    "sipward %s: redirect loop: %s (%s was already tried)\n",
                    o->cmd, chain, rd.loop_uri);
            } else if (rd.downgrade[0]) {
                fprintf(stderr,
                    "sipward %s: %d %s from %s redirects to %s: refused, a "
                    "sips: request is never redirected to a sip: URI (RFC "
                    "5630)\n",
                    o->cmd, u->code, reason, t->uri, rd.downgrade);
            } else {
                fprintf(stderr,
                    "sipward %s: %d %s from %s with no usable Contact\n",
                    o->cmd, u->code, reason, t->uri);
            }
            goto out;
        }
    }
out:
    if (u->txn) {
        txn_table_free(u->txn);
    }
    conn_close(u);
    if (u->sigfd >= 0) {
        close(u->sigfd);
    }
    free(u);
    return rc;
}
