/*
 * The UDP receive path: datagrams of every size around the receive slot,
 * up to the largest one UDP carries and past max_msg, sent in one burst so
 * that one recvmmsg reads small and large ones together. Each must reach
 * the callback whole and byte for byte, in order, as one slice; one larger
 * than max_msg arrives as its first max_msg bytes with SIP_E_TOO_LARGE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip/sip_msg.h"
#include "transport/transport_int.h"

/* The largest payload of an IPv4 UDP datagram. */
#define UDP_MAX 65507

struct got {
    size_t len;
    int frame_err;
    bool intact; /* every byte as sent */
    struct transport_ep src;
};

struct fixture {
    struct ev_loop *loop;
    struct transport *tr;
    struct transport_conf tc;
    struct ev_timer deadline;
    size_t nsent, ngot;
    struct got got[16];
    /* test_sender_address_per_family: the next datagram goes once the one
     * before came, from a socket of families[ngot]. */
    const int *families;
    size_t nfamilies;
    union transport_sa from[16];
};

static void send_from(struct fixture *f);

/* Byte k of datagram id: shifts and swaps of whole runs change it. */
static char
pattern(size_t id, size_t k)
{
    return (char) ((k ^ (k >> 8) ^ (id * 31)) & 0xff);
}

static void
on_msg(
    void *arg, struct slice msg, const struct transport_ep *src, int frame_err)
{
    struct fixture *f = arg;
    if (f->ngot == f->nsent) {
        f->ngot++; /* one more than was sent: caught below */
        return;
    }
    struct got *g = &f->got[f->ngot];
    g->len = msg.len;
    g->frame_err = frame_err;
    g->src = *src;
    g->intact = true;
    for (size_t k = 0; k < msg.len; k++) {
        if (msg.p[k] != pattern(f->ngot, k)) {
            g->intact = false;
            break;
        }
    }
    if (++f->ngot < f->nsent) {
        return;
    }
    if (f->ngot < f->nfamilies) {
        send_from(f);
    } else {
        ev_stop(f->loop);
    }
}

static void
on_deadline(void *arg)
{
    struct fixture *f = arg;
    ev_stop(f->loop);
}

/* Sends datagrams of sizes[0..n) to a transport with this max_msg and
 * batch, then runs its loop until all came in (or a generous deadline). */
static void
receive(struct fixture *f, int64_t max_msg, int64_t batch, const size_t *sizes,
    size_t n)
{
    struct transport_listener l;
    size_t nl;
    char err[128];
    static char buf[UDP_MAX];

    memset(f, 0, sizeof(*f));
    f->tc.udp_batch = batch;
    f->tc.max_msg = max_msg;
    f->tc.tcp_max_conns = 4;
    f->tc.tcp_header_ms = 1000;
    f->tc.tcp_idle_ms = 1000;
    f->tc.tcp_max_out = 65536;
    f->nsent = n;
    assert_true(n <= sizeof(f->got) / sizeof(f->got[0]));
    assert_int_equal(ev_loop_new(&f->loop), 0);
    assert_int_equal(transport_listeners_parse(
                         "udp:127.0.0.1:0", &l, 1, &nl, err, sizeof(err)),
        0);
    assert_int_equal(transport_new(&f->tr, f->loop, &f->tc, &l, 1, NULL, on_msg,
                         f, err, sizeof(err)),
        0);

    union transport_sa to;
    socklen_t tolen = sizeof(to);
    assert_int_equal(getsockname(f->tr->udp[0].fd, &to.sa, &tolen), 0);
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(c >= 0);
    int sz = 1 << 20;
    setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizes[i]; k++) {
            buf[k] = pattern(i, k);
        }
        assert_int_equal(
            sendto(c, buf, sizes[i], 0, &to.sa, tolen), (ssize_t) sizes[i]);
    }
    close(c);
    assert_int_equal(
        ev_timer_start(f->loop, &f->deadline, 20000, on_deadline, f), 0);
    assert_int_equal(ev_run(f->loop), 0);
    ev_timer_stop(f->loop, &f->deadline);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Each datagram as sent, or its first max_msg bytes and SIP_E_TOO_LARGE;
 * read batch by batch: n / batch full ones, then a short one (or none). */
