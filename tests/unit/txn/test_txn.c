/* Transaction state machines, driven by a fake clock and a fake transport. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "txn/txn.h"

struct fake {
    uint64_t now;
    int sent;
    char last[256];
    size_t last_len;
    int cb_calls;
    int cb_code;
    struct txn_table *t;
};

static int
fake_send(void *arg, const struct transport_ep *dst, struct slice msg)
{
    struct fake *f = arg;
    (void) dst;
    f->sent++;
    f->last_len = msg.len < sizeof(f->last) ? msg.len : sizeof(f->last);
    memcpy(f->last, msg.p, f->last_len);
    return 0;
}

static uint64_t
fake_now(void *arg)
{
    return ((struct fake *) arg)->now;
}

static struct txn_conf conf = { 500, 4000, 5000, 1024 };

static int
setup_conf(void **state, const struct txn_conf *c)
{
    static struct fake f;
    memset(&f, 0, sizeof(f));
    f.now = 1000000;
    struct txn_io io = { fake_send, fake_now, &f };
    assert_int_equal(txn_table_new(&f.t, c, &io), 0);
    *state = &f;
    return 0;
}

static int
setup(void **state)
{
    return setup_conf(state, &conf);
}

/* A table that holds thousands. */
static int
setup_big(void **state)
{
    static const struct txn_conf big = { 500, 4000, 5000, 100000 };
    return setup_conf(state, &big);
}

static int
teardown(void **state)
{
    struct fake *f = *state;
    txn_table_free(f->t);
    return 0;
}

/* Advances the fake clock in 10 ms steps, running due timers. */
static void
advance(struct fake *f, uint64_t ms)
{
    uint64_t end = f->now + ms;
    while (f->now < end) {
        f->now += 10;
        if (txn_table_next_ms(f->t) <= f->now) {
            txn_table_tick(f->t);
        }
    }
}

static struct txn_match
req(const char *method, const char *branch)
{
    struct txn_match m;
    memset(&m, 0, sizeof(m));
    m.method = slice_cstr(method);
    m.branch = slice_cstr(branch);
    m.sent_by = SLICE_LIT("client.example.com:5060");
    m.top_via = SLICE_LIT("SIP/2.0/UDP client.example.com:5060");
    m.ruri = SLICE_LIT("sip:bob@example.com");
    m.call_id = SLICE_LIT("c1@client");
    m.from_tag = SLICE_LIT("ft1");
    m.cseq = 1;
    m.cseq_method =
        strcmp(method, "ACK") == 0 ? SLICE_LIT("ACK") : slice_cstr(method);
    return m;
}

static struct transport_ep
ep(enum transport_proto p)
{
    struct transport_ep e;
    memset(&e, 0, sizeof(e));
    e.proto = p;
    return e;
}

static void
test_invite_udp_timer_g_until_ack(void **state)
{
    struct fake *f = *state;
    struct txn_match inv = req("INVITE", "z9hG4bKa1");
    inv.key = inv.mkey = 0;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;

    assert_null(txn_server_find(f->t, &inv));
    assert_int_equal(txn_server_new(f->t, &inv, &d, &tx), 0);
    assert_int_equal(txn_state(tx), TXN_PROCEEDING);
    assert_int_equal(
        txn_server_respond(f->t, tx, 404, SLICE_LIT("SIP/2.0 404")), 0);
    assert_int_equal(f->sent, 1);
    assert_int_equal(txn_state(tx), TXN_COMPLETED);

    /* Timer G: T1, then 2*T1. */
    advance(f, 490);
    assert_int_equal(f->sent, 1);
    advance(f, 20);
    assert_int_equal(f->sent, 2);
    advance(f, 1000);
    assert_int_equal(f->sent, 3);
    assert_memory_equal(f->last, "SIP/2.0 404", 11);

    /* A retransmitted INVITE finds the transaction and gets the response. */
    assert_ptr_equal(txn_server_find(f->t, &inv), tx);
    assert_false(txn_server_absorb(f->t, tx, false));
    assert_int_equal(f->sent, 4);

    /* The ACK (same branch, method ACK) matches and stops Timer G. */
    struct txn_match ack = req("ACK", "z9hG4bKa1");
    ack.key = ack.mkey = 0;
    ack.to_tag = SLICE_LIT("srvtag");
    assert_ptr_equal(txn_server_find(f->t, &ack), tx);
    assert_true(txn_server_absorb(f->t, tx, true));
    /* It ends there: a retransmitted ACK matches nothing (the core drops
     * it) and nothing is sent again. */
    assert_int_equal(txn_table_count(f->t), 0);
    ack.key = 0;
    assert_null(txn_server_find(f->t, &ack));
    advance(f, 40000);
    assert_int_equal(f->sent, 4);
    assert_null(txn_server_find(f->t, &inv));
}

