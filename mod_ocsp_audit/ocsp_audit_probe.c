/*
 * Live probes.
 *
 * - Where: mod_watchdog's singleton picks one child; its callback, registered with the
 *   probe interval, starts a round. The round itself runs in this child's own worker
 *   threads (persistent, at most OcspAuditProbeConcurrency), so the watchdog thread is
 *   never held by a probe.
 * - Memory: the prober has a pool of its own with its own allocator and mutex (as
 *   mod_md does for its watchdog work); each worker clears a scratch pool per vhost and
 *   a round pool per round. One client SSL_CTX serves every handshake.
 * - Stopping: a pre-cleanup of the child's pool stops the workers, cancels every network
 *   wait (oa_net_cancel_all) and joins them, before the child exits and OpenSSL cleans
 *   up. A child whose MPM is stopping takes no new vhost.
 * - A round has two phases: first the responders that are due are asked (each
 *   certificate once, a failed responder not waited on again), then the handshakes are
 *   made, without status_request for a vhost whose responder is down, so that a dead
 *   responder never makes mod_ssl hold a worker for a probe.
 * - Politeness: a responder is asked only for certificates that are stapled, at most
 *   once per OcspAuditResponderInterval per certificate (less a jitter of up to a tenth),
 *   and a failing one at most every OCSP_AUDIT_RETRY_DOWN. A handshake that brought a
 *   fresh, verified staple shows the responder answered mod_ssl: no request then.
 * - CRLs (OcspAuditCRL): the served certificate's CRL distribution point is fetched in
 *   phase 1 too, through one cache per child keyed by URL (a thousand vhosts of one CA:
 *   one fetch). A vhost's CRL is due when the one held reaches its nextUpdate (plus a
 *   jitter), never sooner than OcspAuditResponderInterval after the last check, and a
 *   failing one at most every OCSP_AUDIT_RETRY_DOWN.
 * - Logging: state changes are collected over a round and logged at its end, one line
 *   per cause (a responder, a staple state) with the vhosts it affects.
 *
 * Log numbers: OA00020 stopped stapling, OA00021 staples again, OA00022 responder down,
 * OA00023 responder back, OA00024 stapling will stop, OA00025 no live status,
 * OA00026 round done (debug), OA00027 round skipped (debug), OA00028 a CRL is not usable
 * or lists the certificate, OA00029 a CRL is usable again.
 */
#include <string.h>

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <ap_mpm.h>
#include <mod_watchdog.h>

#include <apr_date.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include <openssl/x509.h>

#include "oa_crl.h"
#include "oa_net.h"
#include "oa_pki.h"
#include "oa_status.h"
#include "oa_text.h"
#include "ocsp_audit_probe.h"
#include "ocsp_audit_shm.h"

APLOG_USE_MODULE(ocsp_audit);

#define OA_WATCHDOG_NAME "_ocsp_audit_probe_"
#define USER_AGENT       "mod_ocsp_audit/" OA_VERSION
#define NAMES_LOGGED     10     /* vhosts named in one log line; the rest are counted */

typedef struct {
    const char *host;
    int port;
    const char *sni;
    /* the configured certificate and issuer (DER): what mod_ssl staples and asks about */
    unsigned char *leaf_der, *issuer_der;
    int leaf_len, issuer_len;
    const char *name;            /* the vhost, as log lines name it */
    const char *url;             /* what mod_ssl asks: SSLStaplingForceURL, else the AIA */
    const char *proxy;           /* SSLOCSPProxyURL */
    int ask;                     /* stapled with a usable URL: the responder may be asked */
    const char *crl_url;         /* its CRL distribution point, when it is checked */
    apr_uint32_t jitter_seed;
} target_t;

typedef struct {
    server_rec *s;
    int count;
    target_t *targets;
    ocsp_audit_probe_conf_t conf;
} probe_ctx_t;

/* what changed for a vhost's staple in a round, logged grouped by kind and cause */
typedef enum {
    EV_STOPPED = 0,     /* OA00020 */
    EV_STAPLES,         /* OA00021 */
    EV_CRL_BAD,         /* OA00028 */
    EV_CRL_OK           /* OA00029 */
} event_e;

typedef struct {
    event_e kind;
    const char *cause;            /* the grouping key: the staple state */
    const char *detail;           /* said once per line: the error */
    apr_array_header_t *vhosts;   /* const char * */
} event_group_t;

/* a vhost's responder state before and after its probe in this round */
typedef struct {
    unsigned char probed, was_down, now_down;
    apr_time_t was_stop, now_stop;
} resp_state_t;

