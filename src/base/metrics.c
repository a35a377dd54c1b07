#include "base/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

_Thread_local struct metrics_shard *metrics__tls;
struct metrics_shard metrics__shared;

/* Written only by constructors before main(), read-only afterwards. */
static struct metric *registry;
static size_t nregistered;
static uint32_t next_slot;

/* Guards the shard list; taken on attach, detach and scrape, never when
 * counting. */
static pthread_mutex_t shards_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metrics_shard *shards;

void
metric_register(struct metric *m)
{
    size_t n = metric__nseries(m);

    m->width = m->type == METRIC_HISTOGRAM ? (uint32_t) m->nbounds + 2 : 1;
    if (m->type == METRIC_HISTOGRAM && m->nbounds > METRICS_MAX_BOUNDS) {
        m->disabled = true;
    }
    if ((uint64_t) next_slot + (uint64_t) n * m->width > METRICS_MAX_SLOTS) {
        /* Too many series for the fixed shard: a programming error that
         * must not take the daemon down; the metric simply stays at 0. */
        m->disabled = true;
    }
    if (!m->disabled) {
        m->slot = next_slot;
        next_slot += (uint32_t) n * m->width;
    }
    m->next = registry;
    registry = m;
    nregistered++;
}

int
metrics_thread_attach(void)
{
    struct metrics_shard *s;

    if (metrics__tls) {
        return 0;
    }
    pthread_mutex_lock(&shards_lock);
    for (s = shards; s; s = s->next) {
        if (!s->in_use) {
            break;
        }
    }
    if (!s) {
        /* Cache-line aligned so two threads' shards never share a line. */
        void *mem = NULL;
        if (posix_memalign(&mem, 64, sizeof(*s)) == 0) {
            s = mem;
            memset(s, 0, sizeof(*s));
            s->next = shards;
            shards = s;
        }
    }
    if (s) {
        s->in_use = true;
    }
    pthread_mutex_unlock(&shards_lock);
    if (!s) {
        return -ENOMEM;
    }
    metrics__tls = s;
    return 0;
}

void
metrics_thread_detach(void)
{
    if (!metrics__tls) {
        return;
    }
    pthread_mutex_lock(&shards_lock);
    metrics__tls->in_use = false;
    pthread_mutex_unlock(&shards_lock);
    metrics__tls = NULL;
}

void
metric_observe(struct metric *m, size_t series, uint64_t value)
{
    metric_observe_n(m, series, value, 1);
}

void
metric_observe_n(struct metric *m, size_t series, uint64_t value, uint64_t n)
{
    size_t i = 0;

    if (m->type != METRIC_HISTOGRAM || m->disabled
        || series >= metric__nseries(m)) {
        return;
    }
    /* Prometheus buckets are "less than or equal". */
    while (i < m->nbounds && value > m->bounds[i]) {
        i++;
    }
    uint32_t base = m->slot + (uint32_t) series * m->width;
    metric__add_slot(base + (uint32_t) i, n);
    metric__add_slot(base + (uint32_t) m->nbounds + 1, value * n);
}

/* Sum of one slot over the shared shard and every thread's shard. */
static uint64_t
slot_sum(uint32_t slot)
{
    uint64_t v =
        atomic_load_explicit(&metrics__shared.v[slot], memory_order_relaxed);

    pthread_mutex_lock(&shards_lock);
    for (struct metrics_shard *s = shards; s; s = s->next) {
        v += atomic_load_explicit(&s->v[slot], memory_order_relaxed);
    }
    pthread_mutex_unlock(&shards_lock);
    return v;
}

uint64_t
metric_value(const struct metric *m, size_t series)
{
    if (m->disabled || series >= metric__nseries(m)) {
        return 0;
    }
    return slot_sum(m->slot + (uint32_t) series * m->width);
}

uint64_t
metric_total(const struct metric *m)
{
    uint64_t v = 0;

    for (size_t i = 0; i < metric__nseries(m); i++) {
        v += metric_value(m, i);
    }
    return v;
}