static void
test_invite_timer_h_caps_at_t2(void **state)
{
    struct fake *f = *state;
    struct txn_match inv = req("INVITE", "z9hG4bKh");
    inv.key = inv.mkey = 0;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;

    assert_int_equal(txn_server_new(f->t, &inv, &d, &tx), 0);
    txn_server_respond(f->t, tx, 486, SLICE_LIT("SIP/2.0 486"));
    /* G at 0.5, 1.5, 3.5, 7.5, then every T2 = 4 s up to 31.5 s. */
    advance(f, 31990);
    assert_int_equal(f->sent, 1 + 10);
    assert_int_equal(txn_table_count(f->t), 1);
    advance(f, 20);
    assert_int_equal(txn_table_count(f->t), 0);
    assert_int_equal(txn_stats_get(f->t)->timeouts, 1);
}

static void
test_invite_tcp_no_retransmit(void **state)
{
    struct fake *f = *state;
    struct txn_match inv = req("INVITE", "z9hG4bKt");
    inv.key = inv.mkey = 0;
    struct transport_ep d = ep(TRANSPORT_TCP);
    struct txn *tx;

    assert_int_equal(txn_server_new(f->t, &inv, &d, &tx), 0);
    txn_server_respond(f->t, tx, 301, SLICE_LIT("SIP/2.0 301"));
    advance(f, 5000);
    assert_int_equal(f->sent, 1);
    struct txn_match ack = req("ACK", "z9hG4bKt");
    ack.key = ack.mkey = 0;
    assert_true(txn_server_absorb(f->t, txn_server_find(f->t, &ack), true));
    /* Timer I is 0 on reliable transports. */
    assert_int_equal(txn_table_count(f->t), 0);
}

static void
test_non_invite_udp(void **state)
{
    struct fake *f = *state;
    struct txn_match reg = req("REGISTER", "z9hG4bKr");
    reg.key = reg.mkey = 0;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;

    assert_int_equal(txn_server_new(f->t, &reg, &d, &tx), 0);
    assert_int_equal(txn_state(tx), TXN_TRYING);
    /* Trying: retransmissions absorbed silently. */
    txn_server_absorb(f->t, txn_server_find(f->t, &reg), false);
    assert_int_equal(f->sent, 0);
    txn_server_respond(f->t, tx, 200, SLICE_LIT("SIP/2.0 200"));
    assert_int_equal(f->sent, 1);
    /* No retransmission of non-INVITE responses on its own. */
    advance(f, 10000);
    assert_int_equal(f->sent, 1);
    /* A retransmission gets the response again, from the compact copy. */
    assert_true(txn_server_retransmission(f->t, &reg, false));
    assert_int_equal(f->sent, 2);
    assert_memory_equal(f->last, "SIP/2.0 200", 11);
    assert_int_equal(
        txn_server_respond(f->t, tx, 200, SLICE_LIT("x")), -EINVAL);
    assert_int_equal(txn_table_count(f->t), 1);
    /* Timer J = 64*T1. */
    advance(f, 21900);
    assert_true(txn_server_retransmission(f->t, &reg, false));
    advance(f, 200);
    assert_int_equal(txn_table_count(f->t), 0);
    assert_false(txn_server_retransmission(f->t, &reg, false));
    assert_int_equal(f->sent, 3);
}

static void
test_non_invite_tcp_ends_at_final(void **state)
{
    struct fake *f = *state;
    struct txn_match reg = req("REGISTER", "z9hG4bKrt");
    reg.key = reg.mkey = 0;
    struct transport_ep d = ep(TRANSPORT_TLS);
    struct txn *tx;

    assert_int_equal(txn_server_new(f->t, &reg, &d, &tx), 0);
    txn_server_respond(f->t, tx, 100, SLICE_LIT("SIP/2.0 100"));
    assert_int_equal(txn_state(tx), TXN_PROCEEDING);
    txn_server_absorb(f->t, tx, false);
    assert_int_equal(f->sent, 2); /* the 100 again */
    txn_server_respond(f->t, tx, 200, SLICE_LIT("SIP/2.0 200"));
    assert_int_equal(txn_table_count(f->t), 0);
}

static void
test_matching_rules(void **state)
{
    struct fake *f = *state;
    struct txn_match inv = req("INVITE", "z9hG4bKm");
    inv.key = inv.mkey = 0;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;

    assert_int_equal(txn_server_new(f->t, &inv, &d, &tx), 0);
    /* sent-by host compares case-insensitively. */
    struct txn_match m = inv;
    m.key = m.mkey = 0;
    m.sent_by = SLICE_LIT("CLIENT.example.COM:5060");
    assert_ptr_equal(txn_server_find(f->t, &m), tx);
    /* Another sent-by, branch or method is another transaction. */
    m = inv;
    m.key = m.mkey = 0;
    m.sent_by = SLICE_LIT("other.example.com:5060");
    assert_null(txn_server_find(f->t, &m));
    m = inv;
    m.key = m.mkey = 0;
    m.branch = SLICE_LIT("z9hG4bKm2");
    assert_null(txn_server_find(f->t, &m));
    /* A CANCEL is its own transaction but finds the INVITE it cancels. */
    struct txn_match c = req("CANCEL", "z9hG4bKm");
    c.key = c.mkey = 0;
    assert_null(txn_server_find(f->t, &c));
    assert_ptr_equal(txn_server_find_invite(f->t, &c), tx);
}

