/*
 * ocsp-lint serve: a multi-target Prometheus exporter in the style of blackbox_exporter,
 * for servers without the module (nginx, HAProxy, a CDN edge, httpd without
 * mod_ocsp_audit). GET /probe?target=HOST[:PORT]&sni=NAME probes the target as a client
 * does and answers with the status page's metrics for it (core/oa_status_prom.c), so
 * the same rules and dashboard watch both.
 *
 * HTTP is libmicrohttpd's. Probes are bounded: at most --concurrency at once; each phase
 * by --timeout; a result is kept --cache seconds, and a target asked for while its probe
 * runs waits for that probe (a scrape storm cannot flood a target).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include <apr_getopt.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "lint.h"
#include "oa_crl.h"
#include "oa_probe.h"
#include "oa_status.h"

#define MAX_ENTRIES 4096        /* cached targets; expired ones go first when full */

typedef struct {
    char *body;                 /* malloc'd exposition; NULL while the first probe runs */
    apr_time_t at;              /* when it was made */
    int inflight;
    char key[1];                /* "target\nsni": the entry and its key are one malloc */
} entry_t;

typedef struct {
    apr_pool_t *pool;           /* the cache's hash (entries are malloc'd, freed when
                                   dropped), under lock */
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *cv;
    apr_hash_t *cache;          /* "target\nsni" -> entry_t */
    apr_interval_time_t ttl;
    int running, max_running;   /* probes under way, and the bound */
    oa_probe_opts_t opts;
    int responder;
    oa_crl_cache_t *crls;       /* NULL: --no-crl; each CRL kept until its nextUpdate */
    oa_crl_opts_t crl_opts;
    unsigned long probes, hits, refused;
} serve_t;

/* ------------------------------------------------------------------ one probe */

typedef struct {
    char *buf;
    apr_size_t len, cap;
} sbuf_t;

