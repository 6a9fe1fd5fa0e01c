#include <string.h>

#include <stdlib.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include <openssl/bn.h>
#include <openssl/x509.h>

#include "oa_outbuf.h"
#include "oa_report_probe.h"
#include "oa_status.h"
#include "oa_text.h"

#define HOUR APR_TIME_C(3600000000)

const char *oa_chain_name(oa_chain_e c)
{
    static const char *const names[] = { "unknown", "complete", "self-signed",
                                         "issuer-missing" };
    return (c >= OA_CHAIN_UNKNOWN && c <= OA_CHAIN_NO_ISSUER) ? names[c] : "unknown";
}

static oa_chain_e chain_of(const oa_tls_probe_t *tls)
{
    if (tls->error || !tls->leaf) {
        return OA_CHAIN_UNKNOWN;
    }
    return tls->self_signed ? OA_CHAIN_SELF_SIGNED
         : tls->chain_complete ? OA_CHAIN_COMPLETE : OA_CHAIN_NO_ISSUER;
}

void oa_status_strcpy(char *dst, apr_size_t size, const char *src)
{
    apr_cpystrn(dst, src ? src : "", size);
}

static void join(char *dst, apr_size_t size, const apr_array_header_t *a)
{
    int i;
    dst[0] = '\0';
    for (i = 0; a && i < a->nelts; i++) {
        apr_size_t used = strlen(dst);
        apr_snprintf(dst + used, size - used, "%s%s", i ? " " : "",
                     APR_ARRAY_IDX(a, i, const char *));
    }
}

/* the served certificate's serial number and issuer CN, for the metrics' labels */
static void cert_identity(oa_status_rec_t *rec, X509 *x)
{
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    BIGNUM *bn = sn ? ASN1_INTEGER_to_BN(sn, NULL) : NULL;
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    X509_NAME *iss = X509_get_issuer_name(x);
    int i = iss ? X509_NAME_get_index_by_NID(iss, NID_commonName, -1) : -1;
    oa_status_strcpy(rec->cert_serial, sizeof(rec->cert_serial), hex);
    if (i >= 0) {
        const ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(iss, i));
        int len = ASN1_STRING_length(d);
        apr_cpystrn(rec->cert_issuer, (const char *)ASN1_STRING_get0_data(d),
                    (apr_size_t)(len + 1) < sizeof(rec->cert_issuer)
                    ? (apr_size_t)len + 1 : sizeof(rec->cert_issuer));
    }
    OPENSSL_free(hex);
    BN_free(bn);
}

/* the certificate's first http:// CRL distribution point */
static void crl_url(oa_status_rec_t *rec, X509 *x)
{
    apr_pool_t *p;
    apr_pool_create(&p, NULL);
    oa_status_strcpy(rec->crl.url, sizeof(rec->crl.url), oa_x509_crl_url(p, x));
    apr_pool_destroy(p);
}

void oa_status_from_analysis(oa_status_rec_t *rec, const oa_analysis_t *an)
{
    const oa_vhost_t *vh = an->vh;
    int i;
    memset(rec, 0, sizeof(*rec));
    oa_status_strcpy(rec->name, sizeof(rec->name), *vh->name ? vh->name : "(no name)");
    join(rec->aliases, sizeof(rec->aliases), vh->aliases);
    join(rec->addresses, sizeof(rec->addresses), vh->addresses);
    oa_status_strcpy(rec->file, sizeof(rec->file), vh->file);
    rec->line = vh->line;
    oa_status_strcpy(rec->config_stapling, sizeof(rec->config_stapling), an->stapling);
    rec->stapling_on = an->stapling_on || an->md_staples;
    rec->md_staples = an->md_staples;
    for (i = 0; i < an->certs->nelts; i++) {
        const oa_certinfo_t *ci = APR_ARRAY_IDX(an->certs, i, const oa_certinfo_t *);
        if (ci->leaf && !ci->replaced) {      /* the served certificate */
            rec->must_staple = ci->must_staple;
            rec->no_ocsp_url = !ci->url;
            rec->self_signed = oa_x509_self_signed(ci->leaf);
            if (!oa_x509_not_after(&rec->cert_not_after, ci->leaf)) {
                rec->cert_not_after = 0;
            }
            cert_identity(rec, ci->leaf);
            crl_url(rec, ci->leaf);
            break;
        }
    }
    oa_status_strcpy(rec->config_reason, sizeof(rec->config_reason), an->why);
    for (i = 0; i < an->findings->nelts; i++) {
        const oa_finding_t *f = APR_ARRAY_IDX(an->findings, i, const oa_finding_t *);
        apr_size_t used = strlen(rec->finding_ids);
        rec->findings[f->d.severity]++;
        if (!strstr(rec->finding_ids, f->rule->id)) {
            apr_snprintf(rec->finding_ids + used, sizeof(rec->finding_ids) - used, "%s%s",
                         used ? " " : "", f->rule->id);
        }
    }
    oa_status_strcpy(rec->staple, sizeof(rec->staple), "pending");
}

