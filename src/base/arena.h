/*
 * Per-worker scratch arena: bump allocation from a fixed block, reset after
 * each message. No frees; nothing outlives arena_reset().
 */
#ifndef SW_BASE_ARENA_H
#define SW_BASE_ARENA_H

#include <stddef.h>

struct arena {
    char *base;
    size_t size;
    size_t used;
    size_t high; /* high-water mark, for sizing */
};

/** Allocates the block once; 0 or -ENOMEM. */
int arena_init(struct arena *a, size_t size);
void arena_free(struct arena *a);
/** size bytes aligned to 16, or NULL when the arena is full. */
void *arena_alloc(struct arena *a, size_t size);
/** Copies len bytes and appends a NUL; NULL when full. */
char *arena_strndup(struct arena *a, const char *s, size_t len);

static inline void
arena_reset(struct arena *a)
{
    a->used = 0;
}

#endif
