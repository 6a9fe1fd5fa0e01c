/*
 * What mod_ssl will do with each SSL vhost (modules/ssl/ssl_engine_init.c and
 * ssl_util_stapling.c), computed once per vhost; the rules read it.
 */
#include <stdarg.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

#include <apr_file_info.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include <openssl/x509v3.h>

#include "oa_audit.h"

const char *oa_vhost_label(apr_pool_t *p, const oa_vhost_t *vh)
{
    int i;
    const char *addrs = "";
    if (vh->is_main) {
        return apr_psprintf(p, "main server%s%s", *vh->name ? " " : "", vh->name);
    }
    for (i = 0; i < vh->addresses->nelts; i++) {
        addrs = apr_pstrcat(p, addrs, i ? " " : "", APR_ARRAY_IDX(vh->addresses, i, const char *),
                            NULL);
    }
    return apr_psprintf(p, "%s (%s)", *vh->name ? vh->name : "(no name)", addrs);
}

/* ------------------------------------------------------------------ suppression */

/* a family of rules: "OA2" (OA2xx), "OA20" (OA20x), in n bytes of word */
static int is_family(const char *word, apr_size_t n)
{
    apr_size_t i;
    if (n < 3 || n > 4 || strncasecmp(word, "OA", 2)) {
        return 0;
    }
    for (i = 2; i < n; i++) {
        if (!apr_isdigit(word[i])) {
            return 0;
        }
    }
    return 1;
}

static int list_has(const char *list, const oa_rule_t *r)
{
    const char *s = list;
    apr_size_t il = strlen(r->id), sl = strlen(r->slug);
    while (s && *s) {
        apr_size_t n = strcspn(s, ", ");
        if ((n == il && !strncasecmp(s, r->id, n)) || (n == sl && !strncasecmp(s, r->slug, n))
            || (n == 3 && !strncasecmp(s, "all", 3))
            || (is_family(s, n) && !strncasecmp(s, r->id, n))) {
            return 1;
        }
        s += n + (s[n] == ',' || s[n] == ' ');
    }
    return 0;
}

static int suppressed(const oa_node_t *n, const oa_rule_t *r)
{
    for (; n; n = n->parent) {
        if (n->suppress && list_has(n->suppress, r)) {
            return 1;
        }
    }
    return 0;
}

oa_finding_t *oa_audit_report(oa_audit_t *a, const oa_rule_t *r, oa_severity_e sev,
                              const oa_vhost_t *vh, const oa_node_t *at, const char *hint,
                              const char *fmt, ...)
{
    oa_finding_t *f;
    va_list ap;

    if (!at && vh) {
        at = vh->node;
    }
    f = apr_pcalloc(a->pool, sizeof(*f));
    f->suppressed = (at && suppressed(at, r)) || (vh && vh->node && suppressed(vh->node, r));
    f->rule = r;
    f->vh = vh;
    f->d.severity = sev;
    f->d.file = at ? at->file : (vh ? vh->file : a->model->conf->config_file);
    f->d.line = at ? at->line : (vh ? vh->line : 0);
    f->d.hint = hint;
    f->node = at;
    va_start(ap, fmt);
    f->d.message = apr_pvsprintf(a->pool, fmt, ap);
    va_end(ap);
    /* every rule runs and every finding is kept: what httpd does at start does not
     * depend on what we report */
    if (f->suppressed) {
        a->suppressed++;
        APR_ARRAY_PUSH(a->silenced, oa_finding_t *) = f;
    }
    else {
        APR_ARRAY_PUSH(oa_audit_selected(a->opts, r) ? a->findings : a->unselected,
                       oa_finding_t *) = f;
    }
    return f;
}

/* ------------------------------------------------------------------ analysis */

const char *oa_audit_path(const oa_audit_t *a, const oa_setting_t *s)
{
    const char *v = s->argv->nelts ? APR_ARRAY_IDX(s->argv, 0, const char *) : "";
    return oa_conf_map_path(a->pool, a->model->conf->path_map,
                            oa_conf_server_relative(a->pool, a->model->conf->server_root, v));
}

/* the rules that cannot judge anything without the file a directive names */
static const struct {
    const char *directive;
    const char *rules;
} file_needs[] = {
    { "SSLCertificateFile", "OA104 OA201 OA202 OA203 OA204 OA205 OA208 OA209 OA301 OA302 OA303 "
                            "OA304 OA305" },
    { "SSLCertificateKeyFile", "OA304 OA305" },
    { "SSLCertificateChainFile", "OA201 OA202 OA301 OA302 OA303 OA305" },
    { "SSLCACertificateFile", "OA201 OA305" },
    { "SSLCACertificatePath", "OA201 OA305" },
};

static apr_array_header_t *rules_needing(oa_audit_t *a, const char *directive)
{
    apr_array_header_t *out = apr_array_make(a->pool, 4, sizeof(const oa_rule_t *));
    const oa_rule_t *const *r;
    apr_size_t i;
    for (i = 0; i < sizeof(file_needs) / sizeof(file_needs[0]); i++) {
        if (strcasecmp(file_needs[i].directive, directive)) {
            continue;
        }
        for (r = oa_rules(); *r; r++) {
            if (strstr(file_needs[i].rules, (*r)->id) && oa_audit_selected(a->opts, *r)) {
                APR_ARRAY_PUSH(out, const oa_rule_t *) = *r;
            }
        }
    }
    return out;
}

