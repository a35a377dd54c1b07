/*
 * The request pipeline with services plugged in: deferral (the transaction
 * absorbs retransmissions meanwhile), CANCEL of a deferred INVITE (200 +
 * 487), pass-through to the next service, Allow and Supported built from
 * the services. Messages go in through app_worker_input(); responses come
 * out of a real UDP socket to a client socket the test reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/pipeline.h"
#include "base/clock.h"

struct fixture {
    struct ev_loop *loop;
    struct transport *tr;
    struct txn_table *txn;
    struct app_pipeline *p;
    struct app_worker *w;
    struct transport_conf tc;
    struct txn_conf xc;
    int client; /* where responses go */
    struct transport_ep src;
    /* the services' view */
    int calls_a, calls_b;
    struct app_deferred *pending;
    int verdict_a;
};

static void
on_msg(
    void *arg, struct slice msg, const struct transport_ep *src, int frame_err)
{
    (void) arg;
    (void) msg;
    (void) src;
    (void) frame_err;
}

static int
send_cb(void *arg, const struct transport_ep *dst, struct slice msg)
{
    return transport_send(arg, dst, msg);
}

static uint64_t
now_cb(void *arg)
{
    (void) arg;
    return clock_mono_ms();
}

/* Service A: defers INVITE and REGISTER, passes the rest. */
static int
svc_a(void *arg, struct app_req *req)
{
    struct fixture *f = arg;
    f->calls_a++;
    if (f->verdict_a == APP_DEFER) {
        f->pending = app_req_defer(req);
        return f->pending ? APP_DEFER : -ENOMEM;
    }
    return APP_PASS;
}

/* Service B: answers MESSAGE with 202, passes the rest. */
static int
svc_b(void *arg, struct app_req *req)
{
    struct fixture *f = arg;
    f->calls_b++;
    if (req->msg->method == SIP_METHOD_MESSAGE) {
        app_req_reply(req, 202, SLICE_NULL, NULL, 0);
        return APP_DONE;
    }
    return APP_PASS;
}

static const char *const tags_a[] = { "path", NULL };
static struct app_service service_a = {
    .name = "a",
    .methods = APP_METHOD(SIP_METHOD_INVITE) | APP_METHOD(SIP_METHOD_REGISTER),
    .option_tags = tags_a,
    .handle = svc_a,
};
static struct app_service service_b = {
    .name = "b",
    .methods = APP_METHOD(SIP_METHOD_MESSAGE),
    .handle = svc_b,
};

