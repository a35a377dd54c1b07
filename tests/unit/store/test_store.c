#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "base/ev.h"
#include "store/store.h"

struct fx {
    char dir[64];
    char path[128];
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/sw-store-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    if (system(cmd) != 0) {
        return -1;
    }
    free(f);
    return 0;
}

static struct store *
open_store(struct fx *f, enum store_mode mode)
{
    struct store_conf c = {
        .path = f->path, .mode = mode, .sweep_ms = 100, .poll_ms = 50
    };
    struct store *st = NULL;
    assert_int_equal(store_open(&st, &c), 0);
    return st;
}

#define AOR SLICE_LIT("sip:alice@example.com")

static int
reg(struct store *st, const char *call_id, uint32_t cseq,
    const struct store_contact *c, size_t n, bool wildcard)
{
    struct store_req r = {
        .kind = STORE_REQ_REGISTER,
        .aor = AOR,
        .call_id = slice_cstr(call_id),
        .cseq = cseq,
        .contacts = c,
        .ncontacts = n,
        .wildcard = wildcard,
        .received = SLICE_LIT("udp:127.0.0.1:5070"),
        .now = (int64_t) clock_wall(),
    };
    return store_submit_wait(st, &r);
}

struct seen {
    size_t n;
    bool user, moved;
    char contact[4][128];
    char instance[4][64];
    uint16_t q[4];
    int64_t expires[4];
    char moved_uri[128];
    char ha1_md5[33];
};

static void
grab(void *arg, const struct store_aor_view *v)
{
    struct seen *s = arg;
    s->n = v->nbindings;
    s->user = v->user;
    s->moved = v->moved;
    for (size_t i = 0; i < v->nbindings && i < 4; i++) {
        slice_copy(
            s->contact[i], sizeof(s->contact[i]), v->bindings[i].contact);
        slice_copy(
            s->instance[i], sizeof(s->instance[i]), v->bindings[i].instance);
        s->q[i] = v->bindings[i].q;
        s->expires[i] = v->bindings[i].expires;
    }
    slice_copy(s->moved_uri, sizeof(s->moved_uri), v->moved_uri);
    memcpy(s->ha1_md5, v->ha1_md5, sizeof(s->ha1_md5));
}

static struct seen
look(struct store *st, struct slice aor)
{
    struct seen s;
    memset(&s, 0, sizeof(s));
    if (store_aor_read(st, aor, (int64_t) clock_wall(), grab, &s) != 0) {
        s.n = (size_t) -1;
    }
    return s;
}

