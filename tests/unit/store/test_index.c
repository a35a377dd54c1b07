/*
 * The in-memory index on its own: what the expiry sweep drops, after the
 * changes a back end makes to it (a whole index swapped in by a resync,
 * entries moved back in the table when another one is dropped); the moved
 * URI kept inside the entry next to its bindings; readers under the shard
 * locks while the store thread writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

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

struct seen {
    bool found, moved;
    size_t n;
    char uri[64], contact[2][64];
};

static void
copy_view(void *arg, const struct store_aor_view *v)
{
    struct seen *s = arg;

    s->found = true;
    s->moved = v->moved;
    snprintf(s->uri, sizeof(s->uri), "%.*s", (int) v->moved_uri.len,
        v->moved_uri.p ? v->moved_uri.p : "");
    s->n = v->nbindings;
    for (size_t i = 0; i < v->nbindings && i < 2; i++) {
        snprintf(s->contact[i], sizeof(s->contact[i]), "%.*s",
            (int) v->bindings[i].contact.len, v->bindings[i].contact.p);
    }
}

/* aor as the index has it at now (0: every binding counts). */
static struct seen
look(struct store_idx *ix, const char *aor, int64_t now)
{
    struct seen s;

    memset(&s, 0, sizeof(s));
    int rc = store__idx_read(ix, slice_cstr(aor), now, true, copy_view, &s);
    assert_int_equal(rc, s.found ? 0 : STORE_E_NOT_FOUND);
    return s;
}

static void
put_contact(struct store_idx *ix, const char *aor, const char *contact,
    int64_t expires, uint16_t q)
{
    struct store_binding b = { .contact = slice_cstr(contact),
        .call_id = SLICE_LIT("c1"),
        .received = SLICE_LIT("udp:192.0.2.1:5060"),
        .expires = expires,
        .cseq = 1,
        .q = q };

    assert_int_equal(store__idx_binding_put(ix, slice_cstr(aor), &b), 0);
}

static void
moved(struct store_idx *ix, const char *aor, const char *uri)
{
    assert_int_equal(store__idx_moved_set(ix, slice_cstr(aor), slice_cstr(uri),
                         SLICE_LIT("note"), 42),
        0);
}

static struct store_stats
stats(struct store_idx *ix)
{
    struct store_stats s;

    memset(&s, 0, sizeof(s));
    store__idx_stats(ix, &s);
    return s;
}

/* One binding, then the moved URI over it, replaced, cleared; a second
 * binding; each removal leaves the rest, the last one the AOR. */
static void
test_moved_beside_bindings(void **state)
{
    struct store_idx *ix;
    (void) state;

    assert_int_equal(store__idx_new(&ix), 0);
    put_contact(ix, "sip:a@x", "sip:a@h1", 1000, 500);
    moved(ix, "sip:a@x", "sip:a@first.example");
    struct seen s = look(ix, "sip:a@x", 0);
    assert_true(s.moved);
    assert_string_equal(s.uri, "sip:a@first.example");
    assert_int_equal(s.n, 1);
    assert_string_equal(s.contact[0], "sip:a@h1");
    moved(ix, "sip:a@x", "sip:a@a-much-longer-second-uri.example.org");
    s = look(ix, "sip:a@x", 0);
    assert_string_equal(s.uri, "sip:a@a-much-longer-second-uri.example.org");
    assert_int_equal(s.n, 1);
    assert_int_equal(stats(ix).moved, 1);

    store__idx_moved_clear(ix, slice_cstr("sip:a@x"));
    s = look(ix, "sip:a@x", 0);
    assert_false(s.moved);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.contact[0], "sip:a@h1");
    /* A second binding, higher q: first. */
    put_contact(ix, "sip:a@x", "sip:a@h2", 1000, 900);
    s = look(ix, "sip:a@x", 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.contact[0], "sip:a@h2");
    assert_string_equal(s.contact[1], "sip:a@h1");
    moved(ix, "sip:a@x", "sip:a@third.example");
    store__idx_binding_del(ix, slice_cstr("sip:a@x"), slice_cstr("sip:a@h2"));
    s = look(ix, "sip:a@x", 0);
    assert_true(s.moved);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.contact[0], "sip:a@h1");
    store__idx_bindings_clear(ix, slice_cstr("sip:a@x"));
    assert_true(look(ix, "sip:a@x", 0).moved);
    store__idx_moved_clear(ix, slice_cstr("sip:a@x"));
    assert_false(look(ix, "sip:a@x", 0).found);
    struct store_stats st = stats(ix);
    assert_int_equal(st.aors, 0);
    assert_int_equal(st.moved, 0);
    assert_int_equal(st.bindings, 0);
    store__idx_free(ix);
}

