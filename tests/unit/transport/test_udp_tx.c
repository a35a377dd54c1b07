/*
 * The UDP send path: replies of chosen lengths to one or two peers, queued
 * with transport_send() and sent by transport_flush(). Each peer must get
 * exactly its datagrams, in order and byte for byte, and the grouping into
 * GSO sends must be the one the rules give: consecutive replies to one
 * peer, of the first one's length except a shorter last one, at most
 * UDP_GSO_MAX_SEGS of them and UDP_GSO_MAX_BYTES in all.
 *
 * The kernel's refusals are real ones: a socket with UDP checksums off
 * (SO_NO_CHECK: EINVAL), a segment above the path MTU (EMSGSIZE), a
 * UDP-Lite socket (EIO, as from an IPsec route), a peer with no route.
 * The tests run in a network namespace of their own when the system lets
 * them create one: there lo's MTU can be lowered, an unroutable peer
 * cannot reach anything, and the kernel's UDP counters are theirs alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip/sip_msg.h"
#include "transport/transport_int.h"
#include "transport/transport_metrics.h"

enum {
    PEER_A,
    PEER_B,
    PEER_NOROUTE,
    NPEERS
};

/* One reply: to which peer, how long. */
struct out {
    int peer;
    size_t len;
};

struct fixture {
    struct ev_loop *loop;
    struct transport *tr;
    struct transport_conf tc;
    int peer_fd[2];
    int proto; /* of the peers: 0 (UDP) or IPPROTO_UDPLITE */
    struct transport_ep to[NPEERS];
    /* Counters before the batch. */
    struct transport_stats st0;
    uint64_t gso0, out0;
};

/* Whether main() got the tests a network namespace of their own. */
static bool own_netns;

/* Byte k of reply id: shifts, swaps and mixed-up replies all show. */
static char
pattern(size_t id, size_t k)
{
    return (char) ((k ^ (k >> 8) ^ (id * 31)) & 0xff);
}

/* The kernel's count of UDP sends (a GSO send counts once). */
static uint64_t
udp_out_datagrams(void)
{
    FILE *f = fopen("/proc/net/snmp", "r");
    char names[512], values[512];
    uint64_t v = 0;

    assert_non_null(f);
    while (fgets(names, sizeof(names), f)) {
        if (strncmp(names, "Udp:", 4) == 0
            && fgets(values, sizeof(values), f)) {
            break;
        }
    }
    fclose(f);
    /* Columns: InDatagrams NoPorts InErrors OutDatagrams ... */
    char *p = strstr(names, "OutDatagrams");
    assert_non_null(p);
    int col = 0;
    for (const char *c = names; c < p; c++) {
        col += *c == ' ';
    }
    p = values;
    for (int i = 0; i < col; i++) {
        p = strchr(p, ' ') + 1;
    }
    sscanf(p, "%" SCNu64, &v);
    return v;
}

static int
peer_open(int proto, struct transport_ep *ep)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_DGRAM, proto);
    int sz = 4 << 20;

    assert_true(fd >= 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *) &a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &a, &len), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    memset(ep, 0, sizeof(*ep));
    ep->proto = TRANSPORT_UDP;
    transport_ep_set_addr(ep, (struct sockaddr *) &a, len);
    return fd;
}

/* A transport on 127.0.0.1 sending batches of up to batch replies, and
 * two peers of protocol proto (0: UDP). */