void oa_status_from_probe(oa_status_rec_t *rec, const char *name, const char *address,
                          const oa_tls_probe_t *tls, const oa_responder_check_t *resp,
                          const oa_crl_check_t *crl, apr_time_t now)
{
    apr_pool_t *p;
    memset(rec, 0, sizeof(*rec));
    oa_status_strcpy(rec->name, sizeof(rec->name), name);
    oa_status_strcpy(rec->addresses, sizeof(rec->addresses), address);
    oa_status_strcpy(rec->staple, sizeof(rec->staple), "pending");
    if (tls->leaf) {
        apr_pool_create(&p, NULL);
        rec->must_staple = tls->must_staple;
        rec->self_signed = tls->self_signed;
        rec->no_ocsp_url = !oa_x509_ocsp_url(p, tls->leaf);
        if (!oa_x509_not_after(&rec->cert_not_after, tls->leaf)) {
            rec->cert_not_after = 0;
        }
        cert_identity(rec, tls->leaf);
        apr_pool_destroy(p);
        crl_url(rec, tls->leaf);
    }
    oa_status_update(rec, tls, resp, now);
    if (crl) {
        oa_status_update_crl(rec, crl, now);
    }
}

static int ms_of(apr_interval_time_t t)
{
    return (int)apr_time_as_msec(t);
}

void oa_status_update_crl(oa_status_rec_t *rec, const oa_crl_check_t *c, apr_time_t now)
{
    rec->crl.checked = 1;
    rec->crl.checked_at = now;
    rec->crl.verdict = (int)c->verdict;
    if (c->url) {
        oa_status_strcpy(rec->crl.url, sizeof(rec->crl.url), c->url);
    }
    oa_status_strcpy(rec->crl.message, sizeof(rec->crl.message), c->message);
    rec->crl.this_update = c->this_update;
    rec->crl.next_update = c->next_update;
    rec->crl.revoked_at = c->revoked_at;
    oa_status_strcpy(rec->crl.reason, sizeof(rec->crl.reason), c->reason);
    rec->crl.entries = c->entries;
    rec->crl.size = (apr_int64_t)c->size;
    oa_status_strcpy(rec->crl.format, sizeof(rec->crl.format), c->format);
    rec->crl.cached = c->cached;
    rec->crl.dns_ms = ms_of(c->t_dns);
    rec->crl.connect_ms = ms_of(c->t_connect);
    rec->crl.latency_ms = ms_of(c->t_response);
    rec->crl.total_ms = ms_of(c->t_total);
}

static const char *opt(const char *s)
{
    return *s ? s : NULL;
}

void oa_status_crl_check(oa_crl_check_t *c, const oa_status_rec_t *r)
{
    memset(c, 0, sizeof(*c));
    c->url = opt(r->crl.url);
    c->verdict = r->crl.checked ? (oa_crl_verdict_e)r->crl.verdict : OA_CRL_NONE;
    c->message = opt(r->crl.message);
    c->this_update = r->crl.this_update;
    c->next_update = r->crl.next_update;
    c->revoked_at = r->crl.revoked_at;
    c->reason = opt(r->crl.reason);
    c->entries = r->crl.entries;
    c->format = opt(r->crl.format);
    c->size = (apr_size_t)r->crl.size;
    c->cached = r->crl.cached;
    c->checked_at = r->crl.checked_at;
    c->t_dns = apr_time_from_msec(r->crl.dns_ms);
    c->t_connect = apr_time_from_msec(r->crl.connect_ms);
    c->t_response = apr_time_from_msec(r->crl.latency_ms);
    c->t_total = apr_time_from_msec(r->crl.total_ms);
}

