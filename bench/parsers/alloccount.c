/*
 * alloccount.c - malloc/calloc/realloc/free interposer for the *_alloc
 * binaries.  Linked into the executable, these definitions take precedence
 * over glibc's for every shared library too (ELF symbol interposition), so
 * the allocations made inside libre / libosip2 / sofia-sip are counted.
 * They forward to glibc's real allocator (__libc_*), so behaviour is
 * unchanged; only the timing binaries' numbers are taken as speed, these
 * binaries are used for `-A` only.
 */
#include <stddef.h>
#include <stdint.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

uint64_t sb_alloc_calls, sb_alloc_bytes, sb_free_calls;

void *
malloc(size_t n)
{
    sb_alloc_calls++;
    sb_alloc_bytes += n;
    return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
    sb_alloc_calls++;
    sb_alloc_bytes += n * m;
    return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
    sb_alloc_calls++;
    sb_alloc_bytes += n;
    return __libc_realloc(p, n);
}

void
free(void *p)
{
    if (p)
        sb_free_calls++;
    __libc_free(p);
}
