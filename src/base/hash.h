/*
 * A fast non-cryptographic hash of short byte strings (AORs, the parts of a
 * To tag): eight bytes per step, overlapping loads for the tail, no loop
 * per byte. Not keyed: use it where an attacker choosing the input gains
 * nothing (lookups of existing keys, tags), never for a table an untrusted
 * peer fills.
 */
#ifndef SW_BASE_HASH_H
#define SW_BASE_HASH_H

#include <stdint.h>
#include <string.h>

#include "base/slice.h"

enum {
    HASH_SEED = 0x2545f491
};

static inline uint64_t
hash__load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint64_t
hash__load32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint64_t
hash__step(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 31);
}

/** Folds s into h; chain calls to hash several strings as one key. */
static inline uint64_t
hash_slice(uint64_t h, struct slice s)
{
    const char *p = s.p;
    size_t n = s.len;

    /* The length goes in first: "ab"+"c" and "a"+"bc" differ. */
    h = hash__step(h, n);
    if (n >= 8) {
        for (; n > 8; p += 8, n -= 8) {
            h = hash__step(h, hash__load64(p));
        }
        /* The last eight bytes, overlapping what was already folded. */
        return hash__step(h, hash__load64(p + n - 8));
    }
    if (n >= 4) {
        return hash__step(h, hash__load32(p) | hash__load32(p + n - 4) << 32);
    }
    if (n) {
        uint64_t w = (uint64_t) (unsigned char) p[0]
            | (uint64_t) (unsigned char) p[n / 2] << 8
            | (uint64_t) (unsigned char) p[n - 1] << 16;
        return hash__step(h, w);
    }
    return h;
}

/** A final mix so that both the low and the high bits are well spread. */
static inline uint64_t
hash_final(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

#endif
