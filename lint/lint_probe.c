/*
 * ocsp-lint probe HOST[:PORT]...: what clients see (a handshake with SNI and
 * status_request) and what the responder answers, several hosts at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_hash.h>
#include <apr_getopt.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_thread_mutex.h>

#include "lint.h"
#include "oa_report_probe.h"
#include "oa_verdict.h"
#include "oa_crl.h"
#include "oa_json.h"
#include "oa_pki.h"
#include "oa_probe.h"
#include "oa_report_verdicts.h"
#include "oa_text.h"

/* A target from the command line: resolved first, then probed at every address. */
typedef struct {
    const char *target;
    const char *host;
    apr_port_t port;
    const char *sni;
    apr_pool_t *pool;
    apr_array_header_t *addrs;  /* apr_sockaddr_t *, NULL when the name did not resolve */
    oa_conn_t *dns;             /* the resolution: its time, or why it failed */
} target_t;

/* One handshake: a target at one of its addresses (or its DNS failure). */
typedef struct {
    target_t *t;
    apr_sockaddr_t *addr;       /* NULL: the name did not resolve */
    apr_pool_t *pool;
    oa_tls_probe_t *tls;
    oa_responder_check_t *resp;
    oa_crl_check_t *crl;        /* NULL: not checked (no CRL distribution point, no issuer) */
    const char *problem;        /* NULL: all good */
    oa_verdict_t verdict;
} job_t;

typedef struct work_t work_t;
typedef void item_fn(work_t *w, void *item);

/* items run in parallel by up to --concurrency threads */
struct work_t {
    apr_array_header_t *items;  /* target_t * or job_t * */
    item_fn *fn;
    int next, done;
    apr_thread_mutex_t *lock;
    oa_probe_opts_t opts;
    int responder;
    oa_crl_cache_t *crls;       /* NULL: --no-crl; else one fetch per distribution point */
    oa_crl_opts_t crl_opts;
    int progress;
    int stream;                 /* text: print each job as it ends (under the lock) */
    int color;                  /* ANSI colours: a terminal, and NO_COLOR unset */
    apr_pool_t *pool;
};

/* a CRL check that found something wrong with the CRL (not a revocation) */
static int crl_trouble(const oa_crl_check_t *c)
{
    return c && c->verdict != OA_CRL_OK && c->verdict != OA_CRL_REVOKED;
}

static const char *problem_of(apr_pool_t *p, job_t *j)
{
    const oa_tls_probe_t *t = j->tls;
    if (t->error) {
        return t->error;
    }
    if (j->crl && j->crl->verdict == OA_CRL_REVOKED) {
        return j->crl->message;
    }
    if (t->status_request_kills) {
        return apr_psprintf(p, "asking for a staple is what kills the handshake (%s); "
                            "without status_request it succeeds", t->kill_error);
    }
    if (t->name_match >= OA_NAME_NOT_COVERED) {
        return apr_psprintf(p, "the certificate does not cover the name %s (%s)", t->sni,
                            oa_name_match_name(t->name_match));
    }
    if (!t->chain_complete) {
        return t->staple_present
            ? "the served chain lacks the issuer of the certificate (the staple cannot be "
              "checked either)"
            : "the served chain lacks the issuer of the certificate, and no staple was sent";
    }
    if (!t->staple_present) {
        return t->must_staple ? "no staple for a Must-Staple certificate: Firefox refuses the "
                                "connection" : "no staple sent";
    }
    if (strcmp(t->staple_state, "good")) {
        return apr_psprintf(p, "the staple says %s", t->staple_state);
    }
    if (!t->staple.verified) {
        return apr_psprintf(p, "the staple does not verify: %s", t->staple.verify_error);
    }
    if (!t->staple.time_ok) {
        return apr_psprintf(p, "the staple is %s", t->staple.time_error);
    }
    if (j->resp && strcmp(j->resp->verdict, "ok")) {
        return apr_psprintf(p, "responder: %s%s%s", j->resp->verdict,
                            j->resp->message ? ": " : "", j->resp->message ? j->resp->message : "");
    }
    if (crl_trouble(j->crl)) {
        return apr_psprintf(p, "CRL: %s: %s", oa_crl_verdict_name(j->crl->verdict),
                            j->crl->message);
    }
    return NULL;
}

