/*
 * The status page as HTML: one row per vhost, problems first, the verdict in words and
 * colour on the cell at fault. No JavaScript. Written through a buffer in pieces, each
 * value escaped on its way in: a page of 10,000 vhosts is a few hundred writes.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "oa_outbuf.h"
#include "oa_status.h"

typedef oa_outbuf_t buf_t;

#define S(b, s) oa_outbuf_puts((b), (s))

/* s escaped for HTML text and attribute values */
static void H(buf_t *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *ent;
        switch (*s) {
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '&': ent = "&amp;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: continue;
        }
        oa_outbuf_put(b, run, (apr_size_t)(s - run));
        S(b, ent);
        run = s + 1;
    }
    oa_outbuf_put(b, run, (apr_size_t)(s - run));
}

static const char *ts(apr_pool_t *p, apr_time_t t)
{
    return t ? oa_time_str(p, t) : "";
}

/* "3d 4h", "2h 05m", "passed 12m ago" */
static const char *human_left(apr_pool_t *p, apr_time_t t, apr_time_t now)
{
    apr_int64_t s = (apr_int64_t)apr_time_sec(t - now);
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
static void when(buf_t *b, apr_pool_t *p, apr_time_t t, apr_time_t now)
{
    if (!t) {
        return;
    }
    S(b, "<span title=\"");
    H(b, oa_time_str(p, t));
    S(b, "\">");
    S(b, t <= now ? ago(p, t, now) : human_left(p, t, now));
    S(b, "</span>");
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

/* ------------------------------------------------------------------ the cells */

static void findings_links(buf_t *b, const oa_status_rec_t *r, const oa_status_view_t *view)
{
    const char *c = r->finding_ids;
    int first = 1;
    while (*c) {
        apr_size_t n = strcspn(c, " ");
        if (n) {
            char id[64];
            apr_cpystrn(id, c, n + 1 < sizeof(id) ? n + 1 : sizeof(id));
            S(b, first ? "<br><span class=\"small\">configuration findings: " : " ");
            first = 0;
            if (view && view->docs_url) {
                S(b, "<a href=\"");
                H(b, view->docs_url);
                H(b, id);
                S(b, ".md\">");
                H(b, id);
                S(b, "</a>");
            }
            else {
                H(b, id);
            }
        }
        c += n + (c[n] == ' ');
    }
    if (!first) {
        S(b, "</span>");
    }
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

static void td(buf_t *b, const char *cls)
{
    S(b, "<td class=\"");
    S(b, cls);
    S(b, "\">");
}

static void staple_cell(buf_t *b, apr_pool_t *p, const oa_status_rec_t *r, apr_time_t now,
                        const oa_verdict_t *v)
{
    td(b, r->checked_at ? staple_class(v->state) : "");
    H(b, r->staple);
    if (r->checked_at && strcmp(r->staple, "none")) {
        S(b, r->verified ? ", verified" : ", <b>not verified</b>");
    }
    if (r->next_update) {
        S(b, "<br><span class=\"small\">until ");
        H(b, ts(p, r->next_update));
        S(b, " (");
        H(b, human_left(p, r->next_update, now));
        S(b, ")</span>");
    }
    if (r->stop_at) {
        S(b, "<br><span class=\"bad\">stapling stops ");
        H(b, ts(p, r->stop_at));
        S(b, "</span>");
    }
    if (r->staple_not_asked) {
        S(b, "<br><span class=\"small\">not asked in the last probe: the responder is down, "
          "and asking would make mod_ssl wait on it</span>");
    }
    if (*r->probe_error) {
        S(b, "<br><span class=\"small\">");
        H(b, r->probe_error);
        S(b, "</span>");
    }
    S(b, "</td>");
}

static void cert_cell(buf_t *b, apr_pool_t *p, const oa_status_rec_t *r, apr_time_t now)
{
    int expired = r->cert_not_after && r->cert_not_after < now;
    int soon = r->cert_not_after && r->cert_not_after < now + apr_time_from_sec(14 * 86400);
    td(b, expired ? "bad" : (soon || r->chain == OA_CHAIN_NO_ISSUER) ? "warn" : "");
    if (r->cert_not_after) {
        S(b, expired ? "expired <span title=\"" : "expires <span title=\"");
        H(b, oa_time_str(p, r->cert_not_after));
        S(b, expired ? "\">" : "\">in ");
        H(b, expired ? ago(p, r->cert_not_after, now) : human_left(p, r->cert_not_after, now));
        S(b, "</span>");
    }
    else {
        S(b, "expiry not known");
    }
    if (r->must_staple) {
        S(b, "<br><b>Must-Staple</b>");
    }
    S(b, "<br>chain: ");
    S(b, r->chain ? oa_chain_name(r->chain) : "not probed yet");
    if (r->chain == OA_CHAIN_NO_ISSUER && strcmp(r->staple, "none")) {
        S(b, " <span class=\"small\">(the staple was checked with the configured issuer)"
          "</span>");
    }
    S(b, "</td>");
}

static void url_via(buf_t *b, const oa_status_rec_t *r)
{
    S(b, "<span class=\"small mono\">");
    H(b, r->responder_url);
    if (*r->responder_proxy) {
        S(b, " via ");
        H(b, r->responder_proxy);
    }
    S(b, "</span>");
}

static void responder_cell(buf_t *b, apr_pool_t *p, const oa_status_rec_t *r, apr_time_t now)
{
    if (!r->responder_checked) {
        td(b, "");
        S(b, "<span class=\"small\">not asked");
        if (*r->responder_url) {
            S(b, "<br>");
            H(b, r->responder_url);
        }
        S(b, "</span></td>");
        return;
    }
    if (r->responder_up) {
        td(b, "good");
        S(b, "<span class=\"good\">up</span> ");
        oa_outbuf_int(b, r->latency_ms);
        S(b, " ms, ");
        when(b, p, r->responder_checked_at, now);
    }
    else {
        td(b, "bad");
        S(b, "<span class=\"bad\">down</span> since ");
        H(b, ts(p, r->responder_down_since));
        S(b, "<br>");
        H(b, r->responder_error);
    }
    S(b, "<br>");
    url_via(b, r);
    S(b, "</td>");
}

/* the revocation path, coloured by how it stands */
static void revocation_cell(buf_t *b, apr_pool_t *p, const oa_status_rec_t *r,
                            const oa_verdict_t *v, apr_time_t now)
{
    static const struct {
        const char *words, *cls;
    } paths[] = {
        [OA_REVOCATION_UNKNOWN] = { "not known", "" },
        [OA_REVOCATION_STAPLE] = { "OCSP staple", "good" },
        [OA_REVOCATION_OCSP] = { "OCSP (clients ask the responder)", "" },
        [OA_REVOCATION_CRL_UNCHECKED] = { "CRL, not checked yet", "" },
        [OA_REVOCATION_CRL_FRESH] = { "CRL fresh", "good" },
        [OA_REVOCATION_CRL_STALE] = { "CRL stale", "warn" },
        [OA_REVOCATION_CRL_UNREACHABLE] = { "CRL unreachable", "warn" },
        [OA_REVOCATION_CRL_INVALID] = { "CRL invalid", "warn" },
        [OA_REVOCATION_REVOKED] = { "<b>revoked</b>", "bad" },
        [OA_REVOCATION_NONE] = { "none: no OCSP responder, no CRL", "warn" },
    };
    td(b, paths[v->revocation].cls);
    S(b, paths[v->revocation].words);
    if (!r->crl.checked) {
        if (*r->crl.url) {
            S(b, "<br><span class=\"small mono\">CRL ");
            H(b, r->crl.url);
            S(b, "</span>");
        }
        S(b, "</td>");
        return;
    }
    S(b, "<br><span class=\"small\">CRL ");
    S(b, oa_crl_verdict_name((oa_crl_verdict_e)r->crl.verdict));
    S(b, ": ");
    if (r->crl.next_update) {
        S(b, "next update ");
        when(b, p, r->crl.next_update, now);
    }
    else {
        H(b, r->crl.message);
    }
    S(b, ", checked ");
    when(b, p, r->crl.checked_at, now);
    S(b, "</span><br><span class=\"small mono\">");
    H(b, r->crl.url);
    S(b, "</span></td>");
}

static void html_row(buf_t *b, apr_pool_t *p, const oa_status_rec_t *r, const oa_verdict_t *v,
                     apr_time_t now, const oa_status_view_t *view)
{
    static const char *const cls[] = { "good", "warn", "bad" };
    const char *state = oa_state_name(v->state);
    S(b, "<tr class=\"");
    S(b, cls[v->level]);
    S(b, "\" data-vhost=\"");
    H(b, r->name);
    S(b, "\" data-state=\"");
    S(b, state);
    S(b, "\"><td><b>");
    H(b, r->name);
    S(b, "</b> <span class=\"small\">");
    H(b, r->aliases);
    S(b, "</span><br><span class=\"small\">");
    H(b, r->addresses);
    S(b, " &middot; ");
    H(b, r->file);
    S(b, ":");
    oa_outbuf_int(b, r->line);
    S(b, "</span></td>");
    td(b, cls[v->level]);
    S(b, "<span class=\"state\">");
    S(b, state);
    S(b, "</span> ");
    H(b, v->reason ? v->reason : "");
    if (v->fix) {
        S(b, "<br><span class=\"small\">fix: ");
        H(b, v->fix);
        S(b, "</span>");
    }
    findings_links(b, r, view);
    S(b, "</td>");
    staple_cell(b, p, r, now, v);
    cert_cell(b, p, r, now);
    responder_cell(b, p, r, now);
    revocation_cell(b, p, r, v, now);
    S(b, "<td>");
    if (r->checked_at) {
        when(b, p, r->checked_at, now);
    }
    else {
        S(b, "pending");
    }
    S(b, "</td></tr>\n");
}

/* ------------------------------------------------------------------ the page */

static int shown(const oa_verdict_t *v, const oa_status_view_t *view)
{
    return !view || ((view->level < 0 || (int)v->level == view->level)
                     && (view->state < 0 || (int)v->state == view->state));
}

/* "by state: stapled 3, at-risk 1, ..." with a link to each */
static void state_counts(buf_t *b, const oa_verdict_t *vs, int n)
{
    int counts[OA_STATE_UNKNOWN + 1] = { 0 }, i;
    S(b, "<p class=\"states small\">by state: ");
    for (i = 0; i < n; i++) {
        counts[vs[i].state]++;
    }
    for (i = 0; i <= OA_STATE_UNKNOWN; i++) {
        if (counts[i]) {
            S(b, "<a href=\"?state=");
            S(b, oa_state_name((oa_state_e)i));
            S(b, "\">");
            S(b, oa_state_name((oa_state_e)i));
            S(b, " ");
            oa_outbuf_int(b, counts[i]);
            S(b, "</a>");
        }
    }
    S(b, "<a href=\"?\">all</a></p>\n");
}

static void fragment(buf_t *b, apr_pool_t *p, const oa_status_rec_t *recs, int n,
                     apr_time_t now, const oa_status_view_t *view)
{
    int i, lvl, count[3], pending = 0, listed = 0;
    oa_verdict_t *vs = oa_status_verdicts(p, recs, n, now, count);
    apr_pool_t *row;

    for (i = 0; i < n; i++) {
        pending += !recs[i].checked_at;
    }
    S(b, apr_psprintf(p, "<p class=\"summary\" id=\"summary\">%d SSL virtual host%s: "
                      "<a class=\"good\" href=\"?level=good\">%d good</a>, "
                      "<a class=\"warn\" href=\"?level=warning\">%d warning%s</a>, "
                      "<a class=\"bad\" href=\"?level=error\">%d error%s</a>%s "
                      "<span class=\"small\">at ", n, n == 1 ? "" : "s", count[0], count[1],
                      count[1] == 1 ? "" : "s", count[2], count[2] == 1 ? "" : "s",
                      pending ? apr_psprintf(p, ", %d not probed yet", pending) : ""));
    H(b, ts(p, now));
    S(b, "</span></p>\n");
    state_counts(b, vs, n);
    S(b, "<table class=\"oa\" id=\"vhosts\"><thead><tr><th>virtual host</th>"
      "<th>verdict</th><th>staple</th><th>certificate</th><th>responder</th>"
      "<th>revocation</th><th>last probe</th></tr></thead><tbody>\n");
    /* errors first, then warnings, then the rest: readable at a glance with 1,000 rows;
     * what a row formats (its times) lives in a pool cleared after it */
    apr_pool_create(&row, p);
    for (lvl = OA_LEVEL_ERROR; lvl >= OA_LEVEL_GOOD; lvl--) {
        for (i = 0; i < n; i++) {
            if ((int)vs[i].level == lvl && shown(&vs[i], view)) {
                html_row(b, row, &recs[i], &vs[i], now, view);
                apr_pool_clear(row);
                listed++;
            }
        }
    }
    apr_pool_destroy(row);
    S(b, "</tbody></table>\n");
    if (listed < n) {
        S(b, apr_psprintf(p, "<p class=\"small\">%d of %d shown. "
                          "<a href=\"?\">Show all</a>.</p>\n", listed, n));
    }
}

void oa_status_html(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                    const oa_status_view_t *view, oa_out_fn *out, void *ctx)
{
    buf_t *b = oa_outbuf_make(p, out, ctx);
    S(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    if (view && view->refresh) {
        S(b, apr_psprintf(p, "<meta http-equiv=\"refresh\" content=\"%d\">", view->refresh));
    }
    S(b, "<title>OCSP stapling status</title>\n<style>\n"
      "body{font:13px/1.35 system-ui,sans-serif;margin:1em;color:#222}\n"
      "h1{font-size:18px;margin:0 0 .3em}\n"
      "p.summary{font-size:14px;margin:.2em 0 .3em}\n" STATUS_CSS
      "</style></head><body>\n<h1>OCSP stapling status</h1>\n");
    fragment(b, p, recs, n, now, view);
    S(b, "<p class=\"small\">Also as <a href=\"?auto\">?auto</a>, "
      "<a href=\"?json\">?json</a>, <a href=\"?prometheus\">?prometheus</a>. ");
    S(b, (view && view->refresh)
      ? apr_psprintf(p, "Reloads every %d s (<a href=\"?\">stop</a>).", view->refresh)
      : "<a href=\"?refresh=30\">Reload every 30 s</a>.");
    S(b, "</p>\n</body></html>\n");
    oa_outbuf_flush(b);
}

void oa_status_html_fragment(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                             const oa_status_view_t *view, oa_out_fn *out, void *ctx)
{
    buf_t *b = oa_outbuf_make(p, out, ctx);
    fragment(b, p, recs, n, now, view);
    oa_outbuf_flush(b);
}

void oa_status_css(oa_out_fn *out, void *ctx)
{
    static const char css[] = "<style>\n" STATUS_CSS "</style>\n";
    out(ctx, css, sizeof(css) - 1);
}
