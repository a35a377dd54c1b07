#include "base/ev.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/clock.h"

struct ev_post_item {
    struct ev_post_item *next;
    ev_cb *cb;
    void *arg;
};

struct ev_loop {
    int epfd;
    int wakefd;
    struct ev_io wake_io;
    atomic_bool stop;
    uint64_t now_ms;
    uint64_t now_ns; /* read once per wake-up */

    struct ev_timer **heap;
    size_t nheap, capheap;

    pthread_mutex_t post_lock;
    struct ev_post_item *post_head, *post_tail;

    ev_cb *before_sleep;
    void *before_sleep_arg;
};

static void run_posts(struct ev_loop *l);

static void
wake_cb(void *arg, uint32_t events)
{
    struct ev_loop *l = arg;
    uint64_t v;

    (void) events;
    if (read(l->wakefd, &v, sizeof(v)) < 0) {
        /* EAGAIN: another wake already drained it. */
    }
    run_posts(l);
}

int
ev_loop_new(struct ev_loop **lp)
{
    struct ev_loop *l = calloc(1, sizeof(*l));
    int err;

    if (!l) {
        return -ENOMEM;
    }
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->epfd < 0 || l->wakefd < 0) {
        err = -errno;
        goto fail;
    }
    pthread_mutex_init(&l->post_lock, NULL);
    l->now_ns = clock_mono_ns();
    l->now_ms = l->now_ns / 1000000u;
    err = ev_io_start(l, &l->wake_io, l->wakefd, EPOLLIN, wake_cb, l);
    if (err) {
        pthread_mutex_destroy(&l->post_lock);
        goto fail;
    }
    *lp = l;
    return 0;
fail:
    if (l->epfd >= 0) {
        close(l->epfd);
    }
    if (l->wakefd >= 0) {
        close(l->wakefd);
    }
    free(l);
    return err;
}

void
ev_loop_free(struct ev_loop *l)
{
    if (!l) {
        return;
    }
    run_posts(l); /* a posted item may own memory */
    close(l->epfd);
    close(l->wakefd);
    pthread_mutex_destroy(&l->post_lock);
    free(l->heap);
    free(l);
}

int
ev_io_start(struct ev_loop *l, struct ev_io *io, int fd, uint32_t events,
    ev_io_cb *cb, void *arg)
{
    struct epoll_event ev = { .events = events, .data.ptr = io };

    io->fd = fd;
    io->events = events;
    io->cb = cb;
    io->arg = arg;
    return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

int
ev_io_modify(struct ev_loop *l, struct ev_io *io, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = io };

    if (io->events == events) {
        return 0;
    }
    io->events = events;
    return epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) == 0 ? 0 : -errno;
}

void
ev_io_stop(struct ev_loop *l, struct ev_io *io)
{
    if (io->fd >= 0) {
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    }
    io->fd = -1;
}

/* Timer heap (1-based idx stored in each timer). */
static void
heap_swap(struct ev_loop *l, size_t a, size_t b)
{
    struct ev_timer *t = l->heap[a];

    l->heap[a] = l->heap[b];
    l->heap[b] = t;
    l->heap[a]->idx = a + 1;
    l->heap[b]->idx = b + 1;
}

static void
heap_up(struct ev_loop *l, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (l->heap[p]->when_ms <= l->heap[i]->when_ms) {
            break;
        }
        heap_swap(l, i, p);
        i = p;
    }
}

static void
heap_down(struct ev_loop *l, size_t i)
{
    for (;;) {
        size_t c = 2 * i + 1, m = i;
        if (c < l->nheap && l->heap[c]->when_ms < l->heap[m]->when_ms) {
            m = c;
        }
        if (c + 1 < l->nheap && l->heap[c + 1]->when_ms < l->heap[m]->when_ms) {
            m = c + 1;
        }
        if (m == i) {
            return;
        }
        heap_swap(l, i, m);
        i = m;
    }
}

void
ev_timer_stop(struct ev_loop *l, struct ev_timer *t)
{
    if (!t->idx) {
        return;
    }
    size_t i = t->idx - 1;
    size_t last = --l->nheap;
    if (i != last) {
        heap_swap(l, i, last);
        heap_down(l, i);
        heap_up(l, i);
    }
    t->idx = 0;
}

