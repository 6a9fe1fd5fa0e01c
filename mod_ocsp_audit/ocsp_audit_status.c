/*
 * Live stapling status.
 *
 * - The records live in anonymous shared memory made by the parent at every start and
 *   restart, sized from the SSL vhost count; children inherit the mapping. A restart
 *   copies what the previous generation learned of the vhosts that still exist, then
 *   drops the old segment (old children keep their own mapping until they exit).
 * - One writer: mod_watchdog's singleton thread (in one child) runs a probe round per
 *   interval, with a bounded number of threads, each probe bounded by timeouts. Each
 *   record has a sequence counter (odd while written) so readers never see half a write.
 * - Readers (the handler, mod_status's hook) copy the records; nothing on the request
 *   path waits for a probe.
 *
 * Log numbers: OA00020 stopped stapling, OA00021 staples again, OA00022 responder down,
 * OA00023 responder back, OA00024 stapling will stop soon, OA00025 probes not started.
 */
#include <string.h>

#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <mod_status.h>
#include <mod_watchdog.h>

#include <apr_atomic.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include <apr_date.h>
#include <apr_thread_proc.h>
#include <apr_thread_mutex.h>

#include <openssl/x509.h>

#include "oa_status.h"
#include "ocsp_audit_status.h"

APLOG_USE_MODULE(ocsp_audit);

#define OA_WATCHDOG_NAME "_ocsp_audit_probe_"
#define SHM_MAGIC 0x4f413031u   /* "OA01" */

typedef struct {
    apr_uint32_t magic;
    apr_uint32_t count;
} shm_head_t;

typedef struct {
    volatile apr_uint32_t seq;
    oa_status_rec_t rec;
} slot_t;

typedef struct {
    const char *host;
    int port;
    const char *sni;
    /* the configured certificate and its issuer (DER), to ask the responder when the
     * handshake gives none: mod_ssl may itself be hanging on that responder */
    unsigned char *leaf_der, *issuer_der;
    int leaf_len, issuer_len;
} target_t;

typedef struct {
    server_rec *s;
    int count;
    target_t *targets;
    ocsp_audit_probe_conf_t conf;
    apr_time_t next_round;
    int rounds;
} probe_ctx_t;

/* the segment of the current generation, in this process. httpd unloads and reloads the
 * module at every restart, so the parent keeps the segment's address in its process
 * pool (shm_state) to find the previous generation's records */
static apr_shm_t *cur_shm;
static shm_head_t *cur_head;
static slot_t *cur_slots;

typedef struct {
    apr_shm_t *shm;
} shm_state_t;

static shm_state_t *shm_state(server_rec *s)
{
    void *data = NULL;
    apr_pool_userdata_get(&data, "ocsp_audit_shm", s->process->pool);
    if (!data) {
        data = apr_pcalloc(s->process->pool, sizeof(shm_state_t));
        apr_pool_userdata_set(data, "ocsp_audit_shm", apr_pool_cleanup_null, s->process->pool);
    }
    return data;
}

static APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *wd_get_instance;
static APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *wd_register_callback;

/* ------------------------------------------------------------------ the records */

static void slot_read(const slot_t *sl, oa_status_rec_t *out)
{
    int tries;
    for (tries = 0; tries < 1000; tries++) {
        apr_uint32_t before = apr_atomic_read32(&((slot_t *)sl)->seq);
        if (before & 1) {
            continue;
        }
        memcpy(out, &sl->rec, sizeof(*out));
        if (apr_atomic_read32(&((slot_t *)sl)->seq) == before) {
            return;
        }
    }
    memcpy(out, &sl->rec, sizeof(*out));   /* a writer hung mid-write: take what is there */
}

static void slot_write(slot_t *sl, const oa_status_rec_t *in)
{
    apr_atomic_inc32(&sl->seq);
    memcpy(&sl->rec, in, sizeof(*in));
    apr_atomic_inc32(&sl->seq);
}

/* a copy of every record, for readers */
static oa_status_rec_t *snapshot(apr_pool_t *p, int *pn)
{
    oa_status_rec_t *recs;
    int i, n = cur_head ? (int)cur_head->count : 0;
    recs = apr_pcalloc(p, sizeof(*recs) * (apr_size_t)(n ? n : 1));
    for (i = 0; i < n; i++) {
        slot_read(&cur_slots[i], &recs[i]);
    }
    *pn = n;
    return recs;
}

