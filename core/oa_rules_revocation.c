/*
 * OA208, OA209: revocation after OCSP. Public CAs may leave OCSP out (Let's Encrypt since
 * May 2025); CRLs stay. These rules look at the revocation path a certificate has at all.
 */
#include <string.h>

#include "oa_rules.h"

/* a certificate check, for each certificate served (the replaced ones never are) */
typedef void cert_fn(oa_audit_t *a, const oa_rule_t *r, const oa_analysis_t *an,
                     const oa_certinfo_t *ci);

static void each_served_leaf(oa_audit_t *a, const oa_rule_t *r, cert_fn *fn)
{
    int i, j;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = OA_ANALYSIS(a, i);
        for (j = 0; j < an->certs->nelts; j++) {
            const oa_certinfo_t *ci = OA_CERT(an, j);
            if (ci->leaf && !ci->replaced) {
                fn(a, r, an, ci);
            }
        }
    }
}

/* OA208: neither an OCSP URL nor a CRL distribution point, and no staple either. */
static void no_revocation_info(oa_audit_t *a, const oa_rule_t *r, const oa_analysis_t *an,
                               const oa_certinfo_t *ci)
{
    if (ci->ocsp_url || oa_x509_has_crldp(ci->leaf) || oa_x509_self_signed(ci->leaf)
        || !strcmp(ci->stapling, OA_STAPLING_ACTIVE)) {
        return;   /* a path exists (or, self-signed, none is expected) */
    }
    oa_audit_report(a, r, OA_SEV_WARNING, an->vh, ci->cert_setting->node,
                    "ask the CA for a certificate with a CRL distribution point (or an OCSP "
                    "URL); until then, a stolen key cannot be revoked for anyone",
                    "%s (%s) names neither an OCSP responder nor a CRL distribution point: "
                    "clients have no way to learn that it was revoked", ci->cert_path,
                    oa_x509_subject(a->pool, ci->leaf));
}

/* OA209: Must-Staple, but no responder to get the staple from. */
static void must_staple_without_ocsp_url(oa_audit_t *a, const oa_rule_t *r,
                                         const oa_analysis_t *an, const oa_certinfo_t *ci)
{
    if (!ci->must_staple || ci->ocsp_url || ci->url) {
        return;   /* a responder to ask (the certificate's, or SSLStaplingForceURL) */
    }
    oa_audit_report(a, r, OA_SEV_ERROR, an->vh, ci->cert_setting->node,
                    "get a certificate without the Must-Staple (TLS Feature) extension; if "
                    "the CA does run a responder, set SSLStaplingForceURL to it",
                    "%s is a Must-Staple certificate (TLS Feature status_request) without an "
                    "OCSP responder URL: no staple can ever be fetched, so every Firefox "
                    "connection fails (MOZILLA_PKIX_ERROR_REQUIRED_TLS_FEATURE_MISSING)",
                    ci->cert_path);
}

void oa_rule_no_revocation_info(oa_audit_t *a, const oa_rule_t *r)
{
    each_served_leaf(a, r, no_revocation_info);
}

void oa_rule_must_staple_without_ocsp_url(oa_audit_t *a, const oa_rule_t *r)
{
    each_served_leaf(a, r, must_staple_without_ocsp_url);
}