/* does a path map say where the setting's file is here? */
static int mapped(const oa_audit_t *a, const oa_setting_t *s)
{
    const char *v = s->argv->nelts ? APR_ARRAY_IDX(s->argv, 0, const char *) : "";
    const char *server = oa_conf_server_relative(a->pool, a->model->conf->server_root, v);
    return strcmp(server, oa_conf_map_path(a->pool, a->model->conf->path_map, server)) != 0;
}

int oa_audit_file_skipped(oa_audit_t *a, const oa_vhost_t *vh, const oa_setting_t *s,
                          const oa_pemfile_t *f)
{
    const char *key;
    oa_skip_t *sk;
    int i;

    if (f->state == OA_FILE_READ
        || (f->state == OA_FILE_MISSING && a->opts && a->opts->require_files)) {
        return 0;
    }
    key = apr_psprintf(a->pool, "%p\n%s", (const void *)s->node, f->path);
    if (apr_hash_get(a->skip_seen, key, APR_HASH_KEY_STRING)) {
        return 1;
    }
    apr_hash_set(a->skip_seen, key, APR_HASH_KEY_STRING, key);
    sk = apr_pcalloc(a->pool, sizeof(*sk));
    sk->directive = s->directive;
    sk->path = f->path;
    sk->state = f->state;
    sk->vh = s->inherited ? NULL : vh;
    sk->rules = rules_needing(a, s->directive);
    sk->d.severity = OA_SEV_NOTE;
    sk->d.file = s->node->file;
    sk->d.line = s->node->line;
    sk->d.message = apr_psprintf(a->pool, "%s %s %s: not checked", s->directive, f->path,
                                 f->state == OA_FILE_MISSING
                                 ? "is missing here"
                                 : "is not readable by this user (httpd reads it as root)");
    for (i = 0; i < sk->rules->nelts; i++) {
        sk->d.message = apr_pstrcat(a->pool, sk->d.message, i ? ", " : " (",
                                    APR_ARRAY_IDX(sk->rules, i, const oa_rule_t *)->id,
                                    i + 1 == sk->rules->nelts ? ")" : "", NULL);
    }
    if (f->state == OA_FILE_UNREADABLE) {
        sk->d.hint = "run ocsp-lint as root to check it";
    }
    else if (mapped(a, s)) {
        sk->d.hint = "expected in a repository without private keys; lint on the server "
                     "(as root, with --require-files) to check it";
    }
    else {
        sk->d.hint = "if the file is elsewhere here, map the server's path with --path-map "
                     "FROM=TO; on the server itself --require-files makes a missing file an "
                     "error";
    }
    APR_ARRAY_PUSH(a->skipped, oa_skip_t *) = sk;
    return 1;
}

int oa_audit_dir_skipped(oa_audit_t *a, const oa_vhost_t *vh, const oa_setting_t *s,
                         const char *dir)
{
    apr_finfo_t fi;
    apr_status_t rv = apr_stat(&fi, dir, APR_FINFO_TYPE, a->pool);
    oa_pemfile_t gone;
    if (rv == APR_SUCCESS) {
        return 0;
    }
    memset(&gone, 0, sizeof(gone));
    gone.path = dir;
    gone.state = oa_file_state_of(rv);
    return oa_audit_file_skipped(a, vh, s, &gone);
}

/* the issuer, where stapling_get_issuer looks: the chain certs, then the CA store */
static void find_issuer(oa_audit_t *a, const oa_vhost_t *vh, oa_certinfo_t *ci)
{
    const oa_setting_t *caf = oa_vhost_get(vh, "SSLCACertificateFile");
    const oa_setting_t *cap = oa_vhost_get(vh, "SSLCACertificatePath");
    int i;

    for (i = 0; i < sk_X509_num(ci->chain); i++) {
        X509 *c = sk_X509_value(ci->chain, i);
        if (oa_pki_check_issued(a->pki, c, ci->leaf)) {
            ci->issuer = c;
            ci->issuer_from = ci->chain_from;
            return;
        }
    }
    if (ci->chain_file && oa_audit_file_skipped(a, vh, oa_vhost_get(vh, "SSLCertificateChainFile"),
                                                 ci->chain_file)) {
        ci->unknown = apr_psprintf(a->pool, "the issuer may be in %s, which could not be read "
                                   "here: not checked", ci->chain_file->path);
    }
    if (caf) {
        const oa_pemfile_t *f = oa_pki_file(a->pki, oa_audit_path(a, caf));
        if (oa_audit_file_skipped(a, vh, caf, f)) {
            ci->unknown = apr_psprintf(a->pool, "the issuer may be in %s, which could not be "
                                       "read here: not checked", f->path);
        }
        for (i = 0; i < sk_X509_num(f->certs); i++) {
            X509 *c = sk_X509_value(f->certs, i);
            if (oa_pki_check_issued(a->pki, c, ci->leaf)) {
                ci->issuer = c;
                ci->issuer_from = "SSLCACertificateFile";
                return;
            }
        }
    }
    if (cap) {
        const char *dir = oa_audit_path(a, cap);
        STACK_OF(X509) *cands;
        if (oa_audit_dir_skipped(a, vh, cap, dir)) {
            ci->unknown = apr_psprintf(a->pool, "the issuer may be in %s, which could not be "
                                       "read here: not checked", dir);
        }
        cands = oa_pki_capath_issuers(a->pki, dir, ci->leaf);
        for (i = 0; i < sk_X509_num(cands); i++) {
            X509 *c = sk_X509_value(cands, i);
            if (oa_pki_check_issued(a->pki, c, ci->leaf)) {
                ci->issuer = c;
                ci->issuer_from = "SSLCACertificatePath";
                return;
            }
        }
    }
}