static int same_vhost(const oa_status_rec_t *a, const oa_status_rec_t *b)
{
    return !strcmp(a->name, b->name) && !strcmp(a->addresses, b->addresses);
}

/* keep the live part of what the last generation knew */
static void carry_over(oa_status_rec_t *rec, const oa_status_rec_t *old)
{
    rec->checked_at = old->checked_at;
    memcpy(rec->staple, old->staple, sizeof(rec->staple));
    rec->verified = old->verified;
    rec->this_update = old->this_update;
    rec->next_update = old->next_update;
    rec->produced_at = old->produced_at;
    memcpy(rec->probe_error, old->probe_error, sizeof(rec->probe_error));
    memcpy(rec->responder_url, old->responder_url, sizeof(rec->responder_url));
    rec->responder_checked = old->responder_checked;
    rec->responder_up = old->responder_up;
    rec->latency_ms = old->latency_ms;
    memcpy(rec->responder_error, old->responder_error, sizeof(rec->responder_error));
    rec->responder_down_since = old->responder_down_since;
    rec->stop_at = old->stop_at;
}

/* ------------------------------------------------------------------ probing */

typedef struct {
    probe_ctx_t *ctx;
    apr_uint32_t next;
    oa_responder_cache_t *responders;   /* this round's checks */
    apr_time_t round_start;
} round_t;

static void log_changes(server_rec *s, const oa_status_rec_t *was, const oa_status_rec_t *now_,
                        apr_time_t now)
{
    int stapled_before = !strcmp(was->staple, "good"), stapled = !strcmp(now_->staple, "good");
    if (was->checked_at && stapled_before && !stapled) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "OA00020: vhost %s (%s) stopped stapling: "
                     "staple %s%s%s", now_->name, now_->addresses, now_->staple,
                     *now_->probe_error ? ": " : "", now_->probe_error);
    }
    else if (was->checked_at && !stapled_before && stapled) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "OA00021: vhost %s (%s) staples again",
                     now_->name, now_->addresses);
    }
    if (now_->responder_checked && !now_->responder_up
        && (!was->responder_checked || was->responder_up)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "OA00022: OCSP responder %s of vhost %s is "
                     "down: %s", now_->responder_url, now_->name, now_->responder_error);
    }
    else if (now_->responder_up && was->responder_checked && !was->responder_up) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "OA00023: OCSP responder %s of vhost %s is "
                     "back", now_->responder_url, now_->name);
    }
    if (now_->stop_at && !was->stop_at) {
        char when[APR_RFC822_DATE_LEN];
        apr_rfc822_date(when, now_->stop_at);   /* no pool: this runs in probe threads */
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "OA00024: vhost %s will stop stapling at "
                     "%s unless its OCSP responder answers again (%" APR_TIME_T_FMT " s left)",
                     now_->name, when, apr_time_sec(now_->stop_at - now));
    }
}

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

typedef struct {
    round_t *rd;
    apr_pool_t *pool;        /* this thread's: results live until the round ends */
} worker_t;

static void *APR_THREAD_FUNC probe_worker(apr_thread_t *t, void *data)
{
    worker_t *w = data;
    round_t *rd = w->rd;
    probe_ctx_t *ctx = rd->ctx;
    oa_probe_opts_t o;

    memset(&o, 0, sizeof(o));
    o.timeout = ctx->conf.timeout;
    for (;;) {
        apr_uint32_t i = apr_atomic_inc32(&rd->next);
        oa_tls_probe_t *tls;
        oa_responder_check_t *resp;
        oa_status_rec_t was, rec;
        apr_time_t now;
        if ((int)i >= ctx->count || !cur_slots) {
            break;
        }
        oa_probe_tls(&tls, w->pool, ctx->targets[i].host, (apr_port_t)ctx->targets[i].port,
                     ctx->targets[i].sni, &o);
        if (tls->leaf && tls->issuer) {
            resp = oa_responder_check_once(rd->responders, w->pool, tls->leaf, tls->issuer,
                                           NULL, &o, NULL);
        }
        else {
            const target_t *tg = &ctx->targets[i];
            resp = oa_responder_check_once(rd->responders, w->pool,
                                           from_der(w->pool, tg->leaf_der, tg->leaf_len),
                                           from_der(w->pool, tg->issuer_der, tg->issuer_len),
                                           NULL, &o, NULL);
        }
        now = apr_time_now();
        slot_read(&cur_slots[i], &was);
        rec = was;
        oa_status_update(&rec, tls, resp, now);
        slot_write(&cur_slots[i], &rec);
        log_changes(ctx->s, &was, &rec, now);
    }
    return NULL;
}

