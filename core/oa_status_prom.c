/*
 * The status page as Prometheus text exposition (version 0.0.4).
 *
 * Series are labelled with what stays the same when vhosts come and go: the vhost's
 * name and its addresses (vhost, address), and for the certificate its serial number and
 * issuer. Where ssl_exporter has a metric for the same thing (ssl_ocsp_response_*,
 * ssl_cert_not_after), its name is used, so that dashboards and alerts carry over; the
 * rest are ocsp_audit_*. Every value is a gauge; timestamps are Unix seconds.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

#include "oa_outbuf.h"
#include "oa_status.h"
#include "oa_text.h"

/* The exposition is written through a buffer: 10,000 vhosts make some 300,000 samples,
 * and each is a few pieces copied in, not a formatted string of its own. */
typedef struct {
    apr_pool_t *p;
    oa_outbuf_t *b;
    const char **lbl;           /* per vhost: vhost="...",address="..." */
    apr_size_t *lbl_len;
} prom_t;

static void put(prom_t *m, const char *s, apr_size_t n)
{
    oa_outbuf_put(m->b, s, n);
}

static void emit(prom_t *m, const char *s)
{
    oa_outbuf_puts(m->b, s);
}

/* a label value: UTF-8 with \\, \" and \n escaped, as the exposition format wants; bytes
 * that are not UTF-8 (a truncated record, a peer's bytes) become U+FFFD and other control
 * characters the text \\xHH (an escaped backslash): a scrape never breaks on them */
static const char *esc(apr_pool_t *p, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    char *o = apr_palloc(p, strlen(s) * 6 + 1), *d = o;
    while (*u) {
        int n = oa_utf8_len(u);
        if (*u == '\\' || *u == '"') {
            *d++ = '\\';
            *d++ = (char)*u++;
        }
        else if (*u == '\n') {
            *d++ = '\\';
            *d++ = 'n';
            u++;
        }
        else if (!n) {
            memcpy(d, "\xef\xbf\xbd", 3);
            d += 3;
            u++;
        }
        else if (*u < 0x20 || *u == 0x7f) {
            d += apr_snprintf(d, 6, "\\\\x%02x", *u);
            u++;
        }
        else {
            memcpy(d, u, (apr_size_t)n);
            d += n;
            u += n;
        }
    }
    *d = '\0';
    return o;
}

static void family(prom_t *m, const char *name, const char *help)
{
    emit(m, "# HELP ");
    emit(m, name);
    put(m, " ", 1);
    emit(m, help);
    emit(m, "\n# TYPE ");
    emit(m, name);
    emit(m, " gauge\n");
}

/* a value as Go's ParseFloat reads it: libc's %.15g (APR's drops the leading 0 of 0.012);
 * whole numbers below 10^15 (timestamps, counts, 0 and 1) are what %.15g makes of them,
 * written without it */
static void put_num(prom_t *m, double v)
{
    char b[64];
    if (v > -1e15 && v < 1e15 && v == (double)(long long)v && !(v == 0 && signbit(v))) {
        oa_outbuf_int(m->b, (long long)v);
        return;
    }
    put(m, b, (apr_size_t)snprintf(b, sizeof(b), "%.15g", v));
}

/* a sample of the server as a whole: name{labels} value */
static void sample(prom_t *m, const char *name, const char *labels, double v)
{
    emit(m, name);
    if (labels) {
        put(m, "{", 1);
        emit(m, labels);
        put(m, "}", 1);
    }
    put(m, " ", 1);
    put_num(m, v);
    put(m, "\n", 1);
}

/* a sample of vhost i: name{vhost="...",address="..."extra} value; extra is NULL or
 * ",key=\"value\"..." */
static void vsample(prom_t *m, const char *name, int i, const char *extra, double v)
{
    emit(m, name);
    put(m, "{", 1);
    put(m, m->lbl[i], m->lbl_len[i]);
    if (extra) {
        emit(m, extra);
    }
    put(m, "} ", 2);
    put_num(m, v);
    put(m, "\n", 1);
}

static double secs(apr_time_t t)
{
    return (double)apr_time_sec(t);
}

/* what a per-vhost family says */
typedef enum { V_LEVEL, V_STAPLED, V_STATUS, V_VERIFIED, V_THIS, V_NEXT, V_PRODUCED, V_LEFT,
               V_STOP, V_MUST, V_CHECKED, V_RESP_CHECKED, V_CRL_NEXT, V_CRL_CHECKED } value_e;

