#define LOG_MODULE "http"
/*
 * Operations endpoints: liveness, readiness, Prometheus metrics and the
 * status page. The page is plain HTML and CSS written by the daemon: no
 * script, no framework, refreshed by the browser every 5 s. A section whose
 * service has no data yet says so; it never shows an invented number.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app_metrics.h"
#include "app/verify_log.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/metrics.h"
#include "http/http_html.h"
#include "http/http_int.h"
#include "store/store.h"

void
http__sample(struct http_service *svc)
{
    struct http_sample s = {
        .t_ms = clock_mono_ms(),
        .requests = metric_total(&app_m_requests),
        .responses = metric_total(&app_m_responses),
    };

    pthread_mutex_lock(&svc->lock);
    svc->samples[svc->nsamples % HTTP_SAMPLES] = s;
    svc->nsamples++;
    pthread_mutex_unlock(&svc->lock);
}

/*
 * Per-second rates over the last window_s seconds, from the newest sample
 * and the oldest one still inside the window. False while there is less
 * than a second of history: the page then shows a dash, not a zero.
 */
static bool
rates(struct http_service *svc, unsigned window_s, double *req, double *resp)
{
    bool ok = false;

    pthread_mutex_lock(&svc->lock);
    if (svc->nsamples >= 2) {
        const struct http_sample *now =
            &svc->samples[(svc->nsamples - 1) % HTTP_SAMPLES];
        const struct http_sample *old = NULL;
        uint64_t have =
            svc->nsamples < HTTP_SAMPLES ? svc->nsamples : HTTP_SAMPLES;
        for (uint64_t i = 1; i < have; i++) {
            const struct http_sample *s =
                &svc->samples[(svc->nsamples - 1 - i) % HTTP_SAMPLES];
            if (now->t_ms - s->t_ms > (uint64_t) window_s * 1000 + 500) {
                break;
            }
            old = s;
        }
        if (old && now->t_ms - old->t_ms >= 1000) {
            double dt = (double) (now->t_ms - old->t_ms) / 1000.0;
            *req = (double) (now->requests - old->requests) / dt;
            *resp = (double) (now->responses - old->responses) / dt;
            ok = true;
        }
    }
    pthread_mutex_unlock(&svc->lock);
    return ok;
}

/*
 * The store's state, in /healthz and /readyz. Only said, never a reason to
 * fail them: a node whose database is away still answers every redirect
 * from its index, and refuses only writes (500 with Retry-After).
 */
static json_t *
store_state(struct http_service *svc)
{
    struct store *st = daemon_store(svc->d);
    struct store_health h;

    if (!st) {
        return json_null();
    }
    store_health_get(st, &h);
    if (h.available) {
        return json_pack("{s:s,s:s}", "backend", h.backend, "state", "ok");
    }
    return json_pack("{s:s,s:s,s:I}", "backend", h.backend, "state",
        "unavailable", "since", (json_int_t) h.down_since);
}

static void
healthz(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct http_service *svc = arg;

    (void) rq;
    http_resp_json(rs, 200,
        json_pack("{s:s,s:s,s:f,s:o}", "status", "ok", "version",
            SIPWARD_VERSION, "uptime_seconds",
            (double) daemon_uptime_ms(svc->d) / 1000.0, "store",
            store_state(svc)));
}

static void
readyz(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct http_service *svc = arg;
    bool ready = daemon_ready(svc->d);

    (void) rq;
    http_resp_json(rs, ready ? 200 : 503,
        json_pack("{s:b,s:I,s:o}", "ready", ready, "workers",
            (json_int_t) daemon_nworkers(svc->d), "store", store_state(svc)));
}

static void
metrics(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct http_service *svc = arg;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    (void) rq;
    if (!f) {
        http_resp_error(rs, 500, "out of memory");
        return;
    }
    /* The process's own gauges, then every registered metric. */
    fprintf(f,
        "# HELP sipward_build_info version of the running daemon\n"
        "# TYPE sipward_build_info gauge\n"
        "sipward_build_info{version=\"%s\"} 1\n"
        "# HELP sipward_uptime_seconds seconds since the daemon started\n"
        "# TYPE sipward_uptime_seconds gauge\n"
        "sipward_uptime_seconds %.3f\n"
        "# HELP sipward_ready 1 when every worker runs\n"
        "# TYPE sipward_ready gauge\n"
        "sipward_ready %d\n"
        "# HELP sipward_workers SIP worker threads\n"
        "# TYPE sipward_workers gauge\n"
        "sipward_workers %zu\n",
        SIPWARD_VERSION, (double) daemon_uptime_ms(svc->d) / 1000.0,
        daemon_ready(svc->d) ? 1 : 0, daemon_nworkers(svc->d));
    struct store *st = daemon_store(svc->d);
    if (st) {
        struct store_stats ss;
        store_stats_get(st, &ss);
        fprintf(f,
            "# HELP sipward_store_users users in the store\n"
            "# TYPE sipward_store_users gauge\n"
            "sipward_store_users %" PRIu64 "\n"
            "# HELP sipward_store_bindings registered bindings in the store\n"
            "# TYPE sipward_store_bindings gauge\n"
            "sipward_store_bindings %" PRIu64 "\n"
            "# HELP sipward_store_moved entries of the moved directory\n"
            "# TYPE sipward_store_moved gauge\n"
            "sipward_store_moved %" PRIu64 "\n",
            ss.users, ss.bindings, ss.moved);
    }
    int rc = metrics_write_prometheus(f);
    if (fclose(f) != 0 || rc != 0) {
        free(buf);
        http_resp_error(rs, 500, "cannot render the metrics");
        return;
    }
    http_resp_take(
        rs, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len);
}

