#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "oa_status.h"
#include "oa_text.h"

#define HOUR APR_TIME_C(3600000000)

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

void oa_status_update(oa_status_rec_t *rec, const oa_tls_probe_t *tls,
                      const oa_responder_check_t *resp, apr_time_t now)
{
    if (tls) {
        rec->checked_at = now;
        oa_status_strcpy(rec->probe_error, sizeof(rec->probe_error), tls->error);
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
        oa_status_strcpy(rec->responder_url, sizeof(rec->responder_url), resp->url);
        rec->latency_ms = (int)apr_time_as_msec(resp->t_response);
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
            apr_snprintf(rec->responder_error, sizeof(rec->responder_error), "%s%s%s",
                         resp->verdict, resp->message ? ": " : "", resp->message ? resp->message : "");
        }
    }
    /* with the responder down, the cached staple is all clients get, until nextUpdate */
    rec->stop_at = (rec->responder_checked && !rec->responder_up && rec->next_update
                    && !strcmp(rec->staple, "good")) ? rec->next_update : 0;
}

int oa_status_level(const oa_status_rec_t *r, apr_time_t now)
{
    if (!strcmp(r->config_stapling, OA_STAPLING_FATAL) || r->findings[OA_SEV_ERROR]
        || !strcmp(r->staple, "revoked") || !strcmp(r->staple, "error")
        || (r->checked_at && !strcmp(r->staple, "none")
            && strcmp(r->config_stapling, OA_STAPLING_OFF))
        || (r->stop_at && r->stop_at < now + HOUR)) {
        return 2;
    }
    if (!strcmp(r->config_stapling, OA_STAPLING_BROKEN) || r->findings[OA_SEV_WARNING]
        || (r->responder_checked && !r->responder_up) || !strcmp(r->staple, "trylater")
        || !strcmp(r->staple, "unknown") || (r->checked_at && strcmp(r->staple, "none")
                                              && !r->verified)) {
        return 1;
    }
    return 0;
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
    "table.oa th,table.oa td{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left;" \
    "vertical-align:top}\n" \
    "table.oa th{background:#f3f3f3;position:sticky;top:0}\n" \
    "tr.good td.state{background:#d9f2d9} tr.warn td.state{background:#fff0c2}\n" \
    "tr.bad td.state{background:#f8d0d0}\n" \
    ".small{color:#666;font-size:11px} .mono{font-family:ui-monospace,monospace}\n" \
    "span.good{color:#17701c} span.warn{color:#8a6100} span.bad{color:#b00020}\n"

void oa_status_html(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                    oa_out_fn *out, void *ctx)
{
    outs(out, ctx, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<title>OCSP stapling status</title>\n<style>\n"
         "body{font:13px/1.35 system-ui,sans-serif;margin:1em;color:#222}\n"
         "h1{font-size:18px;margin:0 0 .3em}\n"
         "p.summary{font-size:14px;margin:.2em 0 .8em}\n" STATUS_CSS
         "</style></head><body>\n<h1>OCSP stapling status</h1>\n");
    oa_status_html_fragment(p, recs, n, now, out, ctx);
    outs(out, ctx, "<p class=\"small\">Also as <a href=\"?auto\">?auto</a>, "
         "<a href=\"?json\">?json</a>, <a href=\"?prometheus\">?prometheus</a>.</p>\n"
         "</body></html>\n");
}

void oa_status_html_fragment(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                             oa_out_fn *out, void *ctx)
{
    static const char *const cls[] = { "good", "warn", "bad" };
    int i, lvl, count[3] = { 0, 0, 0 }, pending = 0;

    for (i = 0; i < n; i++) {
        count[oa_status_level(&recs[i], now)]++;
        pending += !recs[i].checked_at;
    }
    outs(out, ctx, apr_psprintf(p, "<p class=\"summary\" id=\"summary\">%d SSL virtual host%s: "
                                "<span class=\"good\">%d good</span>, "
                                "<span class=\"warn\">%d warning%s</span>, "
                                "<span class=\"bad\">%d error%s</span>%s "
                                "<span class=\"small\">at %s</span></p>\n",
                                n, n == 1 ? "" : "s", count[0], count[1], count[1] == 1 ? "" : "s",
                                count[2], count[2] == 1 ? "" : "s",
                                pending ? apr_psprintf(p, ", %d not probed yet", pending) : "",
                                h(p, ts(p, now))));
    outs(out, ctx, "<table class=\"oa\" id=\"vhosts\"><thead><tr><th>virtual host</th><th>config</th>"
         "<th>staple</th><th>thisUpdate</th><th>nextUpdate</th><th>left</th>"
         "<th>responder</th><th>last probe</th></tr></thead><tbody>\n");
    /* errors first, then warnings, then the rest: readable at a glance with 500 rows */
    for (lvl = 2; lvl >= 0; lvl--) {
        for (i = 0; i < n; i++) {
            const oa_status_rec_t *r = &recs[i];
            const char *resp;
            if (oa_status_level(r, now) != lvl) {
                continue;
            }
            if (!r->responder_checked) {
                resp = "<span class=\"small\">not checked</span>";
            }
            else if (r->responder_up) {
                resp = apr_psprintf(p, "<span class=\"good\">up</span> %d ms<br>"
                                    "<span class=\"small mono\">%s</span>", r->latency_ms,
                                    h(p, r->responder_url));
            }
            else {
                resp = apr_psprintf(p, "<span class=\"bad\">down</span> since %s<br>%s<br>"
                                    "<span class=\"small mono\">%s</span>",
                                    h(p, ts(p, r->responder_down_since)), h(p, r->responder_error),
                                    h(p, r->responder_url));
            }
            outs(out, ctx, apr_psprintf(p,
                "<tr class=\"%s\" data-vhost=\"%s\"><td><b>%s</b> <span class=\"small\">%s</span>"
                "<br><span class=\"small\">%s &middot; %s:%d</span></td>"
                "<td class=\"state\">%s%s%s%s</td>"
                "<td class=\"state\">%s%s%s%s</td><td>%s</td><td>%s</td><td>%s%s%s</td>"
                "<td>%s</td><td>%s</td></tr>\n",
                cls[lvl], h(p, r->name), h(p, r->name), h(p, r->aliases), h(p, r->addresses),
                h(p, r->file), r->line, h(p, r->config_stapling),
                *r->finding_ids ? " <span class=\"small\">" : "", h(p, r->finding_ids),
                *r->finding_ids ? "</span>" : "",
                h(p, r->staple), r->checked_at && strcmp(r->staple, "none")
                                 ? (r->verified ? ", verified" : ", <b>not verified</b>") : "",
                *r->probe_error ? "<br><span class=\"small\">" : "",
                *r->probe_error ? apr_pstrcat(p, h(p, r->probe_error), "</span>", NULL) : "",
                h(p, ts(p, r->this_update)), h(p, ts(p, r->next_update)),
                h(p, human_left(p, r->next_update, now)),
                r->stop_at ? "<br><span class=\"bad\">stapling stops " : "",
                r->stop_at ? apr_pstrcat(p, h(p, ts(p, r->stop_at)), "</span>", NULL) : "",
                resp, r->checked_at ? h(p, ts(p, r->checked_at)) : "pending"));
        }
    }
    outs(out, ctx, "</tbody></table>\n");
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
    int i, count[3] = { 0, 0, 0 }, stapled = 0;
    for (i = 0; i < n; i++) {
        count[oa_status_level(&recs[i], now)]++;
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
            "OcspAudit[%d]ResponderError: %s\nOcspAudit[%d]StaplingStopsAt: %s\n",
            i, oa_text_escape(p, r->name), i, oa_text_escape(p, r->addresses),
            i, oa_text_escape(p, r->config_stapling), i, oa_text_escape(p, r->finding_ids),
            i, oa_text_escape(p, r->staple), i, r->verified, i, ts(p, r->this_update),
            i, ts(p, r->next_update),
            i, r->next_update ? apr_psprintf(p, "%" APR_INT64_T_FMT, left(r->next_update, now)) : "",
            i, ts(p, r->checked_at),
            i, r->responder_checked ? (r->responder_up ? "1" : "0") : "",
            i, r->responder_checked ? apr_itoa(p, r->latency_ms) : "",
            i, oa_text_escape(p, r->responder_error),
            i, ts(p, r->stop_at)));
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

void oa_status_json(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                    oa_out_fn *out, void *ctx)
{
    oa_json_t *j = oa_json_make(p, out, ctx, 1);
    int i, count[3] = { 0, 0, 0 };
    for (i = 0; i < n; i++) {
        count[oa_status_level(&recs[i], now)]++;
    }
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
        static const char *const lv[] = { "good", "warning", "error" };
        oa_json_obj_open(j, NULL);
        oa_json_str(j, "name", r->name);
        jwords(j, p, "aliases", r->aliases);
        jwords(j, p, "addresses", r->addresses);
        oa_json_str(j, "file", r->file);
        oa_json_int(j, "line", r->line);
        oa_json_str(j, "level", lv[oa_status_level(r, now)]);
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
        oa_json_obj_open(j, "responder");
        oa_json_str(j, "url", *r->responder_url ? r->responder_url : NULL);
        if (r->responder_checked) {
            oa_json_bool(j, "reachable", r->responder_up);
            oa_json_int(j, "latency_ms", r->latency_ms);
        }
        else {
            oa_json_null(j, "reachable");
            oa_json_null(j, "latency_ms");
        }
        oa_json_str(j, "error", *r->responder_error ? r->responder_error : NULL);
        jtime(j, p, "down_since", r->responder_down_since);
        oa_json_obj_close(j);
        oa_json_obj_close(j);
        oa_json_obj_close(j);
    }
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    oa_json_end(j);
}