/* the per-vhost families: a row each, with what decides whether a vhost has a sample */
typedef enum { HAS_ALWAYS, HAS_PROBED, HAS_STAPLE, HAS_THIS, HAS_NEXT, HAS_PRODUCED,
               HAS_STOP, HAS_CERT, HAS_RESPONDER, HAS_RESPONDER_UP, HAS_CRL, HAS_CRL_NEXT } has_e;

typedef struct {
    const char *name;
    const char *help;
    has_e has;
    value_e what;
} vhost_metric_t;

static int staple_decoded(const oa_status_rec_t *r)
{
    return r->checked_at && (!strcmp(r->staple, "good") || !strcmp(r->staple, "revoked")
                             || !strcmp(r->staple, "unknown"));
}

static double value(value_e what, const oa_status_rec_t *r, const oa_verdict_t *v,
                    apr_time_t now)
{
    switch (what) {
    case V_LEVEL:
        return (double)v->level;
    case V_STAPLED:
        return r->checked_at && strcmp(r->staple, "none") && strcmp(r->staple, "error")
               && strcmp(r->staple, "pending");
    case V_STATUS:
        return !strcmp(r->staple, "good") ? 0 : !strcmp(r->staple, "revoked") ? 1 : 2;
    case V_VERIFIED:
        return r->verified;
    case V_THIS:
        return secs(r->this_update);
    case V_NEXT:
        return secs(r->next_update);
    case V_PRODUCED:
        return secs(r->produced_at);
    case V_LEFT:
        return (double)apr_time_sec(r->next_update - now);
    case V_STOP:
        return secs(r->stop_at);
    case V_MUST:
        return r->must_staple;
    case V_CHECKED:
        return secs(r->checked_at);
    case V_RESP_CHECKED:
        return secs(r->responder_checked_at);
    case V_CRL_NEXT:
        return secs(r->crl.next_update);
    case V_CRL_CHECKED:
        return secs(r->crl.checked_at);
    }
    return 0;
}

static const vhost_metric_t vhost_metrics[] = {
    { "ocsp_audit_vhost_level", "The vhost's verdict: 0 good, 1 warning, 2 error "
      "(ocsp_audit_vhost_verdict has its state).", HAS_ALWAYS, V_LEVEL },
    { "ssl_ocsp_response_stapled", "1 when the last handshake got a stapled OCSP response.",
      HAS_PROBED, V_STAPLED },
    { "ssl_ocsp_response_status", "The status in the stapled OCSP response: 0 good, "
      "1 revoked, 2 unknown.", HAS_STAPLE, V_STATUS },
    { "ocsp_audit_staple_verified", "1 when the staple's signature and signer check out.",
      HAS_PROBED, V_VERIFIED },
    { "ssl_ocsp_response_this_update", "The staple's thisUpdate (Unix time).", HAS_THIS,
      V_THIS },
    { "ssl_ocsp_response_next_update", "The staple's nextUpdate (Unix time).", HAS_NEXT,
      V_NEXT },
    { "ssl_ocsp_response_produced_at", "The staple's producedAt (Unix time).", HAS_PRODUCED,
      V_PRODUCED },
    { "ocsp_audit_staple_next_update_seconds", "Seconds until the staple's nextUpdate "
      "(negative once passed).", HAS_NEXT, V_LEFT },
    { "ocsp_audit_stapling_stop_timestamp_seconds", "When stapling stops if the responder "
      "stays down (the cached staple's nextUpdate; a graceful restart stops it at once).",
      HAS_STOP, V_STOP },
    { "ocsp_audit_must_staple", "1 when the served certificate is Must-Staple.", HAS_ALWAYS,
      V_MUST },
    { "ocsp_audit_last_probe_timestamp_seconds", "When the vhost was last probed.",
      HAS_PROBED, V_CHECKED },
    { "ocsp_audit_responder_last_check_timestamp_seconds", "When the module last asked the "
      "OCSP responder (or saw a fresh staple from it).", HAS_RESPONDER, V_RESP_CHECKED },
    { "ocsp_audit_crl_next_update_timestamp_seconds", "The nextUpdate of the served "
      "certificate's CRL, as last fetched (Unix time).", HAS_CRL_NEXT, V_CRL_NEXT },
    { "ocsp_audit_crl_last_check_timestamp_seconds", "When the served certificate's CRL was "
      "last checked.", HAS_CRL, V_CRL_CHECKED },
};