static void resolve_target(work_t *w, void *item)
{
    target_t *t = item;
    if (oa_net_resolve(&t->addrs, &t->dns, t->pool, t->host, t->port, w->opts.timeout)
        != APR_SUCCESS) {
        t->addrs = NULL;
    }
}

/* what a name that does not resolve gives: a probe that failed at DNS */
static oa_tls_probe_t *dns_failure(apr_pool_t *p, const target_t *t)
{
    oa_tls_probe_t *r = apr_pcalloc(p, sizeof(*r));
    r->host = t->host;
    r->port = t->port;
    r->sni = t->sni ? t->sni : t->host;
    r->conn = t->dns;
    r->error = t->dns->message;
    r->error_class = oa_net_error_name(t->dns->error);
    r->staple_state = "none";
    return r;
}

static void run_job(work_t *w, void *item)
{
    job_t *j = item;
    if (!j->addr) {
        j->tls = dns_failure(j->pool, j->t);
        j->problem = problem_of(j->pool, j);
        oa_verdict_of_probe(&j->verdict, j->pool, j->tls, NULL, NULL, apr_time_now());
        return;
    }
    oa_probe_tls_at(&j->tls, j->pool, j->t->host, j->addr, j->t->sni, &w->opts);
    j->tls->conn->t_dns = j->t->dns->t_dns;
    if (w->responder && j->tls->leaf && j->tls->issuer) {
        oa_responder_check(&j->resp, j->pool, j->tls->leaf, j->tls->issuer, NULL, &w->opts);
    }
    if (w->crls) {
        j->crl = oa_probe_served_crl(j->pool, w->crls, j->tls, &w->crl_opts);
    }
    j->problem = problem_of(j->pool, j);
    oa_verdict_of_probe(&j->verdict, j->pool, j->tls, j->resp, j->crl, apr_time_now());
}

static void print_text(const work_t *w, job_t *j);

static void *APR_THREAD_FUNC worker(apr_thread_t *t, void *data)
{
    work_t *w = data;
    for (;;) {
        int i;
        apr_thread_mutex_lock(w->lock);
        i = w->next < w->items->nelts ? w->next++ : -1;
        apr_thread_mutex_unlock(w->lock);
        if (i < 0) {
            break;
        }
        w->fn(w, APR_ARRAY_IDX(w->items, i, void *));
        apr_thread_mutex_lock(w->lock);
        w->done++;
        if (w->stream) {
            if (w->progress) {
                fprintf(stderr, "\r%*s\r", 30, "");
            }
            print_text(w, APR_ARRAY_IDX(w->items, i, job_t *));
            fflush(stdout);
        }
        if (w->progress) {
            fprintf(stderr, "\rprobed %d/%d", w->done, w->items->nelts);
            fflush(stderr);
        }
        apr_thread_mutex_unlock(w->lock);
    }
    return NULL;
}

/* run fn on every item, conc at a time */
static void run_all(work_t *w, apr_pool_t *p, apr_array_header_t *items, item_fn *fn,
                    int conc, int progress, int stream)
{
    int i;
    w->stream = stream;
    w->items = items;
    w->fn = fn;
    w->next = w->done = 0;
    w->progress = progress && items->nelts > 1 && isatty(2);
    if (conc > items->nelts) {
        conc = items->nelts;
    }
    if (conc <= 1) {
        worker(NULL, w);
    }
    else {
        apr_thread_t **threads = apr_pcalloc(p, sizeof(*threads) * (apr_size_t)conc);
        apr_status_t trv;
        for (i = 0; i < conc; i++) {
            if (apr_thread_create(&threads[i], NULL, worker, w, p) != APR_SUCCESS) {
                threads[i] = NULL;
            }
        }
        for (i = 0; i < conc; i++) {
            if (threads[i]) {
                apr_thread_join(&trv, threads[i]);
            }
        }
        worker(NULL, w);   /* whatever no thread took (when threads could not start) */
    }
    if (w->progress) {
        fprintf(stderr, "\r%*s\r", 30, "");
    }
}