/* mod_ssl's OCSP client: apr_uri_parse, then the scheme must be exactly "http"
 * (1); no host to resolve is a failed fetch, not a failed handshake (-1); else 0 */
static int url_usable(apr_pool_t *p, const char *url)
{
    apr_uri_t u;
    if (apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.scheme || strcmp(u.scheme, "http")) {
        return 0;
    }
    return (u.hostname && *u.hostname) ? 1 : -1;
}

static const char *worst(const char *a, const char *b)
{
    static const char *const order[] = { OA_STAPLING_ACTIVE, OA_STAPLING_OFF,
                                         OA_STAPLING_UNKNOWN, OA_STAPLING_BROKEN,
                                         OA_STAPLING_FATAL, NULL };
    int ia = 0, ib = 0, i;
    for (i = 0; order[i]; i++) {
        if (!strcmp(a, order[i])) {
            ia = i;
        }
        if (!strcmp(b, order[i])) {
            ib = i;
        }
    }
    return ia >= ib ? a : b;
}

static apr_status_t free_shallow_stack(void *data)
{
    sk_X509_free((STACK_OF(X509) *)data);
    return APR_SUCCESS;
}

static void analyse_cert(oa_audit_t *a, oa_analysis_t *an, int idx)
{
    const oa_vhost_t *vh = an->vh;
    const apr_array_header_t *certs = oa_vhost_get_all(vh, "SSLCertificateFile");
    const apr_array_header_t *keys = oa_vhost_get_all(vh, "SSLCertificateKeyFile");
    const oa_setting_t *chain = oa_vhost_get(vh, "SSLCertificateChainFile");
    const oa_setting_t *force = oa_vhost_get(vh, "SSLStaplingForceURL");
    oa_certinfo_t *ci = apr_pcalloc(a->pool, sizeof(*ci));
    int i;

    ci->cert_setting = APR_ARRAY_IDX(certs, idx, const oa_setting_t *);
    ci->cert_path = oa_audit_path(a, ci->cert_setting);
    ci->cert_file = oa_pki_file(a->pki, ci->cert_path);
    if (keys && idx < keys->nelts) {
        ci->key_setting = APR_ARRAY_IDX(keys, idx, const oa_setting_t *);
        ci->key_path = oa_audit_path(a, ci->key_setting);
        ci->key_file = oa_pki_file(a->pki, ci->key_path);
    }
    /* the stack is ours, its certificates the file cache's */
    ci->chain = sk_X509_new_null();
    apr_pool_cleanup_register(a->pool, ci->chain, free_shallow_stack, apr_pool_cleanup_null);
    if (sk_X509_num(ci->cert_file->certs)) {
        ci->leaf = sk_X509_value(ci->cert_file->certs, 0);
    }
    /* With SSLCertificateChainFile, mod_ssl loads only the first certificate of the
     * certificate file and takes the chain from the chain file (without its first
     * certificate when both name the same file). */
    if (chain) {
        const char *cp = oa_audit_path(a, chain);
        ci->chain_file = oa_pki_file(a->pki, cp);
        ci->chain_from = "SSLCertificateChainFile";
        for (i = strcmp(cp, ci->cert_path) ? 0 : 1; i < sk_X509_num(ci->chain_file->certs); i++) {
            sk_X509_push(ci->chain, sk_X509_value(ci->chain_file->certs, i));
        }
    }
    else {
        ci->chain_from = "SSLCertificateFile";
        for (i = 1; i < sk_X509_num(ci->cert_file->certs); i++) {
            sk_X509_push(ci->chain, sk_X509_value(ci->cert_file->certs, i));
        }
    }
    APR_ARRAY_PUSH(an->certs, oa_certinfo_t *) = ci;
    if (ci->key_file) {
        oa_audit_file_skipped(a, vh, ci->key_setting, ci->key_file);
    }
    if (ci->chain_file) {
        oa_audit_file_skipped(a, vh, chain, ci->chain_file);
    }

    if (!ci->leaf) {
        if (oa_audit_file_skipped(a, vh, ci->cert_setting, ci->cert_file)) {
            ci->stapling = OA_STAPLING_UNKNOWN;
            ci->why = apr_psprintf(a->pool, "the certificate file %s could not be read here: "
                                   "not checked", ci->cert_path);
            return;
        }
        ci->stapling = OA_STAPLING_BROKEN;
        ci->why = "the certificate cannot be read";
        return;
    }
    find_issuer(a, vh, ci);
    ci->ocsp_url = oa_pki_ocsp_url(a->pki, ci->leaf);
    ci->must_staple = oa_pki_must_staple(a->pki, ci->leaf);
    ci->url = (an->stapling_on && force && force->argv->nelts)
              ? APR_ARRAY_IDX(force->argv, 0, const char *) : ci->ocsp_url;
    ci->url_usable = ci->url ? url_usable(a->pool, ci->url) : 0;

    if (an->md_staples) {
        /* mod_md fetches with its own client (http and https) from the certificate's
         * AIA URL; it still needs mod_ssl to find the issuer. */
        ci->url = ci->ocsp_url;
        ci->url_usable = ci->ocsp_url != NULL;
        if (!ci->issuer && ci->unknown) {
            ci->stapling = OA_STAPLING_UNKNOWN;
            ci->why = ci->unknown;
        }
        else if (!ci->issuer) {
            ci->stapling = OA_STAPLING_BROKEN;
            ci->why = "mod_md cannot staple: the issuer certificate is not in the chain";
        }
        else if (!ci->ocsp_url) {
            ci->stapling = OA_STAPLING_BROKEN;
            ci->why = "mod_md cannot staple: the certificate has no OCSP responder URL";
        }
        else {
            ci->stapling = OA_STAPLING_ACTIVE;
        }
        return;
    }
    if (!an->stapling_on) {
        ci->stapling = OA_STAPLING_OFF;
        ci->why = "SSLUseStapling is off";
        return;
    }
    if (!ci->issuer && ci->unknown) {
        ci->stapling = OA_STAPLING_UNKNOWN;
        ci->why = ci->unknown;
    }
    else if (!ci->issuer) {
        ci->stapling = OA_STAPLING_BROKEN;
        ci->why = "mod_ssl cannot find the issuer certificate (AH02217)";
    }
    else if (!ci->url) {
        ci->stapling = OA_STAPLING_BROKEN;
        ci->why = "no OCSP responder URL in the certificate and no SSLStaplingForceURL (AH02218)";
    }
    else if (ci->url_usable < 0) {
        ci->stapling = OA_STAPLING_BROKEN;
        ci->why = apr_psprintf(a->pool, "%s names no host: every fetch fails (AH01972) and "
                               "clients get a made-up tryLater", ci->url);
    }
    else if (!ci->url_usable) {
        ci->stapling = OA_STAPLING_FATAL;
        ci->why = apr_psprintf(a->pool, "mod_ssl cannot query %s (AH01939/AH01940): handshakes "
                               "asking for a staple fail", ci->url);
    }
    else {
        ci->stapling = OA_STAPLING_ACTIVE;
    }
}