static int has(has_e h, const oa_status_rec_t *r)
{
    switch (h) {
    case HAS_ALWAYS:
        return 1;
    case HAS_PROBED:
        return r->checked_at != 0;
    case HAS_STAPLE:
        return staple_decoded(r);
    case HAS_THIS:
        return r->this_update != 0;
    case HAS_NEXT:
        return r->next_update != 0;
    case HAS_PRODUCED:
        return r->produced_at != 0;
    case HAS_STOP:
        return r->stop_at != 0;
    case HAS_CERT:
        return r->cert_not_after != 0;
    case HAS_RESPONDER:
        return r->responder_checked;
    case HAS_RESPONDER_UP:
        return r->responder_checked && r->responder_up;
    case HAS_CRL:
        return r->crl.checked;
    case HAS_CRL_NEXT:
        return r->crl.checked && r->crl.next_update;
    }
    return 0;
}

static void server_metrics(prom_t *m, const oa_status_server_t *srv, const int count[3])
{
    int l;
    family(m, "ocsp_audit_build_info", "mod_ocsp_audit's version; always 1.");
    sample(m, "ocsp_audit_build_info", apr_psprintf(m->p, "version=\"%s\"",
                                                    esc(m->p, srv && srv->version
                                                        ? srv->version : "")), 1);
    family(m, "ocsp_audit_vhosts", "SSL vhosts by the level of their verdict.");
    for (l = OA_LEVEL_GOOD; l <= OA_LEVEL_ERROR; l++) {
        sample(m, "ocsp_audit_vhosts", apr_psprintf(m->p, "level=\"%s\"",
                                                    oa_level_name((oa_level_e)l)), count[l]);
    }
    if (srv && srv->round_end) {
        family(m, "ocsp_audit_probe_round_duration_seconds", "How long the last probe round "
               "took.");
        sample(m, "ocsp_audit_probe_round_duration_seconds", NULL,
               (double)srv->round_duration / APR_USEC_PER_SEC);
        family(m, "ocsp_audit_probe_round_end_timestamp_seconds", "When the last probe round "
               "ended.");
        sample(m, "ocsp_audit_probe_round_end_timestamp_seconds", NULL, secs(srv->round_end));
    }
}

/* ",key=\"value\"" for each of names */
static const char **label_pieces(apr_pool_t *p, const char *key, const char *const *names,
                                 int count)
{
    const char **out = apr_palloc(p, sizeof(*out) * (apr_size_t)count);
    int k;
    for (k = 0; k < count; k++) {
        out[k] = apr_pstrcat(p, ",", key, "=\"", names[k], "\"", NULL);
    }
    return out;
}