/* One integer from the database file, through a connection of our own. */
static int64_t
db_int(struct fx *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int64_t v = -1;

    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW) {
        v = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void
db_run(struct fx *f, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void
test_aor_canon(void **state)
{
    char out[128];
    (void) state;
    assert_int_equal(store_aor_canon(out, sizeof(out),
                         SLICE_LIT("sips:Bob@Example.COM:5061;transport=tls")),
        0);
    assert_string_equal(out, "sip:Bob@example.com");
    assert_int_equal(
        store_aor_canon(out, sizeof(out), SLICE_LIT("sip:a@[::1]:5060")), 0);
    assert_string_equal(out, "sip:a@[::1]");
    assert_int_equal(
        store_aor_canon(out, sizeof(out), SLICE_LIT("<sip:a@b>;tag=1")), 0);
    assert_string_equal(out, "sip:a@b");
    assert_int_equal(store_aor_canon(out, sizeof(out), SLICE_LIT("tel:+1234")),
        STORE_E_BAD_AOR);
    assert_int_equal(store_aor_canon(out, sizeof(out), SLICE_LIT("sip:host")),
        STORE_E_BAD_AOR);
    assert_int_equal(
        store_aor_canon(out, 8, SLICE_LIT("sip:alice@example.com")), -ENOSPC);
    /* Only the host is folded; brackets keep an IPv6 colon in the host. */
    assert_int_equal(store_aor_canon(out, sizeof(out),
                         SLICE_LIT("SIP:Al%41ce@[2001:DB8::1]:5060?x=y")),
        0);
    assert_string_equal(out, "sip:Al%41ce@[2001:db8::1]");
    assert_int_equal(
        store_aor_canon(out, sizeof(out), SLICE_LIT(" sip:a@b c ")), 0);
    assert_string_equal(out, "sip:a@b");
    /* UTF-8 is kept, broken UTF-8 and control bytes are refused. */
    assert_int_equal(store_aor_canon(out, sizeof(out),
                         SLICE_LIT("sip:j\xc3\xb6rg@\xc3\xa9x.example")),
        0);
    assert_string_equal(out, "sip:j\xc3\xb6rg@\xc3\xa9x.example");
    static const char *const bad[] = { "sip:j\xc3rg@example.com",
        "sip:a\x01@example.com", "sip:a@exa\x7fmple.com",
        "sip:a\"b@example.com", "sip:a<b@example.com", "sip:@example.com",
        "sip:a@", "sip:a@:5060", "sip:a@;x", "sipx:a@b", "si:a@b", "<sip:a@b" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(store_aor_canon(out, sizeof(out), slice_cstr(bad[i])),
            STORE_E_BAD_AOR);
    }
    /* Every size: too small is -ENOSPC (even with a bad byte later), big
     * enough gives the same key, whatever the rest of the URI. */
    const struct slice uri =
        SLICE_LIT("sip:Bob@Example.COM:5060;transport=udp");
    for (size_t n = 0; n < sizeof(out); n++) {
        int rc = store_aor_canon(out, n, uri);
        if (n < sizeof("sip:Bob@example.com")) {
            assert_int_equal(rc, -ENOSPC);
        } else {
            assert_int_equal(rc, 0);
            assert_string_equal(out, "sip:Bob@example.com");
        }
    }
    assert_int_equal(
        store_aor_canon(out, 6, SLICE_LIT("sip:a\x01@example.com")), -ENOSPC);
    size_t len, host;
    assert_int_equal(store_aor_canon_ex(out, sizeof(out),
                         SLICE_LIT("sips:bob@example.com"), &len, &host),
        0);
    assert_int_equal(len, strlen("sip:bob@example.com"));
    assert_string_equal(out + host, "example.com");
}

static void
test_register_rules(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, STORE_MODE_SERVE);
    struct store_contact c1 = {
        .uri = SLICE_LIT("sip:alice@10.0.0.1"), .expires = 3600, .q = 500
    };
    struct store_contact c2 = {
        .uri = SLICE_LIT("sip:alice@10.0.0.2"), .expires = 600, .q = 1000
    };

    assert_int_equal(look(st, AOR).n, (size_t) -1);
    assert_int_equal(reg(st, "cid-1", 1, &c1, 1, false), 0);
    assert_int_equal(reg(st, "cid-2", 7, &c2, 1, false), 0);
    struct seen s = look(st, AOR);
    assert_int_equal(s.n, 2);
    /* Highest q first. */
    assert_string_equal(s.contact[0], "sip:alice@10.0.0.2");
    assert_int_equal(s.q[0], 1000);
    assert_string_equal(s.contact[1], "sip:alice@10.0.0.1");

    /* §10.3 step 7: same Call-ID, CSeq not higher: refused, nothing changes. */
    c1.expires = 60;
    assert_int_equal(reg(st, "cid-1", 1, &c1, 1, false), STORE_E_OUT_OF_ORDER);
    /* Another Call-ID may update it whatever its CSeq. */
    assert_int_equal(reg(st, "cid-9", 1, &c1, 1, false), 0);
    s = look(st, AOR);
    assert_int_equal(s.n, 2);
    int64_t left = s.expires[1] - (int64_t) clock_wall();
    assert_true(left <= 60 && left >= 58);

    /* Expires 0 removes one binding. */
    c2.expires = 0;
    assert_int_equal(reg(st, "cid-2", 8, &c2, 1, false), 0);
    s = look(st, AOR);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.contact[0], "sip:alice@10.0.0.1");

    /* Contact: * removes all, unless it is older than a binding. */
    assert_int_equal(reg(st, "cid-9", 1, NULL, 0, true), STORE_E_OUT_OF_ORDER);
    assert_int_equal(reg(st, "cid-9", 2, NULL, 0, true), 0);
    assert_int_equal(look(st, AOR).n, (size_t) -1);
    store_close(st);
}

