#define LOG_MODULE "worker"
#include "app/worker.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/metrics.h"

static void
on_message(
    void *arg, struct slice msg, const struct transport_ep *src, int frame_err)
{
    struct worker *w = arg;
    app_worker_input_ex(w->app, msg, src, frame_err);
}

static int
txn_send(void *arg, const struct transport_ep *dst, struct slice msg)
{
    struct worker *w = arg;
    return transport_send(w->tr, dst, msg);
}

/* The loop's time of this wake-up, as the loop's timers use: a
 * transaction started while handling a batch needs no clock read. */
static uint64_t
txn_now(void *arg)
{
    struct worker *w = arg;
    return ev_now_ms(w->loop);
}

static void
txn_timer_cb(void *arg)
{
    struct worker *w = arg;
    txn_table_tick(w->txn);
}

static void
beat_cb(void *arg)
{
    struct worker *w = arg;

    atomic_store(&w->beat_ms, clock_mono_ms());
    /* Out of memory here stops the beat: the watchdog then restarts us. */
    (void) ev_timer_start(w->loop, &w->beat_timer, w->heartbeat_ms, beat_cb, w);
}

uint64_t
worker_beat_ms(const struct worker *w)
{
    return atomic_load(&w->beat_ms);
}

/* Before the loop sleeps: write the batched UDP replies, and make sure the
 * transaction timer wakes us for the next transaction deadline. */
static void
before_sleep(void *arg)
{
    struct worker *w = arg;
    uint64_t next = txn_table_next_ms(w->txn);

    transport_before_sleep(w->tr);
    /* One clock read once the replies are out: the latency of everything
     * this wake-up answered, and the base of the timer below. */
    uint64_t now_ns = clock_mono_ns();
    app_worker_flush(w->app, now_ns);
    if (next == UINT64_MAX) {
        return;
    }
    if (ev_timer_active(&w->txn_timer) && w->txn_timer.when_ms <= next) {
        return;
    }
    uint64_t now = now_ns / 1000000u;
    ev_timer_start(
        w->loop, &w->txn_timer, next > now ? next - now : 0, txn_timer_cb, w);
}

int
worker_init(struct worker *w, int id, const struct worker_env *env, char *err,
    size_t errlen)
{
    int rc;

    memset(w, 0, sizeof(*w));
    w->id = id;
    rc = ev_loop_new(&w->loop);
    if (rc) {
        snprintf(err, errlen, "event loop: %s", strerror(-rc));
        return rc;
    }
    struct txn_io io = { txn_send, txn_now, w };
    rc = txn_table_new(&w->txn, env->xconf, &io);
    if (rc) {
        snprintf(err, errlen, "transaction table: %s", strerror(-rc));
        goto fail;
    }
    rc = transport_new(&w->tr, w->loop, env->tconf, env->listeners,
        env->nlisteners, env->tls, on_message, w, err, errlen);
    if (rc) {
        goto fail;
    }
    rc = app_worker_new(&w->app, env->pipeline, w->loop, w->tr, w->txn, id);
    if (rc) {
        snprintf(err, errlen, "worker %d: services: %s", id, err_str(rc));
        goto fail;
    }
    ev_before_sleep(w->loop, before_sleep, w);
    w->heartbeat_ms = env->heartbeat_ms;
    atomic_store(&w->beat_ms, clock_mono_ms());
    if (w->heartbeat_ms) {
        rc = ev_timer_start(
            w->loop, &w->beat_timer, w->heartbeat_ms, beat_cb, w);
        if (rc) {
            snprintf(err, errlen, "worker %d: heartbeat: %s", id, err_str(rc));
            goto fail;
        }
    }
    return 0;
fail:
    worker_fini(w);
    return rc;
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    /* A private metrics shard: counting on this thread takes no lock and
     * no locked instruction (base/metrics.h). */
    metrics_thread_attach();
    /* The coalescing pause (transport.udp_coalesce_us) is a few hundred
     * microseconds: the default 50 us of timer slack would lengthen it by
     * a quarter, in latency and nothing else. */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
    int rc = ev_run(w->loop);

    if (rc) {
        log_error("worker %d: event loop failed: %s", w->id, strerror(-rc));
    }
    transport_flush(w->tr);
    metrics_thread_detach();
    return NULL;
}

int
worker_start(struct worker *w)
{
    char name[16];
    int rc = pthread_create(&w->thread, NULL, worker_main, w);

    if (rc) {
        return -rc;
    }
    /* Named for top -H, perf and the watchdog test: "sw-worker-0". */
    snprintf(name, sizeof(name), "sw-worker-%d", w->id);
    pthread_setname_np(w->thread, name);
    return 0;
}

void
worker_stop(struct worker *w)
{
    ev_stop(w->loop);
    pthread_join(w->thread, NULL);
}

void
worker_log_stats(const struct worker *w)
{
    const struct app_worker_stats *a = app_worker_stats_get(w->app);
    const struct transport_stats *t = transport_stats_get(w->tr);
    const struct txn_stats *x = txn_stats_get(w->txn);

    log_info("worker %d: requests=%" PRIu64 " retransmissions=%" PRIu64
             " responses=%" PRIu64 " malformed=%" PRIu64 " deferred=%" PRIu64
             " udp_rx=%" PRIu64 "/%" PRIu64 " udp_tx=%" PRIu64 "/%" PRIu64
             " tcp_accepted=%" PRIu64 " tcp_refused=%" PRIu64
             " tcp_connected=%" PRIu64 " tcp_slow=%" PRIu64 " tcp_idle=%" PRIu64
             " pongs=%" PRIu64 " txn_created=%" PRIu64 " acks=%" PRIu64
             " txn_timeouts=%" PRIu64,
        w->id, a->requests, a->retrans, a->responses, a->bad, a->deferred,
        t->udp_rx, t->udp_rx_calls, t->udp_tx, t->udp_tx_calls, t->tcp_accepted,
        t->tcp_refused, t->tcp_connected, t->tcp_closed_slow,
        t->tcp_closed_idle, t->keepalive_pong, x->created, x->acks_absorbed,
        x->timeouts);
}

void
worker_fini(struct worker *w)
{
    /* Completions posted after the loop stopped (the store's) still need
     * the worker: run them before it goes. */
    if (w->loop) {
        ev_run_pending(w->loop);
    }
    app_worker_free(w->app);
    w->app = NULL;
    transport_free(w->tr);
    w->tr = NULL;
    if (w->loop) {
        ev_timer_stop(w->loop, &w->txn_timer);
        ev_timer_stop(w->loop, &w->beat_timer);
    }
    txn_table_free(w->txn);
    w->txn = NULL;
    ev_loop_free(w->loop);
    w->loop = NULL;
}