/* a responder URL over the vhosts that use it: OA00022/23/24 are about the responder,
 * so each change of it is one line however many certificates and vhosts it serves */
typedef struct {
    const char *url;
    int was_down, now_down, was_stopping;
    int first_down;               /* a target whose record has the error, or -1 */
    apr_time_t stop_at;           /* the first stop of its vhosts */
    apr_array_header_t *vhosts;
} responder_group_t;

typedef struct prober_t {
    server_rec *s;
    probe_ctx_t *ctx;
    apr_pool_t *pool;             /* own allocator, with a mutex */
    apr_thread_mutex_t *lock;     /* guards everything below */
    apr_thread_cond_t *cv;
    apr_thread_t **threads;
    int nthreads;
    SSL_CTX *ssl_ctx;
    int stopping;
    /* the round */
    int active, round, next, done, done_responders;
    apr_time_t started;
    apr_pool_t *round_pool;
    oa_responder_cache_t *responders;
    oa_crl_cache_t *crls;         /* the child's: CRLs are kept until their nextUpdate */
    apr_hash_t *groups;           /* "kind\ncause" -> event_group_t */
    apr_array_header_t *order;    /* event_group_t *, first seen first */
    resp_state_t *states;         /* per target; each written by the worker probing it */
} prober_t;

typedef struct {
    prober_t *pr;
    apr_pool_t *round_pool;       /* this worker's results of the round (responder checks) */
    apr_pool_t *scratch;          /* one vhost */
    int seen_round;
} worker_t;

static probe_ctx_t *cur_ctx;      /* this generation's, set in the parent, inherited */
static prober_t *prober;          /* this child's */

static APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *wd_get_instance;
static APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *wd_register_callback;

/* ------------------------------------------------------------------ certificates */

static apr_status_t free_x509(void *x)
{
    X509_free(x);
    return APR_SUCCESS;
}

static X509 *from_der(apr_pool_t *p, const unsigned char *der, int len)
{
    const unsigned char *d = der;
    X509 *x = der ? d2i_X509(NULL, &d, len) : NULL;
    if (x) {
        apr_pool_cleanup_register(p, x, free_x509, apr_pool_cleanup_null);
    }
    return x;
}

static unsigned char *to_der(apr_pool_t *p, X509 *x, int *plen)
{
    unsigned char *der, *d;
    int len = x ? i2d_X509(x, NULL) : -1;
    if (len <= 0) {
        *plen = 0;
        return NULL;
    }
    der = d = apr_palloc(p, (apr_size_t)len);
    i2d_X509(x, &d);
    *plen = len;
    return der;
}

/* ------------------------------------------------------------------ logging */

static void note_event(prober_t *pr, event_e kind, const char *cause, const char *detail,
                       const char *vhost)
{
    const char *key;
    event_group_t *g;
    apr_thread_mutex_lock(pr->lock);
    key = apr_psprintf(pr->round_pool, "%d\n%s\n%s", (int)kind, cause ? cause : "",
                       detail ? detail : "");
    g = apr_hash_get(pr->groups, key, APR_HASH_KEY_STRING);
    if (!g) {
        g = apr_pcalloc(pr->round_pool, sizeof(*g));
        g->kind = kind;
        g->cause = apr_pstrdup(pr->round_pool, cause ? cause : "");
        g->detail = detail ? apr_pstrdup(pr->round_pool, detail) : NULL;
        g->vhosts = apr_array_make(pr->round_pool, 4, sizeof(const char *));
        apr_hash_set(pr->groups, key, APR_HASH_KEY_STRING, g);
        APR_ARRAY_PUSH(pr->order, event_group_t *) = g;
    }
    APR_ARRAY_PUSH(g->vhosts, const char *) = apr_pstrdup(pr->round_pool, vhost);
    apr_thread_mutex_unlock(pr->lock);
}

/* "3 vhosts: a, b, c" with at most NAMES_LOGGED names */
static const char *vhost_list(apr_pool_t *p, const apr_array_header_t *a)
{
    const char *s = apr_psprintf(p, "%d vhost%s: ", a->nelts, a->nelts == 1 ? "" : "s");
    int i;
    for (i = 0; i < a->nelts && i < NAMES_LOGGED; i++) {
        s = apr_pstrcat(p, s, i ? ", " : "", oa_text_escape(p, APR_ARRAY_IDX(a, i, const char *)),
                        NULL);
    }
    if (a->nelts > NAMES_LOGGED) {
        s = apr_psprintf(p, "%s and %d more", s, a->nelts - NAMES_LOGGED);
    }
    return s;
}

