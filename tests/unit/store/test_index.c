/*
 * The in-memory index on its own: what the expiry sweep drops, after the
 * changes a back end makes to it (a whole index swapped in by a resync,
 * entries moved back in the table when another one is dropped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "store/store_int.h"

enum {
    T0 = 1000000
};

static void
count_bindings(void *arg, const struct store_aor_view *v)
{
    *(int *) arg = (int) v->nbindings;
}

/* Live bindings of aor at now; -1 when the index has no entry for it. */
static int
live(struct store_idx *ix, const char *aor, int64_t now)
{
    int n = -1;

    if (store__idx_read(ix, slice_cstr(aor), now, true, count_bindings, &n)
        != 0) {
        return -1;
    }
    return n;
}

static void
put(struct store_idx *ix, const char *aor, int64_t expires)
{
    struct store_binding b = {
        .contact = SLICE_LIT("sip:u@192.0.2.1"),
        .call_id = SLICE_LIT("cid"),
        .expires = expires,
        .cseq = 1,
        .q = 1000,
    };

    assert_int_equal(store__idx_binding_put(ix, slice_cstr(aor), &b), 0);
}

/* A resync loads into a fresh index and swaps it in: the bindings it
 * brought expire like any other, even where the old index had nothing due
 * (a sweep had found those shards empty). */
static void
test_swapped_in_bindings_expire(void **state)
{
    struct store_idx *ix, *fresh;
    (void) state;

    assert_int_equal(store__idx_new(&ix), 0);
    assert_int_equal(store__idx_expire(ix, T0, NULL, NULL), 0);

    assert_int_equal(store__idx_new(&fresh), 0);
    put(fresh, "sip:alice@example.com", T0 + 8);
    store__idx_replace(ix, fresh);
    assert_int_equal(live(ix, "sip:alice@example.com", T0 + 1), 1);

    assert_int_equal(store__idx_expire(ix, T0 + 8, NULL, NULL), 1);
    assert_int_equal(live(ix, "sip:alice@example.com", T0 + 8), -1);
    store__idx_free(ix);
}

/* Enough AORs that every shard's table has long probe runs that wrap: the
 * sweep drops every due one, and those left stay reachable after the
 * entries around them were moved back. */
static void
test_sweep_drops_all_due_keeps_rest(void **state)
{
    enum {
        N = 6000
    };
    struct store_idx *ix;
    char aor[48];
    (void) state;

    assert_int_equal(store__idx_new(&ix), 0);
    for (int i = 0; i < N; i++) {
        snprintf(aor, sizeof(aor), "sip:user%d@example.com", i);
        put(ix, aor, i % 3 ? T0 + 5 : T0 + 600);
    }
    assert_int_equal(store__idx_expire(ix, T0, NULL, NULL), 0);
    assert_int_equal(store__idx_expire(ix, T0 + 5, NULL, NULL), N - N / 3);
    for (int i = 0; i < N; i++) {
        snprintf(aor, sizeof(aor), "sip:user%d@example.com", i);
        assert_int_equal(live(ix, aor, T0 + 5), i % 3 ? -1 : 1);
    }
    struct store_stats st;
    store__idx_stats(ix, &st);
    assert_int_equal(st.aors, N / 3);
    assert_int_equal(st.bindings, N / 3);

    /* A binding put after a sweep lowers its shard's bound again. */
    put(ix, "sip:late@example.com", T0 + 7);
    assert_int_equal(store__idx_expire(ix, T0 + 6, NULL, NULL), 0);
    assert_int_equal(live(ix, "sip:late@example.com", T0 + 6), 1);
    assert_int_equal(store__idx_expire(ix, T0 + 7, NULL, NULL), 1);
    assert_int_equal(live(ix, "sip:late@example.com", T0 + 7), -1);
    store__idx_free(ix);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swapped_in_bindings_expire),
        cmocka_unit_test(test_sweep_drops_all_due_keeps_rest),
    };

    return cmocka_run_group_tests_name("store_index", tests, NULL, NULL);
}