enum {
    STABLE = 1000,
    CHURN = 5000
};

struct reader {
    struct store_idx *ix;
    atomic_bool *stop;
    long reads, wrong;
};

static void
stable_uri(char *buf, size_t size, int i)
{
    snprintf(buf, size, "sip:s%d@new.example", i);
}

/* Reads every stable AOR over and over: each must be there, whole. */
static void *
reader_main(void *arg)
{
    struct reader *r = arg;
    char aor[48], uri[48];

    while (!atomic_load(r->stop)) {
        for (int i = 0; i < STABLE; i++) {
            snprintf(aor, sizeof(aor), "sip:s%d@example.com", i);
            stable_uri(uri, sizeof(uri), i);
            struct seen s = { 0 };
            store__idx_read(r->ix, slice_cstr(aor), 0, true, copy_view, &s);
            r->reads++;
            r->wrong +=
                !s.found || !s.moved || strcmp(s.uri, uri) != 0 || s.n == 0;
        }
    }
    return NULL;
}

/* Workers read under the shard locks while the store thread writes: AORs
 * come and go around the ones they read (tables grow, entries shift back
 * into the holes), and those are rewritten in place; no read misses. */
static void
test_reads_while_writing(void **state)
{
    struct store_idx *ix;
    atomic_bool stop = false;
    pthread_t th[2];
    char aor[48], uri[48];
    (void) state;

    assert_int_equal(store__idx_new(&ix), 0);
    struct reader rd[2] = { { ix, &stop, 0, 0 }, { ix, &stop, 0, 0 } };
    for (int i = 0; i < STABLE; i++) {
        snprintf(aor, sizeof(aor), "sip:s%d@example.com", i);
        stable_uri(uri, sizeof(uri), i);
        moved(ix, aor, uri);
        put_contact(ix, aor, "sip:s@h", 1000, 500);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, &rd[i]), 0);
    }
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < CHURN; i++) {
            snprintf(aor, sizeof(aor), "sip:c%d.%d@example.com", round, i);
            put_contact(ix, aor, "sip:c@h", 1000, 500);
            if (i % 5 == 0) {
                /* A new entry in place of the old one, and a second
                 * binding. */
                int k = i / 5 % STABLE;
                snprintf(aor, sizeof(aor), "sip:s%d@example.com", k);
                stable_uri(uri, sizeof(uri), k);
                moved(ix, aor, uri);
                put_contact(ix, aor, "sip:s@h2", 1000, 400);
                store__idx_binding_del(
                    ix, slice_cstr(aor), slice_cstr("sip:s@h2"));
            }
        }
        for (int i = 0; i < CHURN; i++) {
            snprintf(aor, sizeof(aor), "sip:c%d.%d@example.com", round, i);
            store__idx_bindings_clear(ix, slice_cstr(aor));
        }
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        assert_true(rd[i].reads > 0);
        assert_int_equal(rd[i].wrong, 0);
    }
    assert_int_equal(stats(ix).aors, STABLE);
    store__idx_free(ix);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swapped_in_bindings_expire),
        cmocka_unit_test(test_sweep_drops_all_due_keeps_rest),
        cmocka_unit_test(test_moved_beside_bindings),
        cmocka_unit_test(test_reads_while_writing),
    };

    return cmocka_run_group_tests_name("store_index", tests, NULL, NULL);
}
