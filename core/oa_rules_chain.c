/*
 * OA2xx: whether mod_ssl can build the OCSP request and reach a responder
 * (stapling_get_issuer, ssl_stapling_init_cert, stapling_renew_response).
 */
#include <string.h>

#include <apr_strings.h>

#include "oa_rules.h"

/* OA201: the issuer of the leaf is nowhere mod_ssl looks (AH02217). */
void oa_rule_issuer_not_found(oa_audit_t *a, const oa_rule_t *r)
{
    int i, j;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        for (j = 0; j < an->certs->nelts; j++) {
            const oa_certinfo_t *ci = OA_CERT(an, j);
            int staples = an->stapling_on || an->md_staples;
            if (!ci->leaf || ci->replaced || ci->issuer || ci->unknown
                || oa_x509_self_signed(ci->leaf)) {
                continue;
            }
            oa_audit_report(a, r, staples ? OA_SEV_ERROR : OA_SEV_WARNING, an->vh,
                            ci->cert_setting->node,
                            "put the intermediate certificate(s) after the leaf in "
                            "SSLCertificateFile (the CA's \"fullchain\" file): mod_ssl never "
                            "looks in the system's CA store",
                            "the issuer of %s (%s) is not in SSLCertificateFile, "
                            "SSLCertificateChainFile or SSLCACertificateFile/Path%s",
                            oa_x509_subject(a->pool, ci->leaf),
                            oa_x509_issuer_name(a->pool, ci->leaf),
                            an->stapling_on
                            ? ": mod_ssl logs AH02217 \"can't retrieve issuer certificate\" and "
                              "cannot staple it (unless another vhost with the same certificate "
                              "finds the issuer); clients also get an incomplete chain"
                            : an->md_staples
                            ? ": mod_md cannot staple it (and nothing is logged); clients also "
                              "get an incomplete chain"
                            : ": clients get an incomplete chain, and stapling could not work "
                              "if enabled");
        }
    }
}

