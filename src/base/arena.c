#include "base/arena.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
arena_init(struct arena *a, size_t size)
{
    a->base = malloc(size);
    if (!a->base) {
        return -ENOMEM;
    }
    a->size = size;
    a->used = 0;
    a->high = 0;
    return 0;
}

void
arena_free(struct arena *a)
{
    free(a->base);
    a->base = NULL;
    a->size = a->used = 0;
}

void *
arena_alloc(struct arena *a, size_t size)
{
    size_t start = (a->used + 15u) & ~(size_t) 15u;

    if (start > a->size || size > a->size - start) {
        return NULL;
    }
    a->used = start + size;
    if (a->used > a->high) {
        a->high = a->used;
    }
    return a->base + start;
}

char *
arena_strndup(struct arena *a, const char *s, size_t len)
{
    char *d = arena_alloc(a, len + 1);

    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}
