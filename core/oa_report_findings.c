#include <string.h>

#include <apr_strings.h>

#include "oa_report.h"
#include "oa_report_findings.h"

static void outs(oa_out_fn *out, void *ctx, const char *s)
{
    out(ctx, s, strlen(s));
}

void oa_report_findings_text(apr_pool_t *p, const oa_audit_t *a, oa_out_fn *out, void *ctx)
{
    int i;
    for (i = 0; i < a->model->conf->diags->nelts; i++) {
        oa_report_diag_text(p, APR_ARRAY_IDX(a->model->conf->diags, i, const oa_diag_t *), out, ctx);
    }
    for (i = 0; i < a->findings->nelts; i++) {
        const oa_finding_t *f = APR_ARRAY_IDX(a->findings, i, const oa_finding_t *);
        const char *loc = f->d.line > 0 ? apr_psprintf(p, "%s:%d", f->d.file, f->d.line) : f->d.file;
        outs(out, ctx, apr_psprintf(p, "%s: %s: %s [%s %s]\n", loc, oa_severity_name(f->d.severity),
                                    f->d.message, f->rule->id, f->rule->slug));
        if (f->vh) {
            outs(out, ctx, apr_psprintf(p, "    vhost: %s\n", oa_vhost_label(p, f->vh)));
        }
        if (f->d.hint) {
            outs(out, ctx, apr_psprintf(p, "    fix: %s\n", f->d.hint));
        }
    }
}

void oa_report_predictions_text(apr_pool_t *p, const oa_audit_t *a, oa_out_fn *out, void *ctx)
{
    int i;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = APR_ARRAY_IDX(a->analyses, i, const oa_analysis_t *);
        outs(out, ctx, apr_psprintf(p, "stapling %-6s %s%s%s\n", an->stapling,
                                    oa_vhost_label(p, an->vh), an->why ? ": " : "",
                                    an->why ? an->why : ""));
    }
    outs(out, ctx, apr_psprintf(p, "startup: %s%s%s\n", a->startup,
                                a->startup_reason ? ": " : "",
                                a->startup_reason ? a->startup_reason : ""));
}

void oa_report_finding_members(oa_json_t *j, const oa_finding_t *f)
{
    oa_json_str(j, "rule", f->rule->id);
    oa_json_str(j, "slug", f->rule->slug);
    oa_json_str(j, "severity", oa_severity_name(f->d.severity));
    oa_json_str(j, "file", f->d.file);
    oa_json_int(j, "line", f->d.line);
    if (f->vh) {
        oa_json_str(j, "vhost", *f->vh->name ? f->vh->name : NULL);
        oa_json_int(j, "vhost_index", f->vh->index);
    }
    else {
        oa_json_null(j, "vhost");
    }
    oa_json_str(j, "message", f->d.message);
    oa_json_str(j, "hint", f->d.hint);
    oa_json_bool(j, "startup_fails", f->fatal_startup);
}

static void cert_json(apr_pool_t *p, oa_json_t *j, const oa_certinfo_t *ci)
{
    oa_json_obj_open(j, NULL);
    oa_json_str(j, "file", ci->cert_path);
    if (ci->leaf) {
        oa_json_str(j, "subject", oa_x509_subject(p, ci->leaf));
        oa_json_str(j, "issuer", oa_x509_issuer_name(p, ci->leaf));
        oa_json_str(j, "not_before", oa_time_str(p, oa_x509_not_before(ci->leaf)));
        oa_json_str(j, "not_after", oa_time_str(p, oa_x509_not_after(ci->leaf)));
        oa_json_str(j, "ocsp_url", ci->ocsp_url);
        oa_json_bool(j, "crl_distribution_point", oa_x509_has_crldp(ci->leaf));
        oa_json_bool(j, "must_staple", ci->must_staple);
        oa_json_str(j, "issuer_found_in", ci->issuer_from && ci->issuer ? ci->issuer_from : NULL);
        oa_json_int(j, "chain_length", sk_X509_num(ci->chain));
        oa_json_str(j, "responder_url", ci->url);
    }
    else {
        oa_json_str(j, "error", ci->cert_file->error ? ci->cert_file->error : "no certificate");
    }
    oa_json_str(j, "stapling", ci->stapling);
    oa_json_str(j, "reason", ci->why);
    oa_json_obj_close(j);
}