static void to_sbuf(void *ctx, const char *s, apr_size_t n)
{
    sbuf_t *b = ctx;
    if (b->len + n + 1 > b->cap) {
        apr_size_t cap = b->cap ? b->cap * 2 : 16384;
        char *nb;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        if (!(nb = realloc(b->buf, cap))) {
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

/* the metrics of one target: the page's families for one vhost, then the probe's own */
static char *probe_exposition(serve_t *sv, const char *target, const char *host,
                              apr_port_t port, const char *sni)
{
    apr_pool_t *p;
    oa_tls_probe_t *tls;
    oa_responder_check_t *resp = NULL;
    oa_crl_check_t *crl = NULL;
    oa_status_rec_t rec;
    oa_status_server_t srv;
    sbuf_t b = { NULL, 0, 0 };
    apr_time_t t0 = apr_time_now(), now;

    apr_pool_create(&p, NULL);
    oa_probe_tls(&tls, p, host, port, sni, &sv->opts);
    if (sv->responder && tls->leaf && tls->issuer) {
        oa_responder_check(&resp, p, tls->leaf, tls->issuer, NULL, &sv->opts);
    }
    if (sv->crls) {
        crl = oa_probe_served_crl(p, sv->crls, tls, &sv->crl_opts);
    }
    now = apr_time_now();
    oa_status_from_probe(&rec, sni ? sni : host, target, tls, resp, crl, now);
    memset(&srv, 0, sizeof(srv));
    srv.version = OA_VERSION;
    oa_status_prometheus(p, &rec, 1, now, &srv, to_sbuf, &b);
    to_sbuf(&b, "", 0);
    {
        char *tail = apr_psprintf(p,
            "# HELP ocsp_audit_probe_success 1 when the TLS handshake with the target "
            "completed.\n# TYPE ocsp_audit_probe_success gauge\nocsp_audit_probe_success %d\n"
            "# HELP ocsp_audit_probe_duration_seconds How long the probe took.\n"
            "# TYPE ocsp_audit_probe_duration_seconds gauge\n"
            "ocsp_audit_probe_duration_seconds %.6f\n", tls->error ? 0 : 1,
            (double)(now - t0) / APR_USEC_PER_SEC);
        to_sbuf(&b, tail, strlen(tail));
    }
    apr_pool_destroy(p);
    return b.buf;
}

/* under the lock: room for a new entry (expired ones dropped when full) */
static void make_room(serve_t *sv, apr_time_t now)
{
    apr_hash_index_t *hi;
    if (apr_hash_count(sv->cache) < MAX_ENTRIES) {
        return;
    }
    for (hi = apr_hash_first(NULL, sv->cache); hi; hi = apr_hash_next(hi)) {
        const void *k;
        void *v;
        entry_t *e;
        apr_hash_this(hi, &k, NULL, &v);
        e = v;
        if (!e->inflight && e->at + sv->ttl <= now) {
            apr_hash_set(sv->cache, k, APR_HASH_KEY_STRING, NULL);
            free(e->body);
            free(e);
        }
    }
}

/* The exposition for a target: cached, waited for, or probed now. NULL: too many
 * targets at once. *pcached says whether it came from the cache. */
static char *exposition(serve_t *sv, const char *target, const char *host, apr_port_t port,
                        const char *sni, int *pcached)
{
    char key[520];
    entry_t *e;
    char *body, *copy;
    apr_time_t now = apr_time_now();

    *pcached = 0;
    snprintf(key, sizeof(key), "%s\n%s", target, sni ? sni : "");
    apr_thread_mutex_lock(sv->lock);
    for (;;) {
        e = apr_hash_get(sv->cache, key, APR_HASH_KEY_STRING);
        if (!e || !e->inflight) {
            break;
        }
        apr_thread_cond_wait(sv->cv, sv->lock);   /* the same target is being probed */
    }
    if (e && e->body && e->at + sv->ttl > apr_time_now()) {
        copy = strdup(e->body);
        sv->hits++;
        apr_thread_mutex_unlock(sv->lock);
        *pcached = 1;
        return copy;
    }
    while (sv->running >= sv->max_running) {
        apr_thread_cond_wait(sv->cv, sv->lock);
    }
    if (!e) {
        make_room(sv, now);
        if (apr_hash_count(sv->cache) >= MAX_ENTRIES) {
            sv->refused++;
            apr_thread_mutex_unlock(sv->lock);
            return NULL;
        }
        if (!(e = calloc(1, sizeof(*e) + strlen(key)))) {
            apr_thread_mutex_unlock(sv->lock);
            return NULL;
        }
        strcpy(e->key, key);
        apr_hash_set(sv->cache, e->key, APR_HASH_KEY_STRING, e);
    }
    e->inflight = 1;
    sv->running++;
    sv->probes++;
    apr_thread_mutex_unlock(sv->lock);

    body = probe_exposition(sv, target, host, port, sni);

    apr_thread_mutex_lock(sv->lock);
    free(e->body);
    e->body = body;
    e->at = apr_time_now();
    e->inflight = 0;
    sv->running--;
    copy = body ? strdup(body) : NULL;
    apr_thread_cond_broadcast(sv->cv);
    apr_thread_mutex_unlock(sv->lock);
    return copy;
}

/* ------------------------------------------------------------------ HTTP */

static enum MHD_Result answer(struct MHD_Connection *c, unsigned int status, const char *ctype,
                              char *body, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, mode);
    enum MHD_Result ret;
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE) {
            free(body);
        }
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", ctype);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

#define TEXT "text/plain; charset=utf-8"
#define EXPO "text/plain; version=0.0.4; charset=utf-8"

static enum MHD_Result on_probe(serve_t *sv, struct MHD_Connection *c)
{
    const char *target = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "target");
    const char *sni = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "sni");
    const char *host, *err;
    apr_port_t port;
    apr_pool_t *p;
    char *body, msg[512];
    int cached;

    if (!target || !*target) {
        return answer(c, MHD_HTTP_BAD_REQUEST, TEXT, "the target parameter is missing: "
                      "/probe?target=HOST[:PORT]&sni=NAME\n", MHD_RESPMEM_PERSISTENT);
    }
    apr_pool_create(&p, NULL);
    err = oa_probe_parse_target(p, target, &host, &port);
    if (err || strlen(target) > 255 || (sni && (!*sni || strlen(sni) > 255))) {
        snprintf(msg, sizeof(msg), "not a target: %s\n", err ? err : "too long, or an empty sni");
        apr_pool_destroy(p);
        return answer(c, MHD_HTTP_BAD_REQUEST, TEXT, strdup(msg), MHD_RESPMEM_MUST_FREE);
    }
    body = exposition(sv, target, host, port, sni, &cached);
    apr_pool_destroy(p);
    if (!body) {
        return answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, TEXT, "too many targets in the cache: "
                      "try again later\n", MHD_RESPMEM_PERSISTENT);
    }
    {
        char *all = malloc(strlen(body) + 160);
        if (!all) {
            free(body);
            return MHD_NO;
        }
        sprintf(all, "%s# HELP ocsp_audit_probe_cached 1 when this answer is a kept one "
                "(ocsp-lint serve --cache).\n# TYPE ocsp_audit_probe_cached gauge\n"
                "ocsp_audit_probe_cached %d\n", body, cached);
        free(body);
        return answer(c, MHD_HTTP_OK, EXPO, all, MHD_RESPMEM_MUST_FREE);
    }
}

