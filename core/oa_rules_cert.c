/*
 * OA3xx: the certificates and keys themselves (what ssl_engine_init.c loads).
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_file_info.h>

#include "oa_rules.h"

#define DAY APR_TIME_C(86400000000)

/* every certificate the vhost sends: the leaf, then the chain */
typedef void cert_fn(oa_audit_t *a, const oa_rule_t *r, const oa_analysis_t *an,
                     const oa_certinfo_t *ci, X509 *x, int is_leaf);

/* has the vhost sent c before: in the chain of an earlier certificate, or earlier in
 * certificate j's (k: c's place there)? Chains are short; a hash of every vhost's
 * intermediates cost more than the checks it served. */
static int sent_before(const oa_analysis_t *an, int j, int k, X509 *c)
{
    int jj, kk;
    for (jj = 0; jj <= j; jj++) {
        const oa_certinfo_t *ci = OA_CERT(an, jj);
        int n = jj < j ? sk_X509_num(ci->chain) : k;
        for (kk = 0; ci->leaf && kk < n; kk++) {
            if (sk_X509_value(ci->chain, kk) == c) {
                return 1;
            }
        }
    }
    return 0;
}

static void each_sent_cert(oa_audit_t *a, const oa_rule_t *r, cert_fn *fn)
{
    int i, j, k;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        for (j = 0; j < an->certs->nelts; j++) {
            const oa_certinfo_t *ci = OA_CERT(an, j);
            if (!ci->leaf) {
                continue;
            }
            fn(a, r, an, ci, ci->leaf, 1);
            for (k = 0; k < sk_X509_num(ci->chain); k++) {
                X509 *c = sk_X509_value(ci->chain, k);
                /* one finding per intermediate and vhost */
                if (!sent_before(an, j, k, c)) {
                    fn(a, r, an, ci, c, 0);
                }
            }
        }
    }
}

static const oa_node_t *where_sent(const oa_analysis_t *an, const oa_certinfo_t *ci, int is_leaf)
{
    if (!is_leaf && ci->chain_file) {
        return oa_vhost_get(an->vh, "SSLCertificateChainFile")->node;
    }
    return ci->cert_setting->node;
}

static void expired(oa_audit_t *a, const oa_rule_t *r, const oa_analysis_t *an,
                    const oa_certinfo_t *ci, X509 *x, int is_leaf)
{
    apr_time_t na;
    if (oa_pki_not_after(a->pki, &na, x) && na < a->now) {
        oa_audit_report(a, r, OA_SEV_ERROR, an->vh, where_sent(an, ci, is_leaf),
                        is_leaf ? "renew the certificate and reload httpd"
                                : "replace the intermediate with the current one from your CA",
                        "%s %s expired on %s: clients refuse the connection", is_leaf
                        ? "the certificate" : "the intermediate", oa_x509_subject(a->pool, x),
                        oa_time_str(a->pool, na));
    }
}

static void not_yet_valid(oa_audit_t *a, const oa_rule_t *r, const oa_analysis_t *an,
                          const oa_certinfo_t *ci, X509 *x, int is_leaf)
{
    apr_time_t nb;
    if (oa_pki_not_before(a->pki, &nb, x) && nb > a->now) {
        oa_audit_report(a, r, OA_SEV_ERROR, an->vh, where_sent(an, ci, is_leaf),
                        "check the server's clock (and the CA's): clients refuse the "
                        "certificate until then",
                        "%s %s is not valid before %s", is_leaf ? "the certificate"
                        : "the intermediate", oa_x509_subject(a->pool, x),
                        oa_time_str(a->pool, nb));
    }
}

static void expiring(oa_audit_t *a, const oa_rule_t *r, const oa_analysis_t *an,
                     const oa_certinfo_t *ci, X509 *x, int is_leaf)
{
    apr_time_t na;
    int days = (a->opts && a->opts->expiry_days > 0) ? a->opts->expiry_days : 14;
    if (oa_pki_not_after(a->pki, &na, x) && na >= a->now && na < a->now + days * DAY) {
        oa_audit_report(a, r, OA_SEV_WARNING, an->vh, where_sent(an, ci, is_leaf),
                        "renew it now and reload httpd (and check that automatic renewal works)",
                        "%s %s expires on %s, in %d day(s)", is_leaf ? "the certificate"
                        : "the intermediate", oa_x509_subject(a->pool, x), oa_time_str(a->pool, na),
                        (int)((na - a->now) / DAY));
    }
}

