#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "oa_report.h"
#include "oa_report_findings.h"
#include "oa_report_verdicts.h"
#include "oa_verdict.h"
#include "oa_text.h"

static void outs(oa_out_fn *out, void *ctx, const char *s)
{
    out(ctx, s, strlen(s));
}

static void finding_text(apr_pool_t *tmp, const oa_finding_t *f, oa_out_fn *out, void *ctx)
{
    const char *loc = f->d.line > 0 ? apr_psprintf(tmp, "%s:%d", f->d.file, f->d.line)
                                    : f->d.file;
    /* messages quote certificate contents (URLs, names): escaped for the terminal */
    outs(out, ctx, apr_psprintf(tmp, "%s: %s%s: %s [%s %s]\n", oa_text_escape(tmp, loc),
                                oa_severity_name(f->d.severity),
                                f->suppressed ? " (suppressed)" : "",
                                oa_text_escape(tmp, f->d.message), f->rule->id, f->rule->slug));
    if (f->vh) {
        outs(out, ctx, apr_psprintf(tmp, "    vhost: %s\n",
                                    oa_text_escape(tmp, oa_vhost_label(tmp, f->vh))));
    }
    if (f->d.hint) {
        outs(out, ctx, apr_psprintf(tmp, "    fix: %s\n", oa_text_escape(tmp, f->d.hint)));
    }
}

/* the findings silenced by comments, when asked (--show-suppressed) */
static const apr_array_header_t *shown_silenced(const oa_audit_t *a)
{
    return a->opts && a->opts->show_suppressed ? a->silenced : NULL;
}

void oa_report_findings_text(apr_pool_t *p, const oa_audit_t *a, oa_out_fn *out, void *ctx)
{
    const apr_array_header_t *silenced = shown_silenced(a);
    apr_pool_t *tmp;
    int i;
    /* the lines are scratch: a pool cleared per finding, not 500 bytes each kept */
    apr_pool_create(&tmp, p);
    for (i = 0; i < a->model->conf->diags->nelts; i++) {
        oa_report_diag_text(tmp, APR_ARRAY_IDX(a->model->conf->diags, i, const oa_diag_t *), out, ctx);
    }
    for (i = 0; i < a->findings->nelts; i++) {
        apr_pool_clear(tmp);
        finding_text(tmp, APR_ARRAY_IDX(a->findings, i, const oa_finding_t *), out, ctx);
    }
    for (i = 0; silenced && i < silenced->nelts; i++) {
        apr_pool_clear(tmp);
        finding_text(tmp, APR_ARRAY_IDX(silenced, i, const oa_finding_t *), out, ctx);
    }
    for (i = 0; i < a->skipped->nelts; i++) {
        const oa_skip_t *sk = APR_ARRAY_IDX(a->skipped, i, const oa_skip_t *);
        const char *loc = sk->d.line > 0 ? apr_psprintf(tmp, "%s:%d", sk->d.file, sk->d.line)
                                         : sk->d.file;
        outs(out, ctx, apr_psprintf(tmp, "%s: skipped: %s\n", loc, sk->d.message));
        if (sk->d.hint) {
            outs(out, ctx, apr_psprintf(tmp, "    hint: %s\n", sk->d.hint));
        }
    }
    apr_pool_destroy(tmp);
}

void oa_report_skip_members(oa_json_t *j, const oa_skip_t *sk)
{
    int i;
    oa_json_str(j, "file", sk->d.file);
    oa_json_int(j, "line", sk->d.line);
    oa_json_str(j, "directive", sk->directive);
    oa_json_str(j, "path", sk->path);
    oa_json_str(j, "reason", oa_file_state_name(sk->state));
    oa_json_arr_open(j, "rules");
    for (i = 0; i < sk->rules->nelts; i++) {
        oa_json_str(j, NULL, APR_ARRAY_IDX(sk->rules, i, const oa_rule_t *)->id);
    }
    oa_json_arr_close(j);
    if (sk->vh) {
        oa_json_str(j, "vhost", *sk->vh->name ? sk->vh->name : NULL);
        oa_json_int(j, "vhost_index", sk->vh->index);
    }
    else {
        oa_json_null(j, "vhost");
    }
    oa_json_str(j, "message", sk->d.message);
    oa_json_str(j, "hint", sk->d.hint);
}

