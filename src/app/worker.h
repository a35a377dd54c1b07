/*
 * A worker thread: its own event loop, its own sockets (SO_REUSEPORT UDP,
 * its own TCP/TLS listeners and connections), its own transaction table and
 * pipeline state. Nothing on the per-message path is shared between workers.
 */
#ifndef SW_APP_WORKER_H
#define SW_APP_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "app/pipeline.h"
#include "base/ev.h"
#include "transport/listen.h"
#include "transport/transport.h"
#include "txn/txn.h"

/* What every worker is built from; owned by the daemon, read-only. */
struct worker_env {
    const struct transport_listener *listeners;
    size_t nlisteners;
    const struct transport_conf *tconf;
    const struct txn_conf *xconf;
    struct transport_tls *tls; /* NULL without tls listeners */
    const struct app_pipeline *pipeline;
    uint64_t heartbeat_ms; /* the loop stamps beat_ms this often; 0: off */
};

struct worker {
    int id;
    pthread_t thread;
    struct ev_loop *loop;
    struct transport *tr;
    struct txn_table *txn;
    struct app_worker *app;
    struct ev_timer txn_timer;
    /* Proof the loop turns, for the systemd watchdog: a timer on the loop
     * stamps it, the main thread reads it. */
    uint64_t heartbeat_ms;
    struct ev_timer beat_timer;
    _Atomic uint64_t beat_ms;
};

/**
 * Opens the worker's sockets for every listener and builds its state; on
 * failure writes a message naming the listener into err. Does not start the
 * thread.
 */
int worker_init(struct worker *w, int id, const struct worker_env *env,
    char *err, size_t errlen);
int worker_start(struct worker *w);
/** Asks the loop to stop and joins the thread. */
void worker_stop(struct worker *w);
/** Monotonic ms of the loop's last heartbeat (worker_env.heartbeat_ms). */
uint64_t worker_beat_ms(const struct worker *w);
/** Logs the worker's counters (info level). */
void worker_log_stats(const struct worker *w);
void worker_fini(struct worker *w);

#endif