static void probe_round(probe_ctx_t *ctx, apr_pool_t *ptemp)
{
    round_t rd;
    int n = ctx->conf.concurrency < ctx->count ? ctx->conf.concurrency : ctx->count, i;
    apr_thread_t **threads = apr_pcalloc(ptemp, sizeof(*threads) * (apr_size_t)(n + 1));
    worker_t *workers = apr_pcalloc(ptemp, sizeof(*workers) * (apr_size_t)(n + 1));
    apr_status_t trv;

    memset(&rd, 0, sizeof(rd));
    rd.ctx = ctx;
    rd.round_start = apr_time_now();
    rd.responders = oa_responder_cache_make(ptemp);
    for (i = 0; i < n; i++) {
        workers[i].rd = &rd;
        apr_pool_create(&workers[i].pool, ptemp);
        if (apr_thread_create(&threads[i], NULL, probe_worker, &workers[i], ptemp) != APR_SUCCESS) {
            threads[i] = NULL;
        }
    }
    for (i = 0; i < n; i++) {
        if (threads[i]) {
            apr_thread_join(&trv, threads[i]);
        }
    }
    /* whatever no thread took (threads could not start) */
    workers[n].rd = &rd;
    apr_pool_create(&workers[n].pool, ptemp);
    probe_worker(NULL, &workers[n]);
    ctx->rounds++;
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, ctx->s, "OA00026: probe round %d: %d vhost%s in %"
                 APR_TIME_T_FMT " ms", ctx->rounds, ctx->count, ctx->count == 1 ? "" : "s",
                 apr_time_as_msec(apr_time_now() - rd.round_start));
}

/* mod_watchdog calls this every second in one thread of one child; a round runs when due */
static apr_status_t probe_callback(int state, void *data, apr_pool_t *ptemp)
{
    probe_ctx_t *ctx = data;
    if (state != AP_WATCHDOG_STATE_RUNNING || apr_time_now() < ctx->next_round) {
        return APR_SUCCESS;
    }
    probe_round(ctx, ptemp);
    ctx->next_round = apr_time_now() + ctx->conf.interval;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ set-up */

int ocsp_audit_status_init(apr_pool_t *pconf, server_rec *s, const oa_audit_t *audit,
                           const ocsp_audit_probe_conf_t *pc)
{
    apr_shm_t *shm = NULL;
    apr_size_t size;
    shm_head_t *head;
    slot_t *slots;
    probe_ctx_t *ctx;
    ap_watchdog_t *wd;
    apr_status_t rv;
    int i, j, n = audit->analyses->nelts;

    size = sizeof(shm_head_t) + sizeof(slot_t) * (apr_size_t)(n ? n : 1);
    /* the process pool outlives pconf: the old segment is still there to copy from */
    rv = apr_shm_create(&shm, size, NULL, s->process->pool);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "OA00025: mod_ocsp_audit: no shared memory "
                     "for %d vhosts (%" APR_SIZE_T_FMT " bytes): no live status", n, size);
        return OK;   /* never stop httpd for the status page */
    }
    head = apr_shm_baseaddr_get(shm);
    memset(head, 0, size);
    {
        shm_state_t *st = shm_state(s);
        if (st->shm) {
            cur_shm = st->shm;
            cur_head = apr_shm_baseaddr_get(cur_shm);
            cur_slots = (slot_t *)(cur_head + 1);
            if (cur_head->magic != SHM_MAGIC) {
                cur_head = NULL;
            }
        }
        st->shm = shm;
    }
    head->magic = SHM_MAGIC;
    head->count = (apr_uint32_t)n;
    slots = (slot_t *)(head + 1);

    ctx = apr_pcalloc(pconf, sizeof(*ctx));
    ctx->s = s;
    ctx->count = n;
    ctx->conf = *pc;
    ctx->targets = apr_pcalloc(pconf, sizeof(target_t) * (apr_size_t)(n ? n : 1));
    for (i = 0; i < n; i++) {
        const oa_analysis_t *an = APR_ARRAY_IDX(audit->analyses, i, const oa_analysis_t *);
        oa_status_rec_t *rec = &slots[i].rec;
        oa_status_from_analysis(rec, an);
        oa_vhost_probe_target(pconf, an->vh, &ctx->targets[i].host, &ctx->targets[i].port);
        ctx->targets[i].sni = *an->vh->name ? apr_pstrdup(pconf, an->vh->name) : NULL;
        ctx->targets[i].host = apr_pstrdup(pconf, ctx->targets[i].host);
        oa_status_strcpy(rec->probe_host, sizeof(rec->probe_host), ctx->targets[i].host);
        for (j = 0; j < an->certs->nelts; j++) {
            const oa_certinfo_t *ci = APR_ARRAY_IDX(an->certs, j, const oa_certinfo_t *);
            if (ci->leaf && ci->issuer && !ci->replaced) {
                ctx->targets[i].leaf_der = to_der(pconf, ci->leaf, &ctx->targets[i].leaf_len);
                ctx->targets[i].issuer_der = to_der(pconf, ci->issuer, &ctx->targets[i].issuer_len);
                break;
            }
        }
        rec->probe_port = ctx->targets[i].port;
        for (j = 0; cur_head && j < (int)cur_head->count; j++) {
            oa_status_rec_t old;
            slot_read(&cur_slots[j], &old);
            if (same_vhost(rec, &old)) {
                carry_over(rec, &old);
                break;
            }
        }
    }
    if (cur_shm && cur_shm != shm) {
        apr_shm_destroy(cur_shm);
    }
    cur_shm = shm;
    cur_head = head;
    cur_slots = slots;

    if (!pc->enabled || !n) {
        return OK;
    }
    wd_get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    wd_register_callback = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!wd_get_instance || !wd_register_callback) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "OA00025: mod_ocsp_audit: mod_watchdog is "
                     "not available: no live probes (the status page shows the audit only)");
        return OK;
    }
    rv = wd_get_instance(&wd, OA_WATCHDOG_NAME, 0, 1, pconf);
    if (rv == APR_SUCCESS) {
        rv = wd_register_callback(wd, AP_WD_TM_INTERVAL, ctx, probe_callback);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, "OA00025: mod_ocsp_audit: cannot start the "
                     "probe watchdog: no live probes");
    }
    return OK;
}

