#define LOG_MODULE "sti-vs"
#include "app/verify_log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"

/* Failures are rare next to the call rate, so one mutex is enough; it is
 * held only to copy one record. */
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static struct app_verify_failure ring[APP_VERIFY_RECENT];
static size_t ring_next; /* total ever recorded */

void
app_verify_failed(struct slice call_id, unsigned code,
    enum app_verify_reason reason, struct slice text)
{
    static _Thread_local struct log_limit lim;
    struct app_verify_failure f;
    char codebuf[8];

    memset(&f, 0, sizeof(f));
    f.wall_ms = clock_wall_ns() / 1000000u;
    f.code = code;
    f.reason = reason;
    snprintf(f.call_id, sizeof(f.call_id), SLICE_FMT,
        (int) (call_id.len < sizeof(f.call_id) ? call_id.len
                                               : sizeof(f.call_id) - 1),
        call_id.p ? call_id.p : "");
    snprintf(f.text, sizeof(f.text), SLICE_FMT,
        (int) (text.len < sizeof(f.text) ? text.len : sizeof(f.text) - 1),
        text.p ? text.p : "");

    app_metrics_verification(APP_VERIFY_FAILED, reason);

    pthread_mutex_lock(&ring_lock);
    ring[ring_next % APP_VERIFY_RECENT] = f;
    ring_next++;
    pthread_mutex_unlock(&ring_lock);

    if (LOG_WARN <= log_level_current && log_limit_allow(&lim, 5, 20)) {
        char supbuf[24];
        uint64_t sup = log_limit_suppressed(&lim);
        snprintf(codebuf, sizeof(codebuf), "%u", code);
        snprintf(supbuf, sizeof(supbuf), "%llu", (unsigned long long) sup);
        const struct log_kv kv[] = {
            { "call_id", f.call_id }, { "code", codebuf },
            { "reason", app_verify_reason_name(reason) }, { "detail", f.text },
            { "suppressed", supbuf }, /* failures not logged before this */
        };
        /* The count of dropped lines only when there were some. */
        log_write_kv(LOG_WARN, LOG_MODULE, kv,
            sizeof(kv) / sizeof(kv[0]) - (sup ? 0 : 1), "verification failed");
    }
}

size_t
app_verify_failures_recent(struct app_verify_failure *out, size_t max)
{
    size_t n = 0;

    pthread_mutex_lock(&ring_lock);
    while (n < max && n < ring_next && n < APP_VERIFY_RECENT) {
        out[n] = ring[(ring_next - 1 - n) % APP_VERIFY_RECENT];
        n++;
    }
    pthread_mutex_unlock(&ring_lock);
    return n;
}