/* ---- status page ---- */

static void
html(FILE *f, const char *s)
{
    http_html_escape(f, s, strlen(s));
}

static void
fmt_duration(char *buf, size_t len, uint64_t s)
{
    uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

    if (d) {
        snprintf(buf, len, "%" PRIu64 "d %" PRIu64 "h %" PRIu64 "m", d, h, m);
    } else if (h) {
        snprintf(
            buf, len, "%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s", h, m, s % 60);
    } else if (m) {
        snprintf(buf, len, "%" PRIu64 "m %" PRIu64 "s", m, s % 60);
    } else {
        snprintf(buf, len, "%" PRIu64 "s", s);
    }
}

static const char css[] =
    ":root{--bg:#f6f7f9;--card:#fff;--ink:#1d2733;--mute:#667085;"
    "--line:#e4e7ec;--ok:#12805c;--bad:#b42318;--accent:#2f5bd3}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',"
    "Roboto,sans-serif;background:var(--bg);color:var(--ink)}"
    "header{display:flex;align-items:baseline;gap:.8rem;padding:1rem "
    "1.5rem;background:#1d2733;color:#fff}"
    "header h1{margin:0;font-size:1.3rem;letter-spacing:.02em}"
    "header .ver{color:#aab4c3;font-size:.9rem}"
    ".pill{margin-left:auto;padding:.15rem .7rem;border-radius:999px;"
    "font-size:.85rem;font-weight:600}"
    ".pill.ok{background:#d1fadf;color:var(--ok)}"
    ".pill.bad{background:#fee4e2;color:var(--bad)}"
    "main{display:grid;grid-template-columns:repeat(auto-fit,"
    "minmax(22rem,1fr));gap:1rem;padding:1.5rem;max-width:80rem;"
    "margin:auto}"
    "section{background:var(--card);border:1px solid var(--line);"
    "border-radius:10px;padding:1rem 1.2rem}"
    "section.wide{grid-column:1/-1}"
    "h2{margin:0 0 .6rem;font-size:1rem;color:var(--mute);"
    "text-transform:uppercase;letter-spacing:.06em}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem "
    "1rem;margin:0}dt{color:var(--mute)}dd{margin:0}"
    "table{width:100%;border-collapse:collapse}"
    "th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid "
    "var(--line)}th{color:var(--mute);font-weight:600}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".big{font-size:1.8rem;font-weight:650}"
    ".empty{color:var(--mute);font-style:italic;margin:.2rem 0}"
    "code{font:13px ui-monospace,monospace}"
    "footer{color:var(--mute);text-align:center;padding:0 0 1.5rem;"
    "font-size:.85rem}footer a{color:var(--accent)}";

static void
rate_cell(FILE *f, bool ok, double v)
{
    if (ok) {
        fprintf(f, "<td class=n>%.1f/s</td>", v);
    } else {
        fputs("<td class=n>&mdash;</td>", f);
    }
}

static void
section_overview(FILE *f, struct http_service *svc)
{
    char up[64];
    const struct transport_listener *ls;
    size_t n = daemon_listeners(svc->d, &ls);

    fmt_duration(up, sizeof(up), daemon_uptime_ms(svc->d) / 1000);
    fprintf(f,
        "<section id=overview><h2>Overview</h2><dl>"
        "<dt>Uptime</dt><dd class=big id=uptime>%s</dd>"
        "<dt>Workers</dt><dd>%zu</dd><dt>SIP</dt><dd>",
        up, daemon_nworkers(svc->d));
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        fputs("<code>", f);
        html(f, ls[i].text);
        fputs("</code>", f);
    }
    fputs("</dd><dt>HTTP</dt><dd><code>", f);
    html(f, svc->listen);
    fputs("</code></dd>", f);
    struct store *st = daemon_store(svc->d);
    if (st) {
        struct store_stats ss;
        store_stats_get(st, &ss);
        fprintf(f,
            "<dt>Store</dt><dd id=store>%" PRIu64 " users, %" PRIu64
            " bindings, %" PRIu64 " moved</dd>",
            ss.users, ss.bindings, ss.moved);
    }
    fputs("</dl></section>", f);
}

