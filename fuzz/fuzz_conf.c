/*
 * The configuration file: the input is an INI file read by the same
 * loader as sipward.ini (libinih tokenizes, the option tables type and
 * bound every value), with every table the daemon registers. A file that
 * loads is validated as at start (including the listener and domain
 * lists), printed as --print-config does, and the printed file must load
 * again and print the same.
 */
#include <stdio.h>
#include <string.h>

#include "app/config.h"
#include "app/location.h"
#include "app/sti.h"
#include "fuzz_check.h"
#include "http/http_service.h"
#include "transport/listen.h"
#include "transport/transport.h"
#include "txn/txn.h"

/* inih's line limit (INI_MAX_LINE): a longer printed line cannot load. */
#define INI_LINE 200

struct all {
    struct conf conf;
    struct app_conf ac;
    struct transport_conf tc;
    struct txn_conf xc;
    struct sti_conf stc;
    struct location_conf lc;
    struct http_conf hc;
};

static int
load(struct all *a, const char *text)
{
    memset(a, 0, sizeof(*a));
    conf_init(&a->conf);
    app_conf_register(&a->conf, &a->ac);
    transport_conf_register(&a->conf, &a->tc);
    txn_conf_register(&a->conf, &a->xc);
    sti_conf_register(&a->conf, &a->stc);
    location_conf_register(&a->conf, &a->lc);
    http_daemon_ext.conf_register(&a->conf, &a->hc);
    int rc = conf_apply_defaults(&a->conf);
    check(rc == 0);
    rc = conf_load_string(&a->conf, "fuzz.ini", text);
    check(rc == 0 || (a->conf.err[0] && strlen(a->conf.err) < 512));
    return rc;
}

static void
validate(struct all *a)
{
    struct transport_listener ls[TRANSPORT_MAX_LISTENERS];
    struct location_domains d;
    char err[256];
    size_t n;

    (void) app_conf_validate(&a->conf, &a->ac);
    (void) sti_conf_validate(&a->conf, &a->stc);
    (void) location_conf_validate(&a->conf, &a->lc);
    (void) http_daemon_ext.conf_validate(&a->conf, &a->hc);
    if (transport_listeners_parse(
            a->ac.sip_listen, ls, TRANSPORT_MAX_LISTENERS, &n, err, sizeof(err))
        == 0) {
        check(n <= TRANSPORT_MAX_LISTENERS);
    }
    (void) location_domains_parse(&d, a->ac.domains, a->lc.use_domain);
}

static char *
print(const struct all *a, size_t *len)
{
    char *out = NULL;
    FILE *f = open_memstream(&out, len);

    check(f != NULL);
    conf_print(&a->conf, f);
    check(fclose(f) == 0 && out);
    return out;
}

static bool
short_lines(const char *s)
{
    while (*s) {
        size_t n = strcspn(s, "\n");
        if (n >= INI_LINE - 1) {
            return false;
        }
        s += n + (s[n] == '\n');
    }
    return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct all a, b;
    char *text = malloc(size + 1);
    size_t la, lb;

    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    if (load(&a, text) == 0) {
        validate(&a);
        char *pa = print(&a, &la);
        if (short_lines(pa)) {
            check(load(&b, pa) == 0);
            char *pb = print(&b, &lb);
            check(la == lb && memcmp(pa, pb, la) == 0);
            free(pb);
        }
        conf_release(&b.conf);
        free(pa);
    }
    conf_release(&a.conf);
    free(text);
    return 0;
}
