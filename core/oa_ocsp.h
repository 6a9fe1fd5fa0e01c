/**
 * @file oa_ocsp.h
 * @brief What an OCSP response says and whether to believe it, for a stapled response
 *        and for one fetched from the responder (OpenSSL's OCSP functions throughout).
 */
#ifndef OA_OCSP_H
#define OA_OCSP_H

#include <apr_pools.h>
#include <apr_time.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

typedef struct oa_ocsp_info_t {
    int decoded;                 /**< the DER decoded as an OCSPResponse */
    int response_status;         /**< OCSP_RESPONSE_STATUS_* or -1 */
    const char *response_status_name; /**< "successful", "tryLater", "unauthorized", ... */
    int cert_status;             /**< V_OCSP_CERTSTATUS_* or -1 (no answer for the cert) */
    const char *cert_status_name;/**< "good", "revoked", "unknown", NULL */
    apr_time_t revoked_at;
    const char *revocation_reason; /**< "keyCompromise", ... or NULL */
    apr_time_t produced_at, this_update, next_update; /**< 0 when absent */
    int verified;                /**< signature and signer authority check out */
    const char *verify_error;    /**< why not */
    const char *signer;          /**< subject of the signer, when known */
    int delegated;               /**< signed by a delegated OCSP signer, not the CA */
    apr_time_t signer_not_after; /**< its expiry, when delegated ... */
    int signer_not_after_known;  /**< ... and decodable */
    int time_ok;                 /**< thisUpdate/nextUpdate fit the clock (with the skew) */
    const char *time_error;      /**< "not yet valid (...)", "expired (...)" */
    apr_interval_time_t seconds_left; /**< until nextUpdate (negative: past), 0 without one */
} oa_ocsp_info_t;

/**
 * Decode and judge an OCSP response for cert (issued by issuer, which may be NULL when
 * it is not known: then nothing can be verified).
 * @param now   the time to judge by (normally apr_time_now())
 * @param skew  the tolerance for thisUpdate in the future and nextUpdate in the past
 */
void oa_ocsp_inspect(oa_ocsp_info_t *out, apr_pool_t *p, const unsigned char *der, long len,
                     X509 *cert, X509 *issuer, apr_time_t now, apr_interval_time_t skew);

/** The same for a response already decoded. */
void oa_ocsp_inspect_response(oa_ocsp_info_t *out, apr_pool_t *p, OCSP_RESPONSE *rsp,
                              X509 *cert, X509 *issuer, apr_time_t now,
                              apr_interval_time_t skew);

/** The word for a staple's state: good, revoked, unknown, trylater, error (a
 *  non-successful response), none (no response). */
const char *oa_ocsp_state(const oa_ocsp_info_t *info, int present);

#endif /* OA_OCSP_H */
