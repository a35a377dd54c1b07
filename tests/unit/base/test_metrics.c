#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/metrics.h"

static struct metric t_plain = {
    .name = "t_plain_total",
    .help = "a counter without labels",
    .type = METRIC_COUNTER,
};
METRIC_REGISTER(t_plain)

static bool
method_labels(size_t i, char *buf, size_t len)
{
    static const char *const names[] = { "INVITE", NULL, "OPTIONS" };
    if (!names[i]) {
        return false;
    }
    snprintf(buf, len, "method=\"%s\"", names[i]);
    return true;
}

static struct metric t_labeled = {
    .name = "t_labeled_total",
    .help = "a counter with a hole",
    .type = METRIC_COUNTER,
    .nseries = 3,
    .labels = method_labels,
};
METRIC_REGISTER(t_labeled)

static bool
code_labels(size_t i, char *buf, size_t len)
{
    snprintf(buf, len, "code=\"%zu\"", i + 100);
    return true;
}

static struct metric t_sparse = {
    .name = "t_sparse_total",
    .help = "sparse",
    .type = METRIC_COUNTER,
    .nseries = 600,
    .labels = code_labels,
    .skip_zero = true,
};
METRIC_REGISTER(t_sparse)

static struct metric t_gauge = {
    .name = "t_gauge",
    .help = "a gauge",
    .type = METRIC_GAUGE,
};
METRIC_REGISTER(t_gauge)

static const uint64_t t_bounds[] = { 1000000, 10000000 }; /* 1 ms, 10 ms */
static struct metric t_hist = {
    .name = "t_latency_seconds",
    .help = "a histogram",
    .type = METRIC_HISTOGRAM,
    .bounds = t_bounds,
    .nbounds = 2,
    .scale = 1e9,
};
METRIC_REGISTER(t_hist)

static char *
render(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    assert_int_equal(metrics_write_prometheus(f), 0);
    fclose(f);
    return buf;
}

static void
test_counter_and_render(void **state)
{
    (void) state;
    uint64_t before = metric_value(&t_plain, 0);
    metric_inc(&t_plain, 0);
    metric_add(&t_plain, 0, 4);
    metric_inc(&t_plain, 7); /* out of range: ignored, not a crash */
    assert_int_equal(metric_value(&t_plain, 0), before + 5);

    char *out = render();
    char want[128];
    snprintf(want, sizeof(want), "t_plain_total %llu\n",
        (unsigned long long) (before + 5));
    assert_non_null(strstr(out, "# TYPE t_plain_total counter\n"));
    assert_non_null(strstr(out, want));
    free(out);
}

static void
test_labels_holes_and_sparse(void **state)
{
    (void) state;
    metric_inc(&t_labeled, 2);
    metric_inc(&t_sparse, 404 - 100);
    char *out = render();
    assert_non_null(strstr(out, "t_labeled_total{method=\"OPTIONS\"} 1\n"));
    assert_non_null(strstr(out, "t_labeled_total{method=\"INVITE\"} 0\n"));
    assert_non_null(strstr(out, "t_sparse_total{code=\"404\"} 1\n"));
    /* Codes never seen are left out. */
    assert_null(strstr(out, "code=\"200\""));
    assert_int_equal(metric_total(&t_sparse), 1);
    free(out);
}

static void
test_gauge_goes_down(void **state)
{
    (void) state;
    metric_gauge_add(&t_gauge, 0, 3);
    metric_gauge_add(&t_gauge, 0, -5);
    assert_int_equal((int64_t) metric_value(&t_gauge, 0), -2);
    char *out = render();
    assert_non_null(strstr(out, "t_gauge -2\n"));
    free(out);
    metric_gauge_add(&t_gauge, 0, 2);
}

static void
test_histogram(void **state)
{
    (void) state;
    metric_observe(&t_hist, 0, 500000);   /* 0.5 ms: first bucket */
    metric_observe(&t_hist, 0, 1000000);  /* le is inclusive */
    metric_observe(&t_hist, 0, 5000000);  /* second */
    metric_observe(&t_hist, 0, 50000000); /* +Inf */
    uint64_t count, sum;
    metric_hist_read(&t_hist, 0, &count, &sum);
    assert_int_equal(count, 4);
    assert_int_equal(sum, 56500000);
    char *out = render();
    assert_non_null(strstr(out, "t_latency_seconds_bucket{le=\"0.001\"} 2\n"));
    assert_non_null(strstr(out, "t_latency_seconds_bucket{le=\"0.01\"} 3\n"));
    assert_non_null(strstr(out, "t_latency_seconds_bucket{le=\"+Inf\"} 4\n"));
    assert_non_null(strstr(out, "t_latency_seconds_sum 0.0565\n"));
    assert_non_null(strstr(out, "t_latency_seconds_count 4\n"));
    free(out);
    /* A batch timed by one clock read: three of 2 ms at once. */
    metric_observe_n(&t_hist, 0, 2000000, 3);
    metric_hist_read(&t_hist, 0, &count, &sum);
    assert_int_equal(count, 7);
    assert_int_equal(sum, 62500000);
    out = render();
    assert_non_null(strstr(out, "t_latency_seconds_bucket{le=\"0.001\"} 2\n"));
    assert_non_null(strstr(out, "t_latency_seconds_bucket{le=\"0.01\"} 6\n"));
    free(out);
}

enum {
    THREADS = 4,
    PER_THREAD = 100000
};

static void *
count_thread(void *arg)
{
    bool attach = (uintptr_t) arg & 1;
    if (attach) {
        assert_int_equal(metrics_thread_attach(), 0);
    }
    for (int i = 0; i < PER_THREAD; i++) {
        metric_inc(&t_labeled, 0);
    }
    if (attach) {
        metrics_thread_detach();
    }
    return NULL;
}

/* Private shards and the shared shard together lose nothing, and a shard
 * handed to a new thread keeps what the old one counted. */
static void
test_threads_lose_nothing(void **state)
{
    (void) state;
    pthread_t t[THREADS];
    uint64_t before = metric_value(&t_labeled, 0);

    for (uintptr_t i = 0; i < THREADS; i++) {
        assert_int_equal(
            pthread_create(&t[i], NULL, count_thread, (void *) i), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
    }
    assert_int_equal(
        metric_value(&t_labeled, 0), before + THREADS * PER_THREAD);
    /* Again: detached shards are reused, totals keep growing. */
    for (uintptr_t i = 0; i < THREADS; i++) {
        assert_int_equal(
            pthread_create(&t[i], NULL, count_thread, (void *) 1), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
    }
    assert_int_equal(
        metric_value(&t_labeled, 0), before + 2 * THREADS * PER_THREAD);
}

static void
test_find(void **state)
{
    (void) state;
    assert_ptr_equal(metric_find("t_gauge"), &t_gauge);
    assert_null(metric_find("nope"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_and_render),
        cmocka_unit_test(test_labels_holes_and_sparse),
        cmocka_unit_test(test_gauge_goes_down),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_threads_lose_nothing),
        cmocka_unit_test(test_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
