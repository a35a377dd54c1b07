#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/slice.h"

int log_level_current = LOG_INFO;
static enum log_format log_fmt = LOG_FORMAT_TEXT;
static int log_fd = STDERR_FILENO;

static _Thread_local char ctx_callid[128];
static _Thread_local char ctx_peer[64];

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int
log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

void
log_set_level(enum log_level lvl)
{
    log_level_current = (int) lvl;
}

void
log_set_format(enum log_format fmt)
{
    log_fmt = fmt;
}

void
log_set_fd(int fd)
{
    log_fd = fd;
}

void
log_context_set(struct slice call_id, const char *peer)
{
    if (slice_copy(ctx_callid, sizeof(ctx_callid), call_id) != 0) {
        ctx_callid[0] = '\0';
    }
    snprintf(ctx_peer, sizeof(ctx_peer), "%s", peer ? peer : "");
}

void
log_context_clear(void)
{
    ctx_callid[0] = '\0';
    ctx_peer[0] = '\0';
}

/* Appends s as a JSON string body (without quotes), escaping as needed. */
static size_t
json_escape(char *dst, size_t room, const char *s)
{
    size_t n = 0, len = strlen(s);

    for (size_t i = 0; i < len && n + 7 < room;) {
        unsigned char c = (unsigned char) s[i];
        size_t k = c < 0x80      ? 1
            : (c & 0xe0) == 0xc0 ? 2
            : (c & 0xf0) == 0xe0 ? 3
                                 : 4;
        if (c == '"' || c == '\\') {
            dst[n++] = '\\';
            dst[n++] = (char) c;
        } else if (c < 0x20) {
            n += (size_t) snprintf(dst + n, room - n, "\\u%04x", c);
        } else if (k > 1
            && slice_utf8_prefix(slice_make(s + i, k <= len - i ? k : 0))
                != k) {
            /* A hostile Call-ID or URI must not make the line invalid
             * JSON: U+FFFD for a byte that is not UTF-8. */
            n += (size_t) snprintf(dst + n, room - n, "\\ufffd");
            k = 1;
        } else {
            memcpy(dst + n, s + i, k);
            n += k;
        }
        i += k;
    }
    return n;
}

/*
 * Appends " key=value" at n (value quoted when it holds a space or is
 * empty; control characters become '?' so a field cannot forge a line).
 * Stops at room; returns the new length.
 */
static size_t
text_field(char *line, size_t room, size_t n, const char *key, const char *v)
{
    bool quote;

    v = v ? v : "";
    quote = *v == '\0' || strchr(v, ' ') != NULL;
    if (n + strlen(key) + 4 >= room) {
        return n;
    }
    n +=
        (size_t) snprintf(line + n, room - n, " %s=%s", key, quote ? "\"" : "");
    for (; *v && n + 2 < room; v++) {
        unsigned char c = (unsigned char) *v;
        line[n++] = c < 0x20 || c == 0x7f ? '?' : (char) c;
    }
    if (quote && n + 1 < room) {
        line[n++] = '"';
    }
    return n;
}

static void
log_vwrite(enum log_level lvl, const char *module, const struct log_kv *kv,
    size_t nkv, const char *fmt, va_list ap)
{
    char msg[2048];
    char line[4096];
    char ts[32];
    struct timespec now;
    struct tm tm;
    size_t n;

    vsnprintf(msg, sizeof(msg), fmt, ap);

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

    if (log_fmt == LOG_FORMAT_JSON) {
        n = (size_t) snprintf(line, sizeof(line),
            "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"module\":\"%s\"", ts,
            now.tv_nsec / 1000000, level_names[lvl], module);
        if (ctx_callid[0] && n < sizeof(line) - 16) {
            n += (size_t) snprintf(
                line + n, sizeof(line) - n, ",\"call_id\":\"");
            n += json_escape(line + n, sizeof(line) - n - 8, ctx_callid);
            line[n++] = '"';
        }
        if (ctx_peer[0] && n < sizeof(line) - 16) {
            n += (size_t) snprintf(line + n, sizeof(line) - n, ",\"peer\":\"");
            n += json_escape(line + n, sizeof(line) - n - 8, ctx_peer);
            line[n++] = '"';
        }
        if (n < sizeof(line) - 16) {
            n += (size_t) snprintf(line + n, sizeof(line) - n, ",\"msg\":\"");
            n += json_escape(line + n, sizeof(line) - n - 4, msg);
            line[n++] = '"';
        }
        for (size_t i = 0; i < nkv; i++) {
            if (n + strlen(kv[i].key) + 16 >= sizeof(line)) {
                break;
            }
            n += (size_t) snprintf(
                line + n, sizeof(line) - n, ",\"%s\":\"", kv[i].key);
            n += json_escape(
                line + n, sizeof(line) - n - 4, kv[i].val ? kv[i].val : "");
            line[n++] = '"';
        }
        line[n++] = '}';
        line[n++] = '\n';
    } else {
        n = (size_t) snprintf(line, sizeof(line),
            "%s.%03ld %-5s %-9s %s%s%s%s%s\n", ts, now.tv_nsec / 1000000,
            level_names[lvl], module, msg, ctx_callid[0] ? " call-id=" : "",
            ctx_callid, ctx_peer[0] ? " peer=" : "", ctx_peer);
        if (n >= sizeof(line)) {
            n = sizeof(line) - 1;
            line[n - 1] = '\n';
        }
        /* Fields go before the newline, each as key=value. */
        n--;
        for (size_t i = 0; i < nkv; i++) {
            n = text_field(line, sizeof(line) - 1, n, kv[i].key, kv[i].val);
        }
        line[n++] = '\n';
    }
    /* One write per line keeps lines from different threads whole. */
    ssize_t w = write(log_fd, line, n);
    (void) w;
}

void
log_write(enum log_level lvl, const char *module, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vwrite(lvl, module, NULL, 0, fmt, ap);
    va_end(ap);
}

void
log_write_kv(enum log_level lvl, const char *module, const struct log_kv *kv,
    size_t nkv, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vwrite(lvl, module, kv, nkv, fmt, ap);
    va_end(ap);
}

bool
log_limit_allow(struct log_limit *l, double per_sec, double burst)
{
    uint64_t now = clock_mono_ns();

    if (l->last_ns == 0) {
        l->tokens = burst;
    } else {
        l->tokens += (double) (now - l->last_ns) / 1e9 * per_sec;
        if (l->tokens > burst) {
            l->tokens = burst;
        }
    }
    l->last_ns = now;
    if (l->tokens >= 1.0) {
        l->tokens -= 1.0;
        return true;
    }
    l->suppressed++;
    return false;
}

uint64_t
log_limit_suppressed(struct log_limit *l)
{
    uint64_t n = l->suppressed;

    l->suppressed = 0;
    return n;
}
