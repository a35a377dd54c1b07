/*
 * Failed verifications: the one place the STI-VS reports a failure. Each is
 * counted (sipward_stir_verifications_total), logged as one line with its
 * Call-ID, SIP code and reason (rate-limited per worker, so a flood of bad
 * calls cannot flood the log), and kept in a small ring the status page
 * shows as "recent failed verifications".
 */
#ifndef SW_APP_VERIFY_LOG_H
#define SW_APP_VERIFY_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "app/app_metrics.h"
#include "base/slice.h"

enum {
    APP_VERIFY_RECENT = 32
};

struct app_verify_failure {
    uint64_t wall_ms; /* when, ms since the epoch */
    char call_id[96];
    unsigned code; /* the SIP code answered (438, 437, ...) */
    enum app_verify_reason reason;
    char text[160]; /* the precise text, as in the Reason header */
};

/**
 * Reports one failed verification. Counts it: do not also call
 * app_metrics_verification() for it. Thread-safe.
 */
void app_verify_failed(struct slice call_id, unsigned code,
    enum app_verify_reason reason, struct slice text);

/** Copies up to max of the latest failures, newest first. */
size_t app_verify_failures_recent(struct app_verify_failure *out, size_t max);

#endif
