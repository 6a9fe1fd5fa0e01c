#include <string.h>

#include <stdlib.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include <openssl/bn.h>
#include <openssl/x509.h>

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
                          apr_time_t now)
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
    }
    oa_status_update(rec, tls, resp, now);
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
static oa_verdict_t *verdicts(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                              int count[3])
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

static const char *human_left(apr_pool_t *p, apr_time_t t, apr_time_t now)
{
    apr_int64_t s = left(t, now);
    if (!t) {
        return "";
    }
    if (s < 0) {
        return apr_psprintf(p, "passed %" APR_INT64_T_FMT "m ago", -s / 60);
    }
    if (s >= 86400) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT "d %" APR_INT64_T_FMT "h", s / 86400,
                            (s % 86400) / 3600);
    }
    return apr_psprintf(p, "%" APR_INT64_T_FMT "h %02" APR_INT64_T_FMT "m", s / 3600,
                        (s % 3600) / 60);
}

/* ------------------------------------------------------------------ HTML */

static const char *h(apr_pool_t *p, const char *s)
{
    apr_size_t n = 0;
    const char *c;
    char *out, *o;
    for (c = s; *c; c++) {
        n += (*c == '<' || *c == '>') ? 4 : (*c == '&') ? 5 : (*c == '"' || *c == '\'') ? 6 : 1;
    }
    out = o = apr_palloc(p, n + 1);
    for (c = s; *c; c++) {
        switch (*c) {
        case '<': memcpy(o, "&lt;", 4); o += 4; break;
        case '>': memcpy(o, "&gt;", 4); o += 4; break;
        case '&': memcpy(o, "&amp;", 5); o += 5; break;
        case '"': memcpy(o, "&quot;", 6); o += 6; break;
        case '\'': memcpy(o, "&#39;", 5); o += 5; break;
        default: *o++ = *c;
        }
    }
    *o = '\0';
    return out;
}

static void outs(oa_out_fn *out, void *ctx, const char *s)
{
    out(ctx, s, strlen(s));
}

#define STATUS_CSS \
    "table.oa{border-collapse:collapse;width:100%}\n" \
    "table.oa th,table.oa td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;" \
    "vertical-align:top}\n" \
    "table.oa th{background:#f3f3f3;position:sticky;top:0}\n" \
    "td.good{background:#e3f5e3} td.warn{background:#fff3cd} td.bad{background:#f9d6d6}\n" \
    "tr.bad td:first-child{border-left:4px solid #b00020}\n" \
    "tr.warn td:first-child{border-left:4px solid #c79100}\n" \
    "tr.good td:first-child{border-left:4px solid #2e7d32}\n" \
    ".state{font-weight:600;font-family:ui-monospace,monospace}\n" \
    ".small{color:#555;font-size:11px} .mono{font-family:ui-monospace,monospace}\n" \
    "span.good,a.good{color:#17701c} span.warn,a.warn{color:#8a6100} " \
    "span.bad,a.bad{color:#b00020}\n" \
    "p.states a{margin-right:.8em}\n"

void oa_status_view_parse(oa_status_view_t *v, const char *args)
{
    char buf[256], *kv, *last = NULL;
    v->refresh = 0;
    v->level = v->state = -1;
    apr_cpystrn(buf, args ? args : "", sizeof(buf));
    for (kv = apr_strtok(buf, "&", &last); kv; kv = apr_strtok(NULL, "&", &last)) {
        int i;
        if (!strncmp(kv, "refresh=", 8)) {
            int r = atoi(kv + 8);
            v->refresh = r < 5 ? (r > 0 ? 5 : 0) : r > 3600 ? 3600 : r;
        }
        for (i = OA_LEVEL_GOOD; !strncmp(kv, "level=", 6) && i <= OA_LEVEL_ERROR; i++) {
            if (!strcmp(kv + 6, oa_level_name((oa_level_e)i))) {
                v->level = i;
            }
        }
        for (i = OA_STATE_STAPLED; !strncmp(kv, "state=", 6) && i <= OA_STATE_UNKNOWN; i++) {
            if (!strcmp(kv + 6, oa_state_name((oa_state_e)i))) {
                v->state = i;
            }
        }
    }
}