static void
section_traffic(FILE *f, struct http_service *svc)
{
    double rq10 = 0, rs10 = 0, rq60 = 0, rs60 = 0;
    bool ok10 = rates(svc, 10, &rq10, &rs10);
    bool ok60 = rates(svc, 60, &rq60, &rs60);

    fputs("<section id=traffic><h2>SIP traffic</h2><table>"
          "<tr><th></th><th class=n>last 10 s</th><th class=n>last 60 s</th>"
          "<th class=n>total</th></tr><tr><th>requests</th>",
        f);
    rate_cell(f, ok10, rq10);
    rate_cell(f, ok60, rq60);
    fprintf(f,
        "<td class=n id=requests-total>%" PRIu64
        "</td></tr><tr><th>responses</th>",
        metric_total(&app_m_requests));
    rate_cell(f, ok10, rs10);
    rate_cell(f, ok60, rs60);
    fprintf(f, "<td class=n id=responses-total>%" PRIu64 "</td></tr></table>",
        metric_total(&app_m_responses));

    /* Responses by class, only the classes seen. */
    uint64_t cls[6] = { 0 };
    for (size_t c = 0; c < 600; c++) {
        cls[c / 100] += metric_value(&app_m_responses, c);
    }
    bool any = false;
    for (size_t i = 0; i < 6; i++) {
        if (!cls[i]) {
            continue;
        }
        if (!any) {
            fputs("<table><tr><th>response class</th><th class=n>count</th>"
                  "</tr>",
                f);
            any = true;
        }
        fprintf(f, "<tr><td>%zuxx</td><td class=n>%" PRIu64 "</td></tr>", i + 1,
            cls[i]);
    }
    if (any) {
        fputs("</table>", f);
    } else {
        fputs("<p class=empty>No SIP traffic yet.</p>", f);
    }
    fputs("</section>", f);
}

static void
section_verification(FILE *f)
{
    static const char *const outcomes[] = { "passed", "failed", "no identity" };
    bool any = false;

    fputs("<section id=verification><h2>Verification outcomes</h2>", f);
    for (size_t o = 0; o < APP_VERIFY_OUTCOME_COUNT; o++) {
        for (size_t r = 0; r < APP_VR_COUNT; r++) {
            uint64_t v =
                metric_value(&app_m_verifications, o * APP_VR_COUNT + r);
            if (!v) {
                continue;
            }
            if (!any) {
                fputs("<table><tr><th>outcome</th><th>reason</th>"
                      "<th class=n>count</th></tr>",
                    f);
                any = true;
            }
            fprintf(f,
                "<tr><td>%s</td><td>%s</td><td class=n>%" PRIu64 "</td></tr>",
                outcomes[o], r ? app_verify_reason_name(r) : "", v);
        }
    }
    fputs(any ? "</table>" : "<p class=empty>No verifications yet.</p>", f);
    fputs("</section>", f);
}

enum {
    MOVED_SHOWN = 50
};

struct moved_entry {
    char aor[STORE_MAX_AOR + 1];
    char uri[200];
    char note[200];
};

/* The first MOVED_SHOWN entries by AOR, kept sorted while the index is
 * scanned: the page stays cheap with a million moved users. */
struct moved_top {
    struct moved_entry *e;
    size_t n;
    uint64_t total;
};

static void
moved_row(void *arg, const struct store_moved_row *m)
{
    struct moved_top *t = arg;
    char aor[STORE_MAX_AOR + 1];
    size_t at;

    t->total++;
    if (slice_copy(aor, sizeof(aor), m->aor) != 0) {
        return;
    }
    for (at = t->n; at > 0 && strcmp(t->e[at - 1].aor, aor) > 0; at--) {
    }
    if (at >= MOVED_SHOWN) {
        return;
    }
    size_t keep = t->n < MOVED_SHOWN ? t->n : MOVED_SHOWN - 1;
    memmove(&t->e[at + 1], &t->e[at], (keep - at) * sizeof(t->e[0]));
    struct moved_entry *e = &t->e[at];
    snprintf(e->aor, sizeof(e->aor), "%s", aor);
    snprintf(e->uri, sizeof(e->uri), SLICE_FMT,
        (int) (m->uri.len < sizeof(e->uri) ? m->uri.len : sizeof(e->uri) - 1),
        m->uri.p ? m->uri.p : "");
    snprintf(e->note, sizeof(e->note), SLICE_FMT,
        (int) (m->note.len < sizeof(e->note) ? m->note.len
                                             : sizeof(e->note) - 1),
        m->note.p ? m->note.p : "");
    if (t->n < MOVED_SHOWN) {
        t->n++;
    }
}