/* OA202: a chain that does not chain. */
void oa_rule_chain_order(oa_audit_t *a, const oa_rule_t *r)
{
    int i, j, k;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        for (j = 0; j < an->certs->nelts; j++) {
            const oa_certinfo_t *ci = OA_CERT(an, j);
            const oa_pemfile_t *cf = ci->cert_file;
            const oa_node_t *chain_at = ci->chain_file
                ? oa_vhost_get(an->vh, "SSLCertificateChainFile")->node : ci->cert_setting->node;
            X509 *prev;
            int certifies = 0;

            if (!ci->leaf) {
                continue;
            }
            /* the leaf must come first in SSLCertificateFile */
            if (oa_x509_is_ca(ci->leaf) && sk_X509_num(cf->certs) > 1) {
                for (k = 1; k < sk_X509_num(cf->certs); k++) {
                    X509 *c = sk_X509_value(cf->certs, k);
                    if (!oa_x509_is_ca(c)) {
                        oa_audit_report(a, r, OA_SEV_ERROR, an->vh, ci->cert_setting->node,
                                        "reorder the file: the server's own certificate first, "
                                        "then the intermediate that issued it, then the next one up",
                                        "%s starts with the CA certificate %s, not with the "
                                        "server's certificate %s: mod_ssl serves the first one as "
                                        "the server's certificate", ci->cert_path,
                                        oa_x509_subject(a->pool, ci->leaf),
                                        oa_x509_subject(a->pool, c));
                        break;
                    }
                }
                continue;
            }
            if (ci->chain_file && sk_X509_num(cf->certs) > 1
                && strcmp(ci->chain_file->path, ci->cert_path)) {
                oa_audit_report(a, r, OA_SEV_WARNING, an->vh, ci->cert_setting->node,
                                "keep either the chain in SSLCertificateFile (and drop "
                                "SSLCertificateChainFile) or a certificate file with only the leaf",
                                "%s holds %d more certificate(s) after the leaf, which httpd "
                                "ignores because SSLCertificateChainFile is set: clients get "
                                "the chain file's certificates instead", ci->cert_path,
                                sk_X509_num(cf->certs) - 1);
            }
            if (!sk_X509_num(ci->chain)) {
                continue;
            }
            for (k = 0; k < sk_X509_num(ci->chain); k++) {
                if (oa_pki_issued(a->pki, sk_X509_value(ci->chain, k), ci->leaf)) {
                    certifies = 1;
                }
            }
            /* every certificate sent must issue the one before it */
            prev = ci->leaf;
            for (k = 0; k < sk_X509_num(ci->chain); k++) {
                X509 *c = sk_X509_value(ci->chain, k);
                if (!oa_pki_issued(a->pki, c, prev)) {
                    int m, issues_any = 0;
                    for (m = 0; m < sk_X509_num(ci->chain); m++) {
                        if (m != k && oa_pki_issued(a->pki, c, sk_X509_value(ci->chain, m))) {
                            issues_any = 1;
                        }
                    }
                    if (!issues_any && !oa_pki_issued(a->pki, c, ci->leaf)) {
                        oa_audit_report(a, r, OA_SEV_WARNING, an->vh, chain_at,
                                        "remove it: a chain left from an earlier certificate "
                                        "(\"stale path after renewal\") confuses strict clients",
                                        "%s in %s issues no certificate of this chain (%s): an "
                                        "unrelated or stale intermediate",
                                        oa_x509_subject(a->pool, c), ci->chain_from,
                                        oa_x509_subject(a->pool, prev));
                    }
                    else {
                        oa_audit_report(a, r, OA_SEV_WARNING, an->vh, chain_at,
                                        "order the chain leaf first, then each issuer after the "
                                        "certificate it issued",
                                        "the chain in %s is out of order: %s does not issue %s, "
                                        "the certificate before it", ci->chain_from,
                                        oa_x509_subject(a->pool, c),
                                        oa_x509_subject(a->pool, prev));
                    }
                    break;
                }
                prev = c;
            }
            if (!certifies && ci->chain_file) {
                oa_audit_report(a, r, OA_SEV_ERROR, an->vh, chain_at,
                                "replace the chain file with the one your CA issued with the "
                                "current certificate",
                                "SSLCertificateChainFile %s does not certify %s (issued by %s): "
                                "the chain file was not renewed with the certificate",
                                ci->chain_file->path, oa_x509_subject(a->pool, ci->leaf),
                                oa_x509_issuer_name(a->pool, ci->leaf));
            }
        }
    }
}

/* OA203's finding: the hint names the CRL the certificate has instead, if any */
static void no_ocsp_url_report(oa_audit_t *a, const oa_rule_t *r, const oa_analysis_t *an,
                               const oa_certinfo_t *ci, const oa_setting_t *use)
{
    const char *crl = oa_x509_crl_url(a->pool, ci->leaf);
    int crldp = oa_x509_has_crldp(ci->leaf);
    const char *crl_at = crl ? apr_psprintf(a->pool, " at %s", crl) : "";
    oa_audit_report(a, r, OA_SEV_WARNING, an->vh, use ? use->node : ci->cert_setting->node,
                    crldp ? apr_psprintf(a->pool, "nothing to staple: turn SSLUseStapling off for "
                                         "this vhost (clients use the certificate's CRL%s; "
                                         "ocsp-lint --online checks it), or set "
                                         "SSLStaplingForceURL if your CA still runs a responder",
                                         crl_at)
                          : "turn SSLUseStapling off for this vhost, or set "
                            "SSLStaplingForceURL to the CA's responder",
                    "%s has no OCSP responder URL%s%s", ci->cert_path,
                    an->md_staples ? " (mod_md cannot staple it)"
                                   : " and no SSLStaplingForceURL is set: mod_ssl logs "
                                     "AH02218 and never staples",
                    crldp ? apr_psprintf(a->pool, " (the certificate has a CRL distribution "
                                         "point%s instead, as Let's Encrypt certificates have "
                                         "since May 2025)", crl_at)
                          : " (and it has no CRL distribution point either)");
}