void oa_report_predictions_text(apr_pool_t *p, const oa_audit_t *a, oa_out_fn *out, void *ctx)
{
    int i;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = APR_ARRAY_IDX(a->analyses, i, const oa_analysis_t *);
        oa_verdict_t v;
        outs(out, ctx, apr_psprintf(p, "stapling %-6s %s%s%s\n", an->stapling,
                                    oa_text_escape(p, oa_vhost_label(p, an->vh)),
                                    an->why ? ": " : "", oa_text_escape(p, an->why)));
        /* the vhost's verdict, in the words of the probe and the status page */
        oa_verdict_of_analysis(&v, p, an, a->now);
        oa_report_verdict_text(p, &v, "", "", out, ctx);
    }
    outs(out, ctx, apr_psprintf(p, "startup: %s%s%s\n", a->startup,
                                a->startup_reason ? ": " : "",
                                oa_text_escape(p, a->startup_reason)));
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

/* What the JSON says of a certificate itself: the same for every vhost serving it, so
 * made once per certificate (X509_NAME_print_ex and the times were a tenth of the run) */
typedef struct {
    const char *subject, *issuer, *not_before, *not_after;
    int crldp;
} cert_facts_t;

static const cert_facts_t *cert_facts(apr_pool_t *p, apr_hash_t *cache, X509 *x)
{
    cert_facts_t *cf = apr_hash_get(cache, &x, sizeof(x));
    X509 **key;
    if (cf) {
        return cf;
    }
    cf = apr_palloc(p, sizeof(*cf));
    cf->subject = oa_x509_subject(p, x);
    cf->issuer = oa_x509_issuer_name(p, x);
    {
        apr_time_t t;
        cf->not_before = oa_x509_not_before(&t, x) ? oa_time_str(p, t) : NULL;
        cf->not_after = oa_x509_not_after(&t, x) ? oa_time_str(p, t) : NULL;
    }
    cf->crldp = oa_x509_has_crldp(x);
    key = apr_palloc(p, sizeof(*key));
    *key = x;
    apr_hash_set(cache, key, sizeof(*key), cf);
    return cf;
}

static void cert_json(apr_pool_t *p, apr_hash_t *cache, oa_json_t *j, const oa_certinfo_t *ci)
{
    oa_json_obj_open(j, NULL);
    oa_json_str(j, "file", ci->cert_path);
    if (ci->leaf) {
        const cert_facts_t *cf = cert_facts(p, cache, ci->leaf);
        oa_json_str(j, "subject", cf->subject);
        oa_json_str(j, "issuer", cf->issuer);
        oa_json_str(j, "not_before", cf->not_before);
        oa_json_str(j, "not_after", cf->not_after);
        oa_json_str(j, "ocsp_url", ci->ocsp_url);
        oa_json_bool(j, "crl_distribution_point", cf->crldp);
        oa_json_bool(j, "must_staple", ci->must_staple);
        oa_json_str(j, "issuer_found_in", ci->issuer_from && ci->issuer ? ci->issuer_from : NULL);
        oa_json_int(j, "chain_length", sk_X509_num(ci->chain));
        oa_json_str(j, "responder_url", ci->url);
    }
    else {
        oa_json_str(j, "error", ci->cert_file->error ? ci->cert_file->error : "no certificate");
        oa_json_str(j, "file_state", oa_file_state_name(ci->cert_file->state));
    }
    oa_json_str(j, "stapling", ci->stapling);
    oa_json_str(j, "reason", ci->why);
    oa_json_obj_close(j);
}