static void
test_rfc2543_fallback(void **state)
{
    struct fake *f = *state;
    struct txn_match inv = req("INVITE", "");
    inv.key = inv.mkey = 0;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;

    inv.branch = SLICE_NULL;
    assert_int_equal(txn_server_new(f->t, &inv, &d, &tx), 0);
    txn_server_respond(f->t, tx, 404, SLICE_LIT("SIP/2.0 404"));
    /* The ACK carries our To tag and method ACK: still the same txn. */
    struct txn_match ack = inv;
    ack.key = ack.mkey = 0;
    ack.method = SLICE_LIT("ACK");
    ack.cseq_method = SLICE_LIT("ACK");
    ack.to_tag = SLICE_LIT("ourtag");
    assert_ptr_equal(txn_server_find(f->t, &ack), tx);
    /* A new CSeq is a new request. */
    struct txn_match next = inv;
    next.key = next.mkey = 0;
    next.cseq = 2;
    assert_null(txn_server_find(f->t, &next));
}

static void
test_merged_request(void **state)
{
    struct fake *f = *state;
    struct txn_match a = req("INVITE", "z9hG4bKpath1");
    a.key = a.mkey = 0;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;

    assert_int_equal(txn_server_new(f->t, &a, &d, &tx), 0);
    /* Same From tag, Call-ID, CSeq; another branch: arrived by another
     * path (§8.2.2.2). */
    struct txn_match b = req("INVITE", "z9hG4bKpath2");
    b.key = b.mkey = 0;
    assert_true(txn_server_merged(f->t, &b));
    assert_false(txn_server_merged(f->t, &a));
    b.to_tag = SLICE_LIT("t"); /* in-dialog: not subject to the rule */
    assert_false(txn_server_merged(f->t, &b));
}

static void
client_cb(void *arg, struct txn *tx, int code, struct slice msg)
{
    struct fake *f = arg;
    (void) tx;
    (void) msg;
    f->cb_calls++;
    f->cb_code = code;
    if (code >= 300 && txn_kind(tx) == TXN_CLIENT_INVITE) {
        txn_client_ack(f->t, tx, SLICE_LIT("ACK sip:bob SIP/2.0"));
    }
}

/* The match a response to the client request m yields. */
static struct txn_match
resp_of(const struct txn_match *m)
{
    struct txn_match r = *m;
    r.key = r.mkey = 0;
    r.method = SLICE_NULL;
    return r;
}

static void
test_client_non_invite_timer_e_f(void **state)
{
    struct fake *f = *state;
    struct txn_match m = req("OPTIONS", "z9hG4bKc1");
    m.key = m.mkey = 0;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;

    assert_int_equal(txn_client_new(f->t, &m, &d,
                         SLICE_LIT("OPTIONS sip:x SIP/2.0"), client_cb, f, &tx),
        0);
    assert_int_equal(f->sent, 1);
    /* E: 0.5, 1, 2, 4, 4, ... until F at 32 s: 0.5+1+2+4*7.125 */
    advance(f, 7490);
    assert_int_equal(f->sent, 1 + 3); /* at 0.5, 1.5, 3.5 s; next 7.5 */
    advance(f, 24400);
    assert_int_equal(f->cb_calls, 0);
    advance(f, 200);
    assert_int_equal(f->cb_calls, 1);
    assert_int_equal(f->cb_code, 408);
    assert_int_equal(txn_table_count(f->t), 0);
}

static void
test_client_non_invite_response(void **state)
{
    struct fake *f = *state;
    struct txn_match m = req("OPTIONS", "z9hG4bKc2");
    m.key = m.mkey = 0;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;

    txn_client_new(f->t, &m, &d, SLICE_LIT("OPTIONS"), client_cb, f, &tx);
    struct txn_match r = resp_of(&m);
    assert_int_equal(
        txn_client_recv(f->t, &r, 200, SLICE_LIT("SIP/2.0 200")), 0);
    assert_int_equal(f->cb_calls, 1);
    assert_int_equal(f->cb_code, 200);
    /* Retransmitted 200 absorbed during Timer K. */
    assert_int_equal(
        txn_client_recv(f->t, &r, 200, SLICE_LIT("SIP/2.0 200")), 0);
    assert_int_equal(f->cb_calls, 1);
    advance(f, 5100);
    assert_int_equal(txn_table_count(f->t), 0);
    assert_int_equal(txn_client_recv(f->t, &r, 200, SLICE_LIT("x")), -ENOENT);
    /* Another CSeq method is another transaction. */
    r.cseq_method = SLICE_LIT("INVITE");
    assert_int_equal(txn_client_recv(f->t, &r, 200, SLICE_LIT("x")), -ENOENT);
}