void oa_rule_certificate_expired(oa_audit_t *a, const oa_rule_t *r)
{
    each_sent_cert(a, r, expired);
}

void oa_rule_certificate_not_yet_valid(oa_audit_t *a, const oa_rule_t *r)
{
    each_sent_cert(a, r, not_yet_valid);
}

void oa_rule_certificate_expiring(oa_audit_t *a, const oa_rule_t *r)
{
    each_sent_cert(a, r, expiring);
}

/* OA304: the private key does not belong to the certificate: httpd will not start. */
void oa_rule_key_mismatch(oa_audit_t *a, const oa_rule_t *r)
{
    int i, j;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        for (j = 0; j < an->certs->nelts; j++) {
            const oa_certinfo_t *ci = OA_CERT(an, j);
            const oa_pemfile_t *kf = ci->key_file ? ci->key_file : ci->cert_file;
            const oa_node_t *at = ci->key_setting ? ci->key_setting->node : ci->cert_setting->node;
            oa_finding_t *f;
            if (!ci->leaf || (ci->key_file && ci->key_file->error)) {
                continue;
            }
            if (kf->key_encrypted) {
                oa_audit_report(a, r, OA_SEV_NOTE, an->vh, at, "nothing to do, or check it with: "
                                "openssl x509 -noout -pubkey -in CERT; openssl pkey -pubout -in KEY",
                                "the private key in %s is encrypted: not compared with the "
                                "certificate (httpd asks for the pass phrase at start)", kf->path);
                continue;
            }
            if (!kf->key) {
                f = oa_audit_report(a, r, OA_SEV_ERROR, an->vh, at,
                                    "add SSLCertificateKeyFile with the key of this certificate",
                                    "no private key for %s: neither SSLCertificateKeyFile nor the "
                                    "certificate file holds one: httpd refuses to start",
                                    ci->cert_path);
            }
            else if (!oa_pki_key_matches(a->pki, ci->leaf, kf->key)) {
                f = oa_audit_report(a, r, OA_SEV_ERROR, an->vh, at,
                                    "point SSLCertificateKeyFile at the key this certificate was "
                                    "issued for (a renewal may have made a new key)",
                                    "the private key in %s does not match the certificate %s: "
                                    "httpd refuses to start (AH02565)", kf->path, ci->cert_path);
            }
            else {
                continue;
            }
            if (f) {
                f->fatal_startup = 1;
            }
        }
    }
}

static void unreadable(oa_audit_t *a, const oa_rule_t *r, const oa_vhost_t *vh,
                       const oa_setting_t *s, const oa_pemfile_t *f, int need_cert)
{
    oa_finding_t *fd = NULL;
    const oa_node_t *at = s->node;
    const char *directive = s->directive;
    if (oa_audit_file_skipped(a, vh, s, f)) {
        return;   /* not here, or not ours to read: a skipped check, not a finding */
    }
    if (need_cert == 2 && f->error && strstr(f->error, "holds no PEM data")) {
        /* use_certificate_chain gives up quietly on a file without PEM data */
        oa_audit_report(a, r, OA_SEV_ERROR, vh, at, "point it at the intermediate "
                        "certificate(s) in PEM, or put them after the leaf in "
                        "SSLCertificateFile", "%s: %s: httpd starts without the chain: clients "
                        "get an incomplete chain and stapling finds no issuer there", directive,
                        f->error);
        return;
    }
    if (f->error) {
        fd = oa_audit_report(a, r, OA_SEV_ERROR, vh, at, "fix the path or the file's permissions "
                             "(httpd reads it as root at start)", "%s: %s: httpd refuses to start",
                             directive, f->error);
    }
    else if (need_cert && !sk_X509_num(f->certs)) {
        fd = oa_audit_report(a, r, OA_SEV_ERROR, vh, at, "point it at the PEM certificate file",
                             "%s %s holds no certificate: httpd refuses to start", directive,
                             f->path);
    }
    if (fd) {
        fd->fatal_startup = 1;
    }
}