/* the vhost's verdict: its worst certificate's */
static void vhost_verdict(oa_analysis_t *an)
{
    int k;
    an->stapling = NULL;
    for (k = 0; k < an->certs->nelts; k++) {
        const oa_certinfo_t *ci = APR_ARRAY_IDX(an->certs, k, const oa_certinfo_t *);
        if (ci->replaced) {
            continue;
        }
        if (!an->stapling || worst(ci->stapling, an->stapling) != an->stapling) {
            an->stapling = ci->stapling;
            an->why = ci->why;
        }
    }
}

static int on_unless_off(const oa_setting_t *s)
{
    return !s || !s->argv->nelts || strcasecmp(APR_ARRAY_IDX(s->argv, 0, const char *), "off");
}

static oa_analysis_t *analyse(oa_audit_t *a, const oa_vhost_t *vh)
{
    oa_analysis_t *an = apr_pcalloc(a->pool, sizeof(*an));
    const apr_array_header_t *certs = oa_vhost_get_all(vh, "SSLCertificateFile");
    int i;

    an->vh = vh;
    an->certs = apr_array_make(a->pool, 2, sizeof(oa_certinfo_t *));
    an->findings = apr_array_make(a->pool, 4, sizeof(oa_finding_t *));
    an->stapling_on = oa_flag_on(oa_vhost_get(vh, "SSLUseStapling"));
    /* mod_md staples its own domains with MDStapling on; with MDStapling on at server
     * level and MDStapleOthers (on by default) it staples every other certificate too */
    an->md_staples = vh->md ? oa_flag_on(vh->md->stapling)
                            : (oa_conf_has_module(a->model->conf, "md_module")
                               && oa_flag_on(oa_model_global(a->model, "MDStapling"))
                               && on_unless_off(oa_model_global(a->model, "MDStapleOthers")));
    for (i = 0; certs && i < certs->nelts; i++) {
        analyse_cert(a, an, i);
    }
    /* OpenSSL keeps one certificate per key type: a later one replaces an earlier one,
     * which is then never served nor stapled */
    for (i = 0; i < an->certs->nelts; i++) {
        oa_certinfo_t *ci = APR_ARRAY_IDX(an->certs, i, oa_certinfo_t *);
        int k;
        for (k = i + 1; ci->leaf && k < an->certs->nelts; k++) {
            const oa_certinfo_t *later = APR_ARRAY_IDX(an->certs, k, const oa_certinfo_t *);
            if (later->leaf && EVP_PKEY_base_id(X509_get0_pubkey(later->leaf))
                               == EVP_PKEY_base_id(X509_get0_pubkey(ci->leaf))) {
                ci->replaced = 1;
            }
        }
    }
    /* with no time to wait for the responder, every fetch fails (AH01974): a made-up
     * tryLater is stapled (FakeTryLater on) or nothing (off) */
    if (an->stapling_on && !an->md_staples) {
        const oa_setting_t *t = oa_vhost_get(vh, "SSLStaplingResponderTimeout");
        if (t && t->argv->nelts && atoi(APR_ARRAY_IDX(t->argv, 0, const char *)) == 0) {
            for (i = 0; i < an->certs->nelts; i++) {
                oa_certinfo_t *ci = APR_ARRAY_IDX(an->certs, i, oa_certinfo_t *);
                if (!strcmp(ci->stapling, OA_STAPLING_ACTIVE)) {
                    ci->stapling = OA_STAPLING_BROKEN;
                    ci->why = "SSLStaplingResponderTimeout is read as 0: every fetch fails "
                              "(AH01974) and clients get a made-up tryLater or no staple";
                }
            }
        }
    }
    if (!an->certs->nelts) {
        if (an->md_staples) {
            an->stapling = OA_STAPLING_ACTIVE;   /* mod_md supplies certificate and staple */
        }
        else {
            an->stapling = an->stapling_on ? OA_STAPLING_BROKEN : OA_STAPLING_OFF;
            an->why = vh->md ? "the certificate comes from mod_md" : "no SSLCertificateFile";
        }
        return an;
    }
    vhost_verdict(an);
    return an;
}

