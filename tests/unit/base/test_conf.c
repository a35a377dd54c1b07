#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/err.h"

struct t_conf {
    int64_t workers;
    bool verbose;
    char *name;
    char *token;
};

static const struct conf_opt opts[] = {
    { "server", "workers", CONF_INT, offsetof(struct t_conf, workers), 1, 64,
        "4", "worker threads", 0 },
    { "server", "verbose", CONF_BOOL, offsetof(struct t_conf, verbose), 0, 0,
        "false", "chatty", 0 },
    { "server", "name", CONF_STR, offsetof(struct t_conf, name), 0, 8, "sw",
        "a name", 0 },
    { "http", "token", CONF_STR, offsetof(struct t_conf, token), 0, 0, "",
        "bearer token", CONF_SECRET },
};

struct fixture {
    struct conf c;
    struct t_conf t;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    conf_init(&f->c);
    conf_add(&f->c, opts, 4, &f->t);
    assert_int_equal(conf_apply_defaults(&f->c), 0);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    conf_release(&f->c);
    free(f);
    return 0;
}

static void
test_defaults(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(f->t.workers, 4);
    assert_false(f->t.verbose);
    assert_string_equal(f->t.name, "sw");
}

static void
test_set_kv(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(conf_set_kv(&f->c, "server.workers=8"), 0);
    assert_int_equal(f->t.workers, 8);
    assert_int_equal(conf_set_kv(&f->c, "server.verbose=yes"), 0);
    assert_true(f->t.verbose);
    assert_int_equal(
        conf_set_kv(&f->c, "server.workers=65"), CONF_E_OUT_OF_RANGE);
    assert_non_null(strstr(conf_error(&f->c), "server.workers"));
    assert_int_equal(f->t.workers, 8);
    assert_int_equal(
        conf_set_kv(&f->c, "server.workers=abc"), CONF_E_BAD_VALUE);
    assert_non_null(strstr(conf_error(&f->c), "abc"));
    assert_int_equal(
        conf_set_kv(&f->c, "server.nope=1"), CONF_E_UNKNOWN_OPTION);
    assert_non_null(strstr(conf_error(&f->c), "server.nope"));
    assert_int_equal(conf_set_kv(&f->c, "workers=1"), CONF_E_SYNTAX);
    assert_int_equal(
        conf_set_kv(&f->c, "server.name=123456789"), CONF_E_OUT_OF_RANGE);
}

static void
test_file_and_print(void **state)
{
    struct fixture *f = *state;
    char path[] = "/tmp/sw_conf_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "[server]\nworkers = 2\nname = edge\n"
                       "[http]\ntoken = s3cr3t\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
    assert_int_equal(conf_load_file(&f->c, path), 0);
    assert_int_equal(f->t.workers, 2);
    assert_string_equal(f->t.name, "edge");
    assert_string_equal(f->t.token, "s3cr3t");

    char *out = NULL;
    size_t outlen = 0;
    FILE *mem = open_memstream(&out, &outlen);
    conf_print(&f->c, mem);
    fclose(mem);
    assert_non_null(strstr(out, "workers = 2"));
    assert_non_null(strstr(out, "[http]"));
    /* A secret is never printed. */
    assert_null(strstr(out, "s3cr3t"));
    assert_non_null(strstr(out, "token = (set)"));
    free(out);

    /* A bad value in the file names the file, the line and the option. */
    fd = open(path, O_WRONLY | O_TRUNC);
    const char *bad = "[server]\nworkers = 0\n";
    assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t) strlen(bad));
    close(fd);
    assert_int_equal(conf_load_file(&f->c, path), CONF_E_OUT_OF_RANGE);
    assert_non_null(strstr(conf_error(&f->c), ":2:"));
    assert_non_null(strstr(conf_error(&f->c), "server.workers"));

    /* inih goes on after a bad line: the first error is the one told. */
    fd = open(path, O_WRONLY | O_TRUNC);
    const char *two = "[server]\nnope = 1\nworkers = 3\n";
    assert_int_equal(write(fd, two, strlen(two)), (ssize_t) strlen(two));
    close(fd);
    assert_int_equal(conf_load_file(&f->c, path), CONF_E_UNKNOWN_OPTION);
    assert_non_null(
        strstr(conf_error(&f->c), ":2: unknown option server.nope"));

    /* Sections no table knows: an error, unless the reader asked to skip
     * them (the CLI reading the daemon's file); known sections stay strict. */
    fd = open(path, O_WRONLY | O_TRUNC);
    const char *other = "[stir]\npolicy = mark\n[server]\nworkers = 5\n";
    assert_int_equal(write(fd, other, strlen(other)), (ssize_t) strlen(other));
    close(fd);
    assert_int_equal(conf_load_file(&f->c, path), CONF_E_UNKNOWN_OPTION);
    f->c.other_sections_ok = true;
    assert_int_equal(conf_load_file(&f->c, path), 0);
    assert_int_equal(f->t.workers, 5);
    assert_int_equal(
        conf_set_kv(&f->c, "server.nope=1"), CONF_E_UNKNOWN_OPTION);
    unlink(path);

    assert_true(conf_load_file(&f->c, "/nonexistent/x.ini") < 0);
    assert_non_null(strstr(conf_error(&f->c), "/nonexistent/x.ini"));
}

/* What the file cannot hold is refused, so --print-config output always
 * loads back as it was (found by fuzz_conf: a comment on a continuation
 * line became part of the value). */
static void
test_string_fits_the_file(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(conf_set_kv(&f->c, "server.name= a b\t"), 0);
    assert_string_equal(f->t.name, "a b");
    assert_int_equal(conf_set_kv(&f->c, "server.name=a;b"), 0);
    assert_int_equal(conf_set_kv(&f->c, "server.name=a ;b"), CONF_E_BAD_VALUE);
    assert_non_null(strstr(conf_error(&f->c), "comment"));
    assert_int_equal(conf_set_kv(&f->c, "server.name=;b"), CONF_E_BAD_VALUE);
    assert_int_equal(conf_set_kv(&f->c, "server.name=a\nb"), CONF_E_BAD_VALUE);
    assert_string_equal(f->t.name, "a;b");
    assert_int_equal(
        conf_load_string(&f->c, "mem.ini", "[server]\nname = x\n  y ;z\n"),
        CONF_E_BAD_VALUE);
    assert_non_null(strstr(conf_error(&f->c), "mem.ini:3:"));
    assert_int_equal(
        conf_load_string(&f->c, "mem.ini", "[server]\nname = x ; note\n"), 0);
    assert_string_equal(f->t.name, "x");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_kv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_and_print, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_string_fits_the_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