static enum MHD_Result on_metrics(serve_t *sv, struct MHD_Connection *c)
{
    char buf[1024];
    apr_thread_mutex_lock(sv->lock);
    snprintf(buf, sizeof(buf),
             "# HELP ocsp_audit_build_info ocsp-lint's version; always 1.\n"
             "# TYPE ocsp_audit_build_info gauge\nocsp_audit_build_info{version=\"%s\"} 1\n"
             "# HELP ocsp_audit_exporter_probes_total Probes made.\n"
             "# TYPE ocsp_audit_exporter_probes_total counter\n"
             "ocsp_audit_exporter_probes_total %lu\n"
             "# HELP ocsp_audit_exporter_cache_hits_total Answers from the cache.\n"
             "# TYPE ocsp_audit_exporter_cache_hits_total counter\n"
             "ocsp_audit_exporter_cache_hits_total %lu\n"
             "# HELP ocsp_audit_exporter_refused_total Probes refused: the cache was full.\n"
             "# TYPE ocsp_audit_exporter_refused_total counter\n"
             "ocsp_audit_exporter_refused_total %lu\n", OA_VERSION, sv->probes, sv->hits,
             sv->refused);
    apr_thread_mutex_unlock(sv->lock);
    return answer(c, MHD_HTTP_OK, EXPO, strdup(buf), MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_size, void **state)
{
    serve_t *sv = cls;
    (void)version;
    (void)upload_data;
    if (!*state) {           /* the headers: wait for the (empty) body */
        *state = sv;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;    /* a body is ignored */
        return MHD_YES;
    }
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT, "GET only\n",
                      MHD_RESPMEM_PERSISTENT);
    }
    if (!strcmp(url, "/probe")) {
        return on_probe(sv, c);
    }
    if (!strcmp(url, "/metrics")) {
        return on_metrics(sv, c);
    }
    if (!strcmp(url, "/")) {
        return answer(c, MHD_HTTP_OK, "text/html; charset=utf-8",
                      "<!DOCTYPE html><html><head><title>ocsp-lint serve</title></head><body>"
                      "<h1>ocsp-lint serve</h1><p>OCSP stapling of any TLS server, as "
                      "Prometheus metrics: <code>/probe?target=HOST:PORT&amp;sni=NAME</code>. "
                      "The exporter's own: <a href=\"/metrics\">/metrics</a>.</p></body></html>\n",
                      MHD_RESPMEM_PERSISTENT);
    }
    return answer(c, MHD_HTTP_NOT_FOUND, TEXT, "not found: /probe, /metrics\n",
                  MHD_RESPMEM_PERSISTENT);
}

/* ------------------------------------------------------------------ the command */

static void serve_usage(FILE *f)
{
    fprintf(f,
            "Usage: ocsp-lint serve [options]\n"
            "A Prometheus exporter: GET /probe?target=HOST[:PORT]&sni=NAME probes the target\n"
            "and answers with the same metrics as mod_ocsp_audit's status page.\n\n"
            "  --listen ADDR:PORT   where to listen (default 127.0.0.1:9653)\n"
            "  --cache SECONDS      keep a target's result this long (0-3600, default 60)\n"
            "  --timeout SECONDS    limit for each phase of a probe (1-300, default 5)\n"
            "  --concurrency N      probes at once (1-256, default 8)\n"
            "  --no-responder       do not ask the OCSP responder\n"
            "  --no-crl             do not fetch the certificates' CRLs\n"
            "  --help               this help\n\n"
            "It probes any target it is asked for: listen on loopback, or let only your\n"
            "Prometheus servers reach it.\n");
}

static int number_arg(const char *arg, long lo, long hi, long *pv)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(arg, &end, 10);
    if (*end || end == arg || errno || v < lo || v > hi) {
        return 0;
    }
    *pv = v;
    return 1;
}