void oa_report_parse_error_json(apr_pool_t *p, const oa_conf_t *conf, const oa_diag_t *err,
                                const oa_report_opts_t *o, oa_out_fn *out, void *ctx)
{
    oa_json_t *j = oa_json_make(p, out, ctx, 1);
    oa_json_obj_open(j, NULL);
    oa_json_str(j, "version", o->tool_version);
    oa_json_str(j, "config", conf ? conf->config_file : NULL);
    oa_json_str(j, "server_root", conf ? conf->server_root : NULL);
    oa_json_str(j, "startup", "fails");
    oa_json_str(j, "startup_reason", apr_psprintf(p, "%s:%d: %s", err->file ? err->file : "",
                                                  err->line, err->message));
    oa_json_obj_open(j, "parse_error");
    oa_json_str(j, "severity", oa_severity_name(err->severity));
    oa_json_str(j, "file", err->file);
    oa_json_int(j, "line", err->line);
    oa_json_str(j, "message", err->message);
    if (err->hint) {
        oa_json_str(j, "hint", err->hint);
    }
    oa_json_obj_close(j);
    oa_json_obj_open(j, "summary");
    oa_json_int(j, "errors", 1);
    oa_json_int(j, "warnings", 0);
    oa_json_int(j, "notes", 0);
    oa_json_int(j, "suppressed", 0);
    oa_json_int(j, "vhosts", 0);
    oa_json_int(j, "ssl_vhosts", 0);
    oa_json_obj_close(j);
    oa_json_arr_open(j, "findings");
    oa_json_arr_close(j);
    oa_json_arr_open(j, "vhosts");
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    oa_json_end(j);
}

void oa_report_findings_json(apr_pool_t *p, const oa_audit_t *a, const oa_report_opts_t *o,
                             oa_out_fn *out, void *ctx)
{
    oa_json_t *j = oa_json_make(p, out, ctx, 1);
    int i, k, count[3] = { 0, 0, 0 };

    for (i = 0; i < a->findings->nelts; i++) {
        count[APR_ARRAY_IDX(a->findings, i, const oa_finding_t *)->d.severity]++;
    }
    oa_json_obj_open(j, NULL);
    oa_json_str(j, "version", o->tool_version);
    oa_json_str(j, "config", a->model->conf->config_file);
    oa_json_str(j, "server_root", a->model->conf->server_root);
    oa_json_str(j, "startup", a->startup);
    oa_json_str(j, "startup_reason", a->startup_reason);
    oa_json_obj_open(j, "summary");
    oa_json_int(j, "errors", count[OA_SEV_ERROR]);
    oa_json_int(j, "warnings", count[OA_SEV_WARNING]);
    oa_json_int(j, "notes", count[OA_SEV_NOTE]);
    oa_json_int(j, "suppressed", a->suppressed);
    oa_json_int(j, "vhosts", a->model->vhosts->nelts - 1);
    oa_json_int(j, "ssl_vhosts", a->analyses->nelts);
    oa_json_obj_close(j);
    oa_json_arr_open(j, "findings");
    for (i = 0; i < a->findings->nelts; i++) {
        oa_json_obj_open(j, NULL);
        oa_report_finding_members(j, APR_ARRAY_IDX(a->findings, i, const oa_finding_t *));
        oa_json_obj_close(j);
    }
    oa_json_arr_close(j);
    oa_json_arr_open(j, "vhosts");
    for (i = 0; i < a->model->vhosts->nelts; i++) {
        const oa_vhost_t *vh = APR_ARRAY_IDX(a->model->vhosts, i, const oa_vhost_t *);
        const oa_analysis_t *an = NULL;
        for (k = 0; k < a->analyses->nelts; k++) {
            if (APR_ARRAY_IDX(a->analyses, k, const oa_analysis_t *)->vh == vh) {
                an = APR_ARRAY_IDX(a->analyses, k, const oa_analysis_t *);
            }
        }
        if (!an) {
            continue;   /* the vocabulary is about SSL vhosts */
        }
        oa_json_obj_open(j, NULL);
        oa_report_vhost_members(j, vh);
        oa_json_str(j, "stapling", an->stapling);
        oa_json_str(j, "stapling_reason", an->why);
        oa_json_str(j, "stapling_by", an->md_staples ? "mod_md" : an->stapling_on ? "mod_ssl" : NULL);
        oa_json_arr_open(j, "certificates");
        for (k = 0; k < an->certs->nelts; k++) {
            cert_json(p, j, APR_ARRAY_IDX(an->certs, k, const oa_certinfo_t *));
        }
        oa_json_arr_close(j);
        oa_json_arr_open(j, "findings");
        for (k = 0; k < an->findings->nelts; k++) {
            oa_json_str(j, NULL, APR_ARRAY_IDX(an->findings, k, const oa_finding_t *)->rule->id);
        }
        oa_json_arr_close(j);
        oa_json_obj_close(j);
    }
    oa_json_arr_close(j);
    oa_json_arr_open(j, "diagnostics");
    for (i = 0; i < a->model->conf->diags->nelts; i++) {
        oa_report_diag_json(j, APR_ARRAY_IDX(a->model->conf->diags, i, const oa_diag_t *));
    }
    oa_json_arr_close(j);
    if (o->extra) {
        o->extra(j, o->extra_ctx);
    }
    oa_json_obj_close(j);
    oa_json_end(j);
}

