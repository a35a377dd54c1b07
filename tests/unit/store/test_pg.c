/*
 * The PostgreSQL back end against a real PostgreSQL: a throwaway cluster
 * started with scripts/pg.sh (or the one SW_PG_URL names). Skipped, saying
 * so, only when PostgreSQL is not installed; set SW_PG_REQUIRED=1 (CI) to
 * make that a failure too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "store/store.h"
#include "store/store_pg.h"

static char pg_dir[64];
static char pg_url[640]; /* database "postgres" */
static PGconn *admin;

struct fx {
    char db[64];
    char url[720];
};

static void
sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void
admin_exec(const char *sql)
{
    PGresult *r = PQexec(admin, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    }
    PQclear(r);
}

/* Runs sql on the test database (its own short connection). */
static PGresult *
db_query(struct fx *f, const char *sql)
{
    PGconn *c = PQconnectdb(f->url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    PQfinish(c);
    return r;
}

static void
db_exec(struct fx *f, const char *sql)
{
    PGresult *r = db_query(f, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    }
    PQclear(r);
}

static long
db_count(struct fx *f, const char *sql)
{
    PGresult *r = db_query(f, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    long n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return n;
}

static int
setup(void **state)
{
    static int seq;
    struct fx *f = calloc(1, sizeof(*f));
    char sql[128];

    snprintf(f->db, sizeof(f->db), "sw_t_%d_%d", (int) getpid(), ++seq);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", f->db);
    admin_exec(sql);
    /* pg_url ends in "/postgres". */
    size_t base = strlen(pg_url) - strlen("postgres");
    snprintf(f->url, sizeof(f->url), "%.*s%s", (int) base, pg_url, f->db);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    char sql[128];

    snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", f->db);
    admin_exec(sql);
    free(f);
    return 0;
}

static struct store *
open_mode(struct fx *f, enum store_mode mode)
{
    struct store_conf c = {
        .path = f->url, .mode = mode, .sweep_ms = 100, .poll_ms = 50
    };
    struct store *st = NULL;
    assert_int_equal(store_open(&st, &c), 0);
    return st;
}

#define AOR SLICE_LIT("sip:alice@example.com")

static int
reg_aor(struct store *st, struct slice aor, const char *call_id, uint32_t cseq,
    const struct store_contact *c, size_t n, bool wildcard)
{
    struct store_req r = {
        .kind = STORE_REQ_REGISTER,
        .aor = aor,
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

static int
reg(struct store *st, const char *call_id, uint32_t cseq,
    const struct store_contact *c, size_t n, bool wildcard)
{
    return reg_aor(st, AOR, call_id, cseq, c, n, wildcard);
}

static int
moved_put(struct store *st, struct slice aor, const char *uri)
{
    struct store_req r = {
        .kind = STORE_REQ_MOVED_PUT,
        .aor = aor,
        .uri = slice_cstr(uri),
        .note = SLICE_LIT("gone"),
    };
    return store_submit_wait(st, &r);
}

struct seen {
    long n; /* bindings; -1: AOR unknown */
    bool user, moved;
    char contact[4][128];
    int64_t expires[4];
    char moved_uri[128];
};

static void
grab(void *arg, const struct store_aor_view *v)
{
    struct seen *s = arg;
    s->n = (long) v->nbindings;
    s->user = v->user;
    s->moved = v->moved;
    for (size_t i = 0; i < v->nbindings && i < 4; i++) {
        slice_copy(
            s->contact[i], sizeof(s->contact[i]), v->bindings[i].contact);
        s->expires[i] = v->bindings[i].expires;
    }
    slice_copy(s->moved_uri, sizeof(s->moved_uri), v->moved_uri);
}

static struct seen
look(struct store *st, struct slice aor)
{
    struct seen s;
    memset(&s, 0, sizeof(s));
    if (store_aor_read(st, aor, (int64_t) clock_wall(), grab, &s) != 0) {
        s.n = -1;
    }
    return s;
}

/* How long a node may take to see another's change: a deadline, not a
 * speed requirement (on a loaded machine a NOTIFY can take seconds). */
enum {
    COHERENT_MS = 20000
};

/* Waits up to ms for aor to have n bindings in st; returns the wait. */
static long
wait_bindings(struct store *st, struct slice aor, long n, unsigned ms)
{
    uint64_t t0 = clock_mono_ms();
    while (look(st, aor).n != n) {
        if (clock_mono_ms() - t0 > ms) {
            return -1;
        }
        sleep_ms(10);
    }
    return (long) (clock_mono_ms() - t0);
}

static long
wait_moved(struct store *st, struct slice aor, bool moved, unsigned ms)
{
    uint64_t t0 = clock_mono_ms();
    while (look(st, aor).moved != moved) {
        if (clock_mono_ms() - t0 > ms) {
            return -1;
        }
        sleep_ms(10);
    }
    return (long) (clock_mono_ms() - t0);
}

/* ---- no database needed ---- */

static void
test_conninfo(void **state)
{
    char out[256];
    (void) state;

    assert_true(store_pg_is_conninfo("postgres://u@h/db"));
    assert_true(store_pg_is_conninfo("postgresql://h"));
    assert_true(store_pg_is_conninfo("host=db dbname=sip"));
    assert_true(store_pg_is_conninfo(" dbname = sip"));
    assert_false(store_pg_is_conninfo("var/sipward.db"));
    assert_false(store_pg_is_conninfo("/srv/a=b.db"));
    assert_false(store_pg_is_conninfo(""));

    store_pg_describe(
        out, sizeof(out), "postgres://sw:s3cr%21t@db.example:6432/sip");
    assert_null(strstr(out, "s3cr"));
    assert_non_null(strstr(out, "password=***"));
    assert_non_null(strstr(out, "host=db.example"));
    assert_non_null(strstr(out, "port=6432"));
    assert_non_null(strstr(out, "dbname=sip"));

    store_pg_describe(out, sizeof(out),
        "host=db user=sw password='it\\'s secret' dbname=sip");
    assert_null(strstr(out, "secret"));
    assert_non_null(strstr(out, "password=***"));

    store_pg_describe(out, sizeof(out), "postgres://h/db?password=hunter2");
    assert_null(strstr(out, "hunter2"));

    /* Unparseable: never echoed. */
    store_pg_describe(out, sizeof(out), "host='unterminated password=x");
    assert_string_equal(out, "(invalid conninfo)");

    store_path_describe(out, sizeof(out), "var/sipward.db");
    assert_string_equal(out, "var/sipward.db");
}

/* ---- schema ---- */

static void
test_schema_created_and_versioned(void **state)
{
    struct fx *f = *state;
    size_t n;
    const struct store_pg_migration *m = store__pg_migrations(&n);

    struct store *st = open_mode(f, STORE_MODE_DIRECT);
    struct store_info i;
    assert_int_equal(store_info_get(st, &i), 0);
    assert_string_equal(i.backend, "postgresql");
    assert_int_equal(i.schema, m[n - 1].version);
    assert_int_equal(i.schema_latest, m[n - 1].version);
    store_close(st);
    assert_int_equal(db_count(f, "SELECT count(*) FROM sipward_schema"), n);

    /* Opening again applies nothing. */
    st = open_mode(f, STORE_MODE_SERVE);
    store_close(st);
    assert_int_equal(db_count(f, "SELECT count(*) FROM sipward_schema"), n);

    /* A newer schema than this sipward knows is refused. */
    db_exec(f, "INSERT INTO sipward_schema(version, name) VALUES(99, 'x')");
    struct store_conf c = { .path = f->url, .mode = STORE_MODE_SERVE };
    assert_int_equal(store_open(&st, &c), STORE_E_SCHEMA);
}

static void
test_failed_migration_changes_nothing(void **state)
{
    struct fx *f = *state;

    /* Migration 1 creates users, then trips on this table. */
    db_exec(f, "CREATE TABLE bindings(x integer)");
    struct store *st = NULL;
    struct store_conf c = { .path = f->url, .mode = STORE_MODE_DIRECT };
    assert_int_equal(store_open(&st, &c), STORE_E_DB);
    assert_int_equal(db_count(f,
                         "SELECT count(*) FROM pg_tables WHERE tablename IN "
                         "('users', 'moved', 'sipward_schema')"),
        0);
    db_exec(f, "DROP TABLE bindings");

    /* A later migration failing half-way: the earlier ones stay, it goes. */
    size_t n;
    const struct store_pg_migration *real = store__pg_migrations(&n);
    struct store_pg_migration migs[8];
    memcpy(migs, real, n * sizeof(migs[0]));
    migs[n] = (struct store_pg_migration){ (int) n + 1, "broken",
        "CREATE TABLE half(x integer); SELECT 1/0;" };
    PGconn *db = PQconnectdb(f->url);
    int applied = -1;
    assert_int_equal(store__pg_migrate(db, migs, n + 1, &applied), STORE_E_DB);
    assert_int_equal(applied, (int) n);
    assert_int_equal(store__pg_schema_version(db), (int) n);
    PQfinish(db);
    assert_int_equal(
        db_count(f, "SELECT count(*) FROM pg_tables WHERE tablename = 'half'"),
        0);

    /* `store check` opens without migrating and reports. */
    db_exec(f, "DELETE FROM sipward_schema WHERE version >= 2");
    c.no_migrate = true;
    assert_int_equal(store_open(&st, &c), 0);
    struct store_info i;
    assert_int_equal(store_info_get(st, &i), 0);
    assert_int_equal(i.schema, 1);
    assert_int_equal(i.schema_latest, (int) n);
    store_close(st);
}

/* ---- same semantics as SQLite ---- */

static void
test_register_rules_and_reload(void **state)
{
    struct fx *f = *state;
    struct store *st = open_mode(f, STORE_MODE_SERVE);
    struct store_contact c1 = {
        .uri = SLICE_LIT("sip:alice@10.0.0.1"), .expires = 3600, .q = 500
    };
    struct store_contact c2 = {
        .uri = SLICE_LIT("sip:alice@10.0.0.2"), .expires = 600, .q = 1000
    };

    assert_int_equal(reg(st, "cid-1", 1, &c1, 1, false), 0);
    assert_int_equal(reg(st, "cid-2", 7, &c2, 1, false), 0);
    struct seen s = look(st, AOR);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.contact[0], "sip:alice@10.0.0.2");
    assert_int_equal(reg(st, "cid-1", 1, &c1, 1, false), STORE_E_OUT_OF_ORDER);
    c2.expires = 0;
    assert_int_equal(reg(st, "cid-2", 8, &c2, 1, false), 0);
    assert_int_equal(look(st, AOR).n, 1);
    assert_int_equal(db_count(f, "SELECT count(*) FROM bindings"), 1);

    /* Not UTF-8: refused alone, the store keeps working. */
    struct store_contact bad = {
        .uri = SLICE_LIT("sip:x@\xff\xfe"), .expires = 60, .q = 1000
    };
    assert_int_equal(
        reg_aor(st, SLICE_LIT("sip:bad@example.com"), "b", 1, &bad, 1, false),
        STORE_E_ENCODING);
    assert_int_equal(moved_put(st, SLICE_LIT("sip:bob@example.com"),
                         "sip:bob@elsewhere.example"),
        0);
    store_close(st);

    /* A restart reloads everything. */
    st = open_mode(f, STORE_MODE_SERVE);
    s = look(st, AOR);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.contact[0], "sip:alice@10.0.0.1");
    s = look(st, SLICE_LIT("sip:bob@example.com"));
    assert_true(s.moved);
    assert_string_equal(s.moved_uri, "sip:bob@elsewhere.example");
    c1.expires = 0;
    assert_int_equal(reg(st, "cid-1", 2, NULL, 0, true), 0);
    assert_int_equal(look(st, AOR).n, -1);
    assert_int_equal(db_count(f, "SELECT count(*) FROM bindings"), 0);
    store_close(st);
}

/* ---- coherence between nodes ---- */

static void
test_two_nodes_coherent(void **state)
{
    struct fx *f = *state;
    struct store *a = open_mode(f, STORE_MODE_SERVE);
    struct store *b = open_mode(f, STORE_MODE_SERVE);
    struct store_contact c = {
        .uri = SLICE_LIT("sip:alice@10.0.0.7"), .expires = 3600, .q = 1000
    };

    /* Register on A: B has it soon. */
    assert_int_equal(reg(a, "cid", 1, &c, 1, false), 0);
    long t = wait_bindings(b, AOR, 1, COHERENT_MS);
    assert_true(t >= 0);
    assert_string_equal(look(b, AOR).contact[0], "sip:alice@10.0.0.7");

    /* Unregister on B: A loses it soon. */
    c.expires = 0;
    assert_int_equal(reg(b, "cid", 2, &c, 1, false), 0);
    assert_true(wait_bindings(a, AOR, -1, COHERENT_MS) >= 0);

    /* The CLI (DIRECT mode) moves a user: both nodes see it. */
    struct store *cli = open_mode(f, STORE_MODE_DIRECT);
    struct slice bob = SLICE_LIT("sip:bob@example.com");
    assert_int_equal(moved_put(cli, bob, "sip:bob@new.example"), 0);
    assert_true(wait_moved(a, bob, true, COHERENT_MS) >= 0);
    assert_true(wait_moved(b, bob, true, COHERENT_MS) >= 0);
    struct store_req del = { .kind = STORE_REQ_MOVED_DEL, .aor = bob };
    assert_int_equal(store_submit_wait(cli, &del), 0);
    assert_int_equal(store_submit_wait(cli, &del), STORE_E_NOT_FOUND);
    store_close(cli);
    assert_true(wait_moved(b, bob, false, COHERENT_MS) >= 0);

    /* An operator's SQL is published by the triggers too. */
    db_exec(f,
        "INSERT INTO moved VALUES('sip:carol@example.com', "
        "'sip:carol@x.example', '', 0)");
    assert_true(
        wait_moved(a, SLICE_LIT("sip:carol@example.com"), true, COHERENT_MS)
        >= 0);
    db_exec(f, "TRUNCATE moved");
    assert_true(
        wait_moved(b, SLICE_LIT("sip:carol@example.com"), false, COHERENT_MS)
        >= 0);

    /* Expiry: absolute, the same on both nodes, without any message. Long
     * enough that B sees the binding before it expires even when loaded. */
    c.expires = 8;
    assert_int_equal(reg(a, "cid", 3, &c, 1, false), 0);
    assert_true(wait_bindings(b, AOR, 1, COHERENT_MS) >= 0);
    int64_t ea = look(a, AOR).expires[0], eb = look(b, AOR).expires[0];
    assert_int_equal(ea, eb);
    assert_true(wait_bindings(a, AOR, -1, 8000 + COHERENT_MS) >= 0);
    assert_true(wait_bindings(b, AOR, -1, COHERENT_MS) >= 0);

    /* Many AORs at once (more than one reload query's worth). */
    char aors[300][48];
    struct store_req reqs[300];
    struct store_contact many = {
        .uri = SLICE_LIT("sip:u@10.1.1.1"), .expires = 600, .q = 1000
    };
    for (int i = 0; i < 300; i++) {
        snprintf(aors[i], sizeof(aors[i]), "sip:user%d@example.com", i);
        reqs[i] = (struct store_req){ .kind = STORE_REQ_REGISTER,
            .aor = slice_cstr(aors[i]),
            .call_id = SLICE_LIT("many"),
            .cseq = 1,
            .contacts = &many,
            .ncontacts = 1,
            .now = (int64_t) clock_wall() };
    }
    for (int i = 0; i < 300; i++) {
        assert_int_equal(store_submit(a, &reqs[i]), 0);
    }
    assert_int_equal(reg(a, "cid", 4, &c, 1, false), 0); /* after them */
    for (int i = 0; i < 300; i++) {
        assert_true(wait_bindings(b, slice_cstr(aors[i]), 1, COHERENT_MS) >= 0);
    }
    for (int i = 0; i < 300; i++) {
        assert_int_equal(reqs[i].result, 0);
    }

    store_close(a);
    store_close(b);
}

/* A TRUNCATE has every node reload all into a fresh index: a binding only
 * that reload brought (its own NOTIFY was not seen, as when both arrive in
 * one poll) still expires there, although the node had swept the AOR's
 * shard empty before. */
static void
test_reloaded_binding_expires(void **state)
{
    struct fx *f = *state;
    struct store *b = open_mode(f, STORE_MODE_SERVE);
    struct store_contact c = {
        .uri = SLICE_LIT("sip:alice@10.0.0.8"), .expires = 1, .q = 1000
    };
    char sql[512];

    /* Gone only once a sweep dropped it: that sweep found the shard left
     * with nothing due. */
    assert_int_equal(reg(b, "cid", 1, &c, 1, false), 0);
    assert_true(wait_bindings(b, AOR, -1, 1000 + COHERENT_MS) >= 0);
    /* Replica role: the row's trigger stays silent, as if its NOTIFY had
     * come with the TRUNCATE's. */
    snprintf(sql, sizeof(sql),
        "SET session_replication_role = replica;"
        "INSERT INTO bindings VALUES('sip:alice@example.com', "
        "'sip:alice@10.0.0.9', %lld, 1000, 'cid', 1, '', 0, '', '');"
        "RESET session_replication_role",
        (long long) clock_wall() + 8);
    db_exec(f, sql);
    db_exec(f, "TRUNCATE moved");
    assert_true(wait_bindings(b, AOR, 1, COHERENT_MS) >= 0);
    assert_true(wait_bindings(b, AOR, -1, 8000 + COHERENT_MS) >= 0);
    store_close(b);
}

/* ---- losing the database ---- */

static void
test_database_lost_and_back(void **state)
{
    struct fx *f = *state;
    struct store *a = open_mode(f, STORE_MODE_SERVE);
    struct store_contact c = {
        .uri = SLICE_LIT("sip:alice@10.0.0.1"), .expires = 3600, .q = 1000
    };
    char sql[256];

    assert_int_equal(reg(a, "cid", 1, &c, 1, false), 0);

    /* Away: the database refuses connections and drops ours. */
    snprintf(
        sql, sizeof(sql), "ALTER DATABASE %s ALLOW_CONNECTIONS false", f->db);
    admin_exec(sql);
    snprintf(sql, sizeof(sql),
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = '%s'",
        f->db);
    admin_exec(sql);

    /* Writes fail, fast, and never succeed falsely; reads go on. The
     * failure says "unavailable" so callers can ask for a retry. */
    uint64_t t0 = clock_mono_ms();
    c.uri = SLICE_LIT("sip:alice@10.0.0.2");
    assert_int_equal(reg(a, "cid", 2, &c, 1, false), STORE_E_UNAVAILABLE);
    assert_int_equal(reg(a, "cid", 3, &c, 1, false), STORE_E_UNAVAILABLE);
    /* Fast: no connect timeout waited out (generous for a loaded box). */
    assert_true(clock_mono_ms() - t0 < 10000);
    struct seen s = look(a, AOR);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.contact[0], "sip:alice@10.0.0.1");

    /* While it is away someone else changes the data (no NOTIFY reaches
     * the node): the resync after the reconnect must bring it. */
    snprintf(
        sql, sizeof(sql), "ALTER DATABASE %s ALLOW_CONNECTIONS true", f->db);
    PGconn *other = NULL;
    admin_exec(sql);
    other = PQconnectdb(f->url);
    assert_int_equal(PQstatus(other), CONNECTION_OK);
    PQclear(PQexec(other,
        "INSERT INTO moved VALUES('sip:dave@example.com', "
        "'sip:dave@y.example', '', 0);"
        "DELETE FROM bindings"));
    PQfinish(other);

    /* Back: the node reconnects by itself and accepts writes again. */
    int rc = STORE_E_UNAVAILABLE;
    uint32_t cseq = 10;
    t0 = clock_mono_ms();
    while ((rc == STORE_E_UNAVAILABLE || rc == STORE_E_DB)
        && clock_mono_ms() - t0 < 10000) {
        sleep_ms(100);
        rc = reg(a, "cid", cseq++, &c, 1, false);
    }
    assert_int_equal(rc, 0);
    assert_true(look(a, SLICE_LIT("sip:dave@example.com")).moved);
    s = look(a, AOR);
    assert_int_equal(s.n, 1); /* the delete, then our new binding */
    assert_string_equal(s.contact[0], "sip:alice@10.0.0.2");
    store_close(a);
}

/* Starts a cluster for this run unless SW_PG_URL names one. */
static int
pg_start(void)
{
    const char *url = getenv("SW_PG_URL");
    char cmd[512], path[128];

    if (url && url[0]) {
        snprintf(pg_url, sizeof(pg_url), "%s", url);
        return 0;
    }
    snprintf(pg_dir, sizeof(pg_dir), "/tmp/sw-pgunit-%d", (int) getpid());
    snprintf(cmd, sizeof(cmd), "sh %s/../../scripts/pg.sh start %s >/dev/null",
        SW_TEST_DATA, pg_dir);
    int st = system(cmd);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        pg_dir[0] = '\0';
        return WIFEXITED(st) && WEXITSTATUS(st) == 2 ? 2 : 1;
    }
    snprintf(path, sizeof(path), "%s/env", pg_dir);
    FILE *fp = fopen(path, "r");
    char line[600];
    while (fp && fgets(line, sizeof(line), fp)) {
        if (strncmp(line, "PG_URL=", 7) == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(pg_url, sizeof(pg_url), "%s", line + 7);
        }
    }
    if (fp) {
        fclose(fp);
    }
    return pg_url[0] ? 0 : 1;
}