static void
test_instance_and_limits(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, STORE_MODE_SERVE);
    struct store_contact c = { .uri = SLICE_LIT("sip:a@10.0.0.1:5060"),
        .instance =
            SLICE_LIT("<urn:uuid:00000000-0000-0000-0000-000000000001>"),
        .reg_id = 1,
        .expires = 300,
        .q = 1000 };

    assert_int_equal(reg(st, "x", 1, &c, 1, false), 0);
    /* The same instance from a new address replaces the binding (RFC 5626). */
    c.uri = SLICE_LIT("sip:a@10.0.0.9:5060");
    assert_int_equal(reg(st, "y", 1, &c, 1, false), 0);
    struct seen s = look(st, AOR);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.contact[0], "sip:a@10.0.0.9:5060");
    assert_string_equal(
        s.instance[0], "<urn:uuid:00000000-0000-0000-0000-000000000001>");

    /* At most STORE_MAX_BINDINGS per AOR; the refused REGISTER writes nothing.
     */
    struct store_contact many[STORE_MAX_BINDINGS];
    char uris[STORE_MAX_BINDINGS][32];
    for (int i = 0; i < STORE_MAX_BINDINGS; i++) {
        snprintf(uris[i], sizeof(uris[i]), "sip:a@10.1.0.%d", i);
        many[i] = (struct store_contact){
            .uri = slice_cstr(uris[i]), .expires = 300, .q = 100
        };
    }
    assert_int_equal(
        reg(st, "z", 1, many, STORE_MAX_BINDINGS, false), STORE_E_TOO_MANY);
    assert_int_equal(look(st, AOR).n, 1);
    assert_int_equal(reg(st, "z", 2, many, STORE_MAX_BINDINGS - 1, false), 0);
    assert_int_equal(look(st, AOR).n, STORE_MAX_BINDINGS);
    store_close(st);
}

static void
test_durable_reload_and_expiry(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, STORE_MODE_SERVE);
    struct store_contact c = {
        .uri = SLICE_LIT("sip:alice@10.0.0.1"), .expires = 3600, .q = 1000
    };
    /* Long enough to be seen before it expires on a loaded machine. */
    struct store_contact brief = {
        .uri = SLICE_LIT("sip:alice@10.0.0.2"), .expires = 4, .q = 1000
    };

    assert_int_equal(reg(st, "c", 1, &c, 1, false), 0);
    assert_int_equal(reg(st, "d", 1, &brief, 1, false), 0);
    struct store_req u = { .kind = STORE_REQ_USER_PUT,
        .aor = AOR,
        .username = SLICE_LIT("alice"),
        .realm = SLICE_LIT("sipward"),
        .ha1_md5 = SLICE_LIT("0123456789abcdef0123456789abcdef") };
    assert_int_equal(store_submit_wait(st, &u), 0);
    struct store_req m = { .kind = STORE_REQ_MOVED_PUT,
        .aor = SLICE_LIT("sip:bob@example.com"),
        .uri = SLICE_LIT("sip:bob@elsewhere.example"),
        .note = SLICE_LIT("left") };
    assert_int_equal(store_submit_wait(st, &m), 0);
    assert_int_equal(look(st, AOR).n, 2);

    /* The brief one expires and is swept (index and database); the waits
     * are deadlines. */
    for (int i = 0; i < 300 && look(st, AOR).n != 1; i++) {
        usleep(100 * 1000);
    }
    assert_int_equal(look(st, AOR).n, 1);
    struct store_stats ss;
    for (int i = 0; i < 300; i++) {
        store_stats_get(st, &ss);
        if (ss.bindings == 1) {
            break;
        }
        usleep(100 * 1000);
    }
    assert_int_equal(ss.bindings, 1);
    assert_true(ss.commits >= 1);
    store_close(st);

    /* A restart reloads everything durable. */
    st = open_store(f, STORE_MODE_SERVE);
    struct seen s = look(st, AOR);
    assert_int_equal(s.n, 1);
    assert_true(s.user);
    assert_string_equal(s.ha1_md5, "0123456789abcdef0123456789abcdef");
    assert_string_equal(s.contact[0], "sip:alice@10.0.0.1");
    s = look(st, SLICE_LIT("sip:bob@example.com"));
    assert_true(s.moved);
    assert_string_equal(s.moved_uri, "sip:bob@elsewhere.example");

    /* Deleting the user drops its bindings too. */
    struct store_req d = { .kind = STORE_REQ_USER_DEL, .aor = AOR };
    assert_int_equal(store_submit_wait(st, &d), 0);
    assert_int_equal(look(st, AOR).n, (size_t) -1);
    assert_int_equal(store_submit_wait(st, &d), STORE_E_NOT_FOUND);
    store_close(st);
    st = open_store(f, STORE_MODE_SERVE);
    assert_int_equal(look(st, AOR).n, (size_t) -1);
    store_close(st);
}