/* ------------------------------------------------------------------ readers */

static void to_request(void *ctx, const char *s, apr_size_t len)
{
    ap_rwrite(s, (int)len, (request_rec *)ctx);
}

int ocsp_audit_status_handler(request_rec *r)
{
    oa_status_rec_t *recs;
    int n;
    const char *a = r->args ? r->args : "";

    if (!r->handler || strcmp(r->handler, "ocsp-audit-status")) {
        return DECLINED;
    }
    r->allowed = (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    recs = snapshot(r->pool, &n);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!strncmp(a, "auto", 4)) {
        ap_set_content_type(r, "text/plain; charset=utf-8");
        if (!r->header_only) {
            oa_status_auto(r->pool, recs, n, apr_time_now(), to_request, r);
        }
    }
    else if (!strncmp(a, "json", 4)) {
        ap_set_content_type(r, "application/json");
        if (!r->header_only) {
            oa_status_json(r->pool, recs, n, apr_time_now(), to_request, r);
        }
    }
    else if (!strncmp(a, "prometheus", 10) || !strncmp(a, "metrics", 7)) {
        ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
        if (!r->header_only) {
            oa_status_prometheus(r->pool, recs, n, apr_time_now(), to_request, r);
        }
    }
    else {
        ap_set_content_type(r, "text/html; charset=utf-8");
        if (!r->header_only) {
            oa_status_html(r->pool, recs, n, apr_time_now(), to_request, r);
        }
    }
    return OK;
}

int ocsp_audit_status_hook(request_rec *r, int flags)
{
    oa_status_rec_t *recs;
    int n;
    if (!cur_head) {
        return OK;
    }
    recs = snapshot(r->pool, &n);
    if (flags & AP_STATUS_SHORT) {
        oa_status_auto(r->pool, recs, n, apr_time_now(), to_request, r);
    }
    else {
        ap_rputs("<hr />\n<h2>OCSP stapling (mod_ocsp_audit)</h2>\n", r);
        oa_status_css(to_request, r);
        oa_status_html_fragment(r->pool, recs, n, apr_time_now(), to_request, r);
    }
    return OK;
}
