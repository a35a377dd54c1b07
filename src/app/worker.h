/*
 * A worker thread: its own event loop, its own sockets (SO_REUSEPORT UDP,
 * its own TCP/TLS listeners and connections), its own transaction table and
 * pipeline state. Nothing on the per-message path is shared between workers.
 */
#ifndef SW_APP_WORKER_H
#define SW_APP_WORKER_H

#include <pthread.h>
#include <stddef.h>

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
};

struct worker {
    int id;
    pthread_t thread;
    struct ev_loop *loop;
    struct transport *tr;
    struct txn_table *txn;
    struct app_worker *app;
    struct ev_timer txn_timer;
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
/** Logs the worker's counters (info level). */
void worker_log_stats(const struct worker *w);
void worker_fini(struct worker *w);

#endif