static const char *ms(apr_pool_t *p, apr_interval_time_t t)
{
    return apr_psprintf(p, "%" APR_TIME_T_FMT ".%01d ms", apr_time_as_msec(t),
                        (int)((t % 1000) / 100));
}

/* ANSI colour of a level: green, yellow, red */
static const char *paint(const work_t *w, oa_level_e level)
{
    static const char *const on[] = { "\033[32m", "\033[33m", "\033[31m" };
    return w->color ? on[level] : "";
}

static const char *unpaint(const work_t *w)
{
    return w->color ? "\033[0m" : "";
}

/* the verdict core decides for the page and the linter too (core/oa_verdict.c) */
static void print_verdict(const work_t *w, apr_pool_t *p, job_t *j)
{
    oa_report_verdict_text(p, &j->verdict, paint(w, j->verdict.level), unpaint(w),
                           oa_out_file, stdout);
}

/* Every string from a peer or a certificate goes through oa_text_escape: a reason
 * phrase, a URL or a subject may carry terminal escape sequences and newlines. */
static void print_text(const work_t *w, job_t *j)
{
    apr_pool_t *p = j->pool;
    const oa_tls_probe_t *t = j->tls;
    /* a name's address in brackets: each address of a name is a probe of its own */
    const char *ip = (j->addr && t->conn && t->conn->ip && strcmp(t->conn->ip, j->t->host))
                     ? apr_psprintf(p, " [%s]", t->conn->ip) : "";
    printf("%s%s%s%s: %s%s%s\n", oa_text_escape(p, j->t->target), ip, t->sni ? " SNI " : "",
           oa_text_escape(p, t->sni), paint(w, j->verdict.level), j->problem ? "PROBLEM" : "ok",
           unpaint(w));
    if (t->conn && t->conn->ip && !t->error) {
        printf("    connected to %s: dns %s, connect %s, handshake %s (%s, %s)\n", t->conn->ip,
               ms(p, t->conn->t_dns), ms(p, t->conn->t_connect), ms(p, t->t_handshake),
               t->protocol, t->cipher);
    }
    if (t->error) {
        printf("    error (%s): %s\n", t->error_class, oa_text_escape(p, t->error));
        print_verdict(w, p, j);
        return;
    }
    printf("    certificate %s, issued by %s%s%s\n",
           oa_text_escape(p, oa_x509_subject(p, t->leaf)),
           oa_text_escape(p, oa_x509_issuer_name(p, t->leaf)),
           t->chain_complete ? "" : " (issuer NOT served)",
           t->must_staple ? ", Must-Staple" : "");
    if (!t->staple_present) {
        printf("    staple: none\n");
    }
    else {
        const oa_ocsp_info_t *s = &t->staple;
        printf("    staple: %s (response %s)%s%s\n", t->staple_state,
               s->response_status_name ? s->response_status_name : "undecodable",
               s->verified ? ", verified" : ", NOT verified: ",
               s->verified ? "" : (s->verify_error ? oa_text_escape(p, s->verify_error) : "?"));
        if (s->this_update) {
            printf("    thisUpdate %s, nextUpdate %s (%" APR_INT64_T_FMT " s left)%s%s\n",
                   oa_time_str(p, s->this_update),
                   s->next_update ? oa_time_str(p, s->next_update) : "-",
                   (apr_int64_t)s->seconds_left, s->time_ok ? "" : ": ",
                   s->time_ok ? "" : oa_text_escape(p, s->time_error));
        }
        if (s->revoked_at) {
            printf("    revoked at %s (%s)\n", oa_time_str(p, s->revoked_at),
                   s->revocation_reason ? s->revocation_reason : "no reason");
        }
    }
    if (j->resp) {
        const oa_responder_check_t *r = j->resp;
        printf("    responder %s: %s%s%s", oa_text_escape(p, r->url), r->verdict,
               r->message ? ": " : "", oa_text_escape(p, r->message));
        if (r->conn && r->conn->ip) {
            printf(" (dns %s, connect %s, response %s)", ms(p, r->conn->t_dns),
                   ms(p, r->conn->t_connect), ms(p, r->t_response));
        }
        printf("\n");
    }
    if (j->crl) {
        const oa_crl_check_t *c = j->crl;
        printf("    crl %s: %s: %s", oa_text_escape(p, c->url), oa_crl_verdict_name(c->verdict),
               oa_text_escape(p, c->message));
        if (c->ip) {
            printf(" (%sdns %s, connect %s, response %s)", c->cached ? "cached; " : "",
                   ms(p, c->t_dns), ms(p, c->t_connect), ms(p, c->t_response));
        }
        printf("\n");
    }
    printf("    revocation: %s\n", oa_revocation_name(j->verdict.revocation));
    if (j->problem) {
        printf("    problem: %s\n", oa_text_escape(p, j->problem));
    }
    print_verdict(w, p, j);
}

