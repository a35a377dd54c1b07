#define LOG_MODULE "worker"
#include "app/worker.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"

static void
udp_readable(void *arg, uint32_t events)
{
    int fd = *(int *) arg;
    char buf[65536];

    (void) events;
    /* Until the SIP pipeline is wired in, datagrams are read and dropped. */
    while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0) {
    }
}

static void
tcp_acceptable(void *arg, uint32_t events)
{
    int fd = *(int *) arg;

    (void) events;
    for (;;) {
        int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            return;
        }
        close(c);
    }
}

int
worker_init(struct worker *w, int id, const struct transport_listener *ls,
    size_t n, char *err, size_t errlen)
{
    int rc;

    memset(w, 0, sizeof(*w));
    w->id = id;
    w->listeners = ls;
    for (size_t i = 0; i < TRANSPORT_MAX_LISTENERS; i++) {
        w->fds[i] = -1;
    }
    rc = ev_loop_new(&w->loop);
    if (rc) {
        snprintf(err, errlen, "event loop: %s", strerror(-rc));
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        int fd = transport_socket_open(&ls[i], true);
        if (fd < 0) {
            snprintf(err, errlen, "cannot listen on %s: %s", ls[i].text,
                strerror(-fd));
            rc = fd;
            goto fail;
        }
        w->fds[i] = fd;
        w->nsock = i + 1;
        rc = ev_io_start(w->loop, &w->io[i], fd, EPOLLIN,
            ls[i].proto == TRANSPORT_UDP ? udp_readable : tcp_acceptable,
            &w->fds[i]);
        if (rc) {
            snprintf(err, errlen, "epoll: %s", strerror(-rc));
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
    int rc = ev_run(w->loop);

    if (rc) {
        log_error("worker %d: event loop failed: %s", w->id, strerror(-rc));
    }
    return NULL;
}

int
worker_start(struct worker *w)
{
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    return rc ? -rc : 0;
}

void
worker_stop(struct worker *w)
{
    ev_stop(w->loop);
    pthread_join(w->thread, NULL);
}

void
worker_fini(struct worker *w)
{
    for (size_t i = 0; i < w->nsock; i++) {
        if (w->fds[i] >= 0) {
            close(w->fds[i]);
            w->fds[i] = -1;
        }
    }
    w->nsock = 0;
    ev_loop_free(w->loop);
    w->loop = NULL;
}