static void
count_moved(void *arg, const struct store_moved_row *m)
{
    (void) m;
    (*(int *) arg)++;
}

static void
test_external_change_seen(void **state)
{
    struct fx *f = *state;
    struct store *daemon = open_store(f, STORE_MODE_SERVE);
    struct store *cli = open_store(f, STORE_MODE_DIRECT);
    struct slice bob = SLICE_LIT("sip:bob@example.com");
    struct store_req m = { .kind = STORE_REQ_MOVED_PUT,
        .aor = bob,
        .uri = SLICE_LIT("sip:bob@new.example"),
        .note = SLICE_LIT("n") };
    int n = 0;

    assert_int_equal(store_submit_wait(cli, &m), 0);
    assert_int_equal(store_moved_list(cli, count_moved, &n), 0);
    assert_int_equal(n, 1);
    /* The daemon's connection sees the CLI's commit within a second. */
    int i = 0;
    while (!look(daemon, bob).moved && i++ < 20) {
        usleep(50 * 1000);
    }
    assert_true(look(daemon, bob).moved);
    assert_string_equal(look(daemon, bob).moved_uri, "sip:bob@new.example");

    struct store_req d = { .kind = STORE_REQ_MOVED_DEL, .aor = bob };
    assert_int_equal(store_submit_wait(cli, &d), 0);
    i = 0;
    while (look(daemon, bob).n != (size_t) -1 && i++ < 20) {
        usleep(50 * 1000);
    }
    assert_int_equal(look(daemon, bob).n, (size_t) -1);
    assert_int_equal(store_submit_wait(cli, &d), STORE_E_NOT_FOUND);
    store_close(cli);
    store_close(daemon);
}

struct async_ctx {
    struct ev_loop *loop;
    pthread_t loop_thread;
    bool on_loop_thread;
    int result;
    struct store_req req;
};

static void
async_done(void *arg)
{
    struct async_ctx *a = arg;
    a->on_loop_thread = pthread_equal(pthread_self(), a->loop_thread);
    a->result = a->req.result;
    ev_stop(a->loop);
}

static void
test_completion_posted_to_loop(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, STORE_MODE_SERVE);
    struct store_contact c = {
        .uri = SLICE_LIT("sip:alice@10.0.0.1"), .expires = 3600, .q = 1000
    };
    struct async_ctx a = { 0 };

    assert_int_equal(ev_loop_new(&a.loop), 0);
    a.loop_thread = pthread_self();
    a.result = 12345;
    a.req = (struct store_req){ .kind = STORE_REQ_REGISTER,
        .aor = AOR,
        .call_id = SLICE_LIT("a"),
        .cseq = 1,
        .contacts = &c,
        .ncontacts = 1,
        .now = (int64_t) clock_wall(),
        .loop = a.loop,
        .done = async_done,
        .arg = &a };
    assert_int_equal(store_submit(st, &a.req), 0);
    assert_int_equal(ev_run(a.loop), 0);
    assert_true(a.on_loop_thread);
    assert_int_equal(a.result, 0);
    /* Durable and visible by the time the completion runs. */
    assert_int_equal(look(st, AOR).n, 1);
    ev_loop_free(a.loop);
    store_close(st);
}

struct reader {
    struct store *st;
    volatile bool *stop;
    unsigned long reads;
};

static void *
reader_main(void *arg)
{
    struct reader *r = arg;
    while (!*r->stop) {
        look(r->st, AOR);
        r->reads++;
    }
    return NULL;
}

