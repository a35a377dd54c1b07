/* A worker thread: its own event loop and its own sockets (SO_REUSEPORT). */
#ifndef SW_APP_WORKER_H
#define SW_APP_WORKER_H

#include <pthread.h>
#include <stddef.h>

#include "base/ev.h"
#include "transport/listen.h"

struct worker {
    int id;
    pthread_t thread;
    struct ev_loop *loop;
    size_t nsock;
    int fds[TRANSPORT_MAX_LISTENERS];
    struct ev_io io[TRANSPORT_MAX_LISTENERS];
    const struct transport_listener *listeners;
};

/**
 * Opens the worker's sockets for every listener; on failure writes a message
 * naming the listener into err. Does not start the thread.
 */
int worker_init(struct worker *w, int id, const struct transport_listener *ls,
    size_t n, char *err, size_t errlen);
int worker_start(struct worker *w);
/** Asks the loop to stop and joins the thread. */
void worker_stop(struct worker *w);
void worker_fini(struct worker *w);

#endif