void oa_status_html(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                    const oa_status_view_t *view, oa_out_fn *out, void *ctx)
{
    outs(out, ctx, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    if (view && view->refresh) {
        outs(out, ctx, apr_psprintf(p, "<meta http-equiv=\"refresh\" content=\"%d\">",
                                    view->refresh));
    }
    outs(out, ctx, "<title>OCSP stapling status</title>\n<style>\n"
         "body{font:13px/1.35 system-ui,sans-serif;margin:1em;color:#222}\n"
         "h1{font-size:18px;margin:0 0 .3em}\n"
         "p.summary{font-size:14px;margin:.2em 0 .3em}\n" STATUS_CSS
         "</style></head><body>\n<h1>OCSP stapling status</h1>\n");
    oa_status_html_fragment(p, recs, n, now, view, out, ctx);
    outs(out, ctx, apr_psprintf(p, "<p class=\"small\">Also as <a href=\"?auto\">?auto</a>, "
         "<a href=\"?json\">?json</a>, <a href=\"?prometheus\">?prometheus</a>. "
         "%s</p>\n</body></html>\n", (view && view->refresh)
         ? apr_psprintf(p, "Reloads every %d s (<a href=\"?\">stop</a>).", view->refresh)
         : "<a href=\"?refresh=30\">Reload every 30 s</a>."));
}

/* "8 s ago", "5 min ago", "3 h ago", "2 d ago" */
static const char *ago(apr_pool_t *p, apr_time_t t, apr_time_t now)
{
    apr_int64_t s = apr_time_sec(now - t);
    if (s < 0) {
        s = 0;
    }
    return s < 120 ? apr_psprintf(p, "%" APR_INT64_T_FMT " s ago", s)
         : s < 7200 ? apr_psprintf(p, "%" APR_INT64_T_FMT " min ago", s / 60)
         : s < 172800 ? apr_psprintf(p, "%" APR_INT64_T_FMT " h ago", s / 3600)
         : apr_psprintf(p, "%" APR_INT64_T_FMT " d ago", s / 86400);
}

/* a time to read: relative, the absolute one on hover */
static const char *when(apr_pool_t *p, apr_time_t t, apr_time_t now)
{
    return t ? apr_psprintf(p, "<span title=\"%s\">%s</span>", h(p, oa_time_str(p, t)),
                            t <= now ? ago(p, t, now) : human_left(p, t, now)) : "";
}

static const char *findings_links(apr_pool_t *p, const oa_status_rec_t *r,
                                  const oa_status_view_t *view)
{
    char *copy = apr_pstrdup(p, r->finding_ids), *last, *id;
    const char *s = "";
    for (id = apr_strtok(copy, " ", &last); id; id = apr_strtok(NULL, " ", &last)) {
        s = apr_pstrcat(p, s, *s ? " " : "", (view && view->docs_url)
                        ? apr_psprintf(p, "<a href=\"%s%s.md\">%s</a>", h(p, view->docs_url),
                                       h(p, id), h(p, id)) : h(p, id), NULL);
    }
    return *s ? apr_pstrcat(p, "<br><span class=\"small\">configuration findings: ", s,
                            "</span>", NULL) : "";
}

/* the staple's cell is coloured when the staple is what the verdict is about */
static const char *staple_class(oa_state_e state)
{
    switch (state) {
    case OA_STATE_STAPLED:
        return "good";
    case OA_STATE_AT_RISK:
        return "warn";
    case OA_STATE_REVOKED:
    case OA_STATE_BAD_STAPLE:
    case OA_STATE_NO_STAPLE:
        return "bad";
    default:
        return "";
    }
}

static const char *staple_cell(apr_pool_t *p, const oa_status_rec_t *r, apr_time_t now,
                               const oa_verdict_t *v, const char **pcls)
{
    *pcls = r->checked_at ? staple_class(v->state) : "";
    return apr_psprintf(p, "%s%s%s%s%s", h(p, r->staple),
        r->checked_at && strcmp(r->staple, "none")
            ? (r->verified ? ", verified" : ", <b>not verified</b>") : "",
        r->next_update ? apr_psprintf(p, "<br><span class=\"small\">until %s (%s)</span>",
                                      h(p, ts(p, r->next_update)),
                                      h(p, human_left(p, r->next_update, now))) : "",
        r->stop_at ? apr_psprintf(p, "<br><span class=\"bad\">stapling stops %s</span>",
                                  h(p, ts(p, r->stop_at))) : "",
        r->staple_not_asked ? "<br><span class=\"small\">not asked in the last probe: the "
                              "responder is down, and asking would make mod_ssl wait on "
                              "it</span>" : "");
}

static const char *cert_cell(apr_pool_t *p, const oa_status_rec_t *r, apr_time_t now,
                             const char **pcls)
{
    int expired = r->cert_not_after && r->cert_not_after < now;
    int soon = r->cert_not_after && r->cert_not_after < now + apr_time_from_sec(14 * 86400);
    *pcls = expired ? "bad" : (soon || r->chain == OA_CHAIN_NO_ISSUER) ? "warn" : "";
    return apr_psprintf(p, "%s%s<br>chain: %s%s",
        r->cert_not_after ? apr_psprintf(p, "%s <span title=\"%s\">%s</span>",
                                         expired ? "expired" : "expires",
                                         h(p, oa_time_str(p, r->cert_not_after)),
                                         expired ? h(p, ago(p, r->cert_not_after, now))
                                         : apr_psprintf(p, "in %s",
                                                        h(p, human_left(p, r->cert_not_after,
                                                                        now))))
                          : "expiry not known",
        r->must_staple ? "<br><b>Must-Staple</b>" : "",
        r->chain ? oa_chain_name(r->chain) : "not probed yet",
        r->chain == OA_CHAIN_NO_ISSUER && strcmp(r->staple, "none")
            ? " <span class=\"small\">(the staple was checked with the configured issuer)"
              "</span>" : "");
}

static const char *responder_cell(apr_pool_t *p, const oa_status_rec_t *r, apr_time_t now,
                                  const char **pcls)
{
    const char *via = *r->responder_proxy ? apr_psprintf(p, " via %s", h(p, r->responder_proxy))
                                          : "";
    if (!r->responder_checked) {
        *pcls = "";
        return apr_psprintf(p, "<span class=\"small\">not asked%s</span>", *r->responder_url
                            ? apr_psprintf(p, "<br>%s", h(p, r->responder_url)) : "");
    }
    *pcls = r->responder_up ? "good" : "bad";
    return r->responder_up
        ? apr_psprintf(p, "<span class=\"good\">up</span> %d ms, %s<br>"
                       "<span class=\"small mono\">%s%s</span>", r->latency_ms,
                       when(p, r->responder_checked_at, now), h(p, r->responder_url), via)
        : apr_psprintf(p, "<span class=\"bad\">down</span> since %s<br>%s<br>"
                       "<span class=\"small mono\">%s%s</span>",
                       h(p, ts(p, r->responder_down_since)), h(p, r->responder_error),
                       h(p, r->responder_url), via);
}

static void html_row(apr_pool_t *p, const oa_status_rec_t *r, const oa_verdict_t *v,
                     apr_time_t now, const oa_status_view_t *view, oa_out_fn *out, void *ctx)
{
    static const char *const cls[] = { "good", "warn", "bad" };
    const char *scls, *ccls, *rcls, *staple, *cert, *resp;
    staple = staple_cell(p, r, now, v, &scls);
    cert = cert_cell(p, r, now, &ccls);
    resp = responder_cell(p, r, now, &rcls);
    outs(out, ctx, apr_psprintf(p,
        "<tr class=\"%s\" data-vhost=\"%s\" data-state=\"%s\">"
        "<td><b>%s</b> <span class=\"small\">%s</span><br>"
        "<span class=\"small\">%s &middot; %s:%d</span></td>"
        "<td class=\"%s\"><span class=\"state\">%s</span> %s%s%s%s%s</td>"
        "<td class=\"%s\">%s%s</td><td class=\"%s\">%s</td><td class=\"%s\">%s</td>"
        "<td>%s</td></tr>\n",
        cls[v->level], h(p, r->name), oa_state_name(v->state),
        h(p, r->name), h(p, r->aliases), h(p, r->addresses), h(p, r->file), r->line,
        cls[v->level], oa_state_name(v->state), h(p, v->reason ? v->reason : ""),
        v->fix ? "<br><span class=\"small\">fix: " : "", v->fix ? h(p, v->fix) : "",
        v->fix ? "</span>" : "", findings_links(p, r, view),
        scls, staple, *r->probe_error
            ? apr_psprintf(p, "<br><span class=\"small\">%s</span>", h(p, r->probe_error)) : "",
        ccls, cert, rcls, resp,
        r->checked_at ? when(p, r->checked_at, now) : "pending"));
}

static int shown(const oa_verdict_t *v, const oa_status_view_t *view)
{
    return !view || ((view->level < 0 || (int)v->level == view->level)
                     && (view->state < 0 || (int)v->state == view->state));
}

/* "by state: stapled 3, at-risk 1, ..." with a link to each */
static void state_counts(apr_pool_t *p, const oa_verdict_t *vs, int n, oa_out_fn *out,
                         void *ctx)
{
    int counts[OA_STATE_UNKNOWN + 1] = { 0 }, i;
    outs(out, ctx, "<p class=\"states small\">by state: ");
    for (i = 0; i < n; i++) {
        counts[vs[i].state]++;
    }
    for (i = 0; i <= OA_STATE_UNKNOWN; i++) {
        if (counts[i]) {
            outs(out, ctx, apr_psprintf(p, "<a href=\"?state=%s\">%s %d</a>",
                                        oa_state_name((oa_state_e)i),
                                        oa_state_name((oa_state_e)i), counts[i]));
        }
    }
    outs(out, ctx, "<a href=\"?\">all</a></p>\n");
}

void oa_status_html_fragment(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                             const oa_status_view_t *view, oa_out_fn *out, void *ctx)
{
    int i, lvl, count[3], pending = 0, listed = 0;
    oa_verdict_t *vs = verdicts(p, recs, n, now, count);

    for (i = 0; i < n; i++) {
        pending += !recs[i].checked_at;
    }
    outs(out, ctx, apr_psprintf(p, "<p class=\"summary\" id=\"summary\">%d SSL virtual host%s: "
                                "<a class=\"good\" href=\"?level=good\">%d good</a>, "
                                "<a class=\"warn\" href=\"?level=warning\">%d warning%s</a>, "
                                "<a class=\"bad\" href=\"?level=error\">%d error%s</a>%s "
                                "<span class=\"small\">at %s</span></p>\n",
                                n, n == 1 ? "" : "s", count[0], count[1], count[1] == 1 ? "" : "s",
                                count[2], count[2] == 1 ? "" : "s",
                                pending ? apr_psprintf(p, ", %d not probed yet", pending) : "",
                                h(p, ts(p, now))));
    state_counts(p, vs, n, out, ctx);
    outs(out, ctx, "<table class=\"oa\" id=\"vhosts\"><thead><tr><th>virtual host</th>"
         "<th>verdict</th><th>staple</th><th>certificate</th><th>responder</th>"
         "<th>last probe</th></tr></thead><tbody>\n");
    /* errors first, then warnings, then the rest: readable at a glance with 1,000 rows */
    for (lvl = OA_LEVEL_ERROR; lvl >= OA_LEVEL_GOOD; lvl--) {
        for (i = 0; i < n; i++) {
            if ((int)vs[i].level == lvl && shown(&vs[i], view)) {
                html_row(p, &recs[i], &vs[i], now, view, out, ctx);
                listed++;
            }
        }
    }
    outs(out, ctx, "</tbody></table>\n");
    if (listed < n) {
        outs(out, ctx, apr_psprintf(p, "<p class=\"small\">%d of %d shown. "
                                    "<a href=\"?\">Show all</a>.</p>\n", listed, n));
    }
}

void oa_status_css(oa_out_fn *out, void *ctx)
{
    outs(out, ctx, "<style>\n" STATUS_CSS "</style>\n");
}

/* ------------------------------------------------------------------ ?auto */


/* one line per value: peers' bytes (a reason phrase, a URL) are escaped, never raw */
void oa_status_auto(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                    oa_out_fn *out, void *ctx)
{
    int i, count[3], stapled = 0;
    oa_verdict_t *vs = verdicts(p, recs, n, now, count);
    for (i = 0; i < n; i++) {
        stapled += !strcmp(recs[i].staple, "good");
    }
    outs(out, ctx, apr_psprintf(p, "OcspAuditVhosts: %d\nOcspAuditStapledGood: %d\n"
                                "OcspAuditGood: %d\nOcspAuditWarnings: %d\nOcspAuditErrors: %d\n",
                                n, stapled, count[0], count[1], count[2]));
    for (i = 0; i < n; i++) {
        const oa_status_rec_t *r = &recs[i];
        outs(out, ctx, apr_psprintf(p,
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
        outs(out, ctx, apr_psprintf(p, "OcspAudit[%d]Level: %s\nOcspAudit[%d]State: %s\n"
                                    "OcspAudit[%d]Reason: %s\nOcspAudit[%d]Fix: %s\n",
                                    i, oa_level_name(vs[i].level), i, oa_state_name(vs[i].state),
                                    i, oa_text_escape(p, vs[i].reason ? vs[i].reason : ""),
                                    i, oa_text_escape(p, vs[i].fix ? vs[i].fix : "")));
    }
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
    oa_json_t *j = oa_json_make(p, out, ctx, 1);
    int i, count[3];
    oa_verdict_t *vs = verdicts(p, recs, n, now, count);
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
        oa_json_obj_close(j);
        oa_json_obj_close(j);
    }
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    oa_json_end(j);
}