/*
 * mod_ssl keeps what it learns about a certificate (the CertID and responder URL, in
 * stapling_certinfo) and its responses by the certificate's digest, for every vhost:
 * a vhost whose own chain lacks the issuer still staples when another stapling vhost
 * serves the same certificate with its chain; a vhost without a URL of its own gets
 * the shared entry's URL (none when only the other vhost's SSLStaplingForceURL gave
 * one: AH02621, and the handshake fails).
 */
typedef struct {
    const oa_analysis_t *an;
    const oa_certinfo_t *ci;
} donor_t;

static void share_by_certificate(oa_audit_t *a)
{
    /* the certificates mod_ssl could set up (issuer found), by fingerprint: one pass to
     * index, one to look up, whatever the number of vhosts */
    apr_hash_t *donors = apr_hash_make(a->pool);
    int i, j, k;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = APR_ARRAY_IDX(a->analyses, i, const oa_analysis_t *);
        for (k = 0; an->stapling_on && !an->md_staples && k < an->certs->nelts; k++) {
            const oa_certinfo_t *ci = APR_ARRAY_IDX(an->certs, k, const oa_certinfo_t *);
            const char *fp;
            apr_array_header_t *list;
            donor_t *d;
            if (!ci->leaf || !ci->issuer) {
                continue;
            }
            fp = oa_pki_fingerprint(a->pki, ci->leaf);
            if (!(list = apr_hash_get(donors, fp, APR_HASH_KEY_STRING))) {
                list = apr_array_make(a->pool, 2, sizeof(donor_t));
                apr_hash_set(donors, fp, APR_HASH_KEY_STRING, list);
            }
            d = apr_array_push(list);
            d->an = an;
            d->ci = ci;
        }
    }
    for (i = 0; i < a->analyses->nelts; i++) {
        oa_analysis_t *an = APR_ARRAY_IDX(a->analyses, i, oa_analysis_t *);
        int changed = 0;
        for (k = 0; an->stapling_on && !an->md_staples && k < an->certs->nelts; k++) {
            oa_certinfo_t *ci = APR_ARRAY_IDX(an->certs, k, oa_certinfo_t *);
            const apr_array_header_t *list;
            if (!ci->leaf || strcmp(ci->stapling, OA_STAPLING_BROKEN)
                || !(list = apr_hash_get(donors, oa_pki_fingerprint(a->pki, ci->leaf),
                                         APR_HASH_KEY_STRING))) {
                continue;
            }
            for (j = 0; j < list->nelts; j++) {
                const donor_t *d = &APR_ARRAY_IDX(list, j, donor_t);
                if (d->an == an) {
                    continue;
                }
                if (!ci->issuer && d->ci->url_usable > 0 && (ci->url || d->ci->ocsp_url)) {
                    ci->stapling = OA_STAPLING_ACTIVE;
                    ci->why = apr_psprintf(a->pool, "AH02217 for this vhost, but mod_ssl "
                                           "shares what it learned of the certificate "
                                           "with %s", oa_vhost_label(a->pool, d->an->vh));
                    changed = 1;
                }
                else if (ci->issuer && !ci->url && d->ci->url && !d->ci->ocsp_url) {
                    ci->stapling = OA_STAPLING_FATAL;
                    ci->why = apr_psprintf(a->pool, "the certificate has no OCSP URL and only "
                                           "%s sets SSLStaplingForceURL: this vhost's "
                                           "handshakes fail when no response is cached "
                                           "(AH02621, AH01955)",
                                           oa_vhost_label(a->pool, d->an->vh));
                    changed = 1;
                }
            }
        }
        if (changed) {
            vhost_verdict(an);
        }
    }
}

