/*
 * Logging. Each file defines LOG_MODULE before including this header. The
 * level is checked before the arguments are evaluated. Lines carry the
 * worker's current context (Call-ID, peer) when one is set. Never pass a
 * secret (password, HA1, key, token) to a log call: there is no redaction
 * after the fact.
 */
#ifndef SW_BASE_LOG_H
#define SW_BASE_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/slice.h"

#ifndef LOG_MODULE
#define LOG_MODULE "main"
#endif

enum log_level {
    LOG_ERROR = 0,
    LOG_WARN = 1,
    LOG_INFO = 2,
    LOG_DEBUG = 3,
};

enum log_format {
    LOG_FORMAT_TEXT = 0,
    LOG_FORMAT_JSON = 1,
};

extern int log_level_current;

/** Parses "error", "warn", "info", "debug"; -1 if unknown. */
int log_level_parse(const char *s);
void log_set_level(enum log_level lvl);
void log_set_format(enum log_format fmt);
/** Log to a file descriptor (default stderr). */
void log_set_fd(int fd);

/** Per-thread context printed with every line; empty slices clear it. */
void log_context_set(struct slice call_id, const char *peer);
void log_context_clear(void);

void log_write(enum log_level lvl, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A named field of a structured line: JSON gets "key":"val", text gets
 * key=val (quoted when it holds a space). */
struct log_kv {
    const char *key;
    const char *val;
};

/** log_write() with extra fields after the message. */
void log_write_kv(enum log_level lvl, const char *module,
    const struct log_kv *kv, size_t nkv, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define log_at(lvl, ...)                                                       \
    do {                                                                       \
        if ((int) (lvl) <= log_level_current) {                                \
            log_write((lvl), LOG_MODULE, __VA_ARGS__);                         \
        }                                                                      \
    } while (0)

#define log_error(...) log_at(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_at(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_at(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)

/**
 * Token bucket for per-packet errors: at most burst lines, refilled at
 * per_sec lines per second. Returns true when this line may be written.
 * One limiter per call site, owned by one thread.
 */
struct log_limit {
    double tokens;
    uint64_t last_ns;
    uint64_t suppressed;
};
bool log_limit_allow(struct log_limit *l, double per_sec, double burst);
/**
 * Lines refused since the last call, and resets the count: the next line
 * written says how many were dropped, so a quiet log is not mistaken for a
 * quiet network.
 */
uint64_t log_limit_suppressed(struct log_limit *l);

#define log_warn_limited(lim, ...)                                             \
    do {                                                                       \
        if (LOG_WARN <= log_level_current && log_limit_allow((lim), 5, 20)) {  \
            uint64_t sup_ = log_limit_suppressed(lim);                         \
            if (sup_) {                                                        \
                log_write(LOG_WARN, LOG_MODULE,                                \
                    "%llu similar lines suppressed (rate limit)",              \
                    (unsigned long long) sup_);                                \
            }                                                                  \
            log_write(LOG_WARN, LOG_MODULE, __VA_ARGS__);                      \
        }                                                                      \
    } while (0)

#endif