static void print_json(oa_json_t *js, apr_pool_t *p, job_t *j)
{
    oa_report_probe_json(js, p, j->t->target, j->t->host, j->t->port,
                         j->t->addrs ? j->t->addrs->nelts : 0, j->tls, j->resp, j->crl,
                         j->problem, &j->verdict);
}

#define MAX_CLOCK_OFFSET (100L * 366 * 86400)

static const apr_getopt_option_t probe_options[] = {
    { "sni", 's', 1, "server name to send (default: the host when it is a name)" },
    { "format", 'F', 1, "text (default) or json" },
    { "timeout", 't', 1, "seconds for each phase: DNS, connect, handshake, response (default 5)" },
    { "concurrency", 'j', 1, "hosts probed at once (default 8)" },
    { "no-responder", 'R', 0, "do not query the OCSP responder" },
    { "no-crl", 'C', 0, "do not fetch the served certificate's CRL" },
    { "skew", 'k', 1, "seconds of clock difference tolerated (default 300)" },
    { "clock-offset", 'o', 1, "judge as if the clock were this many seconds ahead (for "
      "drills; negative: behind; at most 100 years either way)" },
    { "help", 'h', 0, "this help" },
    { NULL, 0, 0, NULL }
};

static void probe_usage(FILE *out)
{
    int i;
    fprintf(out, "usage: ocsp-lint probe [options] HOST[:PORT]...\n\n"
            "Check live servers as a client would: a TLS handshake with SNI and the\n"
            "status_request extension, the staple it gets, the OCSP responder and the\n"
            "certificate's CRL.\n"
            "Probe every node behind a name with --sni NAME node1:443 node2:443 ...\n\n");
    for (i = 0; probe_options[i].name; i++) {
        fprintf(out, "  --%s%s\n        %s\n", probe_options[i].name,
                probe_options[i].has_arg ? " ARG" : "", probe_options[i].description);
    }
    fprintf(out, "\nExit codes: 0 every host staples a good, verified response, its responder\n"
            "answers and its CRL (when it names one) is current and does not list it; 1 a\n"
            "problem was found; 2 usage error.\n");
}

static int positive(const char *s, long max, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || end == s || v < 1 || v > max) {
        return 0;
    }
    *out = v;
    return 1;
}

/* ------------------------------------------------------------------ nodes that differ */

/*
 * Several nodes behind one name (or one --sni): the seeds' "only one server in a cluster
 * shows the warning". For each aspect, the value most nodes have is the norm; a node with
 * another value is named, with both values.
 */