static void
setup(struct fixture *f, int64_t batch, int proto)
{
    struct transport_listener l;
    size_t nl;
    char err[128];

    memset(f, 0, sizeof(*f));
    f->proto = proto;
    f->tc.udp_batch = batch;
    f->tc.max_msg = 65535;
    f->tc.tcp_max_conns = 4;
    f->tc.tcp_header_ms = 1000;
    f->tc.tcp_idle_ms = 1000;
    f->tc.tcp_max_out = 65536;
    assert_int_equal(ev_loop_new(&f->loop), 0);
    assert_int_equal(transport_listeners_parse(
                         "udp:127.0.0.1:0", &l, 1, &nl, err, sizeof(err)),
        0);
    assert_int_equal(transport_new(&f->tr, f->loop, &f->tc, &l, 1, NULL, NULL,
                         NULL, err, sizeof(err)),
        0);
    assert_false(f->tr->udp_gso_off); /* this kernel has UDP GSO */
    for (int p = PEER_A; p <= PEER_B; p++) {
        f->peer_fd[p] = peer_open(proto, &f->to[p]);
    }
    /* TEST-NET-1: in the test's own namespace, no route leads there. */
    struct sockaddr_in x = { .sin_family = AF_INET, .sin_port = htons(5060) };
    inet_pton(AF_INET, "192.0.2.1", &x.sin_addr);
    f->to[PEER_NOROUTE].proto = TRANSPORT_UDP;
    transport_ep_set_addr(
        &f->to[PEER_NOROUTE], (struct sockaddr *) &x, sizeof(x));
}

static void
teardown(struct fixture *f)
{
    close(f->peer_fd[PEER_A]);
    close(f->peer_fd[PEER_B]);
    transport_free(f->tr);
    ev_loop_free(f->loop);
}

/* Queues the replies (reply i carries pattern(i, .)) and flushes. */
static void
send_batch(struct fixture *f, const struct out *o, size_t n)
{
    static char buf[2000];

    f->st0 = *transport_stats_get(f->tr);
    f->gso0 = metric_value(&transport_m_udp_gso, 0);
    f->out0 = own_netns ? udp_out_datagrams() : 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(o[i].len <= sizeof(buf));
        for (size_t k = 0; k < o[i].len; k++) {
            buf[k] = pattern(i, k);
        }
        assert_int_equal(
            transport_send(f->tr, &f->to[o[i].peer], slice_make(buf, o[i].len)),
            0);
    }
    transport_flush(f->tr);
}

/* Each peer holds exactly its replies of o, in order, byte for byte. */
static void
expect_received(struct fixture *f, const struct out *o, size_t n)
{
    static char buf[65536];

    for (int p = PEER_A; p <= PEER_B; p++) {
        struct pollfd pf = { .fd = f->peer_fd[p], .events = POLLIN };
        for (size_t i = 0; i < n; i++) {
            if (o[i].peer != p) {
                continue;
            }
            /* Loopback delivers within the send; the wait is for safety. */
            if (poll(&pf, 1, 10000) != 1) {
                fail_msg("peer %d: reply %zu never came", p, i);
            }
            ssize_t got = recv(f->peer_fd[p], buf, sizeof(buf), MSG_DONTWAIT);
            if (got != (ssize_t) o[i].len) {
                fail_msg("peer %d: reply %zu is %zu bytes, got %zd", p, i,
                    o[i].len, got);
            }
            for (size_t k = 0; k < o[i].len; k++) {
                if (buf[k] != pattern(i, k)) {
                    fail_msg("peer %d: reply %zu differs at byte %zu", p, i, k);
                }
            }
        }
        ssize_t extra = recv(f->peer_fd[p], buf, sizeof(buf), MSG_DONTWAIT);
        if (extra >= 0) {
            fail_msg("peer %d: a datagram of %zd bytes not sent", p, extra);
        }
    }
}

/* The last flush built these messages (datagrams in each), and the
 * counters moved accordingly: tx datagrams sent, err failed, the GSO
 * metric by those in groups of several. With no refusal, in one sendmmsg
 * that the kernel counts as one UDP send per message. */