/* ------------------------------------------------------------------ ?prometheus */

/* a label value: UTF-8 with \\, \" and \n escaped, as the exposition format wants; bytes
 * that are not UTF-8 (a truncated record, a peer's bytes) become U+FFFD and other control
 * characters the text \\xHH (an escaped backslash): a scrape never breaks on them */
static const char *label(apr_pool_t *p, const char *s)
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

void oa_status_prometheus(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                          oa_out_fn *out, void *ctx)
{
    static const char *const statuses[] = { "good", "revoked", "unknown", "trylater", "none",
                                            "error", "pending", NULL };
    static const char *const sev[] = { "note", "warning", "error" };
    const char **lbl = apr_palloc(p, sizeof(*lbl) * (apr_size_t)(n ? n : 1));
    int i, k;

    for (i = 0; i < n; i++) {
        lbl[i] = apr_psprintf(p, "vhost=\"%s\",addresses=\"%s\",index=\"%d\"",
                              label(p, recs[i].name), label(p, recs[i].addresses), i);
    }
#define FAMILY(name, help) \
    outs(out, ctx, "# HELP " name " " help "\n# TYPE " name " gauge\n")
    FAMILY("ocsp_audit_staple_present", "1 when the last probe of the vhost got a staple.");
    for (i = 0; i < n; i++) {
        int present = recs[i].checked_at && strcmp(recs[i].staple, "none")
                      && strcmp(recs[i].staple, "error") && strcmp(recs[i].staple, "pending");
        outs(out, ctx, apr_psprintf(p, "ocsp_audit_staple_present{%s} %d\n", lbl[i], present));
    }
    FAMILY("ocsp_audit_staple_status", "1 for the status the last staple gave (good, revoked, "
           "unknown, trylater, none, error, pending), 0 for the others.");
    for (i = 0; i < n; i++) {
        for (k = 0; statuses[k]; k++) {
            outs(out, ctx, apr_psprintf(p, "ocsp_audit_staple_status{%s,status=\"%s\"} %d\n",
                                        lbl[i], statuses[k], !strcmp(recs[i].staple, statuses[k])));
        }
    }
    FAMILY("ocsp_audit_staple_verified", "1 when the staple's signature and signer check out.");
    for (i = 0; i < n; i++) {
        outs(out, ctx, apr_psprintf(p, "ocsp_audit_staple_verified{%s} %d\n", lbl[i],
                                    recs[i].verified));
    }
    FAMILY("ocsp_audit_staple_next_update_seconds", "Seconds until the staple's nextUpdate "
           "(negative once passed).");
    for (i = 0; i < n; i++) {
        if (recs[i].next_update) {
            outs(out, ctx, apr_psprintf(p, "ocsp_audit_staple_next_update_seconds{%s} %"
                                        APR_INT64_T_FMT "\n",
                                        lbl[i], left(recs[i].next_update, now)));
        }
    }
    FAMILY("ocsp_audit_responder_up", "1 when the OCSP responder answered the last check.");
    for (i = 0; i < n; i++) {
        if (recs[i].responder_checked) {
            outs(out, ctx, apr_psprintf(p, "ocsp_audit_responder_up{%s,url=\"%s\"} %d\n", lbl[i],
                                        label(p, recs[i].responder_url), recs[i].responder_up));
        }
    }
    FAMILY("ocsp_audit_responder_latency_seconds", "Time the responder took to answer.");
    for (i = 0; i < n; i++) {
        if (recs[i].responder_checked && recs[i].responder_up) {
            outs(out, ctx, apr_psprintf(p, "ocsp_audit_responder_latency_seconds{%s} %d.%03d\n",
                                        lbl[i], recs[i].latency_ms / 1000,
                                        recs[i].latency_ms % 1000));
        }
    }
    FAMILY("ocsp_audit_config_findings", "Configuration findings of the vhost by severity.");
    for (i = 0; i < n; i++) {
        for (k = 2; k >= 0; k--) {
            outs(out, ctx, apr_psprintf(p, "ocsp_audit_config_findings{%s,severity=\"%s\"} %d\n",
                                        lbl[i], sev[k], recs[i].findings[k]));
        }
    }
    FAMILY("ocsp_audit_last_probe_timestamp_seconds", "When the vhost was last probed.");
    for (i = 0; i < n; i++) {
        if (recs[i].checked_at) {
            outs(out, ctx, apr_psprintf(p, "ocsp_audit_last_probe_timestamp_seconds{%s} %"
                                        APR_TIME_T_FMT "\n", lbl[i],
                                        apr_time_sec(recs[i].checked_at)));
        }
    }
    FAMILY("ocsp_audit_stapling_stop_timestamp_seconds", "When stapling stops if the responder "
           "stays down (the cached staple's nextUpdate).");
    for (i = 0; i < n; i++) {
        if (recs[i].stop_at) {
            outs(out, ctx, apr_psprintf(p, "ocsp_audit_stapling_stop_timestamp_seconds{%s} %"
                                        APR_TIME_T_FMT "\n", lbl[i], apr_time_sec(recs[i].stop_at)));
        }
    }
#undef FAMILY
}