/* ------------------------------------------------------------------ running */

oa_analysis_t *oa_audit_analysis(const oa_audit_t *a, const oa_vhost_t *vh)
{
    oa_analysis_t *an;
    if (!a->by_index || vh->index < 0 || vh->index >= a->model->vhosts->nelts) {
        return NULL;
    }
    an = a->by_index[vh->index];
    return an && an->vh == vh ? an : NULL;
}

int oa_audit_selected(const oa_audit_opts_t *o, const oa_rule_t *r)
{
    int i, in = !o || !o->select || !o->select->nelts;
    for (i = 0; o && o->select && i < o->select->nelts; i++) {
        if (list_has(APR_ARRAY_IDX(o->select, i, const char *), r)) {
            in = 1;
        }
    }
    for (i = 0; o && o->skip && i < o->skip->nelts; i++) {
        if (list_has(APR_ARRAY_IDX(o->skip, i, const char *), r)) {
            in = 0;
        }
    }
    return in;
}

const char *oa_rule_list_unknown(apr_pool_t *p, const char *list, int all_ok)
{
    char *last, *t;
    for (t = apr_strtok(apr_pstrdup(p, list), ", ", &last); t; t = apr_strtok(NULL, ", ", &last)) {
        if (!(all_ok && !strcasecmp(t, "all")) && !oa_rule_find(t) && !oa_rule_family_known(t)) {
            return t;
        }
    }
    return NULL;
}