void oa_status_prometheus(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                          const oa_status_server_t *srv, oa_out_fn *out, void *ctx)
{
    static const char *const sev[] = { "note", "warning", "error" };
    static const char *const statuses[] = { "good", "revoked", "unknown", "trylater", "none",
                                            "error", "pending" };
    static const char *const phases[] = { "dns", "connect", "response" };
    const apr_size_t nstat = sizeof(statuses) / sizeof(statuses[0]);
    const char **status_l = label_pieces(p, "status", statuses, (int)nstat);
    const char **sev_l = label_pieces(p, "severity", sev, 3);
    const char **phase_l = label_pieces(p, "phase", phases, 3);
    prom_t *m = apr_palloc(p, sizeof(*m));
    oa_verdict_t *vs = apr_palloc(p, sizeof(*vs) * (apr_size_t)(n ? n : 1));
    int i, k, count[3] = { 0, 0, 0 };
    apr_size_t f;

    m->p = p;
    m->b = oa_outbuf_make(p, out, ctx);
    m->lbl = apr_palloc(p, sizeof(*m->lbl) * (apr_size_t)(n ? n : 1));
    m->lbl_len = apr_palloc(p, sizeof(*m->lbl_len) * (apr_size_t)(n ? n : 1));
    for (i = 0; i < n; i++) {
        oa_status_verdict(&vs[i], p, &recs[i], now);
        count[vs[i].level]++;
        m->lbl[i] = apr_pstrcat(p, "vhost=\"", esc(p, recs[i].name), "\",address=\"",
                                esc(p, recs[i].addresses), "\"", NULL);
        m->lbl_len[i] = strlen(m->lbl[i]);
    }
    server_metrics(m, srv, count);
    family(m, "ocsp_audit_vhost_verdict", "The vhost's verdict as labels (level, state); "
           "always 1.");
    for (i = 0; i < n; i++) {
        vsample(m, "ocsp_audit_vhost_verdict", i, apr_pstrcat(p, ",level=\"",
                oa_level_name(vs[i].level), "\",state=\"", oa_state_name(vs[i].state), "\"",
                NULL), 1);
    }
    for (f = 0; f < sizeof(vhost_metrics) / sizeof(vhost_metrics[0]); f++) {
        const vhost_metric_t *vm = &vhost_metrics[f];
        family(m, vm->name, vm->help);
        for (i = 0; i < n; i++) {
            if (has(vm->has, &recs[i])) {
                vsample(m, vm->name, i, NULL, value(vm->what, &recs[i], &vs[i], now));
            }
        }
    }
    family(m, "ocsp_audit_staple_status", "1 for the status of the last staple (good, "
           "revoked, unknown, trylater, none, error, pending), 0 for the others.");
    for (i = 0; i < n; i++) {
        for (f = 0; f < nstat; f++) {
            vsample(m, "ocsp_audit_staple_status", i, status_l[f],
                    !strcmp(recs[i].staple, statuses[f]));
        }
    }
    family(m, "ssl_cert_not_after", "When the served certificate expires (Unix time).");
    for (i = 0; i < n; i++) {
        if (has(HAS_CERT, &recs[i])) {
            vsample(m, "ssl_cert_not_after", i, apr_pstrcat(p, ",serial_no=\"",
                    esc(p, recs[i].cert_serial), "\",issuer_cn=\"", esc(p, recs[i].cert_issuer),
                    "\"", NULL), secs(recs[i].cert_not_after));
        }
    }
    family(m, "ocsp_audit_responder_up", "1 when the OCSP responder answered the last "
           "check.");
    for (i = 0; i < n; i++) {
        if (has(HAS_RESPONDER, &recs[i])) {
            vsample(m, "ocsp_audit_responder_up", i, apr_pstrcat(p, ",url=\"",
                    esc(p, recs[i].responder_url), "\"", NULL), recs[i].responder_up);
        }
    }
    family(m, "ocsp_audit_responder_latency_seconds", "The last check of the responder by "
           "phase: dns, connect, response.");
    for (i = 0; i < n; i++) {
        int ms[3];
        if (!has(HAS_RESPONDER_UP, &recs[i])) {
            continue;
        }
        ms[0] = recs[i].dns_ms;
        ms[1] = recs[i].connect_ms;
        ms[2] = recs[i].latency_ms;
        for (k = 0; k < 3; k++) {
            vsample(m, "ocsp_audit_responder_latency_seconds", i, phase_l[k], ms[k] / 1000.0);
        }
    }
    family(m, "ocsp_audit_vhost_revocation", "How clients learn that the served certificate "
           "is revoked (path: staple, ocsp, crl, crl-fresh, crl-stale, crl-unreachable, "
           "crl-invalid, revoked, none, unknown); always 1.");
    for (i = 0; i < n; i++) {
        vsample(m, "ocsp_audit_vhost_revocation", i, apr_pstrcat(p, ",path=\"",
                oa_revocation_name(vs[i].revocation), "\"", NULL), 1);
    }
    family(m, "ocsp_audit_crl_ok", "1 when the served certificate's CRL was fetched, is "
           "signed by its issuer, is current and does not list it; 0 otherwise (verdict "
           "says why).");
    for (i = 0; i < n; i++) {
        if (has(HAS_CRL, &recs[i])) {
            vsample(m, "ocsp_audit_crl_ok", i, apr_pstrcat(p, ",url=\"", esc(p, recs[i].crl.url),
                    "\",verdict=\"", oa_crl_verdict_name((oa_crl_verdict_e)recs[i].crl.verdict),
                    "\"", NULL), recs[i].crl.verdict == OA_CRL_OK);
        }
    }
    family(m, "ocsp_audit_config_findings", "Configuration findings of the vhost by "
           "severity.");
    for (i = 0; i < n; i++) {
        for (k = 2; k >= 0; k--) {
            vsample(m, "ocsp_audit_config_findings", i, sev_l[k], recs[i].findings[k]);
        }
    }
    oa_outbuf_flush(m->b);
}