static int
setup(void **state)
{
    static struct fixture f;
    struct transport_listener l;
    size_t n;
    char err[128];

    memset(&f, 0, sizeof(f));
    f.tc.udp_batch = 8;
    f.tc.max_msg = 65535;
    f.tc.tcp_max_conns = 4;
    f.tc.tcp_header_ms = 1000;
    f.tc.tcp_idle_ms = 1000;
    f.tc.tcp_max_out = 65536;
    f.xc = (struct txn_conf){ 500, 4000, 5000, 1024 };
    assert_int_equal(ev_loop_new(&f.loop), 0);
    assert_int_equal(transport_listeners_parse(
                         "udp:127.0.0.1:0", &l, 1, &n, err, sizeof(err)),
        0);
    assert_int_equal(transport_new(&f.tr, f.loop, &f.tc, &l, 1, NULL, on_msg,
                         &f, err, sizeof(err)),
        0);
    struct txn_io io = { send_cb, now_cb, f.tr };
    assert_int_equal(txn_table_new(&f.txn, &f.xc, &io), 0);
    service_a.arg = &f;
    service_b.arg = &f;
    assert_int_equal(app_pipeline_new(&f.p), 0);
    assert_int_equal(app_pipeline_add(f.p, &service_a), 0);
    assert_int_equal(app_pipeline_add(f.p, &service_b), 0);
    assert_int_equal(app_worker_new(&f.w, f.p, f.loop, f.tr, f.txn, 0), 0);

    f.client = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(f.client, (struct sockaddr *) &a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    getsockname(f.client, (struct sockaddr *) &a, &len);
    struct timeval tv = { 0, 300000 };
    setsockopt(f.client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    memset(&f.src, 0, sizeof(f.src));
    f.src.proto = TRANSPORT_UDP;
    transport_ep_set_addr(&f.src, (struct sockaddr *) &a, len);
    *state = &f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    app_worker_free(f->w);
    app_pipeline_free(f->p);
    transport_free(f->tr);
    txn_table_free(f->txn);
    ev_loop_free(f->loop);
    close(f->client);
    return 0;
}

static void
input(struct fixture *f, const char *method, const char *branch,
    const char *extra)
{
    char buf[1024];
    uint16_t port = ntohs(f->src.addr.in.sin_port);
    int n = snprintf(buf, sizeof(buf),
        "%s sip:bob@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=a1\r\n"
        "To: <sip:bob@127.0.0.1>\r\nCall-ID: %s@test\r\nCSeq: 1 %s\r\n"
        "%sContent-Length: 0\r\n\r\n",
        method, port, branch, branch, method, extra ? extra : "");
    app_worker_input(f->w, slice_make(buf, (size_t) n), &f->src);
    transport_flush(f->tr);
}

/* Status code of the next response, 0 when none comes. */
static int
next_code(struct fixture *f, char *copy, size_t size)
{
    char buf[4096];
    ssize_t n = recv(f->client, buf, sizeof(buf) - 1, 0);
    if (n < 12) {
        return 0;
    }
    buf[n] = '\0';
    if (copy) {
        snprintf(copy, size, "%s", buf);
    }
    return atoi(buf + 8);
}

static void
test_deferred_invite_absorbs_retransmissions(void **state)
{
    struct fixture *f = *state;
    char r1[4096], r2[4096];

    f->verdict_a = APP_DEFER;
    input(f, "INVITE", "z9hG4bKd1", NULL);
    assert_int_equal(next_code(f, NULL, 0), 100);
    assert_non_null(f->pending);
    input(f, "INVITE", "z9hG4bKd1", NULL);
    assert_int_equal(next_code(f, NULL, 0), 100); /* the 100 again */
    assert_int_equal(f->calls_a, 1);
    struct sip_field c = SIP_FIELD("Contact", SLICE_LIT("<sip:bob@10.0.0.1>"));
    assert_int_equal(app_deferred_reply(f->pending, 302, SLICE_NULL, &c, 1), 0);
    transport_flush(f->tr);
    assert_int_equal(next_code(f, r1, sizeof(r1)), 302);
    assert_non_null(strstr(r1, "Contact: <sip:bob@10.0.0.1>"));
    input(f, "INVITE", "z9hG4bKd1", NULL);
    assert_int_equal(next_code(f, r2, sizeof(r2)), 302);
    assert_string_equal(r1, r2);
    assert_int_equal(f->calls_a, 1);
    assert_int_equal(app_worker_stats_get(f->w)->retrans, 2);
}

static void
test_cancel_of_deferred_invite(void **state)
{
    struct fixture *f = *state;

    f->verdict_a = APP_DEFER;
    input(f, "INVITE", "z9hG4bKc1", NULL);
    assert_int_equal(next_code(f, NULL, 0), 100);
    input(f, "CANCEL", "z9hG4bKc1", NULL);
    int a = next_code(f, NULL, 0), b = next_code(f, NULL, 0);
    assert_true((a == 200 && b == 487) || (a == 487 && b == 200));
    /* The service finishes later: nothing more goes out. */
    assert_int_equal(
        app_deferred_reply(f->pending, 302, SLICE_NULL, NULL, 0), -ECANCELED);
    transport_flush(f->tr);
    assert_int_equal(next_code(f, NULL, 0), 0);
}

static void
test_deferred_register(void **state)
{
    struct fixture *f = *state;

    f->verdict_a = APP_DEFER;
    input(f, "REGISTER", "z9hG4bKr1", NULL);
    assert_int_equal(next_code(f, NULL, 0), 0); /* no 100 for non-INVITE */
    input(f, "REGISTER", "z9hG4bKr1", NULL);
    assert_int_equal(next_code(f, NULL, 0), 0); /* absorbed in Trying */
    assert_int_equal(f->calls_a, 1);
    app_deferred_reply(f->pending, 200, SLICE_NULL, NULL, 0);
    transport_flush(f->tr);
    assert_int_equal(next_code(f, NULL, 0), 200);
    input(f, "REGISTER", "z9hG4bKr1", NULL);
    assert_int_equal(next_code(f, NULL, 0), 200);
    assert_int_equal(f->calls_a, 1);
}

static void
test_pass_to_next_and_default(void **state)
{
    struct fixture *f = *state;

    f->verdict_a = APP_PASS;
    input(f, "MESSAGE", "z9hG4bKm1", NULL);
    assert_int_equal(next_code(f, NULL, 0), 202);
    assert_int_equal(f->calls_a, 1);
    assert_int_equal(f->calls_b, 1);
    /* Nobody answers: 404. */
    input(f, "INVITE", "z9hG4bKm2", NULL);
    assert_int_equal(next_code(f, NULL, 0), 404);
    /* Not served by any service: 405 without reaching them. */
    input(f, "SUBSCRIBE", "z9hG4bKm3", NULL);
    assert_int_equal(next_code(f, NULL, 0), 405);
    assert_int_equal(f->calls_b, 2);
}

static void
test_allow_and_supported_from_services(void **state)
{
    struct fixture *f = *state;
    char r[4096];

    f->verdict_a = APP_PASS;
    input(f, "OPTIONS", "z9hG4bKo2", "Require: path\r\n");
    /* A supported Require passes; the Request-URI has a user part, so
     * OPTIONS reaches the services, which pass: 404. */
    assert_int_equal(next_code(f, r, sizeof(r)), 404);
    input(f, "INVITE", "z9hG4bKo3", "Require: path, gruu\r\n");
    assert_int_equal(next_code(f, r, sizeof(r)), 420);
    assert_non_null(strstr(r, "Unsupported: gruu\r\n"));
    input(f, "FOO", "z9hG4bKo4", NULL);
    assert_int_equal(next_code(f, r, sizeof(r)), 501);
    assert_non_null(strstr(
        r, "Allow: INVITE, ACK, CANCEL, REGISTER, OPTIONS, MESSAGE\r\n"));
}

/* An ACK to a non-2xx final response ends its INVITE transaction
 * (§17.2.1), matched by the top Via's branch and sent-by (§17.2.3): one
 * with another branch leaves it, one whose Via has the usual shape ends it
 * even with a defect elsewhere (it is matched from that Via alone, so not
 * counted as malformed). */
static void
test_ack_ends_invite_transaction(void **state)
{
    struct fixture *f = *state;

    f->verdict_a = APP_PASS;
    input(f, "INVITE", "z9hG4bKk1", NULL);
    assert_int_equal(next_code(f, NULL, 0), 404);
    assert_int_equal(txn_table_count(f->txn), 1);
    input(f, "ACK", "z9hG4bKk2", NULL);
    assert_int_equal(txn_table_count(f->txn), 1);
    input(f, "ACK", "z9hG4bKk1", "No colon on this line\r\n");
    assert_int_equal(txn_table_count(f->txn), 0);
    assert_int_equal(app_worker_stats_get(f->w)->bad, 0);
    assert_int_equal(next_code(f, NULL, 0), 0);
}

static void
test_rport_and_received(void **state)
{
    struct fixture *f = *state;
    char buf[1024], r[4096], want[128];
    uint16_t port = ntohs(f->src.addr.in.sin_port);

    /* The client claims 10.9.9.9:5060 but asks for rport (RFC 3581): the
     * response goes to where the request came from, and says so. */
    int n = snprintf(buf, sizeof(buf),
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.9.9.9:5060;rport;branch=z9hG4bKrp\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=1\r\n"
        "To: <sip:127.0.0.1>\r\nCall-ID: rp@t\r\nCSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n");
    app_worker_input(f->w, slice_make(buf, (size_t) n), &f->src);
    transport_flush(f->tr);
    assert_int_equal(next_code(f, r, sizeof(r)), 200);
    snprintf(want, sizeof(want),
        "Via: SIP/2.0/UDP 10.9.9.9:5060;rport=%u;branch=z9hG4bKrp;"
        "received=127.0.0.1\r\n",
        port);
    assert_non_null(strstr(r, want));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_deferred_invite_absorbs_retransmissions, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_cancel_of_deferred_invite, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_deferred_register, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_pass_to_next_and_default, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_allow_and_supported_from_services, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_rport_and_received, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_ack_ends_invite_transaction, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