static void
test_concurrent_readers(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, STORE_MODE_SERVE);
    volatile bool stop = false;
    struct reader rd[3];
    pthread_t th[3];
    char uri[64];

    for (int i = 0; i < 3; i++) {
        rd[i] = (struct reader){ st, &stop, 0 };
        pthread_create(&th[i], NULL, reader_main, &rd[i]);
    }
    for (uint32_t i = 1; i <= 200; i++) {
        snprintf(uri, sizeof(uri), "sip:alice@10.2.0.%u", i % 8);
        struct store_contact c = { .uri = slice_cstr(uri),
            .expires = i % 3 ? 300 : 0,
            .q = (uint16_t) (i % 1000) };
        assert_int_equal(reg(st, "same", i, &c, 1, false), 0);
    }
    stop = true;
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_true(rd[i].reads > 0);
    }
    store_close(st);
}

/*
 * A database of schema 1 (with the index on expires that every REGISTER
 * paid for) is upgraded in place: same rows, no index; what expired while
 * no daemon ran is deleted at start, what expires later by the sweep.
 */
static void
test_schema_upgrade_in_place(void **state)
{
    struct fx *f = *state;
    char sql[2048];
    int64_t now = (int64_t) clock_wall();

    snprintf(sql, sizeof(sql),
        "CREATE TABLE users(aor TEXT PRIMARY KEY, username TEXT NOT NULL,"
        " realm TEXT NOT NULL, ha1_md5 TEXT NOT NULL, ha1_sha256 TEXT NOT"
        " NULL, created INTEGER NOT NULL) WITHOUT ROWID;"
        "CREATE TABLE moved(aor TEXT PRIMARY KEY, uri TEXT NOT NULL,"
        " note TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;"
        "CREATE TABLE bindings(aor TEXT NOT NULL, contact TEXT NOT NULL,"
        " expires INTEGER NOT NULL, q INTEGER NOT NULL, call_id TEXT NOT"
        " NULL, cseq INTEGER NOT NULL, instance TEXT NOT NULL, reg_id"
        " INTEGER NOT NULL, path TEXT NOT NULL, received TEXT NOT NULL,"
        " PRIMARY KEY(aor, contact)) WITHOUT ROWID;"
        "CREATE INDEX bindings_expires ON bindings(expires);"
        "CREATE TABLE changes(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " aor TEXT NOT NULL);"
        "INSERT INTO bindings VALUES('sip:alice@example.com',"
        " 'sip:alice@10.0.0.1', %lld, 1000, 'c', 1, '', 0, '', 'udp:x');"
        "INSERT INTO bindings VALUES('sip:alice@example.com',"
        " 'sip:alice@10.0.0.9', %lld, 1000, 'c', 1, '', 0, '', 'udp:x');"
        "PRAGMA user_version = 1;",
        (long long) now + 3600, (long long) now - 10);
    db_run(f, sql);

    struct store *st = open_store(f, STORE_MODE_SERVE);
    assert_int_equal(db_int(f, "PRAGMA user_version"), 2);
    assert_int_equal(db_int(f,
                         "SELECT count(*) FROM sqlite_master WHERE "
                         "name = 'bindings_expires'"),
        0);
    struct seen s = look(st, AOR);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.contact[0], "sip:alice@10.0.0.1");
    /* The row that expired before the start goes at the first sweep. */
    for (int i = 0; i < 300 && db_int(f, "SELECT count(*) FROM bindings") != 1;
         i++) {
        usleep(100 * 1000);
    }
    assert_int_equal(db_int(f, "SELECT count(*) FROM bindings"), 1);

    /* One that expires while we run is deleted by key, and only it. */
    struct store_contact brief = {
        .uri = SLICE_LIT("sip:alice@10.0.0.2"), .expires = 2, .q = 1000
    };
    assert_int_equal(reg(st, "d", 1, &brief, 1, false), 0);
    assert_int_equal(db_int(f, "SELECT count(*) FROM bindings"), 2);
    for (int i = 0; i < 300 && db_int(f, "SELECT count(*) FROM bindings") != 1;
         i++) {
        usleep(100 * 1000);
    }
    assert_int_equal(db_int(f,
                         "SELECT count(*) FROM bindings WHERE contact ="
                         " 'sip:alice@10.0.0.1'"),
        1);
    assert_int_equal(db_int(f, "SELECT count(*) FROM bindings"), 1);
    store_close(st);

    /* Opened again: already at the latest version, nothing to do. */
    st = open_store(f, STORE_MODE_SERVE);
    assert_int_equal(look(st, AOR).n, 1);
    store_close(st);
    assert_int_equal(db_int(f, "PRAGMA user_version"), 2);
}

