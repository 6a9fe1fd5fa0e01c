/**
 * @file oa_pki.h
 * @brief Certificates and keys as mod_ssl loads them, each file read once, and the
 *        X.509 facts stapling depends on (OCSP URL, Must-Staple, issuer, validity).
 */
#ifndef OA_PKI_H
#define OA_PKI_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include <openssl/x509.h>
#include <openssl/evp.h>

/** Whether a file could be read at all. Absent and unreadable files are facts about
 *  where we run (a checkout without the private keys, a user who is not root), not
 *  about the configuration: the checks that need them are skipped, not failed. */
typedef enum {
    OA_FILE_READ = 0,       /**< read; its content may still be wrong (see error) */
    OA_FILE_MISSING,        /**< not there (ENOENT, ENOTDIR) */
    OA_FILE_UNREADABLE      /**< there, but not readable by us (EACCES, EPERM) */
} oa_file_state_e;

/** "read", "missing", "unreadable" */
const char *oa_file_state_name(oa_file_state_e state);

/** The state a failed stat or open leaves a file in (OA_FILE_READ for other errors). */
oa_file_state_e oa_file_state_of(apr_status_t rv);

/** A PEM file: its certificates in order, its private key, or why it could not be read. */
typedef struct oa_pemfile_t {
    const char *path;
    oa_file_state_e state;       /**< could it be read at all */
    const char *error;           /**< NULL, or why the file gives nothing usable */
    STACK_OF(X509) *certs;       /**< certificates in file order (never NULL) */
    EVP_PKEY *key;               /**< the first private key in the file, or NULL */
    int key_encrypted;           /**< a key is there but needs a pass phrase */
} oa_pemfile_t;

typedef struct oa_pki_t oa_pki_t;

/** A cache of files read: a certificate named by a thousand vhosts is read once. */
oa_pki_t *oa_pki_make(apr_pool_t *p);

/** Read (once) a PEM file of certificates and/or a key with OpenSSL's PEM reader, as
 *  mod_ssl does: any size (streamed), comments and other text between objects skipped.
 *  Never NULL. */
const oa_pemfile_t *oa_pki_file(oa_pki_t *pki, const char *path);

/** Decode PEM data held in memory (len bytes, any content) as if read from a file
 *  called name (for fuzzing and tests). Not cached. Never NULL. */
const oa_pemfile_t *oa_pki_parse(oa_pki_t *pki, const char *name, const char *buf,
                                 apr_size_t len);

/** Certificates of a hashed CA directory (SSLCACertificatePath) that could issue x. */
STACK_OF(X509) *oa_pki_capath_issuers(oa_pki_t *pki, const char *dir, X509 *x);

/**
 * The same checks as oa_x509_issued (names, key identifiers and signature),
 * X509_check_issued (what mod_ssl's issuer lookup uses: names and key identifiers) and
 * oa_x509_key_matches, remembered per pair: a thousand vhosts sharing a certificate cost
 * one signature check.
 */
int oa_pki_issued(oa_pki_t *pki, X509 *issuer, X509 *x);
int oa_pki_check_issued(oa_pki_t *pki, X509 *issuer, X509 *x);
int oa_pki_key_matches(oa_pki_t *pki, X509 *x, EVP_PKEY *key);

/** Read files only below dir (absolute): others are "cannot read" (fuzzing and tests:
 *  a configuration cannot make the audit read the machine's files). */
void oa_pki_confine(oa_pki_t *pki, const char *dir);

/** Files read so far (for statistics and tests). */
int oa_pki_files_read(const oa_pki_t *pki);

/** The certificate's SHA-256 fingerprint in hex (a key for "the same certificate"). */
const char *oa_x509_fingerprint(apr_pool_t *p, X509 *x);

/** The same, made once per certificate of the cache (the X509 must live as long as it:
 *  one of its files' certificates). */
const char *oa_pki_fingerprint(oa_pki_t *pki, X509 *x);

/** oa_x509_ocsp_url and oa_x509_must_staple, read once per certificate of the cache. */
const char *oa_pki_ocsp_url(oa_pki_t *pki, X509 *x);
int oa_pki_must_staple(oa_pki_t *pki, X509 *x);

/** oa_x509_not_before and oa_x509_not_after, decoded once per certificate of the cache. */
int oa_pki_not_before(oa_pki_t *pki, apr_time_t *pt, X509 *x);
int oa_pki_not_after(oa_pki_t *pki, apr_time_t *pt, X509 *x);

/** The first OCSP responder URL of the AIA extension, or NULL. */
const char *oa_x509_ocsp_url(apr_pool_t *p, X509 *x);

/** Does the certificate name a CRL distribution point? */
int oa_x509_has_crldp(X509 *x);

/** TLS Feature extension with status_request (RFC 7633, "Must-Staple")? */
int oa_x509_must_staple(X509 *x);

/** Did `issuer` issue `x` (names, key identifiers, signature)? */
int oa_x509_issued(X509 *issuer, X509 *x);

/** Is the certificate a CA (basicConstraints CA:TRUE) or self-signed? */
int oa_x509_is_ca(X509 *x);
int oa_x509_self_signed(X509 *x);

/** The DNS names of the subjectAltName (else the subject's CN, as X509_check_host
 *  reads it): an array of const char *, empty when it has none. */
apr_array_header_t *oa_x509_dns_names(apr_pool_t *p, X509 *x);

/** Subject as a one-line string ("CN=good.test"). */
const char *oa_x509_subject(apr_pool_t *p, X509 *x);
const char *oa_x509_issuer_name(apr_pool_t *p, X509 *x);

/**
 * notBefore / notAfter as APR times, any year (before 1970 too: negative times).
 * @return 1 when the field decodes, 0 when it does not (then *pt is 0 and means
 *         nothing). 0 is a valid time (1970-01-01T00:00:00Z), never "unknown".
 */
int oa_x509_not_before(apr_time_t *pt, X509 *x);
int oa_x509_not_after(apr_time_t *pt, X509 *x);

/** Does the private key belong to the certificate? */
int oa_x509_key_matches(X509 *x, EVP_PKEY *key);

/** An ASN.1 time (UTCTime or GeneralizedTime, years 0000-9999) as an APR time.
 *  @return 1 when t is present and valid, else 0 (and *pt is 0). */
int oa_asn1_time_get(apr_time_t *pt, const ASN1_TIME *t);

/** The same, 0 when absent or bad: for OCSP response times, where 0 means "absent"
 *  (a response dated exactly 1970-01-01T00:00:00Z reads as absent). */
apr_time_t oa_asn1_time(const ASN1_TIME *t);

/** OpenSSL's last error as text (and the error queue cleared); fallback when none. */
const char *oa_openssl_error(apr_pool_t *p, const char *fallback);

/** An RFC 3339 UTC timestamp. */
const char *oa_time_str(apr_pool_t *p, apr_time_t t);

/** The first http:// URI of the certificate's CRL distribution points, or NULL. */
const char *oa_x509_crl_url(apr_pool_t *p, X509 *x);

#endif /* OA_PKI_H */