int lint_serve_main(apr_pool_t *p, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        { "listen", 'l', 1, "" }, { "cache", 'c', 1, "" }, { "timeout", 't', 1, "" },
        { "concurrency", 'j', 1, "" }, { "no-responder", 'R', 0, "" }, { "no-crl", 'C', 0, "" },
        { "help", 'h', 0, "" },
        { NULL, 0, 0, NULL }
    };
    const char *listen = "127.0.0.1:9653", *arg, *host, *err;
    apr_getopt_t *g;
    apr_port_t port;
    apr_sockaddr_t *sa;
    serve_t sv;
    struct MHD_Daemon *d;
    sigset_t stop;
    long v;
    int opt, sig, conc = 8, nocrl = 0;
    apr_status_t rv;

    memset(&sv, 0, sizeof(sv));
    sv.ttl = apr_time_from_sec(60);
    sv.responder = 1;
    apr_getopt_init(&g, p, argc, argv);
    while ((rv = apr_getopt_long(g, opts, &opt, &arg)) == APR_SUCCESS) {
        switch (opt) {
        case 'l': listen = arg; break;
        case 'c':
            if (!number_arg(arg, 0, 3600, &v)) {
                fprintf(stderr, "ocsp-lint serve: --cache takes 0-3600 seconds\n");
                return LINT_EXIT_USAGE;
            }
            sv.ttl = apr_time_from_sec(v);
            break;
        case 't':
            if (!number_arg(arg, 1, 300, &v)) {
                fprintf(stderr, "ocsp-lint serve: --timeout takes 1-300 seconds\n");
                return LINT_EXIT_USAGE;
            }
            sv.opts.timeout = apr_time_from_sec(v);
            break;
        case 'j':
            if (!number_arg(arg, 1, 256, &v)) {
                fprintf(stderr, "ocsp-lint serve: --concurrency takes 1-256\n");
                return LINT_EXIT_USAGE;
            }
            conc = (int)v;
            break;
        case 'R': sv.responder = 0; break;
        case 'C': nocrl = 1; break;
        case 'h':
            serve_usage(stdout);
            return LINT_EXIT_CLEAN;
        default:
            return LINT_EXIT_USAGE;
        }
    }
    if (rv != APR_EOF || g->ind < argc) {
        fprintf(stderr, "ocsp-lint serve: bad option or argument (see ocsp-lint serve --help)\n");
        return LINT_EXIT_USAGE;
    }
    err = oa_probe_parse_target(p, listen, &host, &port);
    if (err || apr_sockaddr_info_get(&sa, host, APR_UNSPEC, port, 0, p) != APR_SUCCESS) {
        fprintf(stderr, "ocsp-lint serve: --listen %s: %s\n", listen,
                err ? err : "not an address here");
        return LINT_EXIT_USAGE;
    }
    apr_pool_create(&sv.pool, p);
    apr_thread_mutex_create(&sv.lock, APR_THREAD_MUTEX_DEFAULT, p);
    apr_thread_cond_create(&sv.cv, p);
    sv.cache = apr_hash_make(sv.pool);
    sv.max_running = conc;
    sv.opts.ssl_ctx = oa_probe_ssl_ctx();
    if (!nocrl) {
        apr_pool_t *cp;   /* the cache allocates under its own lock */
        apr_pool_create(&cp, p);
        sv.crls = oa_crl_cache_make(cp);
        oa_probe_crl_opts(&sv.crl_opts, &sv.opts);
    }

    /* SIGINT and SIGTERM end it: blocked in every thread, waited for here */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG
                         | (sa->family == APR_INET6 ? MHD_USE_IPv6 : 0),
                         port, NULL, NULL, handler, &sv,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa->sa,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)conc,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(conc * 8),
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
                         MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "ocsp-lint serve: cannot listen on %s: %s\n", listen, strerror(errno));
        SSL_CTX_free(sv.opts.ssl_ctx);
        return LINT_EXIT_USAGE;
    }
    fprintf(stderr, "ocsp-lint serve: listening on %s\n", listen);
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    {
        apr_hash_index_t *hi;
        for (hi = apr_hash_first(p, sv.cache); hi; hi = apr_hash_next(hi)) {
            void *e;
            apr_hash_this(hi, NULL, NULL, &e);
            free(((entry_t *)e)->body);
            free(e);
        }
    }
    SSL_CTX_free(sv.opts.ssl_ctx);
    fprintf(stderr, "ocsp-lint serve: stopped (signal %d)\n", sig);
    return LINT_EXIT_CLEAN;
}