/* Many AORs in every shard's table: writes of every kind queued at once
 * (group commit), then removals of a third, with reads of all the others
 * after each step and after a reload. */
enum {
    MANY = 4000
};

struct many {
    struct store_req req[MANY];
    char aor[MANY][48], uri[MANY][48];
    struct store_contact c[3];
    atomic_int done;
};

static void
many_done(void *arg)
{
    atomic_fetch_add(&((struct many *) arg)->done, 1);
}

/* Submits req[i] for every i with i % every == 0 and waits for them. */
static void
many_submit(struct store *st, struct many *m, int every)
{
    int n = 0;

    atomic_store(&m->done, 0);
    for (int i = 0; i < MANY; i += every) {
        m->req[i].done = many_done;
        m->req[i].arg = m;
        assert_int_equal(store_submit(st, &m->req[i]), 0);
        n++;
    }
    for (int i = 0; i < 600 && atomic_load(&m->done) < n; i++) {
        usleep(100 * 1000);
    }
    assert_int_equal(atomic_load(&m->done), n);
    for (int i = 0; i < MANY; i += every) {
        assert_int_equal(m->req[i].result, 0);
    }
}

/* AOR i: moved unless i % 3 == 0 (removed), three bindings if i % 4 == 0. */
static void
many_check(struct store *st, struct many *m, bool removed)
{
    for (int i = 0; i < MANY; i++) {
        struct seen s = look(st, slice_cstr(m->aor[i]));
        bool moved = !removed || i % 3 != 0;
        if (!moved && i % 4 != 0) {
            assert_int_equal(s.n, (size_t) -1);
            continue;
        }
        assert_int_equal(s.moved, moved);
        if (moved) {
            assert_string_equal(s.moved_uri, m->uri[i]);
        }
        assert_int_equal(s.n, i % 4 == 0 ? 3 : 0);
    }
}

static void
test_many_aors(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, STORE_MODE_SERVE);
    struct many *m = calloc(1, sizeof(*m));

    assert_non_null(m);
    for (int i = 0; i < 3; i++) {
        m->c[i] = (struct store_contact){ .uri = i == 0 ? SLICE_LIT("sip:a@h1")
                : i == 1                                ? SLICE_LIT("sip:a@h2")
                                                        : SLICE_LIT("sip:a@h3"),
            .expires = 3600,
            .q = (uint16_t) (500 + i) };
    }
    for (int i = 0; i < MANY; i++) {
        snprintf(m->aor[i], sizeof(m->aor[i]), "sip:u%d@example.com", i);
        snprintf(m->uri[i], sizeof(m->uri[i]), "sip:u%d@new.example", i);
    }
    /* Bindings first, so the moved entry joins an AOR that has some. */
    for (int i = 0; i < MANY; i++) {
        m->req[i] = (struct store_req){ .kind = STORE_REQ_REGISTER,
            .aor = slice_cstr(m->aor[i]),
            .call_id = SLICE_LIT("many"),
            .cseq = 1,
            .contacts = m->c,
            .ncontacts = 3,
            .now = (int64_t) clock_wall() };
    }
    many_submit(st, m, 4);
    for (int i = 0; i < MANY; i++) {
        m->req[i] = (struct store_req){ .kind = STORE_REQ_MOVED_PUT,
            .aor = slice_cstr(m->aor[i]),
            .uri = slice_cstr(m->uri[i]),
            .note = SLICE_LIT("many") };
    }
    many_submit(st, m, 1);
    many_check(st, m, false);
    for (int i = 0; i < MANY; i++) {
        m->req[i] = (struct store_req){ .kind = STORE_REQ_MOVED_DEL,
            .aor = slice_cstr(m->aor[i]) };
    }
    many_submit(st, m, 3);
    many_check(st, m, true);
    struct store_stats ss;
    store_stats_get(st, &ss);
    assert_int_equal(ss.moved, MANY - (MANY + 2) / 3);
    assert_int_equal(ss.bindings, 3 * MANY / 4);
    store_close(st);
    st = open_store(f, STORE_MODE_SERVE);
    many_check(st, m, true);
    store_close(st);
    free(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aor_canon),
        cmocka_unit_test_setup_teardown(test_register_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_instance_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_durable_reload_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_external_change_seen, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_completion_posted_to_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_concurrent_readers, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_schema_upgrade_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_aors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