typedef enum { ASPECT_STAPLING, ASPECT_CERTIFICATE, ASPECT_CHAIN, ASPECT_RESPONDER,
               ASPECTS } aspect_e;

static const char *const aspect_names[] = { "stapling", "certificate", "chain", "responder" };

static const char *aspect_value(apr_pool_t *p, const job_t *j, aspect_e a)
{
    const oa_tls_probe_t *t = j->tls;
    switch (a) {
    case ASPECT_STAPLING:
        return oa_state_name(j->verdict.state);
    case ASPECT_CERTIFICATE:
        return t->leaf ? apr_pstrcat(p, oa_x509_subject(p, t->leaf), " sha256:",
                                     apr_pstrndup(p, oa_x509_fingerprint(p, t->leaf), 16),
                                     NULL) : "none";
    case ASPECT_CHAIN:
        return !t->leaf ? "none" : t->self_signed ? "self-signed"
             : t->chain_complete ? "complete" : "issuer-missing";
    case ASPECT_RESPONDER:
        return j->resp && j->resp->verdict ? j->resp->verdict : "not asked";
    default:
        return "";
    }
}

typedef struct {
    const job_t *node;
    aspect_e aspect;
    const char *value, *norm;
} difference_t;

/* the differences between nodes: only when every job asks for the same server name.
 * A node with no handshake differs in stapling only (it has no certificate to compare).
 * With no value held by a strict majority, every node is listed with its own. */
static apr_array_header_t *differences(apr_pool_t *p, const apr_array_header_t *jobs)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(difference_t));
    const char *name = APR_ARRAY_IDX(jobs, 0, const job_t *)->tls->sni;
    int i, k, a;
    for (i = 0; i < jobs->nelts; i++) {
        const char *sni = APR_ARRAY_IDX(jobs, i, const job_t *)->tls->sni;
        if (!sni || !name || strcmp(sni, name)) {
            return out;
        }
    }
    for (a = 0; a < ASPECTS; a++) {
        apr_hash_t *count = apr_hash_make(p);
        const char *norm = NULL;
        int best = 0, n = 0;
        for (i = 0; i < jobs->nelts; i++) {
            const job_t *j = APR_ARRAY_IDX(jobs, i, const job_t *);
            const char *v;
            int *c;
            if (a != ASPECT_STAPLING && j->tls->error) {
                continue;
            }
            v = aspect_value(p, j, a);
            n++;
            if (!(c = apr_hash_get(count, v, APR_HASH_KEY_STRING))) {
                c = apr_pcalloc(p, sizeof(*c));
                apr_hash_set(count, v, APR_HASH_KEY_STRING, c);
            }
            if (++*c > best) {
                best = *c;
                norm = v;
            }
        }
        if (apr_hash_count(count) < 2) {
            continue;
        }
        if (best * 2 <= n) {
            norm = "no majority";    /* each node's value is listed */
        }
        for (k = 0; k < jobs->nelts; k++) {
            const job_t *j = APR_ARRAY_IDX(jobs, k, const job_t *);
            const char *v;
            if (a != ASPECT_STAPLING && j->tls->error) {
                continue;
            }
            v = aspect_value(p, j, a);
            if (strcmp(v, norm)) {
                difference_t *d = apr_array_push(out);
                d->node = j;
                d->aspect = (aspect_e)a;
                d->value = v;
                d->norm = norm;
            }
        }
    }
    return out;
}

static const char *node_name(apr_pool_t *p, const job_t *j)
{
    const oa_tls_probe_t *t = j->tls;
    return (t->conn && t->conn->ip && strcmp(t->conn->ip, j->t->host))
           ? apr_psprintf(p, "%s [%s]", j->t->target, t->conn->ip) : j->t->target;
}