void oa_status_update(oa_status_rec_t *rec, const oa_tls_probe_t *tls,
                      const oa_responder_check_t *resp, apr_time_t now)
{
    if (tls) {
        rec->checked_at = now;
        oa_status_strcpy(rec->probe_error, sizeof(rec->probe_error), tls->error);
        rec->chain = chain_of(tls);
        rec->staple_not_asked = !tls->staple_asked && !tls->error;
        rec->not_tls = tls->not_tls;
        rec->status_request_kills = tls->status_request_kills;
    }
    if (tls && (tls->staple_asked || tls->error)) {
        oa_status_strcpy(rec->staple, sizeof(rec->staple), tls->error ? "error" : tls->staple_state);
        rec->verified = tls->staple_present && tls->staple.verified;
        rec->this_update = tls->staple.this_update;
        rec->next_update = tls->staple.next_update;
        rec->produced_at = tls->staple.produced_at;
    }
    if (resp) {
        int up = resp->error_class == NULL && strcmp(resp->verdict, "trylater")
                 && strcmp(resp->verdict, "error-status");
        rec->responder_checked = 1;
        rec->responder_checked_at = now;
        oa_status_strcpy(rec->responder_url, sizeof(rec->responder_url), resp->url);
        oa_status_strcpy(rec->responder_proxy, sizeof(rec->responder_proxy), resp->proxy);
        rec->latency_ms = (int)apr_time_as_msec(resp->t_response);
        rec->dns_ms = resp->conn ? (int)apr_time_as_msec(resp->conn->t_dns) : 0;
        rec->connect_ms = resp->conn ? (int)apr_time_as_msec(resp->conn->t_connect) : 0;
        oa_status_strcpy(rec->responder_verdict, sizeof(rec->responder_verdict), resp->verdict);
        oa_status_strcpy(rec->responder_class, sizeof(rec->responder_class), resp->error_class);
        if (up) {
            rec->responder_up = 1;
            rec->responder_down_since = 0;
            rec->responder_error[0] = '\0';
        }
        else {
            if (rec->responder_up || !rec->responder_down_since) {
                rec->responder_down_since = now;
            }
            rec->responder_up = 0;
            oa_status_strcpy(rec->responder_error, sizeof(rec->responder_error),
                             resp->message ? resp->message : resp->verdict);
        }
    }
    /* with the responder down, the cached staple is all clients get, until nextUpdate */
    rec->stop_at = (rec->responder_checked && !rec->responder_up && rec->next_update
                    && !strcmp(rec->staple, "good")) ? rec->next_update : 0;
}

void oa_status_verdict(oa_verdict_t *v, apr_pool_t *p, const oa_status_rec_t *r,
                       apr_time_t now)
{
    oa_verdict_facts_t f;
    memset(&f, 0, sizeof(f));
    f.predicted = oa_predict_from_name(r->config_stapling);
    f.predict_reason = r->config_reason;
    f.config_errors = r->findings[OA_SEV_ERROR];
    f.config_warnings = r->findings[OA_SEV_WARNING];
    f.stapling_on = r->stapling_on;
    f.md_staples = r->md_staples;
    f.no_ocsp_url = r->no_ocsp_url;
    f.self_signed = r->self_signed;
    f.must_staple = r->must_staple;
    f.live = 1;
    f.probed = r->checked_at != 0;
    f.probe_error = r->probe_error;
    f.not_tls = r->not_tls;
    f.status_request_kills = r->status_request_kills;
    f.staple = f.probed ? r->staple : NULL;
    f.staple_asked = f.probed && !r->staple_not_asked;
    f.staple_verified = r->verified;
    f.chain_lacks_issuer = r->chain == OA_CHAIN_NO_ISSUER;
    f.next_update = r->next_update;
    f.responder_checked = r->responder_checked;
    f.responder_up = r->responder_up;
    f.responder_error = r->responder_error;
    f.responder_trylater = !strcmp(r->responder_verdict, "trylater");
    f.stops_at = r->stop_at;
    f.cert_known = *r->cert_serial != '\0';
    f.crl_url = r->crl.url;
    f.crl_checked = r->crl.checked;
    f.crl = (oa_crl_verdict_e)r->crl.verdict;
    f.crl_message = r->crl.message;
    f.now = now;
    oa_verdict_decide(v, p, &f);
}

int oa_status_level(const oa_status_rec_t *r, apr_time_t now)
{
    oa_verdict_t v;
    apr_pool_t *p;
    /* the level's decision allocates only its reason: a short-lived pool */
    apr_pool_create(&p, NULL);
    oa_status_verdict(&v, p, r, now);
    apr_pool_destroy(p);
    return (int)v.level;
}

/* the verdict of every record, once per rendering */
oa_verdict_t *oa_status_verdicts(apr_pool_t *p, const oa_status_rec_t *recs, int n,
                                 apr_time_t now, int count[3])
{
    oa_verdict_t *vs = apr_pcalloc(p, sizeof(*vs) * (apr_size_t)(n ? n : 1));
    int i;
    count[0] = count[1] = count[2] = 0;
    for (i = 0; i < n; i++) {
        oa_status_verdict(&vs[i], p, &recs[i], now);
        count[vs[i].level]++;
    }
    return vs;
}