static void
receive_intact(struct fixture *f, int64_t max_msg, int64_t batch,
    const size_t *sizes, size_t n)
{
    receive(f, max_msg, batch, sizes, n);
    assert_int_equal(f->ngot, f->nsent);
    for (size_t i = 0; i < f->nsent; i++) {
        size_t max = (size_t) max_msg;
        size_t want = sizes[i] > max ? max : sizes[i];
        int err = sizes[i] > max ? SIP_E_TOO_LARGE : 0;
        if (f->got[i].len != want || f->got[i].frame_err != err
            || !f->got[i].intact) {
            fail_msg("datagram %zu (%zu bytes): got %zu bytes, %s, "
                     "frame_err %d",
                i, sizes[i], f->got[i].len,
                f->got[i].intact ? "intact" : "corrupted", f->got[i].frame_err);
        }
    }
    assert_int_equal(
        transport_stats_get(f->tr)->udp_rx_calls, n / (size_t) batch + 1);
    transport_free(f->tr);
    ev_loop_free(f->loop);
}

/* Around the slot, 10 KB and 60 KB, among small ones: one recvmmsg. */
static void
test_sizes_around_the_slot_in_one_batch(void **state)
{
    const size_t sizes[] = { 420, UDP_RX_SLOT - 1, 610, UDP_RX_SLOT,
        UDP_RX_SLOT + 1, 300, 10000, 800, 60000, 1, 2 * UDP_RX_SLOT + 5, 512 };

    receive_intact(*state, 65535, 64, sizes, COUNT(sizes));
}

/* The largest UDP datagram, twice in a row, then a small one. */
static void
test_largest_datagram(void **state)
{
    const size_t sizes[] = { UDP_MAX, UDP_MAX, 400 };

    receive_intact(*state, 65535, 64, sizes, COUNT(sizes));
}

/* Past max_msg: the first max_msg bytes, spread over slot and overflow,
 * come up as one slice; the datagrams around it are untouched. */
static void
test_larger_than_max_msg(void **state)
{
    const size_t sizes[] = { 500, 20001, 30000, 20000, UDP_RX_SLOT + 1, 700 };

    receive_intact(*state, 20000, 64, sizes, COUNT(sizes));
}

/* A max_msg below the slot: no overflow area, the slot holds it all. */
static void
test_max_msg_within_the_slot(void **state)
{
    const size_t sizes[] = { 1499, 1500, 1501, 5000, 100 };

    receive_intact(*state, 1500, 64, sizes, COUNT(sizes));
}

/* More datagrams than a batch: the entries are reused by the next
 * recvmmsg, with a large or truncated datagram in one batch and not in the
 * next (nothing of its overflow or its MSG_TRUNC stays behind). */
static void
test_entries_reused_across_batches(void **state)
{
    const size_t sizes[] = { 25000, 300, 400, 3000, 200, 20001, 100,
        UDP_RX_SLOT, 20000, UDP_RX_SLOT + 1 };

    receive_intact(*state, 20000, 3, sizes, COUNT(sizes));
}

/* The transport's UDP socket of family. */
static int
udp_fd_of(struct fixture *f, int family)
{
    for (size_t i = 0; i < f->tr->nudp; i++) {
        union transport_sa a;
        socklen_t len = sizeof(a);
        int fd = f->tr->udp[i].fd;
        if (getsockname(fd, &a.sa, &len) == 0 && a.sa.sa_family == family) {
            return fd;
        }
    }
    fail_msg("no UDP socket of family %d", family);
    return -1;
}

/* Sends datagram f->nsent (100 + its number bytes) from a new socket of
 * its family, on loopback, to the transport's socket of that family. */
