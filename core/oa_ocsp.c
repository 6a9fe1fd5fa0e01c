#include <string.h>

#include <apr_strings.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "oa_ocsp.h"
#include "oa_pki.h"

static const char *reason_name(int reason)
{
    static const char *const names[] = { "unspecified", "keyCompromise", "cACompromise",
        "affiliationChanged", "superseded", "cessationOfOperation", "certificateHold",
        "(unused)", "removeFromCRL", "privilegeWithdrawn", "aACompromise" };
    return (reason >= 0 && reason <= 10) ? names[reason] : NULL;
}

static const char *status_name(int s)
{
    switch (s) {
    case OCSP_RESPONSE_STATUS_SUCCESSFUL: return "successful";
    case OCSP_RESPONSE_STATUS_MALFORMEDREQUEST: return "malformedRequest";
    case OCSP_RESPONSE_STATUS_INTERNALERROR: return "internalError";
    case OCSP_RESPONSE_STATUS_TRYLATER: return "tryLater";
    case OCSP_RESPONSE_STATUS_SIGREQUIRED: return "sigRequired";
    case OCSP_RESPONSE_STATUS_UNAUTHORIZED: return "unauthorized";
    default: return "unknown response status";
    }
}

/* signature and authority: the CA itself, or a delegated signer it issued with the
 * OCSPSigning purpose, valid at `now` */
static void verify(oa_ocsp_info_t *out, apr_pool_t *p, OCSP_BASICRESP *bs, X509 *issuer,
                   apr_time_t now)
{
    X509_STORE *store = X509_STORE_new();
    STACK_OF(X509) *certs = sk_X509_new_null();
    X509 *signer = NULL;
    apr_time_t signer_nb = 0;
    int signer_nb_known = 0;

    X509_STORE_add_cert(store, issuer);
    X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), (time_t)apr_time_sec(now));
    sk_X509_push(certs, issuer);

    if (OCSP_resp_get0_signer(bs, &signer, certs) == 1 && signer) {
        out->signer = oa_x509_subject(p, signer);
        out->delegated = X509_cmp(signer, issuer) != 0;
        if (out->delegated) {
            out->signer_not_after_known = oa_x509_not_after(&out->signer_not_after, signer);
            signer_nb_known = oa_x509_not_before(&signer_nb, signer);
        }
    }
    ERR_clear_error();
    if (OCSP_basic_verify(bs, certs, store, 0) == 1) {
        out->verified = 1;
    }
    else {
        const char *why = oa_openssl_error(p, "unknown error");
        if (signer && out->delegated && out->signer_not_after_known
            && out->signer_not_after < now) {
            why = apr_psprintf(p, "the delegated OCSP signer %s expired on %s", out->signer,
                               oa_time_str(p, out->signer_not_after));
        }
        else if (signer && out->delegated && signer_nb_known && signer_nb > now) {
            why = apr_psprintf(p, "the delegated OCSP signer %s is not valid before %s (is this "
                               "clock behind?)", out->signer, oa_time_str(p, signer_nb));
        }
        else if (signer && out->delegated && !oa_x509_issued(issuer, signer)) {
            why = apr_psprintf(p, "signed by %s, which the certificate's issuer did not "
                               "authorize", out->signer);
        }
        out->verify_error = why;
    }
    sk_X509_free(certs);
    X509_STORE_free(store);
}

void oa_ocsp_inspect_response(oa_ocsp_info_t *out, apr_pool_t *p, OCSP_RESPONSE *rsp,
                              X509 *cert, X509 *issuer, apr_time_t now,
                              apr_interval_time_t skew)
{
    OCSP_BASICRESP *bs = NULL;
    OCSP_CERTID *id = NULL;
    int status, reason = -1;
    ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;

    memset(out, 0, sizeof(*out));
    out->response_status = -1;
    out->cert_status = -1;
    if (!rsp) {
        return;
    }
    out->decoded = 1;
    out->response_status = OCSP_response_status(rsp);
    out->response_status_name = status_name(out->response_status);
    if (out->response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        return;
    }
    bs = OCSP_response_get1_basic(rsp);
    if (!bs) {
        out->verify_error = apr_psprintf(p, "no basic response: %s", oa_openssl_error(p, "unknown error"));
        return;
    }
    out->produced_at = oa_asn1_time(OCSP_resp_get0_produced_at(bs));
    if (!issuer) {
        out->verify_error = "the issuer certificate is not known: the response cannot be "
                            "checked";
    }
    else {
        id = OCSP_cert_to_id(NULL, cert, issuer);
        if (id && OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd) == 1) {
            out->cert_status = status;
            out->cert_status_name = OCSP_cert_status_str(status);
            out->revoked_at = oa_asn1_time(rev);
            out->revocation_reason = status == V_OCSP_CERTSTATUS_REVOKED ? reason_name(reason) : NULL;
            out->this_update = oa_asn1_time(thisupd);
            out->next_update = oa_asn1_time(nextupd);
        }
        else {
            out->verify_error = "the response has no status for this certificate (it answers "
                                "for another one)";
        }
        ERR_clear_error();
        verify(out, p, bs, issuer, now);
    }
    if (out->this_update) {
        out->time_ok = 1;
        if (out->this_update > now + skew) {
            out->time_ok = 0;
            out->time_error = apr_psprintf(p, "not yet valid: thisUpdate %s is %"
                                           APR_TIME_T_FMT " s ahead of this clock (clock skew?)",
                                           oa_time_str(p, out->this_update),
                                           apr_time_sec(out->this_update - now));
        }
        else if (out->next_update && out->next_update + skew < now) {
            out->time_ok = 0;
            out->time_error = apr_psprintf(p, "expired: nextUpdate %s passed %" APR_TIME_T_FMT
                                           " s ago", oa_time_str(p, out->next_update),
                                           apr_time_sec(now - out->next_update));
        }
        if (out->next_update) {
            out->seconds_left = apr_time_sec(out->next_update - now);
        }
    }
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(bs);
}

void oa_ocsp_inspect(oa_ocsp_info_t *out, apr_pool_t *p, const unsigned char *der, long len,
                     X509 *cert, X509 *issuer, apr_time_t now, apr_interval_time_t skew)
{
    const unsigned char *d = der;
    OCSP_RESPONSE *rsp = (der && len > 0) ? d2i_OCSP_RESPONSE(NULL, &d, len) : NULL;
    if (!rsp) {
        memset(out, 0, sizeof(*out));
        out->response_status = -1;
        out->cert_status = -1;
        if (der && len > 0) {
            out->verify_error = apr_psprintf(p, "not an OCSP response: %s", oa_openssl_error(p, "unknown error"));
        }
        return;
    }
    oa_ocsp_inspect_response(out, p, rsp, cert, issuer, now, skew);
    OCSP_RESPONSE_free(rsp);
}

const char *oa_ocsp_state(const oa_ocsp_info_t *info, int present)
{
    if (!present) {
        return "none";
    }
    if (!info->decoded) {
        return "error";
    }
    if (info->response_status == OCSP_RESPONSE_STATUS_TRYLATER) {
        return "trylater";
    }
    if (info->response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL || info->cert_status < 0) {
        return "error";
    }
    return info->cert_status_name;
}