static void print_differences_text(apr_pool_t *p, const apr_array_header_t *jobs)
{
    apr_array_header_t *d = differences(p, jobs);
    int i;
    if (!d->nelts) {
        printf("the %d nodes agree on stapling, certificate, chain and responder\n",
               jobs->nelts);
        return;
    }
    for (i = 0; i < d->nelts; i++) {
        const difference_t *x = &APR_ARRAY_IDX(d, i, difference_t);
        if (!strcmp(x->norm, "no majority")) {
            printf("%s: %s %s (the nodes disagree)\n",
                   oa_text_escape(p, node_name(p, x->node)), aspect_names[x->aspect],
                   oa_text_escape(p, x->value));
        }
        else {
            printf("%s differs: %s %s, the others %s\n",
                   oa_text_escape(p, node_name(p, x->node)), aspect_names[x->aspect],
                   oa_text_escape(p, x->value), oa_text_escape(p, x->norm));
        }
    }
}

static void differences_json(oa_json_t *js, apr_pool_t *p, const apr_array_header_t *jobs)
{
    apr_array_header_t *d = differences(p, jobs);
    int i;
    oa_json_arr_open(js, "differences");
    for (i = 0; i < d->nelts; i++) {
        const difference_t *x = &APR_ARRAY_IDX(d, i, difference_t);
        oa_json_obj_open(js, NULL);
        oa_json_str(js, "target", x->node->t->target);
        oa_json_str(js, "ip", x->node->tls->conn ? x->node->tls->conn->ip : NULL);
        oa_json_str(js, "aspect", aspect_names[x->aspect]);
        oa_json_str(js, "value", x->value);
        oa_json_str(js, "others", x->norm);
        oa_json_obj_close(js);
    }
    oa_json_arr_close(js);
}

