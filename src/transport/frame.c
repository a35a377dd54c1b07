#include "transport/frame.h"

#include <errno.h>
#include <string.h>

static int
lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Header name at line start: "Content-Length" or compact "l". */
static size_t
clen_name(const char *p, size_t n)
{
    static const char name[] = "content-length";
    size_t i = 0;

    if (n >= sizeof(name) - 1) {
        for (i = 0; i < sizeof(name) - 1; i++) {
            if (lower((unsigned char) p[i]) != name[i]) {
                break;
            }
        }
        if (i == sizeof(name) - 1) {
            return i;
        }
    }
    if (n >= 1 && lower((unsigned char) p[0]) == 'l'
        && (n == 1 || p[1] == ' ' || p[1] == '\t' || p[1] == ':')) {
        return 1;
    }
    return 0;
}

ssize_t
transport_frame(const char *p, size_t len, size_t max)
{
    const char *end = NULL;
    size_t scan = len > max ? max : len;

    /* The header ends at the first empty line. */
    for (const char *q = p; q + 3 < p + scan;) {
        q = memchr(q, '\r', (size_t) (p + scan - q));
        if (!q || q + 3 >= p + scan) {
            break;
        }
        if (q[1] == '\n' && q[2] == '\r' && q[3] == '\n') {
            end = q + 4;
            break;
        }
        q++;
    }
    if (!end) {
        return len >= max ? -EMSGSIZE : -EAGAIN;
    }
    size_t hlen = (size_t) (end - p);
    size_t body = 0;
    int seen = 0;
    for (const char *line = p; line < end - 2;) {
        const char *eol = memchr(line, '\n', (size_t) (end - line));
        size_t n = (size_t) (eol - line);
        size_t nl = line == p ? 0 : clen_name(line, n);
        if (nl) {
            const char *v = line + nl;
            while (v < eol && (*v == ' ' || *v == '\t')) {
                v++;
            }
            if (v == eol || *v != ':') {
                goto next;
            }
            v++;
            while (v < eol && (*v == ' ' || *v == '\t')) {
                v++;
            }
            size_t val = 0;
            int digits = 0;
            while (v < eol && *v >= '0' && *v <= '9') {
                val = val * 10 + (size_t) (*v - '0');
                if (val > max) {
                    return -EMSGSIZE;
                }
                v++;
                digits++;
            }
            while (v < eol && (*v == ' ' || *v == '\t' || *v == '\r')) {
                v++;
            }
            if (!digits || v != eol) {
                return -EBADMSG;
            }
            if (seen && val != body) {
                return -EBADMSG;
            }
            body = val;
            seen = 1;
        }
    next:
        line = eol + 1;
    }
    if (hlen + body > max) {
        return -EMSGSIZE;
    }
    if (len < hlen + body) {
        return -EAGAIN;
    }
    return (ssize_t) (hlen + body);
}
