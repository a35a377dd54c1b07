#include "store/store_metrics.h"

/* 100 us .. 5 s: an fsync on SSD sits near 1 ms, on a busy disk far
 * higher; PostgreSQL adds a network round trip. */
static const uint64_t commit_bounds[] = { 100000, 250000, 500000, 1000000,
    2500000, 5000000, 10000000, 25000000, 50000000, 100000000, 250000000,
    1000000000, 5000000000u };

struct metric store_m_commit_latency = {
    .name = "sipward_store_commit_duration_seconds",
    .help = "time of one group commit, from begin to durable",
    .type = METRIC_HISTOGRAM,
    .bounds = commit_bounds,
    .nbounds = sizeof(commit_bounds) / sizeof(commit_bounds[0]),
    .scale = 1e9,
};
METRIC_REGISTER(store_m_commit_latency)

static const uint64_t batch_bounds[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256,
    512 };

struct metric store_m_batch_size = {
    .name = "sipward_store_commit_batch_size",
    .help = "write requests made durable by one group commit",
    .type = METRIC_HISTOGRAM,
    .bounds = batch_bounds,
    .nbounds = sizeof(batch_bounds) / sizeof(batch_bounds[0]),
};
METRIC_REGISTER(store_m_batch_size)

struct metric store_m_queue = {
    .name = "sipward_store_queue_depth",
    .help = "store write requests queued or in a commit",
    .type = METRIC_GAUGE,
};
METRIC_REGISTER(store_m_queue)