static void
test_client_invite_ack_and_timer_d(void **state)
{
    struct fake *f = *state;
    struct txn_match m = req("INVITE", "z9hG4bKc3");
    m.key = m.mkey = 0;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;

    txn_client_new(f->t, &m, &d, SLICE_LIT("INVITE"), client_cb, f, &tx);
    /* Timer A: 0.5, 1, 2 s. */
    advance(f, 3600);
    assert_int_equal(f->sent, 4);
    struct txn_match r = resp_of(&m);
    txn_client_recv(f->t, &r, 180, SLICE_LIT("SIP/2.0 180"));
    assert_int_equal(txn_state(tx), TXN_PROCEEDING);
    advance(f, 4000); /* no more INVITEs once a response came */
    assert_int_equal(f->sent, 4);
    txn_client_recv(f->t, &r, 486, SLICE_LIT("SIP/2.0 486"));
    assert_int_equal(f->cb_code, 486);
    assert_int_equal(f->sent, 5); /* the ACK */
    assert_memory_equal(f->last, "ACK", 3);
    txn_client_recv(f->t, &r, 486, SLICE_LIT("SIP/2.0 486"));
    assert_int_equal(f->sent, 6); /* ACK again, TU not told */
    assert_int_equal(f->cb_calls, 2);
    advance(f, 32100); /* Timer D */
    assert_int_equal(txn_table_count(f->t), 0);
}

static void
test_client_invite_timer_b(void **state)
{
    struct fake *f = *state;
    struct txn_match m = req("INVITE", "z9hG4bKc4");
    m.key = m.mkey = 0;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;

    txn_client_new(f->t, &m, &d, SLICE_LIT("INVITE"), client_cb, f, &tx);
    advance(f, 32100);
    assert_int_equal(f->cb_code, 408);
    /* A: 0.5 1.5 3.5 7.5 15.5 31.5 -> 6 retransmissions */
    assert_int_equal(f->sent, 7);
    assert_int_equal(txn_table_count(f->t), 0);
}

/* A proxy's INVITE client transaction: Timer C instead of B once it rings,
 * Accepted after a 2xx (every 2xx reported, RFC 6026), then code 0 when
 * it ends. */
static void
test_client_proxy_invite(void **state)
{
    struct fake *f = *state;
    struct txn_match m = req("INVITE", "z9hG4bKpx1");
    m.key = m.mkey = 0;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;

    txn_client_new(f->t, &m, &d, SLICE_LIT("INVITE"), client_cb, f, &tx);
    txn_client_proxy(tx);
    struct txn_match r = resp_of(&m);
    txn_client_recv(f->t, &r, 180, SLICE_LIT("SIP/2.0 180"));
    advance(f, 60000); /* past Timer B: still ringing */
    assert_int_equal(f->cb_calls, 1);
    assert_int_equal(txn_table_count(f->t), 1);
    txn_client_recv(f->t, &r, 200, SLICE_LIT("SIP/2.0 200"));
    assert_int_equal(f->cb_code, 200);
    assert_int_equal(txn_state(tx), TXN_ACCEPTED);
    txn_client_recv(f->t, &r, 200, SLICE_LIT("SIP/2.0 200"));
    assert_int_equal(f->cb_calls, 3); /* the retransmission too */
    advance(f, 32100);                /* Timer M */
    assert_int_equal(f->cb_calls, 4);
    assert_int_equal(f->cb_code, 0);
    assert_int_equal(txn_table_count(f->t), 0);

    /* Ringing for longer than Timer C: 408 from the transaction. */
    m = req("INVITE", "z9hG4bKpx2");
    m.key = m.mkey = 0;
    r = resp_of(&m);
    txn_client_new(f->t, &m, &d, SLICE_LIT("INVITE"), client_cb, f, &tx);
    txn_client_proxy(tx);
    txn_client_recv(f->t, &r, 183, SLICE_LIT("SIP/2.0 183"));
    advance(f, 182000);
    assert_int_equal(f->cb_calls, 7); /* 183, 408, 0 */
    assert_int_equal(f->cb_code, 0);
    assert_int_equal(txn_table_count(f->t), 0);
}

/* A proxy's INVITE answered by a 100 alone: Timer C still ends it, and a
 * 100 after a 180 does not stop Timer C. */