static void log_group(server_rec *s, apr_pool_t *p, const event_group_t *g)
{
    const char *who = vhost_list(p, g->vhosts);
    /* what peers sent (an error text, a URL) is escaped: no forged log lines, no ESC */
    switch (g->kind) {
    case EV_STOPPED:
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "OA00020: stopped stapling (staple %s%s%s)"
                     ": %s", g->cause, g->detail ? ": " : "", oa_text_escape(p, g->detail), who);
        break;
    case EV_STAPLES:
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "OA00021: staples again: %s", who);
        break;
    case EV_CRL_BAD:
        /* a listed certificate is an error; a CRL clients cannot use, a warning */
        ap_log_error(APLOG_MARK, strcmp(g->cause, "revoked") ? APLOG_WARNING : APLOG_ERR, 0,
                     s, "OA00028: CRL %s: %s; affects %s", g->cause,
                     oa_text_escape(p, g->detail), who);
        break;
    case EV_CRL_OK:
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "OA00029: CRL %s is usable again; "
                     "affects %s", oa_text_escape(p, g->detail), who);
        break;
    }
}

static void log_responder(server_rec *s, apr_pool_t *p, const responder_group_t *g,
                          apr_time_t now)
{
    const char *who = vhost_list(p, g->vhosts);
    if (!g->was_down && g->now_down) {
        oa_status_rec_t rec;
        ocsp_audit_shm_read(g->first_down, &rec);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "OA00022: OCSP responder %s is down: %s; "
                     "affects %s", oa_text_escape(p, g->url),
                     oa_text_escape(p, rec.responder_error), who);
    }
    else if (g->was_down && !g->now_down) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "OA00023: OCSP responder %s is back; "
                     "affects %s", oa_text_escape(p, g->url), who);
    }
    if (g->stop_at && !g->was_stopping) {
        char when[APR_RFC822_DATE_LEN];
        apr_rfc822_date(when, g->stop_at);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "OA00024: %s will stop stapling at %s "
                     "unless the OCSP responder %s answers again (%" APR_TIME_T_FMT " s left; "
                     "a graceful restart empties mod_ssl's stapling cache and stops it at "
                     "once)", who, when, oa_text_escape(p, g->url),
                     apr_time_sec(g->stop_at - now));
    }
}

/* under the lock, at the end of a round: each responder whose state changed, once */
static void log_responders(prober_t *pr, apr_time_t now)
{
    apr_hash_t *by_url = apr_hash_make(pr->round_pool);
    apr_array_header_t *order = apr_array_make(pr->round_pool, 4, sizeof(responder_group_t *));
    int i;
    for (i = 0; i < pr->ctx->count; i++) {
        const target_t *tg = &pr->ctx->targets[i];
        const resp_state_t *st = &pr->states[i];
        responder_group_t *g;
        if (!tg->ask || !st->probed) {
            continue;
        }
        g = apr_hash_get(by_url, tg->url, APR_HASH_KEY_STRING);
        if (!g) {
            g = apr_pcalloc(pr->round_pool, sizeof(*g));
            g->url = tg->url;
            g->first_down = -1;
            g->vhosts = apr_array_make(pr->round_pool, 4, sizeof(const char *));
            apr_hash_set(by_url, tg->url, APR_HASH_KEY_STRING, g);
            APR_ARRAY_PUSH(order, responder_group_t *) = g;
        }
        APR_ARRAY_PUSH(g->vhosts, const char *) = tg->name;
        g->was_down |= st->was_down;
        g->was_stopping |= st->was_stop != 0;
        if (st->now_down) {
            g->now_down = 1;
            if (g->first_down < 0) {
                g->first_down = i;
            }
        }
        if (st->now_stop && (!g->stop_at || st->now_stop < g->stop_at)) {
            g->stop_at = st->now_stop;
        }
    }
    for (i = 0; i < order->nelts; i++) {
        log_responder(pr->s, pr->round_pool, APR_ARRAY_IDX(order, i, responder_group_t *), now);
    }
}

static int staples(const oa_status_rec_t *r)
{
    return !strcmp(r->staple, "good");
}

static int responder_down(const oa_status_rec_t *r)
{
    return r->responder_checked && !r->responder_up;
}

/* down without an OCSP answer (no connection, no reply, not OCSP): mod_ssl would wait on
 * it. One that answers tryLater at once is down too, but asking costs nothing and shows
 * what clients get (mod_ssl staples its answer). */