static void
section_moved(FILE *f, struct http_service *svc)
{
    struct store *st = daemon_store(svc->d);
    struct moved_top t = { calloc(MOVED_SHOWN + 1, sizeof(*t.e)), 0, 0 };

    fputs("<section id=moved class=wide><h2>Moved directory</h2>", f);
    if (!st || !t.e || store_moved_list(st, moved_row, &t) != 0) {
        fputs("<p class=empty>The store cannot be read.</p></section>", f);
        free(t.e);
        return;
    }
    if (t.total == 0) {
        fputs("<p class=empty>No moved users.</p></section>", f);
        free(t.e);
        return;
    }
    fprintf(f,
        "<p>%" PRIu64 " moved user%s.</p><table><tr><th>address-of-record"
        "</th><th>now at</th><th>note</th></tr>",
        t.total, t.total == 1 ? "" : "s");
    for (size_t i = 0; i < t.n; i++) {
        fputs("<tr><td><code>", f);
        html(f, t.e[i].aor);
        fputs("</code></td><td><code>", f);
        html(f, t.e[i].uri);
        fputs("</code></td><td>", f);
        html(f, t.e[i].note);
        fputs("</td></tr>", f);
    }
    fputs("</table>", f);
    if (t.total > t.n) {
        fprintf(f,
            "<p class=empty>The first %zu by address; GET /api/v1/moved "
            "lists them all.</p>",
            t.n);
    }
    fputs("</section>", f);
    free(t.e);
}

static void
section_failures(FILE *f)
{
    struct app_verify_failure v[10];
    size_t n = app_verify_failures_recent(v, 10);

    fputs("<section id=failures class=wide><h2>Recent failed "
          "verifications</h2>",
        f);
    if (n == 0) {
        fputs("<p class=empty>None.</p></section>", f);
        return;
    }
    fputs("<table><tr><th>time (UTC)</th><th>Call-ID</th><th class=n>code"
          "</th><th>reason</th><th>detail</th></tr>",
        f);
    for (size_t i = 0; i < n; i++) {
        char ts[32];
        time_t t = (time_t) (v[i].wall_ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
        fprintf(f, "<tr><td>%s</td><td><code>", ts);
        html(f, v[i].call_id);
        fprintf(f, "</code></td><td class=n>%u</td><td>%s</td><td>", v[i].code,
            app_verify_reason_name(v[i].reason));
        html(f, v[i].text);
        fputs("</td></tr>", f);
    }
    fputs("</table></section>", f);
}

static void
status_page(void *arg, const struct http_req *rq, struct http_resp *rs)
{
    struct http_service *svc = arg;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    bool ready = daemon_ready(svc->d);

    (void) rq;
    if (!f) {
        http_resp_error(rs, 500, "out of memory");
        return;
    }
    fprintf(f,
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content=\"width=device-width,initial-scale=1\">"
        "<meta http-equiv=refresh content=5><title>sipward status</title>"
        "<style>%s</style></head><body><header><h1>sipward</h1>"
        "<span class=ver>%s</span><span class=\"pill %s\" id=state>%s</span>"
        "</header><main>",
        css, SIPWARD_VERSION, ready ? "ok" : "bad",
        ready ? "ready" : "not ready");
    section_overview(f, svc);
    section_traffic(f, svc);
    section_verification(f);
    section_moved(f, svc);
    section_failures(f);
    fputs("</main><footer>Refreshes every 5 s &middot; "
          "<a href=\"/metrics\">/metrics</a> &middot; "
          "<a href=\"/healthz\">/healthz</a> &middot; "
          "<a href=\"/readyz\">/readyz</a></footer></body></html>\n",
        f);
    if (fclose(f) != 0) {
        free(buf);
        http_resp_error(rs, 500, "cannot render the page");
        return;
    }
    http_resp_take(rs, 200, "text/html; charset=utf-8", buf, len);
}

static const struct http_route ops_routes[] = {
    { "GET", "/healthz", 0, healthz },
    { "GET", "/readyz", 0, readyz },
    { "GET", "/metrics", HTTP_OPS, metrics },
    { "GET", "/", HTTP_OPS, status_page },
};

int
http__ops_routes(struct http_service *svc)
{
    return http_server_add_routes(
        svc->srv, ops_routes, sizeof(ops_routes) / sizeof(ops_routes[0]), svc);
}