static void
test_client_proxy_invite_100_only(void **state)
{
    struct fake *f = *state;
    struct transport_ep d = ep(TRANSPORT_UDP);
    const char *branch[] = { "z9hG4bKpx3", "z9hG4bKpx4" };

    for (int i = 0; i < 2; i++) {
        struct txn_match m = req("INVITE", branch[i]);
        m.key = m.mkey = 0;
        struct txn_match r = resp_of(&m);
        struct txn *tx;
        f->cb_calls = 0;
        txn_client_new(f->t, &m, &d, SLICE_LIT("INVITE"), client_cb, f, &tx);
        txn_client_proxy(tx);
        if (i == 1) {
            txn_client_recv(f->t, &r, 180, SLICE_LIT("SIP/2.0 180"));
        }
        txn_client_recv(f->t, &r, 100, SLICE_LIT("SIP/2.0 100"));
        advance(f, 60000); /* past Timer B */
        assert_int_equal(f->cb_calls, 1 + i);
        assert_int_equal(txn_table_count(f->t), 1);
        advance(f, 122000);                   /* past Timer C */
        assert_int_equal(f->cb_calls, 3 + i); /* 408, then 0 */
        assert_int_equal(f->cb_code, 0);
        assert_int_equal(txn_table_count(f->t), 0);
    }
}

static void
test_client_invite_proceeding_waits(void **state)
{
    struct fake *f = *state;
    struct txn_match m = req("INVITE", "z9hG4bKc5");
    m.key = m.mkey = 0;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;

    txn_client_new(f->t, &m, &d, SLICE_LIT("INVITE"), client_cb, f, &tx);
    struct txn_match r = resp_of(&m);
    txn_client_recv(f->t, &r, 180, SLICE_LIT("SIP/2.0 180"));
    /* Ringing past Timer B is no timeout (§17.1.1.2). */
    advance(f, 64000);
    assert_int_equal(f->cb_calls, 1);
    assert_int_equal(f->cb_code, 180);
    assert_int_equal(txn_state(tx), TXN_PROCEEDING);
    txn_client_recv(f->t, &r, 200, SLICE_LIT("SIP/2.0 200"));
    assert_int_equal(f->cb_code, 200);
    assert_int_equal(txn_table_count(f->t), 0);
}

static void
test_full_table_reclaims_completed(void **state)
{
    struct fake *f = *state;
    struct transport_ep d = ep(TRANSPORT_UDP);
    char br[32];
    struct txn *tx;

    for (int i = 0; i < 1024; i++) {
        snprintf(br, sizeof(br), "z9hG4bKf%d", i);
        struct txn_match m = req("REGISTER", br);
        m.key = m.mkey = 0;
        assert_int_equal(txn_server_new(f->t, &m, &d, &tx), 0);
        txn_server_respond(f->t, tx, 200, SLICE_LIT("SIP/2.0 200"));
    }
    assert_int_equal(txn_table_count(f->t), 1024);
    struct txn_match m = req("REGISTER", "z9hG4bKnew");
    m.key = m.mkey = 0;
    assert_int_equal(txn_server_new(f->t, &m, &d, &tx), 0);
    assert_int_equal(txn_table_count(f->t), 1024);
    assert_int_equal(txn_stats_get(f->t)->reclaimed, 1);
    /* The oldest one went; the next still answers. */
    struct txn_match old = req("REGISTER", "z9hG4bKf0");
    assert_false(txn_server_retransmission(f->t, &old, false));
    old = req("REGISTER", "z9hG4bKf1");
    assert_true(txn_server_retransmission(f->t, &old, false));
}

/* Completed non-INVITE transactions over several chunks of the log: each
 * answers with its own response until its own Timer J, the merged check
 * still sees them, and the table frees those still live. */
static void
test_completed_log(void **state)
{
    struct fake *f = *state;
    struct txn_table *t = f->t;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;
    char br[32], resp[200];
    enum {
        N = 3000
    };

    for (int i = 0; i < N; i++) {
        snprintf(br, sizeof(br), "z9hG4bKlog%d", i);
        struct txn_match m = req("REGISTER", br);
        m.cseq = (uint32_t) i;
        assert_int_equal(txn_server_new(t, &m, &d, &tx), 0);
        /* responses of many sizes: records of every alignment */
        int n = snprintf(resp, sizeof(resp), "SIP/2.0 200 %d %.*s", i, i % 150,
            ".................................................................."
            "..."
            ".................................................................."
            "...............");
        assert_int_equal(
            txn_server_respond(t, tx, 200, slice_make(resp, (size_t) n)), 0);
        if (i == N / 2) {
            f->now += 10000; /* the second half expires 10 s later */
        }
    }
    assert_int_equal(txn_table_count(t), N);
    for (int i = 0; i < N; i += 7) {
        snprintf(br, sizeof(br), "z9hG4bKlog%d", i);
        struct txn_match m = req("REGISTER", br);
        m.cseq = (uint32_t) i;
        assert_true(txn_server_retransmission(t, &m, false));
        snprintf(resp, sizeof(resp), "SIP/2.0 200 %d ", i);
        assert_memory_equal(f->last, resp, strlen(resp));
        /* Same From tag, Call-ID and CSeq by another path: merged. */
        m = req("REGISTER", "z9hG4bKother");
        m.cseq = (uint32_t) i;
        assert_true(txn_server_merged(t, &m));
    }
    /* Timer J of the first half, not of the second. */
    f->now += 64 * 500 - 10000 + 10;
    txn_table_tick(t);
    assert_int_equal(txn_table_count(t), N - (N / 2 + 1));
    struct txn_match m = req("REGISTER", "z9hG4bKlog0");
    assert_false(txn_server_retransmission(t, &m, false));
    m = req("REGISTER", "z9hG4bKlog2999");
    m.cseq = 2999;
    assert_true(txn_server_retransmission(t, &m, false));
    assert_true(txn_table_next_ms(t) <= f->now + 10000);
    /* teardown frees the table with the rest still live */
}