static void
expect_groups(struct fixture *f, const uint32_t *groups, size_t ngroups,
    uint64_t tx, uint64_t err, bool refused)
{
    const struct transport_stats *s = transport_stats_get(f->tr);
    uint64_t in_gso = 0;

    for (size_t m = 0; m < ngroups; m++) {
        if (f->tr->tx_group[m] != groups[m]) {
            fail_msg("message %zu holds %u datagrams, not %u", m,
                f->tr->tx_group[m], groups[m]);
        }
        in_gso += groups[m] > 1 ? groups[m] : 0;
    }
    assert_int_equal(s->udp_tx - f->st0.udp_tx, tx);
    assert_int_equal(s->udp_tx_err - f->st0.udp_tx_err, err);
    if (!refused) {
        assert_int_equal(s->udp_tx_calls - f->st0.udp_tx_calls, 1);
        assert_int_equal(
            metric_value(&transport_m_udp_gso, 0) - f->gso0, in_gso);
        if (own_netns && f->proto == 0) {
            assert_int_equal(udp_out_datagrams() - f->out0, ngroups);
        }
    }
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Sends o to peers of protocol proto and checks delivery and grouping. */
static void
run(struct fixture *f, int64_t batch, int proto, const struct out *o, size_t n,
    const uint32_t *groups, size_t ngroups)
{
    setup(f, batch, proto);
    send_batch(f, o, n);
    expect_received(f, o, n);
    expect_groups(f, groups, ngroups, n, 0, false);
    teardown(f);
}

#define A(len)                                                                 \
    {                                                                          \
        PEER_A, len                                                            \
    }
#define B(len)                                                                 \
    {                                                                          \
        PEER_B, len                                                            \
    }
#define X(len)                                                                 \
    {                                                                          \
        PEER_NOROUTE, len                                                      \
    }

static void
test_equal_lengths_one_send(void **state)
{
    const struct out o[] = { A(300), A(300), A(300), A(300), A(300) };
    const uint32_t g[] = { 5 };

    run(*state, 64, 0, o, COUNT(o), g, COUNT(g));
}

/* A shorter datagram may end a group (the kernel's last segment), and the
 * next one starts a new group. */
static void
test_shorter_last_ends_the_group(void **state)
{
    const struct out o[] = { A(300), A(300), A(300), A(120), A(300), A(300),
        A(299) };
    const uint32_t g[] = { 4, 3 };

    run(*state, 64, 0, o, COUNT(o), g, COUNT(g));
}

/* A longer datagram cannot be a segment of the group before it. */
static void
test_longer_breaks_the_group(void **state)
{
    const struct out o[] = { A(300), A(300), A(500), A(500), A(200), A(700),
        A(1) };
    const uint32_t g[] = { 2, 3, 2 };

    run(*state, 64, 0, o, COUNT(o), g, COUNT(g));
}

/* Interleaved peers: a group is one peer's run. */
static void
test_other_peer_breaks_the_group(void **state)
{
    const struct out o[] = { A(300), A(300), B(300), B(300), B(300), A(300),
        A(100), B(400), A(400) };
    const uint32_t g[] = { 2, 3, 2, 1, 1 };

    run(*state, 64, 0, o, COUNT(o), g, COUNT(g));
}

/* At most UDP_GSO_MAX_SEGS datagrams per send. */
static void
test_segment_count_limit(void **state)
{
    struct out o[2 * UDP_GSO_MAX_SEGS + 1];
    const uint32_t g[] = { UDP_GSO_MAX_SEGS, UDP_GSO_MAX_SEGS, 1 };

    for (size_t i = 0; i < COUNT(o); i++) {
        o[i] = (struct out) A(100);
    }
    o[COUNT(o) - 2].len = 60; /* a shorter last one is not one too many */
    o[COUNT(o) - 1].len = 50;
    run(*state, 256, 0, o, COUNT(o), g, COUNT(g));
}

/* At most UDP_GSO_MAX_BYTES per send; segments above UDP_GSO_MAX_SEG
 * (they could not cross an Ethernet path whole) go alone. */
static void
test_byte_limit_and_largest_segment(void **state)
{
    enum {
        FIT = UDP_GSO_MAX_BYTES / UDP_GSO_MAX_SEG
    };
    struct out o[FIT + 4 + 3];
    const uint32_t g[] = { FIT, 4, 1, 1, 1 };
    size_t n = 0;

    while (n < FIT + 4) {
        o[n++] = (struct out) A(UDP_GSO_MAX_SEG);
    }
    o[n++] = (struct out) A(UDP_GSO_MAX_SEG + 1);
    o[n++] = (struct out) A(UDP_GSO_MAX_SEG + 1);
    o[n++] = (struct out) A(1800);
    run(*state, 64, 0, o, n, g, COUNT(g));
}

/* A full batch is flushed before the next reply is queued. */
static void
test_full_batch_flushed_on_send(void **state)
{
    const struct out o[] = { A(200), A(200), A(200), A(200), A(200), A(200),
        A(200) };
    const uint32_t g[] = { 3 }; /* the last flush; 4 went when the 5th came */
    struct fixture *f = *state;

    setup(f, 4, 0);
    send_batch(f, o, COUNT(o));
    expect_received(f, o, COUNT(o));
    const struct transport_stats *s = transport_stats_get(f->tr);
    assert_int_equal(s->udp_tx - f->st0.udp_tx, COUNT(o));
    assert_int_equal(s->udp_tx_calls - f->st0.udp_tx_calls, 2);
    assert_int_equal(f->tr->tx_group[0], g[0]);
    teardown(f);
}

/* With UDP checksums off the kernel refuses every GSO send (EINVAL): each
 * group goes again one datagram at a time, the messages around it as
 * they were, and GSO stays on for when the cause is gone. */
static void
test_refused_gso_resent_one_by_one(void **state)
{
    struct fixture *f = *state;
    const struct out o[] = { B(500), A(300), A(300), A(300), B(200), B(200),
        A(90) };
    const uint32_t g[] = { 1, 3, 2, 1 };
    int on = 1, off = 0;

    setup(f, 64, 0);
    int fd = f->tr->udp[0].fd;
    assert_int_equal(
        setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &on, sizeof(on)), 0);
    send_batch(f, o, COUNT(o));
    expect_received(f, o, COUNT(o));
    expect_groups(f, g, COUNT(g), COUNT(o), 0, true);
    const struct transport_stats *s = transport_stats_get(f->tr);
    /* Both groups resent singly: 5 sendmsg, and at least 2 sendmmsg. */
    assert_true(s->udp_tx_calls - f->st0.udp_tx_calls >= 5 + 2);
    assert_int_equal(metric_value(&transport_m_udp_gso, 0) - f->gso0, 0);
    assert_false(f->tr->udp_gso_off);

    assert_int_equal(
        setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &off, sizeof(off)), 0);
    const struct out again[] = { A(300), A(300), A(300) };
    const uint32_t g2[] = { 3 };
    send_batch(f, again, COUNT(again));
    expect_received(f, again, COUNT(again));
    expect_groups(f, g2, COUNT(g2), COUNT(again), 0, false);
    teardown(f);
}