static int responder_silent(const oa_status_rec_t *r)
{
    return responder_down(r) && r->responder_class[0];
}

/* a worker, after the handshake with target i (phase 1 noted the state before) */
static void note_changes(prober_t *pr, int i, const oa_status_rec_t *was,
                         const oa_status_rec_t *now)
{
    resp_state_t *st = &pr->states[i];
    if (was->checked_at && staples(was) && !staples(now)) {
        note_event(pr, EV_STOPPED, now->staple, *now->probe_error ? now->probe_error : NULL,
                   now->name);
    }
    else if (was->checked_at && !staples(was) && staples(now)) {
        note_event(pr, EV_STAPLES, NULL, NULL, now->name);
    }
    st->now_down = (unsigned char)responder_down(now);
    st->now_stop = now->stop_at;
    st->probed = 1;
}

/* ------------------------------------------------------------------ one vhost */

/* Is the responder of this certificate due for a question? */
static int responder_due(const prober_t *pr, const target_t *tg, const oa_status_rec_t *was,
                         apr_time_t now)
{
    apr_interval_time_t iv = pr->ctx->conf.responder_interval;
    if (!was->responder_checked_at) {
        return 1;
    }
    if (was->responder_checked && !was->responder_up && iv > OCSP_AUDIT_RETRY_DOWN) {
        iv = OCSP_AUDIT_RETRY_DOWN;
    }
    iv -= (apr_interval_time_t)(tg->jitter_seed % 1000) * (iv / 10) / 1000;
    return now >= was->responder_checked_at + iv;
}

/* mod_ssl got a staple after our last question: the responder answered it */
static int staple_shows_responder(const oa_tls_probe_t *tls, const oa_status_rec_t *was)
{
    return tls->staple_present && tls->staple.verified
        && tls->staple.response_status == OCSP_RESPONSE_STATUS_SUCCESSFUL
        && tls->staple.produced_at > was->responder_checked_at;
}

static void probe_opts(worker_t *w, const target_t *tg, oa_probe_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->timeout = w->pr->ctx->conf.timeout;
    o->ssl_ctx = w->pr->ssl_ctx;
    o->issuer_hint = from_der(w->scratch, tg->issuer_der, tg->issuer_len);
    o->proxy = tg->proxy;
    o->user_agent = USER_AGENT;
    /* a vhost's ServerName need not be a name its certificate covers (clients may use a
     * ServerAlias): the page does not judge names, and no second handshake is made */
    o->no_name_check = 1;
}

/* Is the CRL of this certificate due? Not before the CRL last seen reaches its
 * nextUpdate (plus a jitter of up to a tenth of the interval, at most 240 s, fixed per
 * certificate), not sooner than the interval after the last check; a CRL that could not
 * be used at most every OCSP_AUDIT_RETRY_DOWN (or the interval, when that is shorter). */
static int crl_due(const prober_t *pr, const target_t *tg, const oa_status_rec_t *was,
                   apr_time_t now)
{
    apr_interval_time_t iv = pr->ctx->conf.responder_interval, span = iv / 10, jitter;
    if (!was->crl.checked) {
        return 1;
    }
    if (was->crl.verdict != OA_CRL_OK && was->crl.verdict != OA_CRL_REVOKED) {
        return now >= was->crl.checked_at + (iv < OCSP_AUDIT_RETRY_DOWN ? iv
                                                                        : OCSP_AUDIT_RETRY_DOWN);
    }
    if (span > apr_time_from_sec(240)) {
        span = apr_time_from_sec(240);
    }
    jitter = (apr_interval_time_t)(tg->jitter_seed % 1000) * (span / 1000);
    return now >= was->crl.checked_at + iv && now >= was->crl.next_update + jitter;
}

/* phase 1: the responder of target i, when it is due */
static void check_responder(worker_t *w, int i, const oa_probe_opts_t *o, X509 *leaf)
{
    prober_t *pr = w->pr;
    const target_t *tg = &pr->ctx->targets[i];
    oa_responder_check_t *resp;
    oa_status_rec_t rec;

    /* the round pool: other vhosts with this certificate reuse the answer, and a
     * responder that failed is not waited on again for its other certificates */
    resp = oa_responder_check_once(pr->responders, w->round_pool, leaf, o->issuer_hint,
                                   tg->url, o, NULL);
    if (resp) {
        ocsp_audit_shm_read(i, &rec);
        oa_status_update(&rec, NULL, resp, apr_time_now());
        ocsp_audit_shm_write(i, &rec);
    }
}