static const char *ts(apr_pool_t *p, apr_time_t t)
{
    return t ? oa_time_str(p, t) : "";
}

static apr_int64_t left(apr_time_t t, apr_time_t now)
{
    return t ? (apr_int64_t)apr_time_sec(t - now) : 0;
}

/* ------------------------------------------------------------------ ?auto */


/* one line per value: peers' bytes (a reason phrase, a URL) are escaped, never raw */
void oa_status_auto(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                    oa_out_fn *out, void *ctx)
{
    int i, count[3], stapled = 0;
    oa_verdict_t *vs = oa_status_verdicts(p, recs, n, now, count);
    oa_outbuf_t *b = oa_outbuf_make(p, out, ctx);
    apr_pool_t *sp = p;
    for (i = 0; i < n; i++) {
        stapled += !strcmp(recs[i].staple, "good");
    }
    apr_pool_create(&p, sp);        /* what a vhost's lines need, cleared after them */
    oa_outbuf_puts(b, apr_psprintf(p, "OcspAuditVhosts: %d\nOcspAuditStapledGood: %d\n"
                                "OcspAuditGood: %d\nOcspAuditWarnings: %d\nOcspAuditErrors: %d\n",
                                n, stapled, count[0], count[1], count[2]));
    for (i = 0; i < n; i++) {
        const oa_status_rec_t *r = &recs[i];
        oa_outbuf_puts(b, apr_psprintf(p,
            "OcspAudit[%d]Name: %s\nOcspAudit[%d]Addresses: %s\nOcspAudit[%d]ConfigStapling: %s\n"
            "OcspAudit[%d]Findings: %s\nOcspAudit[%d]Staple: %s\nOcspAudit[%d]Verified: %d\n"
            "OcspAudit[%d]ThisUpdate: %s\nOcspAudit[%d]NextUpdate: %s\n"
            "OcspAudit[%d]SecondsLeft: %s\nOcspAudit[%d]CheckedAt: %s\n"
            "OcspAudit[%d]ResponderUp: %s\nOcspAudit[%d]ResponderLatencyMs: %s\n"
            "OcspAudit[%d]ResponderError: %s\nOcspAudit[%d]StaplingStopsAt: %s\n"
            "OcspAudit[%d]ServedChain: %s\n",
            i, oa_text_escape(p, r->name), i, oa_text_escape(p, r->addresses),
            i, oa_text_escape(p, r->config_stapling), i, oa_text_escape(p, r->finding_ids),
            i, oa_text_escape(p, r->staple), i, r->verified, i, ts(p, r->this_update),
            i, ts(p, r->next_update),
            i, r->next_update ? apr_psprintf(p, "%" APR_INT64_T_FMT, left(r->next_update, now)) : "",
            i, ts(p, r->checked_at),
            i, r->responder_checked ? (r->responder_up ? "1" : "0") : "",
            i, r->responder_checked ? apr_itoa(p, r->latency_ms) : "",
            i, oa_text_escape(p, r->responder_error),
            i, ts(p, r->stop_at), i, oa_chain_name(r->chain)));
        oa_outbuf_puts(b, apr_psprintf(p, "OcspAudit[%d]Level: %s\nOcspAudit[%d]State: %s\n"
                                    "OcspAudit[%d]Reason: %s\nOcspAudit[%d]Fix: %s\n"
                                    "OcspAudit[%d]Revocation: %s\nOcspAudit[%d]CrlUrl: %s\n"
                                    "OcspAudit[%d]CrlVerdict: %s\n"
                                    "OcspAudit[%d]CrlNextUpdate: %s\n",
                                    i, oa_level_name(vs[i].level), i, oa_state_name(vs[i].state),
                                    i, oa_text_escape(p, vs[i].reason ? vs[i].reason : ""),
                                    i, oa_text_escape(p, vs[i].fix ? vs[i].fix : ""),
                                    i, oa_revocation_name(vs[i].revocation),
                                    i, oa_text_escape(p, r->crl.url),
                                    i, r->crl.checked ? oa_crl_verdict_name((oa_crl_verdict_e)
                                                                            r->crl.verdict) : "",
                                    i, ts(p, r->crl.next_update)));
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    oa_outbuf_flush(b);
}

/* ------------------------------------------------------------------ ?json */

static void jtime(oa_json_t *j, apr_pool_t *p, const char *key, apr_time_t t)
{
    if (t) {
        oa_json_str(j, key, oa_time_str(p, t));
    }
    else {
        oa_json_null(j, key);
    }
}

static void jwords(oa_json_t *j, apr_pool_t *p, const char *key, const char *words)
{
    char *copy = apr_pstrdup(p, words), *last, *w;
    oa_json_arr_open(j, key);
    for (w = apr_strtok(copy, " ", &last); w; w = apr_strtok(NULL, " ", &last)) {
        oa_json_str(j, NULL, w);
    }
    oa_json_arr_close(j);
}

/* the record's responder check, in the shape every output gives it */
static void record_responder(oa_responder_view_t *v, const oa_status_rec_t *r)
{
    memset(v, 0, sizeof(*v));
    v->url = *r->responder_url ? r->responder_url : NULL;
    v->proxy = *r->responder_proxy ? r->responder_proxy : NULL;
    v->checked = r->responder_checked;
    v->checked_at = r->responder_checked_at;
    v->reachable = r->responder_up;
    v->verdict = *r->responder_verdict ? r->responder_verdict : NULL;
    v->error = *r->responder_class ? r->responder_class : NULL;
    v->message = !r->responder_up && *r->responder_error ? r->responder_error : NULL;
    v->dns_ms = r->dns_ms;
    v->connect_ms = r->connect_ms;
    v->latency_ms = r->latency_ms;
    v->down_since = r->responder_down_since;
}

void oa_status_json(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                    oa_out_fn *out, void *ctx)
{
    oa_outbuf_t *b = oa_outbuf_make(p, out, ctx);
    oa_json_t *j = oa_json_make(p, oa_outbuf_fn, b, 1);
    int i, count[3];
    oa_verdict_t *vs = oa_status_verdicts(p, recs, n, now, count);
    oa_json_obj_open(j, NULL);
    jtime(j, p, "generated_at", now);
    oa_json_obj_open(j, "summary");
    oa_json_int(j, "vhosts", n);
    oa_json_int(j, "good", count[0]);
    oa_json_int(j, "warnings", count[1]);
    oa_json_int(j, "errors", count[2]);
    oa_json_obj_close(j);
    oa_json_arr_open(j, "vhosts");
    for (i = 0; i < n; i++) {
        const oa_status_rec_t *r = &recs[i];
        oa_json_obj_open(j, NULL);
        oa_json_str(j, "name", r->name);
        jwords(j, p, "aliases", r->aliases);
        jwords(j, p, "addresses", r->addresses);
        oa_json_str(j, "file", r->file);
        oa_json_int(j, "line", r->line);
        oa_json_str(j, "level", oa_level_name(vs[i].level));
        oa_json_str(j, "state", oa_state_name(vs[i].state));
        oa_json_str(j, "reason", vs[i].reason);
        oa_json_str(j, "fix", vs[i].fix);
        oa_json_str(j, "revocation", oa_revocation_name(vs[i].revocation));
        oa_json_obj_open(j, "config");
        oa_json_str(j, "stapling", r->config_stapling);
        oa_json_str(j, "reason", *r->config_reason ? r->config_reason : NULL);
        jwords(j, p, "findings", r->finding_ids);
        oa_json_int(j, "errors", r->findings[OA_SEV_ERROR]);
        oa_json_int(j, "warnings", r->findings[OA_SEV_WARNING]);
        oa_json_int(j, "notes", r->findings[OA_SEV_NOTE]);
        oa_json_obj_close(j);
        oa_json_obj_open(j, "live");
        oa_json_str(j, "staple", r->staple);
        oa_json_bool(j, "verified", r->verified);
        oa_json_str(j, "served_chain", r->chain ? oa_chain_name(r->chain) : NULL);
        oa_json_bool(j, "staple_asked", r->checked_at && !r->staple_not_asked);
        jtime(j, p, "this_update", r->this_update);
        jtime(j, p, "next_update", r->next_update);
        if (r->next_update) {
            oa_json_int(j, "seconds_left", left(r->next_update, now));
        }
        else {
            oa_json_null(j, "seconds_left");
        }
        jtime(j, p, "checked_at", r->checked_at);
        oa_json_str(j, "error", *r->probe_error ? r->probe_error : NULL);
        jtime(j, p, "stapling_stops_at", r->stop_at);
        {
            oa_responder_view_t rv;
            record_responder(&rv, r);
            oa_report_responder_json(j, p, "responder", &rv);
        }
        if (r->crl.checked) {
            oa_crl_check_t c;
            oa_status_crl_check(&c, r);
            oa_report_crl_json(j, p, "crl", &c);
        }
        else {
            oa_json_null(j, "crl");
        }
        oa_json_obj_close(j);
        oa_json_obj_close(j);
    }
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    oa_json_end(j);
    oa_outbuf_flush(b);
}