void
metric_hist_read(
    const struct metric *m, size_t series, uint64_t *count, uint64_t *sum)
{
    *count = 0;
    *sum = 0;
    if (m->type != METRIC_HISTOGRAM || m->disabled
        || series >= metric__nseries(m)) {
        return;
    }
    uint32_t base = m->slot + (uint32_t) series * m->width;
    for (size_t i = 0; i <= m->nbounds; i++) {
        *count += slot_sum(base + (uint32_t) i);
    }
    *sum = slot_sum(base + (uint32_t) m->nbounds + 1);
}

const struct metric *
metric_find(const char *name)
{
    for (const struct metric *m = registry; m; m = m->next) {
        if (strcmp(m->name, name) == 0) {
            return m;
        }
    }
    return NULL;
}

static int
by_name(const void *a, const void *b)
{
    const struct metric *const *x = a;
    const struct metric *const *y = b;

    return strcmp((*x)->name, (*y)->name);
}

static double
scaled(const struct metric *m, uint64_t v)
{
    return m->scale > 0 ? (double) v / m->scale : (double) v;
}

static const char *
type_name(enum metric_type t)
{
    switch (t) {
    case METRIC_COUNTER:
        return "counter";
    case METRIC_GAUGE:
        return "gauge";
    case METRIC_HISTOGRAM:
        return "histogram";
    }
    return "untyped";
}

/* Reads a histogram series at once (one pass over the shards per slot). */
static void
write_histogram(
    FILE *f, const struct metric *m, size_t series, const char *labels)
{
    uint64_t cum = 0;
    uint32_t base = m->slot + (uint32_t) series * m->width;
    const char *sep = labels[0] ? "," : "";

    for (size_t i = 0; i <= m->nbounds; i++) {
        cum += slot_sum(base + (uint32_t) i);
        if (i < m->nbounds) {
            fprintf(f, "%s_bucket{%s%sle=\"%.9g\"} %" PRIu64 "\n", m->name,
                labels, sep, scaled(m, m->bounds[i]), cum);
        } else {
            fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", m->name,
                labels, sep, cum);
        }
    }
    uint64_t sum = slot_sum(base + (uint32_t) m->nbounds + 1);
    const char *open = labels[0] ? "{" : "";
    const char *close = labels[0] ? "}" : "";
    fprintf(
        f, "%s_sum%s%s%s %.9g\n", m->name, open, labels, close, scaled(m, sum));
    fprintf(
        f, "%s_count%s%s%s %" PRIu64 "\n", m->name, open, labels, close, cum);
}

static void
write_metric(FILE *f, const struct metric *m)
{
    char labels[256];

    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
        type_name(m->type));
    for (size_t i = 0; i < metric__nseries(m); i++) {
        labels[0] = '\0';
        if (m->labels && !m->labels(i, labels, sizeof(labels))) {
            continue;
        }
        if (m->type == METRIC_HISTOGRAM) {
            uint64_t count, sum;
            metric_hist_read(m, i, &count, &sum);
            if (m->skip_zero && count == 0) {
                continue;
            }
            write_histogram(f, m, i, labels);
            continue;
        }
        uint64_t v = metric_value(m, i);
        if (m->skip_zero && v == 0) {
            continue;
        }
        fprintf(f, "%s%s%s%s ", m->name, labels[0] ? "{" : "", labels,
            labels[0] ? "}" : "");
        if (m->type == METRIC_GAUGE) {
            fprintf(f, "%.9g\n",
                m->scale > 0 ? (double) (int64_t) v / m->scale
                             : (double) (int64_t) v);
        } else {
            fprintf(f, "%" PRIu64 "\n", v);
        }
    }
}

int
metrics_write_prometheus(FILE *f)
{
    const struct metric **all = calloc(nregistered + 1, sizeof(*all));
    size_t n = 0;

    if (!all) {
        return -ENOMEM;
    }
    for (const struct metric *m = registry; m; m = m->next) {
        all[n++] = m;
    }
    qsort(all, n, sizeof(*all), by_name);
    for (size_t i = 0; i < n; i++) {
        write_metric(f, all[i]);
    }
    free(all);
    return ferror(f) ? -EIO : 0;
}