/* phase 1: the CRL of target i, when it is due; through the child's cache */
static void check_crl(worker_t *w, int i, const oa_probe_opts_t *o, X509 *leaf)
{
    const target_t *tg = &w->pr->ctx->targets[i];
    oa_crl_check_t *crl;
    oa_crl_opts_t co;
    oa_status_rec_t rec;

    int before;

    oa_probe_crl_opts(&co, o);
    /* the cache keeps a failure no longer than crl_due waits to try again */
    co.retry = w->pr->ctx->conf.responder_interval < OCSP_AUDIT_RETRY_DOWN
               ? w->pr->ctx->conf.responder_interval : OCSP_AUDIT_RETRY_DOWN;
    oa_crl_check(&crl, w->scratch, w->pr->crls, leaf, o->issuer_hint, tg->crl_url, &co);
    if (crl->verdict == OA_CRL_CANCELLED) {
        return;     /* the child is stopping: nothing was learnt */
    }
    ocsp_audit_shm_read(i, &rec);
    before = rec.crl.checked ? rec.crl.verdict : -1;
    oa_status_update_crl(&rec, crl, apr_time_now());
    ocsp_audit_shm_write(i, &rec);
    /* each change of the CRL's state, logged at the round's end grouped by cause */
    if (crl->verdict != OA_CRL_OK && (int)crl->verdict != before) {
        note_event(w->pr, EV_CRL_BAD, oa_crl_verdict_name(crl->verdict),
                   apr_psprintf(w->scratch, "%s: %s", tg->crl_url, crl->message), tg->name);
    }
    else if (crl->verdict == OA_CRL_OK && before >= 0 && before != OA_CRL_OK) {
        note_event(w->pr, EV_CRL_OK, NULL, tg->crl_url, tg->name);
    }
}

/* phase 1: what target i's certificate depends on, the responder and the CRL */
static void probe_responder(worker_t *w, int i)
{
    prober_t *pr = w->pr;
    const target_t *tg = &pr->ctx->targets[i];
    resp_state_t *st = &pr->states[i];
    oa_status_rec_t rec;
    oa_probe_opts_t o;
    apr_time_t now = apr_time_now();
    X509 *leaf;
    int ask, crl;

    ocsp_audit_shm_read(i, &rec);
    st->was_down = (unsigned char)responder_down(&rec);
    st->was_stop = rec.stop_at;
    ask = tg->ask && responder_due(pr, tg, &rec, now);
    crl = tg->crl_url && pr->crls && crl_due(pr, tg, &rec, now);
    if (!ask && !crl) {
        return;
    }
    apr_pool_clear(w->scratch);
    probe_opts(w, tg, &o);
    leaf = from_der(w->scratch, tg->leaf_der, tg->leaf_len);
    if (ask) {
        check_responder(w, i, &o, leaf);
    }
    if (crl) {
        check_crl(w, i, &o, leaf);
    }
}

/* phase 2: the handshake with target i; without status_request when its responder does
 * not answer, so that mod_ssl does not wait on it in one of its workers */
static void probe_handshake(worker_t *w, int i)
{
    prober_t *pr = w->pr;
    const target_t *tg = &pr->ctx->targets[i];
    oa_probe_opts_t o;
    oa_tls_probe_t *tls;
    oa_status_rec_t was, rec;
    apr_time_t now;

    apr_pool_clear(w->scratch);
    ocsp_audit_shm_read(i, &was);
    probe_opts(w, tg, &o);
    o.no_status_request = tg->ask && responder_silent(&was);
    oa_probe_tls(&tls, w->scratch, tg->host, (apr_port_t)tg->port, tg->sni, &o);
    now = apr_time_now();
    ocsp_audit_shm_read(i, &was);
    rec = was;
    oa_status_update(&rec, tls, NULL, now);
    if (tg->ask && staple_shows_responder(tls, &was)) {
        rec.responder_checked = rec.responder_up = 1;
        rec.responder_checked_at = now;
        rec.responder_down_since = 0;
        rec.responder_error[0] = '\0';
        rec.stop_at = 0;
        oa_status_strcpy(rec.responder_url, sizeof(rec.responder_url), tg->url);
    }
    ocsp_audit_shm_write(i, &rec);
    note_changes(pr, i, &was, &rec);
}

/* ------------------------------------------------------------------ rounds */

static int mpm_stopping(void)
{
    int state = AP_MPMQ_RUNNING;
    return ap_mpm_query(AP_MPMQ_MPM_STATE, &state) != APR_SUCCESS || state == AP_MPMQ_STOPPING;
}

