#include "base/err.h"

#include <stdatomic.h>
#include <string.h>

#define ERR_MAX_BLOCKS 16

struct err_block {
    int first;
    const char *const *names;
    size_t count;
};

static struct err_block blocks[ERR_MAX_BLOCKS];
static atomic_int nblocks;

static const char *const base_names[] = {
    "unknown configuration option",
    "bad configuration value",
    "configuration value out of range",
    "configuration syntax error",
};

void
err_register(int first, const char *const *names, size_t count)
{
    int n = atomic_load(&nblocks);

    for (int i = 0; i < n; i++) {
        if (blocks[i].first == first) {
            return;
        }
    }
    if (n < ERR_MAX_BLOCKS) {
        blocks[n] = (struct err_block){ first, names, count };
        atomic_store(&nblocks, n + 1);
    }
}

const char *
err_str(int err)
{
    if (err == 0) {
        return "success";
    }
    if (err > -4096 && err < 0) {
        return strerror(-err);
    }
    if (err < ERR_BASE_FIRST && err > ERR_BASE_FIRST - ERR_BLOCK) {
        size_t i = (size_t) (ERR_BASE_FIRST - 1 - err);
        if (i < sizeof(base_names) / sizeof(base_names[0])) {
            return base_names[i];
        }
    }
    int n = atomic_load(&nblocks);
    for (int b = 0; b < n; b++) {
        if (err < blocks[b].first && err > blocks[b].first - ERR_BLOCK) {
            size_t i = (size_t) (blocks[b].first - 1 - err);
            if (i < blocks[b].count && blocks[b].names[i]) {
                return blocks[b].names[i];
            }
        }
    }
    return "unknown error";
}