/* Sets lo's MTU (in the test's own namespace). */
static void
lo_mtu(int mtu)
{
    struct ifreq r;
    int s = socket(AF_INET, SOCK_DGRAM, 0);

    memset(&r, 0, sizeof(r));
    snprintf(r.ifr_name, sizeof(r.ifr_name), "lo");
    r.ifr_mtu = mtu;
    assert_int_equal(ioctl(s, SIOCSIFMTU, &r), 0);
    close(s);
}

/* GSO cannot fragment: segments above the path MTU are refused (EMSGSIZE)
 * and sent singly, which IP fragments and the peer gets whole; smaller
 * segments on the same path still go as one GSO send. */
static void
test_segment_above_path_mtu(void **state)
{
    struct fixture *f = *state;
    const struct out big[] = { A(1300), A(1300), A(1300), A(1000) };
    const uint32_t g[] = { 4 };
    const struct out fit[] = { A(1200), A(1200), A(1200) };
    const uint32_t g2[] = { 3 };

    if (!own_netns) {
        skip(); /* lo's MTU is the whole host's */
    }
    lo_mtu(1280);
    setup(f, 64, 0);
    send_batch(f, big, COUNT(big));
    expect_received(f, big, COUNT(big));
    expect_groups(f, g, COUNT(g), COUNT(big), 0, true);
    assert_int_equal(metric_value(&transport_m_udp_gso, 0) - f->gso0, 0);
    assert_false(f->tr->udp_gso_off);

    send_batch(f, fit, COUNT(fit));
    expect_received(f, fit, COUNT(fit));
    expect_groups(f, g2, COUNT(g2), COUNT(fit), 0, false);
    teardown(f);
    lo_mtu(65536);
}