/* under the lock: the last vhost of a round is done */
static void end_round(prober_t *pr)
{
    apr_time_t now = apr_time_now();
    int i;
    for (i = 0; i < pr->order->nelts; i++) {
        log_group(pr->s, pr->round_pool, APR_ARRAY_IDX(pr->order, i, event_group_t *));
    }
    log_responders(pr, now);
    ocsp_audit_shm_round_done(now, now - pr->started);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, pr->s, "OA00026: probe round %d: %d vhost%s in %"
                 APR_TIME_T_FMT " ms", pr->round, pr->ctx->count, pr->ctx->count == 1 ? "" : "s",
                 apr_time_as_msec(now - pr->started));
    pr->active = 0;
}

/* under the lock: a job is there to take. Jobs 0..n-1 ask the responders (phase 1),
 * n..2n-1 make the handshakes (phase 2), which wait for every answer of phase 1. */
static int has_job(const prober_t *pr)
{
    int n = pr->ctx->count;
    return pr->next < n || (pr->next < 2 * n && pr->done_responders == n);
}

static void *APR_THREAD_FUNC worker_main(apr_thread_t *t, void *data)
{
    worker_t *w = data;
    prober_t *pr = w->pr;
    apr_pool_t *tp = apr_thread_pool_get(t);

    apr_pool_create(&w->round_pool, tp);
    apr_pool_create(&w->scratch, tp);
    apr_thread_mutex_lock(pr->lock);
    for (;;) {
        int job, round, n = pr->ctx->count;
        while (!pr->stopping && !(pr->active && has_job(pr))) {
            apr_thread_cond_wait(pr->cv, pr->lock);
        }
        if (pr->stopping) {
            break;
        }
        job = pr->next++;
        round = pr->round;
        apr_thread_mutex_unlock(pr->lock);

        if (round != w->seen_round) {
            apr_pool_clear(w->round_pool);
            w->seen_round = round;
        }
        if (!mpm_stopping()) {
            if (job < n) {
                probe_responder(w, job);
            }
            else {
                probe_handshake(w, job - n);
            }
        }
        apr_thread_mutex_lock(pr->lock);
        if (job < n && ++pr->done_responders == n) {
            apr_thread_cond_broadcast(pr->cv);    /* the handshakes may start */
        }
        if (++pr->done == 2 * n && round == pr->round) {
            end_round(pr);
        }
    }
    apr_thread_mutex_unlock(pr->lock);
    return NULL;
}

/* under the lock, in the watchdog thread */
static void start_workers(prober_t *pr)
{
    int want = pr->ctx->conf.concurrency < pr->ctx->count ? pr->ctx->conf.concurrency
                                                          : pr->ctx->count;
    if (!pr->ssl_ctx && !(pr->ssl_ctx = oa_probe_ssl_ctx())) {
        return;
    }
    if (!pr->threads) {
        pr->threads = apr_pcalloc(pr->pool, sizeof(apr_thread_t *) * (apr_size_t)want);
    }
    while (pr->nthreads < want) {
        worker_t *w = apr_pcalloc(pr->pool, sizeof(*w));
        w->pr = pr;
        w->seen_round = -1;
        if (apr_thread_create(&pr->threads[pr->nthreads], NULL, worker_main, w, pr->pool)
            != APR_SUCCESS) {
            break;
        }
        pr->nthreads++;
    }
}

/* the watchdog callback: start a round unless one is still running */
static apr_status_t probe_callback(int state, void *data, apr_pool_t *ptemp)
{
    prober_t *pr = prober;
    if (state == AP_WATCHDOG_STATE_STOPPING || !pr) {
        return APR_SUCCESS;
    }
    apr_thread_mutex_lock(pr->lock);
    if (!pr->stopping && pr->active) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, pr->s, "OA00027: probe round %d still "
                     "running: the next one waits", pr->round);
    }
    else if (!pr->stopping) {
        start_workers(pr);
        if (pr->nthreads) {
            apr_pool_clear(pr->round_pool);
            {
                apr_pool_t *cp;   /* the cache allocates under its own lock */
                apr_pool_create(&cp, pr->round_pool);
                pr->responders = oa_responder_cache_make(cp);
            }
            pr->groups = apr_hash_make(pr->round_pool);
            pr->order = apr_array_make(pr->round_pool, 4, sizeof(event_group_t *));
            pr->states = apr_pcalloc(pr->round_pool,
                                     sizeof(resp_state_t) * (apr_size_t)pr->ctx->count);
            pr->next = pr->done = pr->done_responders = 0;
            pr->round++;
            pr->started = apr_time_now();
            pr->active = 1;
            apr_thread_cond_broadcast(pr->cv);
        }
        else {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, pr->s, "OA00025: mod_ocsp_audit: "
                         "cannot start probe threads: no live probes this round");
        }
    }
    apr_thread_mutex_unlock(pr->lock);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ the child */