int
ev_timer_start(struct ev_loop *l, struct ev_timer *t, uint64_t after_ms,
    ev_cb *cb, void *arg)
{
    ev_timer_stop(l, t);
    if (l->nheap == l->capheap) {
        size_t cap = l->capheap ? l->capheap * 2 : 64;
        struct ev_timer **h = realloc(l->heap, cap * sizeof(*h));
        if (!h) {
            return -ENOMEM;
        }
        l->heap = h;
        l->capheap = cap;
    }
    t->when_ms = clock_mono_ms() + after_ms;
    t->cb = cb;
    t->arg = arg;
    l->heap[l->nheap] = t;
    t->idx = ++l->nheap;
    heap_up(l, l->nheap - 1);
    return 0;
}

int
ev_post(struct ev_loop *l, ev_cb *cb, void *arg)
{
    struct ev_post_item *it = malloc(sizeof(*it));
    uint64_t one = 1;

    if (!it) {
        return -ENOMEM;
    }
    it->next = NULL;
    it->cb = cb;
    it->arg = arg;
    pthread_mutex_lock(&l->post_lock);
    bool was_empty = !l->post_head;
    if (l->post_tail) {
        l->post_tail->next = it;
    } else {
        l->post_head = it;
    }
    l->post_tail = it;
    pthread_mutex_unlock(&l->post_lock);
    /* Only the first item of a queue wakes the loop: run_posts() takes the
     * whole queue, and whoever finds it empty again writes again. A store
     * batch of a hundred completions costs one write, not a hundred. */
    if (was_empty && write(l->wakefd, &one, sizeof(one)) < 0) {
        /* EAGAIN: the counter is already non-zero, the loop will wake. */
    }
    return 0;
}

static void
run_posts(struct ev_loop *l)
{
    pthread_mutex_lock(&l->post_lock);
    struct ev_post_item *it = l->post_head;
    l->post_head = l->post_tail = NULL;
    pthread_mutex_unlock(&l->post_lock);

    while (it) {
        struct ev_post_item *next = it->next;
        it->cb(it->arg);
        free(it);
        it = next;
    }
}

void
ev_run_pending(struct ev_loop *l)
{
    run_posts(l);
}

void
ev_before_sleep(struct ev_loop *l, ev_cb *cb, void *arg)
{
    l->before_sleep = cb;
    l->before_sleep_arg = arg;
}

uint64_t
ev_now_ms(const struct ev_loop *l)
{
    return l->now_ms;
}

uint64_t
ev_now_ns(const struct ev_loop *l)
{
    return l->now_ns;
}

void
ev_stop(struct ev_loop *l)
{
    uint64_t one = 1;

    atomic_store(&l->stop, true);
    if (write(l->wakefd, &one, sizeof(one)) < 0) {
        /* already signalled */
    }
}

static void
run_timers(struct ev_loop *l)
{
    while (l->nheap && l->heap[0]->when_ms <= l->now_ms) {
        struct ev_timer *t = l->heap[0];
        ev_timer_stop(l, t);
        t->cb(t->arg);
    }
}

int
ev_run(struct ev_loop *l)
{
    struct epoll_event evs[64];

    while (!atomic_load(&l->stop)) {
        int timeout = -1;

        if (l->before_sleep) {
            l->before_sleep(l->before_sleep_arg);
        }
        if (l->nheap) {
            uint64_t now = clock_mono_ms();
            uint64_t when = l->heap[0]->when_ms;
            timeout = when <= now
                ? 0
                : (int) (when - now > 60000 ? 60000 : when - now);
        }
        int n = epoll_wait(l->epfd, evs, 64, timeout);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        l->now_ns = clock_mono_ns();
        l->now_ms = l->now_ns / 1000000u;
        for (int i = 0; i < n; i++) {
            struct ev_io *io = evs[i].data.ptr;
            if (io->fd >= 0) {
                io->cb(io->arg, evs[i].events);
            }
        }
        run_timers(l);
    }
    return 0;
}
