/*
 * Test inputs that end right before a PROT_NONE page, so any read past the
 * end of a parser's input faults (picohttpparser's test.c trick).
 */
#ifndef SW_TEST_SIP_GUARD_H
#define SW_TEST_SIP_GUARD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/slice.h"

struct guard {
    char *map;
    size_t maplen;
    struct slice s;
};

static inline void guard_free(struct guard *g);

/* Copies len bytes so that the last one is the last byte before the guard
 * page (a previous buffer of g is released). */
static inline struct slice
guard_put(struct guard *g, const void *data, size_t len)
{
    guard_free(g);
    size_t pg = (size_t) sysconf(_SC_PAGESIZE);
    size_t pages = (len + pg - 1) / pg + 1;
    g->maplen = pages * pg;
    g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED) {
        abort();
    }
    if (mprotect(g->map + (pages - 1) * pg, pg, PROT_NONE) != 0) {
        abort();
    }
    char *p = g->map + (pages - 1) * pg - len;
    if (len) {
        memcpy(p, data, len);
    }
    g->s = (struct slice){ p, len };
    return g->s;
}

static inline struct slice
guard_str(struct guard *g, const char *s)
{
    return guard_put(g, s, strlen(s));
}

static inline void
guard_free(struct guard *g)
{
    if (g->map && g->map != MAP_FAILED) {
        munmap(g->map, g->maplen);
    }
    g->map = NULL;
}

/* Reads a whole file into a guarded buffer. */
static inline struct slice
guard_file(struct guard *g, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        abort();
    }
    char *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            if (!buf) {
                abort();
            }
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        if (n == 0) {
            break;
        }
        len += n;
    }
    fclose(f);
    struct slice s = guard_put(g, buf, len);
    free(buf);
    return s;
}

#endif