static apr_status_t prober_stop(void *data)
{
    prober_t *pr = data;
    apr_status_t trv;
    int i, n;

    apr_thread_mutex_lock(pr->lock);
    pr->stopping = 1;
    n = pr->nthreads;
    apr_thread_cond_broadcast(pr->cv);
    apr_thread_mutex_unlock(pr->lock);
    oa_net_cancel_all();
    for (i = 0; i < n; i++) {
        apr_thread_join(&trv, pr->threads[i]);
    }
    SSL_CTX_free(pr->ssl_ctx);
    pr->ssl_ctx = NULL;
    apr_pool_destroy(pr->pool);
    return APR_SUCCESS;
}

void ocsp_audit_probe_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_allocator_t *alloc;
    apr_thread_mutex_t *amutex;
    apr_pool_t *pp = s->process->pool;
    prober_t *pr;

    if (!cur_ctx || !cur_ctx->conf.enabled || !cur_ctx->count) {
        return;
    }
    if (apr_allocator_create(&alloc) != APR_SUCCESS) {
        return;
    }
    /* the struct, its lock and condition live in the process pool: the watchdog may call
     * probe_callback until the very end of the process, after pchild is gone */
    pr = apr_pcalloc(pp, sizeof(*pr));
    pr->s = s;
    pr->ctx = cur_ctx;
    apr_allocator_max_free_set(alloc, 1024 * 1024);
    apr_pool_create_ex(&pr->pool, NULL, NULL, alloc);
    apr_allocator_owner_set(alloc, pr->pool);
    apr_pool_tag(pr->pool, "ocsp_audit_probe");
    apr_thread_mutex_create(&amutex, APR_THREAD_MUTEX_DEFAULT, pr->pool);
    apr_allocator_mutex_set(alloc, amutex);
    apr_pool_create(&pr->round_pool, pr->pool);
    if (cur_ctx->conf.crl) {
        apr_pool_t *cp;   /* the cache allocates under its own lock */
        apr_pool_create(&cp, pr->pool);
        pr->crls = oa_crl_cache_make(cp);
    }
    apr_thread_mutex_create(&pr->lock, APR_THREAD_MUTEX_DEFAULT, pp);
    apr_thread_cond_create(&pr->cv, pp);
    apr_pool_pre_cleanup_register(pchild, pr, prober_stop);
    prober = pr;
}

/* ------------------------------------------------------------------ set-up */

/* the served certificate of a vhost: the first that is not replaced */
static const oa_certinfo_t *served_cert(const oa_analysis_t *an)
{
    int j;
    for (j = 0; j < an->certs->nelts; j++) {
        const oa_certinfo_t *ci = APR_ARRAY_IDX(an->certs, j, const oa_certinfo_t *);
        if (ci->leaf && !ci->replaced) {
            return ci;
        }
    }
    return NULL;
}

/*
 * Each leaf's issuer (DER), from whichever vhost has it: mod_ssl keeps one OCSP entry per
 * certificate, so a vhost that serves the leaf alone staples with the issuer another
 * vhost gave for the same certificate.
 */
static apr_hash_t *issuers_by_leaf(apr_pool_t *p, const oa_audit_t *audit)
{
    apr_hash_t *h = apr_hash_make(p);
    int i, j, len;
    for (i = 0; i < audit->analyses->nelts; i++) {
        const oa_analysis_t *an = APR_ARRAY_IDX(audit->analyses, i, const oa_analysis_t *);
        for (j = 0; j < an->certs->nelts; j++) {
            const oa_certinfo_t *ci = APR_ARRAY_IDX(an->certs, j, const oa_certinfo_t *);
            if (ci->leaf && ci->issuer) {
                const char *fp = oa_x509_fingerprint(p, ci->leaf);
                if (!apr_hash_get(h, fp, APR_HASH_KEY_STRING)) {
                    target_t *der = apr_pcalloc(p, sizeof(*der));
                    der->issuer_der = to_der(p, ci->issuer, &len);
                    der->issuer_len = len;
                    apr_hash_set(h, fp, APR_HASH_KEY_STRING, der);
                }
            }
        }
    }
    return h;
}