static void
pg_stop(bool show_log)
{
    char cmd[256];

    if (pg_dir[0] && show_log) {
        snprintf(cmd, sizeof(cmd),
            "echo '--- postgres.log ---'; grep -v checkpoint %s/postgres.log "
            "| tail -n 40",
            pg_dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "no postgres.log\n");
        }
    }
    if (pg_dir[0]) {
        snprintf(cmd, sizeof(cmd), "sh %s/../../scripts/pg.sh stop %s",
            SW_TEST_DATA, pg_dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "pg.sh stop failed\n");
        }
    }
}

int
main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_conninfo),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_schema_created_and_versioned, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_failed_migration_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_register_rules_and_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_two_nodes_coherent, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_reloaded_binding_expires, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_database_lost_and_back, setup, teardown),
    };
    int rc = cmocka_run_group_tests_name("store_pg_pure", pure, NULL, NULL);
    const char *req = getenv("SW_PG_REQUIRED");

    int up = pg_start();
    if (up == 2 && !(req && req[0] == '1')) {
        printf("SKIP: PostgreSQL is not installed (scripts/deps.sh installs "
               "it); the PostgreSQL store tests did not run\n");
        return rc;
    }
    if (up != 0) {
        fprintf(stderr, "cannot start PostgreSQL with scripts/pg.sh\n");
        return 1;
    }
    admin = PQconnectdb(pg_url);
    if (PQstatus(admin) != CONNECTION_OK) {
        fprintf(stderr, "cannot connect: %s", PQerrorMessage(admin));
        PQfinish(admin);
        pg_stop(true);
        return 1;
    }
    rc |= cmocka_run_group_tests_name("store_pg", tests, NULL, NULL);
    PQfinish(admin);
    pg_stop(rc != 0);
    return rc;
}