static void
test_table_grows(void **state)
{
    struct fake *f = *state;
    struct txn_table *t = f->t;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;
    char br[32];

    for (int i = 0; i < 5000; i++) {
        snprintf(br, sizeof(br), "z9hG4bKg%d", i);
        struct txn_match m = req("INVITE", br);
        assert_int_equal(txn_server_new(t, &m, &d, &tx), 0);
    }
    /* Every one is still found after the buckets were rehashed. */
    for (int i = 0; i < 5000; i++) {
        snprintf(br, sizeof(br), "z9hG4bKg%d", i);
        struct txn_match m = req("INVITE", br);
        assert_non_null(txn_server_find(t, &m));
        m = req("ACK", br);
        m.key = m.mkey = 0;
        assert_non_null(txn_server_find(t, &m));
    }
    /* Ending every third (a 486 and its ACK) leaves the others found, and
     * the ended ones not. */
    for (int i = 0; i < 5000; i += 3) {
        snprintf(br, sizeof(br), "z9hG4bKg%d", i);
        struct txn_match m = req("INVITE", br);
        tx = txn_server_find(t, &m);
        assert_non_null(tx);
        assert_int_equal(
            txn_server_respond(t, tx, 486, SLICE_LIT("SIP/2.0 486")), 0);
        m = req("ACK", br);
        assert_true(txn_server_retransmission(t, &m, true));
    }
    assert_int_equal(txn_table_count(t), 5000 - 1667);
    for (int i = 0; i < 5000; i++) {
        snprintf(br, sizeof(br), "z9hG4bKg%d", i);
        struct txn_match m = req("INVITE", br);
        assert_int_equal(txn_server_find(t, &m) != NULL, i % 3 != 0);
    }
}

/* Request i of test_table_shrinks: a REGISTER every 100th, else an
 * INVITE, each with its own CSeq (so its own merged key). */
static struct txn_match
shrink_req(const char *prefix, char *br, size_t size, int i)
{
    snprintf(br, size, "z9hG4bK%s%d", prefix, i);
    struct txn_match m = req(i % 100 == 0 ? "REGISTER" : "INVITE", br);
    m.cseq = (uint32_t) i;
    return m;
}

/* The indexes follow the count back down on the timers' tick: what stays
 * (live, or completed in the log) is found again, by its merged key too,
 * what ended is not; and they grow again after. */
static void
test_table_shrinks(void **state)
{
    struct fake *f = *state;
    struct txn_table *t = f->t;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx;
    char br[32];
    enum {
        N = 5000
    };

    for (int i = 0; i < N; i++) {
        struct txn_match m = shrink_req("s", br, sizeof(br), i);
        assert_int_equal(txn_server_new(t, &m, &d, &tx), 0);
        if (i % 100 == 0) {
            assert_int_equal(
                txn_server_respond(t, tx, 200, SLICE_LIT("SIP/2.0 200")), 0);
        }
    }
    /* Every INVITE but the one after each REGISTER ends: a 486, its ACK. */
    for (int i = 0; i < N; i++) {
        if (i % 100 <= 1) {
            continue;
        }
        struct txn_match m = shrink_req("s", br, sizeof(br), i);
        tx = txn_server_find(t, &m);
        assert_non_null(tx);
        assert_int_equal(
            txn_server_respond(t, tx, 486, SLICE_LIT("SIP/2.0 486")), 0);
        m = req("ACK", br);
        m.cseq = (uint32_t) i;
        assert_true(txn_server_retransmission(t, &m, true));
    }
    assert_int_equal(txn_table_count(t), 2 * N / 100);
    /* Nothing is due; each tick halves the indexes while they are sparse. */
    for (int k = 0; k < 12; k++) {
        txn_table_tick(t);
    }
    assert_int_equal(txn_table_count(t), 2 * N / 100);
    for (int i = 0; i < N; i++) {
        struct txn_match m = shrink_req("s", br, sizeof(br), i);
        bool kept = i % 100 <= 1;
        if (i % 100 == 0) {
            assert_null(txn_server_find(t, &m));
            assert_true(txn_server_retransmission(t, &m, false));
        } else {
            assert_int_equal(txn_server_find(t, &m) != NULL, kept);
        }
        /* Same From tag, Call-ID and CSeq by another path. */
        struct txn_match o = shrink_req("other", br, sizeof(br), i);
        assert_int_equal(txn_server_merged(t, &o), kept);
    }
    /* Grown again: the new ones are found, and so are the kept ones. */
    for (int i = 0; i < N; i++) {
        struct txn_match m = shrink_req("again", br, sizeof(br), i);
        m.cseq = (uint32_t) (N + i);
        assert_int_equal(txn_server_new(t, &m, &d, &tx), 0);
    }
    for (int i = 0; i < N; i++) {
        struct txn_match m = shrink_req("again", br, sizeof(br), i);
        m.cseq = (uint32_t) (N + i);
        assert_non_null(txn_server_find(t, &m));
        m = shrink_req("s", br, sizeof(br), i);
        assert_int_equal(txn_server_find(t, &m) != NULL, i % 100 == 1);
    }
}