/* does a directory hold a file with a certificate in it? */
static int dir_has_certificates(oa_audit_t *a, const char *dir)
{
    apr_dir_t *d;
    apr_finfo_t de;
    int found = 0, n = 0;
    if (apr_dir_open(&d, dir, a->pool) != APR_SUCCESS) {
        return 0;
    }
    while (!found && n < 10000 && apr_dir_read(&de, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS) {
        n++;
        if (de.filetype == APR_REG || de.filetype == APR_LNK) {
            const char *path = apr_pstrcat(a->pool, dir, "/", de.name, NULL);
            found = sk_X509_num(oa_pki_file(a->pki, path)->certs) > 0;
        }
    }
    apr_dir_close(d);
    return found;
}

/* OA305: a file named for the certificate, key, chain or CA store gives nothing usable. */
void oa_rule_certificate_unreadable(oa_audit_t *a, const oa_rule_t *r)
{
    int i, j;
    apr_hash_t *seen = apr_hash_make(a->pool);
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        const oa_setting_t *chain = oa_vhost_get(an->vh, "SSLCertificateChainFile");
        const oa_setting_t *caf = oa_vhost_get(an->vh, "SSLCACertificateFile");
        const oa_setting_t *cap = oa_vhost_get(an->vh, "SSLCACertificatePath");
        /* the CA store (mod_ssl checks it at config time, AH01895 when unusable); once
         * per directive, however many vhosts inherit it */
        if (caf && caf->argv->nelts && !apr_hash_get(seen, caf->node, sizeof(void *))) {
            apr_hash_set(seen, caf->node, sizeof(void *), caf);
            unreadable(a, r, caf->inherited ? NULL : an->vh, caf,
                       oa_pki_file(a->pki, oa_audit_path(a, caf)), 1);
        }
        if (cap && cap->argv->nelts && !apr_hash_get(seen, cap->node, sizeof(void *))) {
            const char *path = oa_audit_path(a, cap);
            apr_finfo_t fi;
            apr_hash_set(seen, cap->node, sizeof(void *), cap);
            if (oa_audit_dir_skipped(a, an->vh, cap, path)) {
                /* the checks that need it are listed as skipped */
            }
            else if (apr_stat(&fi, path, APR_FINFO_TYPE, a->pool) == APR_SUCCESS
                && fi.filetype == APR_DIR && !dir_has_certificates(a, path)) {
                oa_finding_t *f = oa_audit_report(a, r, OA_SEV_ERROR, cap->inherited ? NULL : an->vh,
                                                  cap->node, "put the CA certificates there and "
                                                  "run openssl rehash on the directory, or remove "
                                                  "SSLCACertificatePath",
                                                  "SSLCACertificatePath: %s holds no certificate: "
                                                  "httpd refuses to start (AH01896 \"Unable to "
                                                  "determine list of acceptable CA certificates\")",
                                                  path);
                if (f) {
                    f->fatal_startup = 1;
                }
            }
            else if (apr_stat(&fi, path, APR_FINFO_TYPE, a->pool) != APR_SUCCESS
                || fi.filetype != APR_DIR) {
                oa_finding_t *f = oa_audit_report(a, r, OA_SEV_ERROR, cap->inherited ? NULL : an->vh,
                                                  cap->node, "point it at the directory of hashed "
                                                  "CA certificates (openssl rehash DIR)",
                                                  "SSLCACertificatePath: %s is not a directory: "
                                                  "httpd refuses to start", path);
                if (f) {
                    f->fatal_startup = 1;
                }
            }
        }
        if (!an->certs->nelts && !an->vh->md) {
            const oa_setting_t *eng = oa_vhost_get(an->vh, "SSLEngine");
            oa_finding_t *f = oa_audit_report(a, r, OA_SEV_ERROR, an->vh, eng ? eng->node : NULL,
                                              "add SSLCertificateFile and SSLCertificateKeyFile",
                                              "SSL is on for %s but no certificate is configured: "
                                              "httpd refuses to start (AH02572)",
                                              oa_vhost_label(a->pool, an->vh));
            if (f) {
                f->fatal_startup = 1;
            }
        }
        for (j = 0; j < an->certs->nelts; j++) {
            const oa_certinfo_t *ci = OA_CERT(an, j);
            unreadable(a, r, an->vh, ci->cert_setting, ci->cert_file, 1);
            if (ci->key_file) {
                unreadable(a, r, an->vh, ci->key_setting, ci->key_file, 0);
            }
            if (j == 0 && ci->chain_file) {
                unreadable(a, r, an->vh, chain, ci->chain_file, 2);
            }
        }
    }
}