int lint_probe_main(apr_pool_t *p, int argc, const char *const *argv)
{
    apr_getopt_t *g;
    apr_status_t rv;
    int ch, i, problems = 0, json = 0, conc = 8, nocrl = 0;
    const char *arg, *sni = NULL;
    work_t w;
    long v;
    apr_array_header_t *targets, *jobs;

    memset(&w, 0, sizeof(w));
    w.responder = 1;
    w.pool = p;
    /* colour on a terminal, unless NO_COLOR is set (https://no-color.org) */
    w.color = isatty(1) && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
    w.opts.timeout = apr_time_from_sec(5);
    apr_getopt_init(&g, p, argc, argv);
    g->errfn = NULL;
    g->interleave = 1;
    while ((rv = apr_getopt_long(g, probe_options, &ch, &arg)) == APR_SUCCESS) {
        switch (ch) {
        case 's': sni = arg; break;
        case 'F':
            if (strcmp(arg, "text") && strcmp(arg, "json")) {
                fprintf(stderr, "ocsp-lint probe: --format takes text or json\n");
                return LINT_EXIT_USAGE;
            }
            json = !strcmp(arg, "json");
            break;
        case 't':
            if (!positive(arg, 300, &v)) {
                fprintf(stderr, "ocsp-lint probe: --timeout takes seconds (1-300)\n");
                return LINT_EXIT_USAGE;
            }
            w.opts.timeout = apr_time_from_sec(v);
            break;
        case 'j':
            if (!positive(arg, 256, &v)) {
                fprintf(stderr, "ocsp-lint probe: --concurrency takes 1-256\n");
                return LINT_EXIT_USAGE;
            }
            conc = (int)v;
            break;
        case 'R': w.responder = 0; break;
        case 'C': nocrl = 1; break;
        case 'k':
            if (!positive(arg, 86400 * 7, &v)) {
                fprintf(stderr, "ocsp-lint probe: --skew takes seconds\n");
                return LINT_EXIT_USAGE;
            }
            w.opts.skew = apr_time_from_sec(v);
            break;
        case 'o': {
            /* bounded so that now + offset stays a time (microseconds in 64 bits) */
            char *end;
            long off;
            errno = 0;
            off = strtol(arg, &end, 10);
            if (*end || end == arg || errno == ERANGE || off < -MAX_CLOCK_OFFSET
                || off > MAX_CLOCK_OFFSET) {
                fprintf(stderr, "ocsp-lint probe: --clock-offset takes seconds from -%ld to "
                        "%ld (100 years either way), not '%s'\n", MAX_CLOCK_OFFSET,
                        MAX_CLOCK_OFFSET, arg);
                return LINT_EXIT_USAGE;
            }
            w.opts.now = apr_time_now() + apr_time_from_sec(off);
            break;
        }
        case 'h':
            probe_usage(stdout);
            return LINT_EXIT_CLEAN;
        default:
            return LINT_EXIT_USAGE;
        }
    }
    if (rv != APR_EOF) {
        fprintf(stderr, "ocsp-lint probe: bad option %s (see ocsp-lint probe --help)\n",
                g->argv[g->ind - 1]);
        return LINT_EXIT_USAGE;
    }
    if (g->ind >= argc) {
        fprintf(stderr, "ocsp-lint probe: name at least one HOST[:PORT] (see --help)\n");
        return LINT_EXIT_USAGE;
    }
    targets = apr_array_make(p, argc, sizeof(target_t *));
    for (i = g->ind; i < argc; i++) {
        target_t *t = apr_pcalloc(p, sizeof(*t));
        const char *e;
        t->target = g->argv[i];
        e = oa_probe_parse_target(p, t->target, &t->host, &t->port);
        if (e) {
            fprintf(stderr, "ocsp-lint probe: %s: %s\n", t->target, e);
            return LINT_EXIT_USAGE;
        }
        t->sni = sni;
        apr_pool_create(&t->pool, p);
        APR_ARRAY_PUSH(targets, target_t *) = t;
    }
    apr_thread_mutex_create(&w.lock, APR_THREAD_MUTEX_DEFAULT, p);
    if (!nocrl) {
        w.crls = oa_crl_cache_make(p);
        oa_probe_crl_opts(&w.crl_opts, &w.opts);
    }

    /* every address of every name, each probed on its own: a cluster behind one name */
    run_all(&w, p, targets, resolve_target, conc, 0, 0);
    jobs = apr_array_make(p, targets->nelts, sizeof(job_t *));
    for (i = 0; i < targets->nelts; i++) {
        target_t *t = APR_ARRAY_IDX(targets, i, target_t *);
        int a, n = t->addrs ? t->addrs->nelts : 1;
        for (a = 0; a < n; a++) {
            job_t *j = apr_pcalloc(p, sizeof(*j));
            j->t = t;
            j->addr = t->addrs ? APR_ARRAY_IDX(t->addrs, a, apr_sockaddr_t *) : NULL;
            apr_pool_create(&j->pool, p);
            APR_ARRAY_PUSH(jobs, job_t *) = j;
        }
    }
    /* text streams: each host's report as soon as its probe ends */
    run_all(&w, p, jobs, run_job, conc, 1, !json);

    if (json) {
        oa_json_t *js = oa_json_make(p, oa_out_file, stdout, 1);
        oa_json_obj_open(js, NULL);
        oa_json_str(js, "version", OA_VERSION);
        oa_json_arr_open(js, "probes");
        for (i = 0; i < jobs->nelts; i++) {
            print_json(js, p, APR_ARRAY_IDX(jobs, i, job_t *));
        }
        oa_json_arr_close(js);
        differences_json(js, p, jobs);
        oa_json_obj_close(js);
        oa_json_end(js);
    }
    for (i = 0; i < jobs->nelts; i++) {
        problems += APR_ARRAY_IDX(jobs, i, job_t *)->problem != NULL;
    }
    if (!json && jobs->nelts > 1) {
        print_differences_text(p, jobs);
        printf("%d of %d host%s with a problem\n", problems, jobs->nelts,
               jobs->nelts == 1 ? "" : "s");
    }
    fflush(stdout);
    return problems ? LINT_EXIT_FINDINGS : LINT_EXIT_CLEAN;
}