static void make_target(apr_pool_t *pconf, target_t *tg, const oa_analysis_t *an,
                        apr_hash_t *issuers)
{
    const oa_setting_t *proxy = oa_vhost_get(an->vh, "SSLOCSPProxyURL");
    const oa_certinfo_t *ci = served_cert(an);
    oa_vhost_probe_target(pconf, an->vh, &tg->host, &tg->port);
    tg->host = apr_pstrdup(pconf, tg->host);
    tg->sni = *an->vh->name ? apr_pstrdup(pconf, an->vh->name) : NULL;
    tg->name = tg->sni ? tg->sni : "(no name)";
    tg->proxy = proxy ? apr_pstrdup(pconf, proxy->value) : NULL;
    if (ci) {
        const target_t *known = apr_hash_get(issuers, oa_x509_fingerprint(pconf, ci->leaf),
                                             APR_HASH_KEY_STRING);
        tg->leaf_der = to_der(pconf, ci->leaf, &tg->leaf_len);
        if (known) {
            tg->issuer_der = known->issuer_der;
            tg->issuer_len = known->issuer_len;
        }
        tg->url = ci->url ? apr_pstrdup(pconf, ci->url) : NULL;
        tg->ask = tg->issuer_der && !strcmp(ci->stapling, OA_STAPLING_ACTIVE)
                  && ci->url_usable > 0;
        /* a CRL is verified with the issuer: none known, or self-signed, nothing to do */
        if (tg->issuer_der && !oa_x509_self_signed(ci->leaf)) {
            const char *u = oa_x509_crl_url(pconf, ci->leaf);
            tg->crl_url = u ? apr_pstrdup(pconf, u) : NULL;
        }
    }
    if (tg->leaf_der) {
        apr_ssize_t len = tg->leaf_len;
        tg->jitter_seed = apr_hashfunc_default((const char *)tg->leaf_der, &len);
    }
}

typedef struct {
    const oa_audit_t *audit;
    probe_ctx_t *ctx;
} fill_t;

static void fill_record(oa_status_rec_t *rec, int i, void *data)
{
    fill_t *f = data;
    const oa_analysis_t *an = APR_ARRAY_IDX(f->audit->analyses, i, const oa_analysis_t *);
    oa_status_from_analysis(rec, an);
    oa_status_strcpy(rec->probe_host, sizeof(rec->probe_host), f->ctx->targets[i].host);
    rec->probe_port = f->ctx->targets[i].port;
}

static void register_watchdog(apr_pool_t *pconf, server_rec *s, probe_ctx_t *ctx)
{
    ap_watchdog_t *wd;
    apr_status_t rv;
    wd_get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    wd_register_callback = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!wd_get_instance || !wd_register_callback) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "OA00025: mod_ocsp_audit: mod_watchdog is "
                     "not available: no live probes (the status page shows the audit only)");
        return;
    }
    /* a round at the watchdog's start, then one per interval */
    rv = wd_get_instance(&wd, OA_WATCHDOG_NAME, 0, 1, pconf);
    if (rv == APR_SUCCESS) {
        rv = wd_register_callback(wd, ctx->conf.interval, ctx, probe_callback);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, "OA00025: mod_ocsp_audit: cannot start the "
                     "probe watchdog: no live probes");
    }
}

void ocsp_audit_probe_init(apr_pool_t *pconf, server_rec *s, const oa_audit_t *audit,
                           const ocsp_audit_probe_conf_t *pc)
{
    int i, n = audit->analyses->nelts;
    probe_ctx_t *ctx = apr_pcalloc(pconf, sizeof(*ctx));
    apr_hash_t *issuers;
    fill_t f;
    apr_status_t rv;

    cur_ctx = NULL;
    ctx->s = s;
    ctx->count = n;
    ctx->conf = *pc;
    ctx->targets = apr_pcalloc(pconf, sizeof(target_t) * (apr_size_t)(n ? n : 1));
    issuers = issuers_by_leaf(pconf, audit);
    for (i = 0; i < n; i++) {
        make_target(pconf, &ctx->targets[i],
                    APR_ARRAY_IDX(audit->analyses, i, const oa_analysis_t *), issuers);
    }
    f.audit = audit;
    f.ctx = ctx;
    rv = ocsp_audit_shm_make(s, n, fill_record, &f);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "OA00025: mod_ocsp_audit: no shared memory "
                     "for %d vhosts: no live status", n);
        return;   /* never stop httpd for the status page */
    }
    if (!pc->enabled || !n) {
        return;
    }
    cur_ctx = ctx;
    register_watchdog(pconf, s, ctx);
}
