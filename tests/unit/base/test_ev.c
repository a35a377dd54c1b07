#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/ev.h"

struct order {
    int seen[8];
    int n;
    struct ev_loop *loop;
};

struct tick {
    struct order *o;
    int id;
    struct ev_timer t;
};

static void
tick_cb(void *arg)
{
    struct tick *k = arg;
    k->o->seen[k->o->n++] = k->id;
    if (k->o->n == 3) {
        ev_stop(k->o->loop);
    }
}

static void
test_timers_fire_in_order(void **state)
{
    struct order o = { 0 };
    struct tick a = { &o, 1, { 0 } }, b = { &o, 2, { 0 } },
                c = { &o, 3, { 0 } }, x = { &o, 9, { 0 } };

    (void) state;
    assert_int_equal(ev_loop_new(&o.loop), 0);
    ev_timer_start(o.loop, &c.t, 30, tick_cb, &c);
    ev_timer_start(o.loop, &a.t, 1, tick_cb, &a);
    ev_timer_start(o.loop, &x.t, 5, tick_cb, &x);
    ev_timer_start(o.loop, &b.t, 10, tick_cb, &b);
    ev_timer_stop(o.loop, &x.t);
    assert_false(ev_timer_active(&x.t));
    assert_int_equal(ev_run(o.loop), 0);
    assert_int_equal(o.n, 3);
    assert_int_equal(o.seen[0], 1);
    assert_int_equal(o.seen[1], 2);
    assert_int_equal(o.seen[2], 3);
    ev_loop_free(o.loop);
}

struct posted {
    struct ev_loop *loop;
    int value;
};

static void
post_cb(void *arg)
{
    struct posted *p = arg;
    p->value = 42;
    ev_stop(p->loop);
}

static void *
poster(void *arg)
{
    struct posted *p = arg;
    usleep(10000);
    ev_post(p->loop, post_cb, p);
    return NULL;
}

static void
test_post_from_other_thread(void **state)
{
    struct posted p = { 0 };
    pthread_t th;

    (void) state;
    assert_int_equal(ev_loop_new(&p.loop), 0);
    pthread_create(&th, NULL, poster, &p);
    assert_int_equal(ev_run(p.loop), 0);
    pthread_join(th, NULL);
    assert_int_equal(p.value, 42);
    ev_loop_free(p.loop);
}

struct pipe_ctx {
    struct ev_loop *loop;
    struct ev_io io;
    char got;
};

static void
pipe_cb(void *arg, uint32_t events)
{
    struct pipe_ctx *c = arg;
    assert_true(events & EPOLLIN);
    assert_int_equal(read(c->io.fd, &c->got, 1), 1);
    ev_stop(c->loop);
}

static void
test_io(void **state)
{
    struct pipe_ctx c = { 0 };
    int fds[2];

    (void) state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(ev_loop_new(&c.loop), 0);
    assert_int_equal(
        ev_io_start(c.loop, &c.io, fds[0], EPOLLIN, pipe_cb, &c), 0);
    assert_int_equal(write(fds[1], "x", 1), 1);
    assert_int_equal(ev_run(c.loop), 0);
    assert_int_equal(c.got, 'x');
    ev_io_stop(c.loop, &c.io);
    ev_loop_free(c.loop);
    close(fds[0]);
    close(fds[1]);
}

static void
test_arena(void **state)
{
    struct arena a;

    (void) state;
    assert_int_equal(arena_init(&a, 64), 0);
    char *p = arena_alloc(&a, 10);
    assert_non_null(p);
    assert_int_equal((uintptr_t) p % 16, 0);
    char *q = arena_alloc(&a, 10);
    assert_true(q >= p + 10);
    assert_null(arena_alloc(&a, 64));
    char *s = arena_strndup(&a, "hello", 5);
    assert_string_equal(s, "hello");
    arena_reset(&a);
    assert_ptr_equal(arena_alloc(&a, 1), p);
    arena_free(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_fire_in_order),
        cmocka_unit_test(test_post_from_other_thread),
        cmocka_unit_test(test_io),
        cmocka_unit_test(test_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