/* OA203: stapling on, but the certificate names no responder (AH02218). */
void oa_rule_no_ocsp_url(oa_audit_t *a, const oa_rule_t *r)
{
    int i, j;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        const oa_setting_t *use = oa_vhost_get(an->vh, "SSLUseStapling");
        for (j = 0; j < an->certs->nelts; j++) {
            const oa_certinfo_t *ci = OA_CERT(an, j);
            if (!ci->leaf || ci->replaced || ci->ocsp_url || (!an->stapling_on && !an->md_staples)) {
                continue;
            }
            if (an->stapling_on && !an->md_staples && ci->url) {
                continue;   /* SSLStaplingForceURL supplies one */
            }
            no_ocsp_url_report(a, r, an, ci, use);
        }
    }
}

/* OA204: a responder URL mod_ssl's client cannot use: every stapled handshake fails
 * (no plain http), or every fetch fails and clients get a made-up tryLater (no host). */
static void report_unusable_url(oa_audit_t *a, const oa_rule_t *r, const oa_analysis_t *an,
                                const oa_certinfo_t *ci, const oa_setting_t *force)
{
    int forced = force && force->argv->nelts
                 && !strcmp(ci->url, APR_ARRAY_IDX(force->argv, 0, const char *));
    const oa_node_t *at = forced ? force->node : ci->cert_setting->node;
    const char *by = forced ? " set by SSLStaplingForceURL" : " named by the certificate";
    if (ci->url_usable < 0) {
        oa_audit_report(a, r, OA_SEV_WARNING, an->vh, at,
                        "give the responder URL its host: http://HOST[:PORT]/PATH",
                        "the OCSP responder URL '%s'%s names no host: every fetch of mod_ssl "
                        "fails (AH01972), so no real staple is ever sent (clients get a "
                        "made-up tryLater while SSLStaplingFakeTryLater is on)", ci->url, by);
        return;
    }
    oa_audit_report(a, r, ci->issuer ? OA_SEV_ERROR : OA_SEV_WARNING, an->vh, at,
                    forced ? "set SSLStaplingForceURL to a plain http:// URL of the "
                             "responder (OCSP is signed; it needs no TLS)"
                           : "set SSLStaplingForceURL to the responder's plain http:// "
                             "URL, or turn stapling off for this certificate",
                    "mod_ssl cannot query the OCSP responder '%s'%s (it speaks only plain "
                    "http): every TLS handshake that asks for a staple, as browsers do, "
                    "fails (%s): an outage", ci->url, by,
                    strstr(ci->url, "://") ? "AH01939/AH01940, then AH01955"
                    : "without a scheme the child process crashes, AH00052");
}

void oa_rule_unusable_responder_url(oa_audit_t *a, const oa_rule_t *r)
{
    int i, j;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        const oa_setting_t *force = oa_vhost_get(an->vh, "SSLStaplingForceURL");
        for (j = 0; j < an->certs->nelts; j++) {
            const oa_certinfo_t *ci = OA_CERT(an, j);
            if (ci->leaf && !ci->replaced && an->stapling_on && !an->md_staples && ci->url
                && ci->url_usable <= 0) {
                report_unusable_url(a, r, an, ci, force);
            }
        }
    }
}

/* OA205: a Must-Staple certificate that will be served without a staple. */
void oa_rule_must_staple_not_stapled(oa_audit_t *a, const oa_rule_t *r)
{
    int i, j;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        for (j = 0; j < an->certs->nelts; j++) {
            const oa_certinfo_t *ci = OA_CERT(an, j);
            if (!ci->leaf || ci->replaced || !ci->must_staple
                || (!ci->ocsp_url && !ci->url)   /* no responder at all: OA209 */
                || !strcmp(ci->stapling, OA_STAPLING_ACTIVE)
                || !strcmp(ci->stapling, OA_STAPLING_UNKNOWN)) {
                continue;
            }
            oa_audit_report(a, r, OA_SEV_ERROR, an->vh, ci->cert_setting->node,
                            "make this vhost staple (SSLUseStapling on, a stapling cache, the "
                            "issuer in the chain), or get a certificate without Must-Staple",
                            "%s is a Must-Staple certificate (TLS Feature status_request) but "
                            "the vhost will not staple (%s): Firefox refuses the connection "
                            "(MOZILLA_PKIX_ERROR_REQUIRED_TLS_FEATURE_MISSING)",
                            ci->cert_path, ci->why ? ci->why : ci->stapling);
        }
    }
}