/* Whether m finds the server transaction created for base. */
static bool
finds(struct fake *f, const struct txn_match *base, struct txn_match m)
{
    struct txn_match b = *base;
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx, *found;

    b.key = b.mkey = 0;
    m.key = m.mkey = 0;
    assert_int_equal(txn_server_new(f->t, &b, &d, &tx), 0);
    found = txn_server_find(f->t, &m);
    txn_server_respond(f->t, tx, 200, SLICE_LIT("SIP/2.0 200"));
    advance(f, 64 * 500 + 100); /* Timer J: the table is empty again */
    assert_int_equal(txn_table_count(f->t), 0);
    return found == tx;
}

static void
test_key_fields(void **state)
{
    struct fake *f = *state;
    /* Pairs of (branch, sent-by) for OPTIONS: same transaction or not. */
    static const struct {
        const char *branch1, *sent_by1, *branch2, *sent_by2;
        bool same;
    } pairs[] = {
        /* The host of sent-by folds ASCII case in any byte of any word... */
        { "z9hG4bKab", "Proxy-1.Example.COM:5060", "z9hG4bKab",
            "pROXY-1.eXAMPLE.com:5060", true },
        /* ...but only letters: '[' is not '{', nor '@' '`', nor 0xC9 0xE9. */
        { "z9hG4bKab", "[2001:db8::1]:5060", "z9hG4bKab", "{2001:db8::1}:5060",
            false },
        { "z9hG4bKab", "h@x", "z9hG4bKab", "h`x", false },
        { "z9hG4bKab", "h\xc9", "z9hG4bKab", "h\xe9", false },
        /* The branch compares exactly, case included. */
        { "z9hG4bKabc", "h", "z9hG4bKABC", "h", false },
        /* A byte moved from one field to the next is another key, even
         * where both spell the same words... */
        { "z9hG4bKab", "c:5060", "z9hG4bKa", "bc:5060", false },
        { "z9hG4bK01234567", "abcdefghx", "z9hG4bK01234567abcdefgh", "x",
            false },
        /* ...and so is a difference in the last byte of a long field, or
         * one past a word. */
        { "z9hG4bK0123456789abcdef01234567", "h",
            "z9hG4bK0123456789abcdef01234568", "h", false },
        { "z9hG4bK0123456789abcdef01234567", "h",
            "z9hG4bK0123456789abcdef0123456", "h", false },
        { "z9hG4bK0123456789abcdef01234567", "h",
            "z9hG4bK0123456789abcdef012345670", "h", false },
    };

    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        struct txn_match a = req("OPTIONS", pairs[i].branch1);
        struct txn_match m = req("OPTIONS", pairs[i].branch2);
        a.sent_by = slice_cstr(pairs[i].sent_by1);
        m.sent_by = slice_cstr(pairs[i].sent_by2);
        assert_int_equal(finds(f, &a, m), pairs[i].same);
    }
    /* A short method differs from its prefix, and ACK finds INVITE only. */
    struct txn_match a = req("OPTIONS", "z9hG4bKm1");
    assert_false(finds(f, &a, req("OPTION", "z9hG4bKm1")));
    a = req("BYE", "z9hG4bKm2");
    assert_false(finds(f, &a, req("ACK", "z9hG4bKm2")));
    /* Methods hashed by their bytes, and the usual ones by a code. */
    const char *methods[] = { "INFO", "INFX", "REGISTER", "REGISTEX",
        "SUBSCRIBE", "NOTIFY", "CANCEL", "MESSAGE", "OPTIONS", "BYE" };
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        a = req(methods[i], "z9hG4bKm3");
        for (size_t j = 0; j < sizeof(methods) / sizeof(methods[0]); j++) {
            assert_int_equal(
                finds(f, &a, req(methods[j], "z9hG4bKm3")), i == j);
        }
    }
}

