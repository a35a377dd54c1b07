/* Store metrics (base/metrics.h), exposed on /metrics. */
#ifndef SW_STORE_METRICS_H
#define SW_STORE_METRICS_H

#include "base/metrics.h"

/** Time of one group commit (begin to durable), ns. */
extern struct metric store_m_commit_latency;
/** Requests per group commit. */
extern struct metric store_m_batch_size;
/** Write requests queued or in a commit. */
extern struct metric store_m_queue;

#endif