/* A socket whose sends never take GSO (EIO: UDP-Lite, as an IPsec route
 * would) turns GSO off for good after the first refusal. The daemon's
 * sockets are UDP, and this machine's kernels have no IPsec transforms:
 * a UDP-Lite socket stands in for the listener's. */
static void
test_eio_turns_gso_off_for_good(void **state)
{
    struct fixture *f = *state;
    const struct out o[] = { A(300), A(300), A(300), B(100) };
    const uint32_t g[] = { 3, 1 };
    const uint32_t g_off[] = { 1, 1, 1, 1 };

    int lite = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
    if (lite < 0) {
        skip(); /* a kernel without UDP-Lite */
    }
    setup(f, 64, IPPROTO_UDPLITE);
    int udp = f->tr->udp[0].fd;
    f->tr->udp[0].fd = lite;
    send_batch(f, o, COUNT(o));
    expect_received(f, o, COUNT(o));
    expect_groups(f, g, COUNT(g), COUNT(o), 0, true);
    assert_int_equal(metric_value(&transport_m_udp_gso, 0) - f->gso0, 0);
    assert_true(f->tr->udp_gso_off);

    /* From now on one datagram per message, in one sendmmsg. */
    send_batch(f, o, COUNT(o));
    expect_received(f, o, COUNT(o));
    expect_groups(f, g_off, COUNT(g_off), COUNT(o), 0, false);
    f->tr->udp[0].fd = udp;
    close(lite);
    teardown(f);
}

/* Datagrams to a peer with no route fail (counted in udp_tx_err, whether
 * they formed a group or not); the others of the batch still leave. */
static void
test_unroutable_peer_counted_as_errors(void **state)
{
    struct fixture *f = *state;
    const struct out o[] = { A(300), X(300), X(300), X(300), A(300), X(200),
        B(50) };
    const uint32_t g[] = { 1, 3, 1, 1, 1 };

    if (!own_netns) {
        skip(); /* on the host, 192.0.2.1 may have a route */
    }
    setup(f, 64, 0);
    send_batch(f, o, COUNT(o));
    expect_received(f, o, COUNT(o));
    expect_groups(f, g, COUNT(g), 3, 4, true);
    assert_int_equal(metric_value(&transport_m_udp_gso, 0) - f->gso0, 0);
    assert_false(f->tr->udp_gso_off);
    teardown(f);
}

/* A network namespace with only lo, up; a user namespace too when not
 * privileged. False when the system allows neither. */
static bool
enter_netns(void)
{
    if (unshare(CLONE_NEWNET) != 0
        && unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
        return false;
    }
    struct ifreq r;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&r, 0, sizeof(r));
    snprintf(r.ifr_name, sizeof(r.ifr_name), "lo");
    bool ok = s >= 0 && ioctl(s, SIOCGIFFLAGS, &r) == 0;
    r.ifr_flags |= IFF_UP;
    ok = ok && ioctl(s, SIOCSIFFLAGS, &r) == 0;
    close(s);
    return ok;
}

int
main(void)
{
    static struct fixture f;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_equal_lengths_one_send, &f),
        cmocka_unit_test_prestate(test_shorter_last_ends_the_group, &f),
        cmocka_unit_test_prestate(test_longer_breaks_the_group, &f),
        cmocka_unit_test_prestate(test_other_peer_breaks_the_group, &f),
        cmocka_unit_test_prestate(test_segment_count_limit, &f),
        cmocka_unit_test_prestate(test_byte_limit_and_largest_segment, &f),
        cmocka_unit_test_prestate(test_full_batch_flushed_on_send, &f),
        cmocka_unit_test_prestate(test_refused_gso_resent_one_by_one, &f),
        cmocka_unit_test_prestate(test_segment_above_path_mtu, &f),
        cmocka_unit_test_prestate(test_eio_turns_gso_off_for_good, &f),
        cmocka_unit_test_prestate(test_unroutable_peer_counted_as_errors, &f),
    };

    own_netns = enter_netns();
    if (!own_netns) {
        printf("# no network namespace of our own: the path MTU and "
               "unroutable peer tests are skipped\n");
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