static void
send_from(struct fixture *f)
{
    static char buf[200];
    size_t id = f->nsent, len = 100 + id;
    int family = f->families[id];
    union transport_sa to, *from = &f->from[id];
    socklen_t tolen = sizeof(to), fromlen = sizeof(*from);

    assert_int_equal(getsockname(udp_fd_of(f, family), &to.sa, &tolen), 0);
    int c = socket(family, SOCK_DGRAM, 0);
    assert_true(c >= 0);
    memset(from, 0, sizeof(*from));
    from->sa.sa_family = (sa_family_t) family;
    if (family == AF_INET6) {
        from->in6.sin6_addr = in6addr_loopback;
    } else {
        from->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    assert_int_equal(bind(c, &from->sa, tolen), 0);
    assert_int_equal(getsockname(c, &from->sa, &fromlen), 0);
    for (size_t k = 0; k < len; k++) {
        buf[k] = pattern(id, k);
    }
    f->nsent++;
    assert_int_equal(sendto(c, buf, len, 0, &to.sa, tolen), (ssize_t) len);
    close(c);
}

/* The entries are shared by the transport's sockets: an IPv6 sender's
 * whole address comes after an IPv4 one's shorter one was read into the
 * same entry, and the other way round. */
static void
test_sender_address_per_family(void **state)
{
    struct fixture *f = *state;
    struct transport_listener l[2];
    size_t nl;
    char err[128];
    static const int families[] = { AF_INET, AF_INET6, AF_INET6, AF_INET };

    memset(f, 0, sizeof(*f));
    f->tc.udp_batch = 4;
    f->tc.max_msg = 65535;
    f->tc.tcp_max_conns = 4;
    f->tc.tcp_header_ms = 1000;
    f->tc.tcp_idle_ms = 1000;
    f->tc.tcp_max_out = 65536;
    f->families = families;
    f->nfamilies = COUNT(families);
    assert_int_equal(ev_loop_new(&f->loop), 0);
    assert_int_equal(transport_listeners_parse("udp:127.0.0.1:0,udp:[::1]:0", l,
                         2, &nl, err, sizeof(err)),
        0);
    if (transport_new(
            &f->tr, f->loop, &f->tc, l, nl, NULL, on_msg, f, err, sizeof(err))
        != 0) {
        ev_loop_free(f->loop);
        skip(); /* no IPv6 loopback here */
    }
    send_from(f);
    assert_int_equal(
        ev_timer_start(f->loop, &f->deadline, 20000, on_deadline, f), 0);
    assert_int_equal(ev_run(f->loop), 0);
    ev_timer_stop(f->loop, &f->deadline);
    assert_int_equal(f->ngot, COUNT(families));
    for (size_t i = 0; i < COUNT(families); i++) {
        const struct got *g = &f->got[i];
        const union transport_sa *from = &f->from[i];
        assert_true(g->intact);
        assert_int_equal(g->len, 100 + i);
        assert_int_equal(g->src.addr.sa.sa_family, families[i]);
        if (families[i] == AF_INET6) {
            assert_int_equal(g->src.addrlen, sizeof(struct sockaddr_in6));
            assert_memory_equal(&g->src.addr.in6.sin6_addr,
                &from->in6.sin6_addr, sizeof(from->in6.sin6_addr));
            assert_int_equal(g->src.addr.in6.sin6_port, from->in6.sin6_port);
        } else {
            assert_int_equal(g->src.addrlen, sizeof(struct sockaddr_in));
            assert_int_equal(
                g->src.addr.in.sin_addr.s_addr, from->in.sin_addr.s_addr);
            assert_int_equal(g->src.addr.in.sin_port, from->in.sin_port);
        }
    }
    transport_free(f->tr);
    ev_loop_free(f->loop);
}

int
main(void)
{
    static struct fixture f;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_sizes_around_the_slot_in_one_batch, &f),
        cmocka_unit_test_prestate(test_largest_datagram, &f),
        cmocka_unit_test_prestate(test_larger_than_max_msg, &f),
        cmocka_unit_test_prestate(test_max_msg_within_the_slot, &f),
        cmocka_unit_test_prestate(test_entries_reused_across_batches, &f),
        cmocka_unit_test_prestate(test_sender_address_per_family, &f),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
