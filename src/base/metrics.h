/*
 * Metrics: counters, gauges and histograms that any layer updates without a
 * lock. A metric is a static object defined where it is counted and
 * registered before main() by METRIC_REGISTER; registration gives it a
 * range of slots. Every thread that counts on the hot path (SIP workers)
 * attaches a private shard with metrics_thread_attach() and then updates its
 * slots with plain relaxed stores: one writer per shard, no lock prefix, no
 * shared cache line. Other threads fall back to one shared shard updated with
 * atomic adds. A scrape sums every shard (Prometheus text format 0.0.4).
 *
 *     static struct metric m_req = {
 *         .name = "sipward_sip_requests_total",
 *         .help = "SIP requests received",
 *         .type = METRIC_COUNTER,
 *     };
 *     METRIC_REGISTER(m_req)
 *     ...
 *     metric_inc(&m_req, 0);
 */
#ifndef SW_BASE_METRICS_H
#define SW_BASE_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum metric_type {
    METRIC_COUNTER,
    METRIC_GAUGE,
    METRIC_HISTOGRAM,
};

/*
 * Writes the label pairs of one series, e.g. `method="INVITE"`, into buf.
 * Returns false for a series that does not exist (a hole in the table).
 */
typedef bool metric_label_fn(size_t series, char *buf, size_t len);

enum {
    METRICS_MAX_SLOTS = 8192, /* 64 KiB per shard */
    METRICS_MAX_BOUNDS = 24,
};

struct metric {
    const char *name; /* sipward_<area>_<what>[_total|_seconds] */
    const char *help;
    enum metric_type type;
    size_t nseries;          /* label combinations; 0 means 1 (no labels) */
    metric_label_fn *labels; /* NULL when unlabeled */
    /* Histograms: ascending upper bounds in the unit observed (+Inf is
     * implicit). */
    const uint64_t *bounds;
    size_t nbounds;
    /* Values are divided by scale when exposed (1e9: ns to seconds); 0 is
     * 1. Applies to histogram bounds and sums. */
    double scale;
    bool skip_zero; /* omit series that never moved (sparse label sets) */
    /* Set by metric_register(). */
    uint32_t slot;
    uint32_t width; /* slots per series */
    bool disabled;  /* did not fit: updates are ignored */
    struct metric *next;
};

struct metrics_shard {
    _Atomic uint64_t v[METRICS_MAX_SLOTS];
    struct metrics_shard *next;
    bool in_use;
};

/* Private to the inline functions below. */
extern _Thread_local struct metrics_shard *metrics__tls;
extern struct metrics_shard metrics__shared;

/** Gives m its slots; called before main() by METRIC_REGISTER. */
void metric_register(struct metric *m);

#define METRIC_REGISTER(m)                                                     \
    __attribute__((constructor)) static void metric_ctor_##m(void)             \
    {                                                                          \
        metric_register(&(m));                                                 \
    }

/**
 * Gives the calling thread a private shard. A shard outlives its thread:
 * detach hands it to the next thread that attaches, so counts never go
 * backwards. Returns 0 or -ENOMEM (the thread then uses the shared shard).
 */
int metrics_thread_attach(void);
void metrics_thread_detach(void);

static inline void
metric__add_slot(uint32_t slot, uint64_t v)
{
    struct metrics_shard *s = metrics__tls;

    if (s) {
        /* Single writer: load + store, no locked instruction. */
        uint64_t cur = atomic_load_explicit(&s->v[slot], memory_order_relaxed);
        atomic_store_explicit(&s->v[slot], cur + v, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(
            &metrics__shared.v[slot], v, memory_order_relaxed);
    }
}

static inline size_t
metric__nseries(const struct metric *m)
{
    return m->nseries ? m->nseries : 1;
}

/** Adds v to series of a counter or gauge. */
static inline void
metric_add(struct metric *m, size_t series, uint64_t v)
{
    if (m->disabled || series >= metric__nseries(m)) {
        return;
    }
    metric__add_slot(m->slot + (uint32_t) series * m->width, v);
}

static inline void
metric_inc(struct metric *m, size_t series)
{
    metric_add(m, series, 1);
}

/** Gauges: adds a signed delta (sums of shards wrap back to the truth). */
static inline void
metric_gauge_add(struct metric *m, size_t series, int64_t delta)
{
    metric_add(m, series, (uint64_t) delta);
}

/** Histograms: records one observation of value (in the metric's unit). */
void metric_observe(struct metric *m, size_t series, uint64_t value);
/** n observations of the same value (a batch that shares one clock read). */
void metric_observe_n(
    struct metric *m, size_t series, uint64_t value, uint64_t n);

/** Current value of one series of a counter (gauges: cast to int64_t). */
uint64_t metric_value(const struct metric *m, size_t series);
/** Sum over every series of a counter. */
uint64_t metric_total(const struct metric *m);
/** Histograms: number of observations and their sum for one series. */
void metric_hist_read(
    const struct metric *m, size_t series, uint64_t *count, uint64_t *sum);

/** Looks a registered metric up by name; NULL when unknown. */
const struct metric *metric_find(const char *name);

/**
 * Writes every registered metric in Prometheus text exposition format
 * (version 0.0.4), sorted by name. Returns 0 or -errno.
 */
int metrics_write_prometheus(FILE *f);

#endif
