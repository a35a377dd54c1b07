/*
 * Event loop: one per worker thread. epoll for file descriptors, a binary
 * heap for timers, an eventfd-backed queue for work posted from other
 * threads. Handles (ev_io, ev_timer) are embedded by the caller.
 */
#ifndef SW_BASE_EV_H
#define SW_BASE_EV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

struct ev_loop;

typedef void ev_io_cb(void *arg, uint32_t events);
typedef void ev_cb(void *arg);

struct ev_io {
    int fd;
    uint32_t events;
    ev_io_cb *cb;
    void *arg;
};

struct ev_timer {
    uint64_t when_ms;
    size_t idx; /* position in the heap + 1; 0 when not armed */
    ev_cb *cb;
    void *arg;
};

int ev_loop_new(struct ev_loop **lp);
void ev_loop_free(struct ev_loop *l);

/** Watches fd for events (EPOLLIN, EPOLLOUT, ...). */
int ev_io_start(struct ev_loop *l, struct ev_io *io, int fd, uint32_t events,
    ev_io_cb *cb, void *arg);
int ev_io_modify(struct ev_loop *l, struct ev_io *io, uint32_t events);
void ev_io_stop(struct ev_loop *l, struct ev_io *io);

/** Arms (or re-arms) t to fire once after after_ms. */
int ev_timer_start(struct ev_loop *l, struct ev_timer *t, uint64_t after_ms,
    ev_cb *cb, void *arg);
void ev_timer_stop(struct ev_loop *l, struct ev_timer *t);

static inline bool
ev_timer_active(const struct ev_timer *t)
{
    return t->idx != 0;
}

/** Runs cb(arg) on the loop's thread; safe from any thread. */
int ev_post(struct ev_loop *l, ev_cb *cb, void *arg);
/**
 * Runs the callbacks posted so far, on the calling thread; for a stopped
 * loop whose posts must run before its owner is freed.
 */
void ev_run_pending(struct ev_loop *l);
/** Called every time the loop is about to sleep (flush batched output). */
void ev_before_sleep(struct ev_loop *l, ev_cb *cb, void *arg);

/** Cached monotonic time of the current iteration, in ms. */
uint64_t ev_now_ms(const struct ev_loop *l);
/** The same in ns: when the loop last woke up (epoll_wait returned). */
uint64_t ev_now_ns(const struct ev_loop *l);

/** Runs until ev_stop(); returns 0, or -errno when epoll fails. */
int ev_run(struct ev_loop *l);
/** Makes ev_run() return; safe from any thread. */
void ev_stop(struct ev_loop *l);

#endif