const char *oa_audit_opts_add_rules(apr_pool_t *p, oa_audit_opts_t *opts, int skip,
                                    const char *list)
{
    apr_array_header_t **dst = skip ? &opts->skip : &opts->select;
    const char *bad = oa_rule_list_unknown(p, list, 0);
    if (bad) {
        return apr_psprintf(p, "no rule '%s' (rules are OA101..., families such as OA2, "
                            "or names such as issuer-not-found; ocsp-lint --list-rules "
                            "lists them)", bad);
    }
    if (!*dst) {
        *dst = apr_array_make(p, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(*dst, const char *) = apr_pstrdup(p, list);
    return NULL;
}

const char *oa_audit_opts_set_expiry(oa_audit_opts_t *opts, const char *days)
{
    char *end;
    long d = strtol(days, &end, 10);
    if (*end || end == days || d < 1 || d > 3650) {
        return "takes a number of days from 1 to 3650";
    }
    opts->expiry_days = (int)d;
    return NULL;
}

const char *oa_audit_opts_from_conf(apr_pool_t *p, oa_audit_opts_t *opts, const oa_conf_t *conf,
                                    const oa_node_t **pat)
{
    const oa_node_t *n;
    int cli_expiry = opts->expiry_days;
    for (n = conf->first; n; n = n->next) {
        const char *err = NULL;
        int i, skip = oa_node_is(n, "OcspAuditSkip");
        if (skip || oa_node_is(n, "OcspAuditSelect")) {
            apr_array_header_t *w = oa_conf_split_args(p, n->args);
            for (i = 0; i < w->nelts && !err; i++) {
                err = oa_audit_opts_add_rules(p, opts, skip, APR_ARRAY_IDX(w, i, const char *));
            }
        }
        else if (oa_node_is(n, "OcspAuditExpiryDays")) {
            err = oa_audit_opts_set_expiry(opts, n->args);
            if (cli_expiry) {
                opts->expiry_days = cli_expiry;
            }
        }
        if (err) {
            *pat = n;
            return apr_pstrcat(p, n->directive, ": ", err, NULL);
        }
    }
    return NULL;
}

int oa_rule_family_known(const char *word)
{
    const oa_rule_t *const *r;
    apr_size_t n = strlen(word);
    for (r = oa_rules(); *r && is_family(word, n); r++) {
        if (!strncasecmp((*r)->id, word, n)) {
            return 1;
        }
    }
    return 0;
}

const oa_rule_t *oa_rule_find(const char *id_or_slug)
{
    const oa_rule_t *const *r;
    for (r = oa_rules(); *r; r++) {
        if (!strcasecmp((*r)->id, id_or_slug) || !strcasecmp((*r)->slug, id_or_slug)) {
            return *r;
        }
    }
    return NULL;
}

static int finding_cmp(const void *x, const void *y)
{
    const oa_finding_t *a = *(const oa_finding_t *const *)x, *b = *(const oa_finding_t *const *)y;
    int c = strcmp(a->d.file ? a->d.file : "", b->d.file ? b->d.file : "");
    if (c) {
        return c;
    }
    if (a->d.line != b->d.line) {
        return a->d.line < b->d.line ? -1 : 1;
    }
    return strcmp(a->rule->id, b->rule->id);
}

static int skip_cmp(const void *x, const void *y)
{
    const oa_skip_t *a = *(const oa_skip_t *const *)x, *b = *(const oa_skip_t *const *)y;
    int c = strcmp(a->d.file ? a->d.file : "", b->d.file ? b->d.file : "");
    if (c) {
        return c;
    }
    if (a->d.line != b->d.line) {
        return a->d.line < b->d.line ? -1 : 1;
    }
    return strcmp(a->path, b->path);
}

/* The prediction: the first finding that stops httpd (reported ones first, then those
 * of rules not selected, then those a comment silences); else unknown when a file httpd
 * reads at start was not checked; else ok. */
static void startup(oa_audit_t *a)
{
    static const char *const why[] = {
        "", ", not reported: the rule is not selected",
        ", not reported: a '# ocsp-lint: disable' comment silences it"
    };
    const apr_array_header_t *lists[3];
    int i, l;
    lists[0] = a->findings;
    lists[1] = a->unselected;
    lists[2] = a->silenced;
    for (l = 0; l < 3; l++) {
        for (i = 0; i < lists[l]->nelts; i++) {
            const oa_finding_t *f = APR_ARRAY_IDX(lists[l], i, const oa_finding_t *);
            if (f->fatal_startup) {
                a->startup = OA_STARTUP_FAILS;
                a->startup_reason = apr_psprintf(a->pool, "%s:%d: %s [%s%s]", f->d.file,
                                                 f->d.line, f->d.message, f->rule->id, why[l]);
                return;
            }
        }
    }
    if (a->skipped->nelts) {
        const oa_skip_t *sk = APR_ARRAY_IDX(a->skipped, 0, const oa_skip_t *);
        a->startup = OA_STARTUP_UNKNOWN;
        a->startup_reason = apr_psprintf(a->pool, "%s:%d: %s %s %s here: httpd reads it at "
                                         "start", sk->d.file, sk->d.line, sk->directive,
                                         sk->path, sk->state == OA_FILE_MISSING
                                         ? "is missing" : "is not readable by this user");
    }
}

/* httpd refuses the config where the reader saw it (its first error), whether or not a
 * rule's finding covers that place (OA305 looks only at SSL vhosts' files) */
static void refused(oa_audit_t *a)
{
    const oa_diag_t *d = a->model->conf->refused;
    int i;
    if (!d) {
        return;
    }
    /* a file that is not here (a checkout without keys) or not readable by this user is
     * "not checked", not a refusal, unless --require-files */
    for (i = 0; !(a->opts && a->opts->require_files) && i < a->skipped->nelts; i++) {
        const oa_skip_t *sk = APR_ARRAY_IDX(a->skipped, i, const oa_skip_t *);
        if (sk->d.line == d->line && sk->d.file && d->file && !strcmp(sk->d.file, d->file)) {
            return;
        }
    }
    a->startup = OA_STARTUP_FAILS;
    a->startup_reason = apr_psprintf(a->pool, "%s:%d: %s", d->file, d->line, d->message);
    for (i = 0; i < a->findings->nelts; i++) {
        const oa_finding_t *f = APR_ARRAY_IDX(a->findings, i, const oa_finding_t *);
        if (f->fatal_startup && f->d.line == d->line && f->d.file && d->file
            && !strcmp(f->d.file, d->file)) {
            a->startup_reason = apr_psprintf(a->pool, "%s:%d: %s [%s]", f->d.file, f->d.line,
                                             f->d.message, f->rule->id);
            return;
        }
    }
}

/* A directive at server level that every vhost inherits (SSLStaplingFakeTryLater off in
 * apache2.conf) gave the same finding at the same line once per vhost: 2,000 lines for
 * 1,000 vhosts. It is reported once, about the server (vh NULL), naming the vhosts. Each
 * vhost's analysis keeps its own copy, so its verdict still counts it. */
typedef struct {
    oa_finding_t *f;                    /* the one reported */
    apr_array_header_t *vhosts;         /* const oa_vhost_t *: those that inherit it */
} inherited_t;

/* the group of findings like f (rule, node, severity and message), made when there is
 * none; *pnew says so. Keyed without the message, which is compared: printing and
 * hashing some 250 bytes per finding was a tenth of an audit at 10,000 vhosts. */
static inherited_t *group_of(apr_pool_t *p, apr_hash_t *groups, oa_finding_t *f, int *pnew)
{
    struct {
        const oa_rule_t *rule;
        const oa_node_t *node;
        int severity;
    } k;
    apr_array_header_t *same;
    inherited_t *g;
    int i;
    memset(&k, 0, sizeof(k));
    k.rule = f->rule;
    k.node = f->node;
    k.severity = (int)f->d.severity;
    if (!(same = apr_hash_get(groups, &k, sizeof(k)))) {
        same = apr_array_make(p, 1, sizeof(inherited_t *));
        apr_hash_set(groups, apr_pmemdup(p, &k, sizeof(k)), sizeof(k), same);
    }
    for (i = 0; i < same->nelts; i++) {
        g = APR_ARRAY_IDX(same, i, inherited_t *);
        if (!strcmp(g->f->d.message, f->d.message)) {
            *pnew = 0;
            return g;
        }
    }
    g = apr_pcalloc(p, sizeof(*g));
    g->f = f;
    g->vhosts = apr_array_make(p, 1, sizeof(const oa_vhost_t *));
    APR_ARRAY_PUSH(same, inherited_t *) = g;
    *pnew = 1;
    return g;
}

static void merge_inherited(oa_audit_t *a)
{
    apr_hash_t *groups = apr_hash_make(a->pool);
    apr_array_header_t *kept = apr_array_make(a->pool, a->findings->nelts, sizeof(oa_finding_t *));
    apr_array_header_t *multi = apr_array_make(a->pool, 2, sizeof(inherited_t *));
    int i;

    for (i = 0; i < a->findings->nelts; i++) {
        oa_finding_t *f = APR_ARRAY_IDX(a->findings, i, oa_finding_t *);
        inherited_t *g;
        int is_new;
        if (!f->vh || !f->node || f->node == f->vh->node) {
            APR_ARRAY_PUSH(kept, oa_finding_t *) = f;
            continue;
        }
        g = group_of(a->pool, groups, f, &is_new);
        if (is_new) {
            APR_ARRAY_PUSH(kept, oa_finding_t *) = f;
        }
        else if (g->vhosts->nelts == 1) {
            APR_ARRAY_PUSH(multi, inherited_t *) = g;
        }
        APR_ARRAY_PUSH(g->vhosts, const oa_vhost_t *) = f->vh;
    }
    for (i = 0; i < multi->nelts; i++) {
        inherited_t *g = APR_ARRAY_IDX(multi, i, inherited_t *);
        const char *shown = "";
        int n;
        for (n = 0; n < g->vhosts->nelts && n < 5; n++) {
            shown = apr_pstrcat(a->pool, shown, n ? ", " : "",
                                oa_vhost_label(a->pool,
                                               APR_ARRAY_IDX(g->vhosts, n, const oa_vhost_t *)),
                                NULL);
        }
        g->f->d.message = apr_psprintf(a->pool, "%s (the same for %d vhosts: %s%s)",
                                       g->f->d.message, g->vhosts->nelts, shown,
                                       g->vhosts->nelts > n
                                       ? apr_psprintf(a->pool, " and %d more", g->vhosts->nelts - n)
                                       : "");
        g->f->vh = NULL;
    }
    if (multi->nelts) {
        a->findings = kept;
    }
}

apr_status_t oa_audit_run(oa_audit_t **paudit, apr_pool_t *p, const oa_model_t *model,
                          oa_pki_t *pki, const oa_audit_opts_t *opts)
{
    oa_audit_t *a = apr_pcalloc(p, sizeof(*a));
    const oa_rule_t *const *r;
    int i;

    a->pool = p;
    a->model = model;
    a->pki = pki;
    a->opts = opts;
    a->now = (opts && opts->now) ? opts->now : apr_time_now();
    a->analyses = apr_array_make(p, 16, sizeof(oa_analysis_t *));
    a->findings = apr_array_make(p, 16, sizeof(oa_finding_t *));
    a->unselected = apr_array_make(p, 4, sizeof(oa_finding_t *));
    a->silenced = apr_array_make(p, 4, sizeof(oa_finding_t *));
    a->skipped = apr_array_make(p, 4, sizeof(oa_skip_t *));
    a->skip_seen = apr_hash_make(p);
    a->startup = OA_STARTUP_OK;

    a->by_index = apr_pcalloc(p, sizeof(*a->by_index) * (apr_size_t)(model->vhosts->nelts + 1));
    for (i = 0; i < model->vhosts->nelts; i++) {
        const oa_vhost_t *vh = APR_ARRAY_IDX(model->vhosts, i, const oa_vhost_t *);
        if (vh->ssl) {
            oa_analysis_t *an = analyse(a, vh);
            APR_ARRAY_PUSH(a->analyses, oa_analysis_t *) = an;
            if (vh->index >= 0 && vh->index < model->vhosts->nelts) {
                a->by_index[vh->index] = an;
            }
        }
    }
    share_by_certificate(a);
    for (r = oa_rules(); *r; r++) {
        (*r)->check(a, *r);
    }
    qsort(a->findings->elts, (size_t)a->findings->nelts, sizeof(oa_finding_t *), finding_cmp);
    qsort(a->unselected->elts, (size_t)a->unselected->nelts, sizeof(oa_finding_t *),
          finding_cmp);
    qsort(a->silenced->elts, (size_t)a->silenced->nelts, sizeof(oa_finding_t *), finding_cmp);
    qsort(a->skipped->elts, (size_t)a->skipped->nelts, sizeof(oa_skip_t *), skip_cmp);
    startup(a);
    /* each finding to its vhost's analysis: one lookup each, not a scan of every vhost
     * (that was quadratic: 4.7 s at 40,000 vhosts) */
    for (i = 0; i < a->findings->nelts; i++) {
        oa_finding_t *f = APR_ARRAY_IDX(a->findings, i, oa_finding_t *);
        oa_analysis_t *an = f->vh ? oa_audit_analysis(a, f->vh) : NULL;
        if (an) {
            APR_ARRAY_PUSH(an->findings, oa_finding_t *) = f;
        }
    }
    merge_inherited(a);
    refused(a);
    *paudit = a;
    return APR_SUCCESS;
}