/* SARIF levels: error, warning, note */
static const char *sarif_level(oa_severity_e s)
{
    return s == OA_SEV_ERROR ? "error" : s == OA_SEV_WARNING ? "warning" : "note";
}

static const char *file_uri(apr_pool_t *p, const char *path)
{
    /* absolute paths as file URIs; percent-encode what a URI cannot hold */
    const char *s;
    char *out = apr_palloc(p, strlen(path) * 3 + 8), *o = out;
    memcpy(o, "file://", 7);
    o += 7;
    for (s = path; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || strchr("/-._~", c)) {
            *o++ = (char)c;
        }
        else {
            o += apr_snprintf(o, 4, "%%%02X", c);
        }
    }
    *o = '\0';
    return out;
}

void oa_report_findings_sarif(apr_pool_t *p, const oa_audit_t *a, const oa_report_opts_t *o,
                              oa_out_fn *out, void *ctx)
{
    oa_json_t *j = oa_json_make(p, out, ctx, 1);
    const oa_rule_t *const *rules = oa_rules();
    int i, n;

    oa_json_obj_open(j, NULL);
    oa_json_str(j, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    oa_json_str(j, "version", "2.1.0");
    oa_json_arr_open(j, "runs");
    oa_json_obj_open(j, NULL);
    oa_json_obj_open(j, "tool");
    oa_json_obj_open(j, "driver");
    oa_json_str(j, "name", "ocsp-lint");
    oa_json_str(j, "version", o->tool_version);
    oa_json_str(j, "semanticVersion", o->tool_version);
    if (o->docs_uri) {
        oa_json_str(j, "informationUri", o->docs_uri);
    }
    oa_json_arr_open(j, "rules");
    for (n = 0; rules[n]; n++) {
        oa_json_obj_open(j, NULL);
        oa_json_str(j, "id", rules[n]->id);
        oa_json_str(j, "name", rules[n]->slug);
        oa_json_obj_open(j, "shortDescription");
        oa_json_str(j, "text", rules[n]->summary);
        oa_json_obj_close(j);
        if (o->docs_uri) {
            oa_json_str(j, "helpUri", apr_pstrcat(p, o->docs_uri, rules[n]->id, ".md", NULL));
        }
        oa_json_obj_open(j, "help");
        oa_json_str(j, "text", apr_psprintf(p, "%s. See ocsp-lint --explain %s.", rules[n]->summary,
                                           rules[n]->id));
        oa_json_obj_close(j);
        oa_json_obj_open(j, "defaultConfiguration");
        oa_json_str(j, "level", sarif_level(rules[n]->severity));
        oa_json_obj_close(j);
        oa_json_obj_close(j);
    }
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    oa_json_obj_close(j);
    oa_json_arr_open(j, "results");
    for (i = 0; i < a->findings->nelts; i++) {
        const oa_finding_t *f = APR_ARRAY_IDX(a->findings, i, const oa_finding_t *);
        for (n = 0; rules[n] && rules[n] != f->rule; n++) {
        }
        oa_json_obj_open(j, NULL);
        oa_json_str(j, "ruleId", f->rule->id);
        oa_json_int(j, "ruleIndex", n);
        oa_json_str(j, "level", sarif_level(f->d.severity));
        oa_json_obj_open(j, "message");
        oa_json_str(j, "text", f->d.hint ? apr_pstrcat(p, f->d.message, ". Fix: ", f->d.hint, NULL)
                                         : f->d.message);
        oa_json_obj_close(j);
        oa_json_arr_open(j, "locations");
        oa_json_obj_open(j, NULL);
        oa_json_obj_open(j, "physicalLocation");
        oa_json_obj_open(j, "artifactLocation");
        oa_json_str(j, "uri", file_uri(p, f->d.file ? f->d.file : a->model->conf->config_file));
        oa_json_obj_close(j);
        if (f->d.line > 0) {
            oa_json_obj_open(j, "region");
            oa_json_int(j, "startLine", f->d.line);
            oa_json_obj_close(j);
        }
        oa_json_obj_close(j);
        oa_json_obj_close(j);
        oa_json_arr_close(j);
        if (f->vh) {
            oa_json_obj_open(j, "properties");
            oa_json_str(j, "vhost", oa_vhost_label(p, f->vh));
            oa_json_bool(j, "startupFails", f->fatal_startup);
            oa_json_obj_close(j);
        }
        oa_json_obj_close(j);
    }
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    oa_json_end(j);
}