static void
test_rfc2543_keys(void **state)
{
    struct fake *f = *state;
    struct txn_match a = req("OPTIONS", "");
    struct txn_match m;

    a.branch = SLICE_LIT("1234"); /* no magic cookie */
    /* A retransmission (To tag added or not) is the same request... */
    m = a;
    assert_true(finds(f, &a, m));
    m.to_tag = SLICE_LIT("t1");
    assert_true(finds(f, &a, m));
    /* ...any other field is another: Request-URI, From tag, Call-ID,
     * CSeq, the top Via (its case too), the method. */
    const struct {
        size_t off;
        struct slice v;
    } other[] = {
        { offsetof(struct txn_match, ruri), SLICE_LIT("sip:bob@example.org") },
        { offsetof(struct txn_match, from_tag), SLICE_LIT("ft2") },
        { offsetof(struct txn_match, call_id), SLICE_LIT("c1@Client") },
        { offsetof(struct txn_match, top_via),
            SLICE_LIT("SIP/2.0/UDP Client.example.com:5060") },
        { offsetof(struct txn_match, method), SLICE_LIT("INFO") },
    };
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        m = a;
        memcpy((char *) &m + other[i].off, &other[i].v, sizeof(other[i].v));
        assert_false(finds(f, &a, m));
    }
    m = a;
    m.cseq = 2;
    assert_false(finds(f, &a, m));
    /* A cookie branch with the same fields is not the RFC 2543 request. */
    m = a;
    m.branch = SLICE_LIT("z9hG4bK1234");
    assert_false(finds(f, &a, m));
}

static void
test_cancel_and_client_keys(void **state)
{
    struct fake *f = *state;
    struct txn_match inv = req("INVITE", "z9hG4bKcx");
    struct transport_ep d = ep(TRANSPORT_UDP);
    struct txn *tx, *ctx;

    assert_int_equal(txn_server_new(f->t, &inv, &d, &tx), 0);
    /* The CANCEL finds its INVITE by branch and sent-by (case aside)... */
    struct txn_match c = req("CANCEL", "z9hG4bKcx");
    c.sent_by = SLICE_LIT("CLIENT.EXAMPLE.COM:5060");
    assert_ptr_equal(txn_server_find_invite(f->t, &c), tx);
    /* ...not with another branch or sent-by. */
    c = req("CANCEL", "z9hG4bKcy");
    assert_null(txn_server_find_invite(f->t, &c));
    c = req("CANCEL", "z9hG4bKcx");
    c.sent_by = SLICE_LIT("client.example.com:5061");
    assert_null(txn_server_find_invite(f->t, &c));
    /* An RFC 2543 CANCEL: the INVITE's fields but its own method. */
    struct txn_match old = req("INVITE", "");
    old.branch = SLICE_NULL;
    struct txn *otx;
    assert_int_equal(txn_server_new(f->t, &old, &d, &otx), 0);
    c = req("CANCEL", "");
    c.branch = SLICE_NULL;
    assert_ptr_equal(txn_server_find_invite(f->t, &c), otx);
    /* A client transaction with the same branch is not the server one:
     * a response to it does not touch tx. */
    struct txn_match out = req("INVITE", "z9hG4bKcx");
    assert_int_equal(
        txn_client_new(f->t, &out, &d, SLICE_LIT("INVITE"), client_cb, f, &ctx),
        0);
    struct txn_match r = resp_of(&out);
    assert_int_equal(
        txn_client_recv(f->t, &r, 180, SLICE_LIT("SIP/2.0 180")), 0);
    assert_int_equal(txn_state(ctx), TXN_PROCEEDING);
    assert_int_equal(txn_state(tx), TXN_PROCEEDING);
    assert_int_equal(txn_code(tx), 0);
    inv.key = 0;
    assert_ptr_equal(txn_server_find(f->t, &inv), tx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_invite_udp_timer_g_until_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_invite_timer_h_caps_at_t2, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_invite_tcp_no_retransmit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_invite_udp, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_non_invite_tcp_ends_at_final, setup, teardown),
        cmocka_unit_test_setup_teardown(test_matching_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rfc2543_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merged_request, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_client_non_invite_timer_e_f, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_client_non_invite_response, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_client_invite_ack_and_timer_d, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_client_invite_timer_b, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_client_invite_proceeding_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_full_table_reclaims_completed, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_client_proxy_invite, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_client_proxy_invite_100_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_grows, setup_big, teardown),
        cmocka_unit_test_setup_teardown(
            test_table_shrinks, setup_big, teardown),
        cmocka_unit_test_setup_teardown(
            test_completed_log, setup_big, teardown),
        cmocka_unit_test_setup_teardown(test_key_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rfc2543_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_cancel_and_client_keys, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