void oa_report_findings_json(apr_pool_t *p, const oa_audit_t *a, const oa_report_opts_t *o,
                             oa_out_fn *out, void *ctx)
{
    oa_json_t *j = oa_json_make(p, out, ctx, 1);
    apr_array_header_t *fps;
    apr_hash_t *facts = apr_hash_make(p);
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
    oa_json_int(j, "skipped", a->skipped->nelts);
    oa_json_int(j, "baselined", a->baselined);
    oa_json_int(j, "vhosts", a->model->vhosts->nelts - 1);
    oa_json_int(j, "ssl_vhosts", a->analyses->nelts);
    oa_json_obj_close(j);
    oa_json_null(j, "error");
    fps = oa_report_fingerprints(p, a->findings, o->srcroot);
    oa_json_arr_open(j, "findings");
    for (i = 0; i < a->findings->nelts; i++) {
        oa_json_obj_open(j, NULL);
        oa_report_finding_members(j, APR_ARRAY_IDX(a->findings, i, const oa_finding_t *));
        oa_json_str(j, "fingerprint", APR_ARRAY_IDX(fps, i, const char *));
        oa_json_obj_close(j);
    }
    oa_json_arr_close(j);
    if (shown_silenced(a)) {
        fps = oa_report_fingerprints(p, a->silenced, o->srcroot);
        oa_json_arr_open(j, "suppressed_findings");
        for (i = 0; i < a->silenced->nelts; i++) {
            oa_json_obj_open(j, NULL);
            oa_report_finding_members(j, APR_ARRAY_IDX(a->silenced, i, const oa_finding_t *));
            oa_json_str(j, "fingerprint", APR_ARRAY_IDX(fps, i, const char *));
            oa_json_obj_close(j);
        }
        oa_json_arr_close(j);
    }
    oa_json_arr_open(j, "skipped");
    for (i = 0; i < a->skipped->nelts; i++) {
        oa_json_obj_open(j, NULL);
        oa_report_skip_members(j, APR_ARRAY_IDX(a->skipped, i, const oa_skip_t *));
        oa_json_obj_close(j);
    }
    oa_json_arr_close(j);
    oa_json_arr_open(j, "vhosts");
    for (i = 0; i < a->model->vhosts->nelts; i++) {
        const oa_vhost_t *vh = APR_ARRAY_IDX(a->model->vhosts, i, const oa_vhost_t *);
        const oa_analysis_t *an = oa_audit_analysis(a, vh);
        if (!an) {
            continue;   /* the vocabulary is about SSL vhosts */
        }
        oa_json_obj_open(j, NULL);
        /* the settings and where each comes from are the inventory's (--vhosts) */
        oa_report_vhost_summary(j, vh);
        oa_json_str(j, "stapling", an->stapling);
        oa_json_str(j, "stapling_reason", an->why);
        oa_json_str(j, "stapling_by", an->md_staples ? "mod_md" : an->stapling_on ? "mod_ssl" : NULL);
        {
            oa_verdict_t v;
            oa_verdict_of_analysis(&v, p, an, a->now);
            oa_json_str(j, "level", oa_level_name(v.level));
            oa_json_str(j, "state", oa_state_name(v.state));
            oa_json_str(j, "reason", v.reason);
            oa_json_str(j, "fix", v.fix);
            oa_json_str(j, "revocation", oa_revocation_name(v.revocation));
        }
        oa_json_arr_open(j, "certificates");
        for (k = 0; k < an->certs->nelts; k++) {
            cert_json(p, facts, j, APR_ARRAY_IDX(an->certs, k, const oa_certinfo_t *));
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

/* ------------------------------------------------------------------ paths, fingerprints */

const char *oa_report_edited_file(apr_pool_t *p, const char *path)
{
    char buf[PATH_MAX];
    if (path && realpath(path, buf)) {
        return apr_pstrdup(p, buf);
    }
    return path;
}

const char *oa_report_relative(apr_pool_t *p, const char *srcroot, const char *path)
{
    apr_size_t n;
    if (!srcroot || !path) {
        return NULL;
    }
    n = strlen(srcroot);
    while (n > 1 && srcroot[n - 1] == '/') {
        n--;
    }
    if (n == 1 && srcroot[0] == '/') {
        return path[0] == '/' && path[1] ? apr_pstrdup(p, path + 1) : NULL;
    }
    if (strncmp(path, srcroot, n) || path[n] != '/' || !path[n + 1]) {
        return NULL;
    }
    return apr_pstrdup(p, path + n + 1);
}

/* SHA-256 with contexts and one fetched implementation for a whole report: OpenSSL 3
 * looks the implementation up again at every one-shot call (SHA256(), EVP_Digest with
 * EVP_sha256()), which cost more than the hashing itself */
typedef struct {
    EVP_MD *md;
    EVP_MD_CTX *ctx, *copy;
} hasher_t;

static int hasher_open(hasher_t *h)
{
    h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    h->ctx = EVP_MD_CTX_new();
    h->copy = EVP_MD_CTX_new();
    return h->md && h->ctx && h->copy;
}

static void hasher_close(hasher_t *h)
{
    EVP_MD_CTX_free(h->copy);
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_free(h->md);
}

static void to_hex(char *hex, const unsigned char *md)
{
    static const char digits[] = "0123456789abcdef";
    int i;
    for (i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        hex[i * 2] = digits[md[i] >> 4];
        hex[i * 2 + 1] = digits[md[i] & 0xf];
    }
    hex[SHA256_DIGEST_LENGTH * 2] = '\0';
}

/*
 * The fingerprint of a finding is SHA-256 of "KEY\nN", N counting the findings with the
 * same KEY. The key is hashed once: the digest of KEY alone (a copy of the context,
 * finished) counts the occurrences, and the context goes on with "\nN".
 */
static const char *fingerprint_of(apr_pool_t *p, hasher_t *h, apr_hash_t *seen, const char *key)
{
    unsigned char kd[SHA256_DIGEST_LENGTH], md[SHA256_DIGEST_LENGTH];
    char tail[16], *hex;
    unsigned int n = 0;
    int *count;
    if (!EVP_DigestInit_ex(h->ctx, h->md, NULL) || !EVP_DigestUpdate(h->ctx, key, strlen(key))
        || !EVP_MD_CTX_copy_ex(h->copy, h->ctx) || !EVP_DigestFinal_ex(h->copy, kd, &n)) {
        return "";
    }
    if (!(count = apr_hash_get(seen, kd, sizeof(kd)))) {
        count = apr_pcalloc(p, sizeof(*count));
        apr_hash_set(seen, apr_pmemdup(p, kd, sizeof(kd)), sizeof(kd), count);
    }
    (*count)++;
    apr_snprintf(tail, sizeof(tail), "\n%d", *count);
    if (!EVP_DigestUpdate(h->ctx, tail, strlen(tail)) || !EVP_DigestFinal_ex(h->ctx, md, &n)) {
        return "";
    }
    hex = apr_palloc(p, SHA256_DIGEST_LENGTH * 2 + 1);
    to_hex(hex, md);
    return hex;
}

/* the message without its numbers: dates, days left, counts */
static const char *without_numbers(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;
    for (; *s; s++) {
        if (apr_isdigit(*s)) {
            if (o == out || o[-1] != '#') {
                *o++ = '#';
            }
        }
        else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

apr_array_header_t *oa_report_fingerprints(apr_pool_t *p, const apr_array_header_t *findings,
                                           const char *srcroot)
{
    apr_array_header_t *out = apr_array_make(p, findings->nelts, sizeof(const char *));
    apr_hash_t *seen = apr_hash_make(p);        /* SHA-256 of a key -> its occurrences */
    apr_hash_t *edited = apr_hash_make(p);     /* one realpath per file, not per finding */
    apr_pool_t *scratch;
    hasher_t h;
    int i, ok = hasher_open(&h);
    /* the keys (some 600 bytes a finding) are scratch: only the digests are kept */
    apr_pool_create(&scratch, p);
    for (i = 0; i < findings->nelts; i++) {
        oa_finding_t *f = APR_ARRAY_IDX(findings, i, oa_finding_t *);
        const char *file, *rel, *key;
        if (f->fingerprint) {
            APR_ARRAY_PUSH(out, const char *) = f->fingerprint;
            continue;
        }
        apr_pool_clear(scratch);
        file = f->d.file ? apr_hash_get(edited, f->d.file, APR_HASH_KEY_STRING) : NULL;
        if (!file) {
            file = oa_report_edited_file(p, f->d.file);
            if (f->d.file) {
                apr_hash_set(edited, f->d.file, APR_HASH_KEY_STRING, file);
            }
        }
        rel = oa_report_relative(scratch, srcroot, file);
        key = apr_pstrcat(scratch, f->rule->id, "\n", rel ? rel : file ? file : "", "\n",
                          f->vh ? oa_vhost_label(scratch, f->vh) : "", "\n",
                          f->node ? f->node->directive : "", " ",
                          f->node && f->node->args ? f->node->args : "", "\n",
                          without_numbers(scratch, f->d.message), NULL);
        f->fingerprint = ok ? fingerprint_of(p, &h, seen, key) : "";
        APR_ARRAY_PUSH(out, const char *) = f->fingerprint;
    }
    hasher_close(&h);
    apr_pool_destroy(scratch);
    return out;
}

/* ------------------------------------------------------------------ SARIF */

#define SARIF_MAX_RESULTS 25000     /* GitHub code scanning keeps no more per run */

/* SARIF levels: error, warning, note */
static const char *sarif_level(oa_severity_e s)
{
    return s == OA_SEV_ERROR ? "error" : s == OA_SEV_WARNING ? "warning" : "note";
}

/* percent-encode what a URI path cannot hold */
static const char *uri_path(apr_pool_t *p, const char *path)
{
    const char *s;
    char *out = apr_palloc(p, strlen(path) * 3 + 1), *o = out;
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

static const char *file_uri(apr_pool_t *p, const char *path)
{
    return apr_pstrcat(p, "file://", uri_path(p, path), NULL);
}

/* artifactLocation (relative to SRCROOT when below it) and region */
static void sarif_physical(oa_json_t *j, apr_pool_t *p, const oa_report_opts_t *o,
                           const char *path, int line)
{
    const char *rel = oa_report_relative(p, o->srcroot, path);
    oa_json_obj_open(j, "physicalLocation");
    oa_json_obj_open(j, "artifactLocation");
    if (rel) {
        oa_json_str(j, "uri", uri_path(p, rel));
        oa_json_str(j, "uriBaseId", "SRCROOT");
    }
    else if (path[0] == '/') {
        oa_json_str(j, "uri", file_uri(p, path));
    }
    else {
        /* not a file: "-c"/"-C" directives from the command line */
        oa_json_str(j, "uri", uri_path(p, path));
    }
    oa_json_obj_close(j);
    if (line > 0) {
        oa_json_obj_open(j, "region");
        oa_json_int(j, "startLine", line);
        oa_json_obj_close(j);
    }
    oa_json_obj_close(j);
}

/* "locations": on the file one edits; the include path (a sites-enabled symlink) goes to
 * relatedLocations */
static void sarif_locations(oa_json_t *j, apr_pool_t *p, const oa_report_opts_t *o,
                            const char *path, int line, int related)
{
    const char *edited = oa_report_edited_file(p, path);
    oa_json_arr_open(j, "locations");
    oa_json_obj_open(j, NULL);
    sarif_physical(j, p, o, edited, line);
    oa_json_obj_close(j);
    oa_json_arr_close(j);
    if (related && strcmp(edited, path)) {
        oa_json_arr_open(j, "relatedLocations");
        oa_json_obj_open(j, NULL);
        oa_json_int(j, "id", 1);
        sarif_physical(j, p, o, path, line);
        oa_json_obj_open(j, "message");
        oa_json_str(j, "text", apr_psprintf(p, "httpd reads it as %s", path));
        oa_json_obj_close(j);
        oa_json_obj_close(j);
        oa_json_arr_close(j);
    }
}

static void sarif_rule(oa_json_t *j, apr_pool_t *p, const oa_report_opts_t *o,
                       const oa_rule_t *r, int in_table)
{
    oa_json_obj_open(j, NULL);
    oa_json_str(j, "id", r->id);
    oa_json_str(j, "name", r->slug);
    oa_json_obj_open(j, "shortDescription");
    oa_json_str(j, "text", r->summary);
    oa_json_obj_close(j);
    if (o->docs_uri && in_table) {
        oa_json_str(j, "helpUri", apr_pstrcat(p, o->docs_uri, r->id, ".md", NULL));
    }
    oa_json_obj_open(j, "help");
    oa_json_str(j, "text", in_table ? apr_psprintf(p, "%s. See ocsp-lint --explain %s.",
                                                   r->summary, r->id)
                                    : apr_psprintf(p, "%s.", r->summary));
    oa_json_obj_close(j);
    oa_json_obj_open(j, "defaultConfiguration");
    oa_json_str(j, "level", sarif_level(r->severity));
    oa_json_obj_close(j);
    oa_json_obj_close(j);
}

static const struct {
    const char *id;
    const char *text;
} notification_kinds[] = {
    { "config-unreadable", "The main configuration file cannot be opened" },
    { "parse-error", "The configuration cannot be parsed: httpd would refuse it too" },
    { "config-diagnostic", "A problem found while reading the configuration" },
    { "skipped-check", "A file the configuration names is missing or unreadable here: the "
                       "checks that need it were not made" },
    { "results-truncated", "More results than code scanning accepts in one run" },
};

static int notification_index(const char *id)
{
    int i;
    for (i = 0; i < (int)(sizeof(notification_kinds) / sizeof(notification_kinds[0])); i++) {
        if (!strcmp(notification_kinds[i].id, id)) {
            return i;
        }
    }
    return 0;
}

/* the head of the log up to the open run: tool, rules, originalUriBaseIds */
static oa_json_t *sarif_open(apr_pool_t *p, const oa_report_opts_t *o, oa_out_fn *out,
                             void *ctx)
{
    oa_json_t *j = oa_json_make(p, out, ctx, 1);
    const oa_rule_t *const *rules = oa_rules();
    int n;

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
        sarif_rule(j, p, o, rules[n], 1);
    }
    for (n = 0; o->extra_rules && n < o->extra_rules->nelts; n++) {
        sarif_rule(j, p, o, APR_ARRAY_IDX(o->extra_rules, n, const oa_rule_t *), 0);
    }
    oa_json_arr_close(j);
    oa_json_arr_open(j, "notifications");
    for (n = 0; n < (int)(sizeof(notification_kinds) / sizeof(notification_kinds[0])); n++) {
        oa_json_obj_open(j, NULL);
        oa_json_str(j, "id", notification_kinds[n].id);
        oa_json_obj_open(j, "shortDescription");
        oa_json_str(j, "text", notification_kinds[n].text);
        oa_json_obj_close(j);
        oa_json_obj_close(j);
    }
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    oa_json_obj_close(j);
    if (o->srcroot) {
        oa_json_obj_open(j, "originalUriBaseIds");
        oa_json_obj_open(j, "SRCROOT");
        oa_json_str(j, "uri", file_uri(p, apr_pstrcat(p, strcmp(o->srcroot, "/")
                                                         ? o->srcroot : "", "/", NULL)));
        oa_json_obj_close(j);
        oa_json_obj_close(j);
    }
    return j;
}

static void sarif_close(oa_json_t *j)
{
    oa_json_obj_close(j);
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    oa_json_end(j);
}

static void sarif_notification(oa_json_t *j, apr_pool_t *p, const oa_report_opts_t *o,
                               const char *kind, const oa_diag_t *d, const char *level,
                               const apr_array_header_t *rules)
{
    int i;
    oa_json_obj_open(j, NULL);
    oa_json_str(j, "level", level);
    oa_json_obj_open(j, "message");
    oa_json_str(j, "text", d->hint ? apr_pstrcat(p, d->message, ". Hint: ", d->hint, NULL)
                                   : d->message);
    oa_json_obj_close(j);
    if (d->file) {
        sarif_locations(j, p, o, d->file, d->line, 0);
    }
    oa_json_obj_open(j, "descriptor");
    oa_json_str(j, "id", kind);
    oa_json_int(j, "index", notification_index(kind));
    oa_json_obj_close(j);
    if (rules) {
        oa_json_obj_open(j, "properties");
        oa_json_arr_open(j, "rules");
        for (i = 0; i < rules->nelts; i++) {
            oa_json_str(j, NULL, APR_ARRAY_IDX(rules, i, const oa_rule_t *)->id);
        }
        oa_json_arr_close(j);
        oa_json_obj_close(j);
    }
    oa_json_obj_close(j);
}

static void sarif_result(oa_json_t *j, apr_pool_t *p, const oa_report_opts_t *o,
                         const oa_finding_t *f, int index, const char *fp,
                         const char *config_file)
{
    oa_json_obj_open(j, NULL);
    oa_json_str(j, "ruleId", f->rule->id);
    oa_json_int(j, "ruleIndex", index);
    oa_json_str(j, "level", sarif_level(f->d.severity));
    oa_json_obj_open(j, "message");
    oa_json_str(j, "text", f->d.hint ? apr_pstrcat(p, f->d.message, ". Fix: ", f->d.hint, NULL)
                                     : f->d.message);
    oa_json_obj_close(j);
    sarif_locations(j, p, o, f->d.file ? f->d.file : config_file, f->d.line, 1);
    oa_json_obj_open(j, "partialFingerprints");
    oa_json_str(j, "ocspLintFinding/v1", fp);
    oa_json_obj_close(j);
    if (f->suppressed) {
        /* SARIF's own word for it: code scanning shows the alert as dismissed */
        oa_json_arr_open(j, "suppressions");
        oa_json_obj_open(j, NULL);
        oa_json_str(j, "kind", "inSource");
        oa_json_str(j, "justification", "a '# ocsp-lint: disable' comment above the directive");
        oa_json_obj_close(j);
        oa_json_arr_close(j);
    }
    if (f->vh) {
        oa_json_obj_open(j, "properties");
        oa_json_str(j, "vhost", oa_vhost_label(p, f->vh));
        oa_json_bool(j, "startupFails", f->fatal_startup);
        oa_json_obj_close(j);
    }
    oa_json_obj_close(j);
}

void oa_report_findings_sarif(apr_pool_t *p, const oa_audit_t *a, const oa_report_opts_t *o,
                              oa_out_fn *out, void *ctx)
{
    const oa_rule_t *const *rules = oa_rules();
    apr_array_header_t *all = apr_array_copy(p, a->findings);
    apr_array_header_t *fps;
    oa_json_t *j = sarif_open(p, o, out, ctx);
    int i, n, nrules, shown;

    for (nrules = 0; rules[nrules]; nrules++) {
    }
    if (o->extra_findings) {
        apr_array_cat(all, o->extra_findings);
    }
    if (shown_silenced(a)) {
        apr_array_cat(all, a->silenced);
    }
    fps = oa_report_fingerprints(p, all, o->srcroot);
    shown = all->nelts < SARIF_MAX_RESULTS ? all->nelts : SARIF_MAX_RESULTS;
    oa_json_arr_open(j, "results");
    for (i = 0; i < shown; i++) {
        const oa_finding_t *f = APR_ARRAY_IDX(all, i, const oa_finding_t *);
        for (n = 0; rules[n] && rules[n] != f->rule; n++) {
        }
        if (!rules[n]) {
            int k;
            for (k = 0; o->extra_rules && k < o->extra_rules->nelts; k++) {
                if (APR_ARRAY_IDX(o->extra_rules, k, const oa_rule_t *) == f->rule) {
                    n = nrules + k;
                }
            }
        }
        sarif_result(j, p, o, f, n, APR_ARRAY_IDX(fps, i, const char *),
                     a->model->conf->config_file);
    }
    oa_json_arr_close(j);
    oa_json_arr_open(j, "invocations");
    oa_json_obj_open(j, NULL);
    oa_json_bool(j, "executionSuccessful", 1);
    oa_json_arr_open(j, "toolExecutionNotifications");
    for (i = 0; i < a->model->conf->diags->nelts; i++) {
        const oa_diag_t *d = APR_ARRAY_IDX(a->model->conf->diags, i, const oa_diag_t *);
        sarif_notification(j, p, o, "config-diagnostic", d, sarif_level(d->severity), NULL);
    }
    for (i = 0; i < a->skipped->nelts; i++) {
        const oa_skip_t *sk = APR_ARRAY_IDX(a->skipped, i, const oa_skip_t *);
        sarif_notification(j, p, o, "skipped-check", &sk->d, "note", sk->rules);
    }
    if (shown < all->nelts) {
        oa_diag_t d;
        memset(&d, 0, sizeof(d));
        d.message = apr_psprintf(p, "%d results, of which the first %d are in this log",
                                 all->nelts, shown);
        sarif_notification(j, p, o, "results-truncated", &d, "warning", NULL);
    }
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    oa_json_arr_close(j);
    /* each SSL vhost's verdict, as the JSON output's vhosts[] has it */
    oa_json_obj_open(j, "properties");
    oa_report_verdicts_members(j, p, a);
    oa_json_obj_close(j);
    sarif_close(j);
}

void oa_report_error_sarif(apr_pool_t *p, const oa_report_opts_t *o, const char *kind,
                           const oa_diag_t *err, oa_out_fn *out, void *ctx)
{
    oa_json_t *j = sarif_open(p, o, out, ctx);
    oa_json_arr_open(j, "results");
    oa_json_arr_close(j);
    oa_json_arr_open(j, "invocations");
    oa_json_obj_open(j, NULL);
    oa_json_bool(j, "executionSuccessful", 0);
    oa_json_arr_open(j, "toolExecutionNotifications");
    sarif_notification(j, p, o, kind, err, "error", NULL);
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    oa_json_arr_close(j);
    sarif_close(j);
}

void oa_report_error_json(apr_pool_t *p, const oa_report_opts_t *o, const char *config,
                          const char *server_root, const char *kind, const oa_diag_t *err,
                          oa_out_fn *out, void *ctx)
{
    oa_json_t *j = oa_json_make(p, out, ctx, 1);
    oa_json_obj_open(j, NULL);
    oa_json_str(j, "version", o->tool_version);
    oa_json_str(j, "config", config);
    oa_json_str(j, "server_root", server_root);
    /* httpd refuses what the reader refuses (exit 3): the prediction a CI gate reads */
    if (!strcmp(kind, "parse-error")) {
        oa_json_str(j, "startup", OA_STARTUP_FAILS);
        oa_json_str(j, "startup_reason", apr_psprintf(p, "%s:%d: %s", err->file ? err->file : "",
                                                      err->line, err->message));
    }
    else {
        oa_json_str(j, "startup", OA_STARTUP_UNKNOWN);
        oa_json_str(j, "startup_reason", err->message);
    }
    oa_json_obj_open(j, "error");
    oa_json_str(j, "kind", kind);
    oa_json_str(j, "file", err->file);
    oa_json_int(j, "line", err->line);
    oa_json_str(j, "message", err->message);
    oa_json_obj_close(j);
    oa_json_arr_open(j, "findings");
    oa_json_arr_close(j);
    oa_json_arr_open(j, "diagnostics");
    oa_report_diag_json(j, err);
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    oa_json_end(j);
}

/* ------------------------------------------------------------------ GitLab Code Quality */

static const char *gitlab_severity(const oa_finding_t *f)
{
    if (f->fatal_startup) {
        return "blocker";
    }
    return f->d.severity == OA_SEV_ERROR ? "major"
           : f->d.severity == OA_SEV_WARNING ? "minor" : "info";
}

void oa_report_findings_gitlab(apr_pool_t *p, const apr_array_header_t *findings,
                               const oa_report_opts_t *o, oa_out_fn *out, void *ctx)
{
    oa_json_t *j = oa_json_make(p, out, ctx, 1);
    apr_array_header_t *fps = oa_report_fingerprints(p, findings, o->srcroot);
    int i;

    oa_json_arr_open(j, NULL);
    for (i = 0; i < findings->nelts; i++) {
        const oa_finding_t *f = APR_ARRAY_IDX(findings, i, const oa_finding_t *);
        const char *file = oa_report_edited_file(p, f->d.file);
        const char *rel = oa_report_relative(p, o->srcroot, file);
        oa_json_obj_open(j, NULL);
        oa_json_str(j, "description", apr_psprintf(p, "%s [%s %s]", f->d.message, f->rule->id,
                                                   f->rule->slug));
        oa_json_str(j, "check_name", f->rule->id);
        oa_json_str(j, "fingerprint", APR_ARRAY_IDX(fps, i, const char *));
        oa_json_str(j, "severity", gitlab_severity(f));
        oa_json_obj_open(j, "location");
        oa_json_str(j, "path", rel ? rel : file ? file : "");
        oa_json_obj_open(j, "lines");
        oa_json_int(j, "begin", f->d.line > 0 ? f->d.line : 1);
        oa_json_obj_close(j);
        oa_json_obj_close(j);
        oa_json_obj_close(j);
    }
    oa_json_arr_close(j);
    oa_json_end(j);
}
