/**
 * @file oa_crl.h
 * @brief Revocation after OCSP: fetch a certificate's CRL distribution point over HTTP
 *        (the network engine of oa_net.h, every phase bounded, the size bounded), parse
 *        it (DER or PEM), verify it with the issuer, judge its dates and look the
 *        certificate up. A cache keyed by URL keeps each CRL until its nextUpdate, so
 *        that a thousand vhosts of one CA fetch it once.
 *
 * A caller asks "this certificate's CRL, with this issuer, through this cache":
 *
 *     oa_crl_check_t *r;
 *     oa_crl_check(&r, p, cache, leaf, issuer, NULL, &opts);
 *     ... r->verdict, oa_crl_verdict_name(r->verdict), r->message, r->t_total ...
 */
#ifndef OA_CRL_H
#define OA_CRL_H

#include <apr_pools.h>
#include <apr_time.h>

#include <openssl/x509.h>

#include "oa_net.h"

/** The largest CRL fetched (10 MiB): larger ones are "too-large", not read. The largest
 *  public CRLs are a few MB; Let's Encrypt shards its CRLs to keep each small. */
#define OA_CRL_MAX_SIZE (10 * 1024 * 1024)

/** What a CRL check found. One table of names (oa_crl_verdict_name). */
typedef enum {
    OA_CRL_OK = 0,          /**< fetched, signed by the issuer, current, the serial not listed */
    OA_CRL_NONE,            /**< the certificate names no http:// CRL distribution point */
    OA_CRL_URL,             /**< the URL is not plain http:// with a host */
    OA_CRL_NO_ISSUER,       /**< the issuer is not known: the CRL cannot be verified */
    /* the network engine's classes (oa_net_error_e) */
    OA_CRL_DNS,             /**< the name does not resolve */
    OA_CRL_DNS_TIMEOUT,     /**< the resolver did not answer in time */
    OA_CRL_REFUSED,         /**< nothing listens */
    OA_CRL_TIMEOUT,         /**< no answer in time (connect or response) */
    OA_CRL_UNREACHABLE,     /**< no route */
    OA_CRL_CANCELLED,       /**< given up: the process is exiting */
    OA_CRL_ERROR,           /**< anything else (see the message) */
    /* the answer */
    OA_CRL_HTTP,            /**< not a 200 answer, or not readable HTTP */
    OA_CRL_TOO_LARGE,       /**< larger than the limit (opts max_size, OA_CRL_MAX_SIZE) */
    OA_CRL_MALFORMED,       /**< neither a DER nor a PEM CRL */
    /* the CRL */
    OA_CRL_BAD_SIGNATURE,   /**< not issued (named or signed) by the certificate's issuer */
    OA_CRL_STALE,           /**< past its nextUpdate (beyond the clock skew) */
    OA_CRL_FUTURE,          /**< thisUpdate ahead of the clock (beyond the skew) */
    OA_CRL_REVOKED          /**< the CRL lists the certificate: revoked */
} oa_crl_verdict_e;

/** "ok", "none", "url", "no-issuer", "dns", "dns-timeout", "refused", "timeout",
 *  "unreachable", "cancelled", "error", "http", "too-large", "malformed",
 *  "bad-signature", "stale", "future", "revoked". */
const char *oa_crl_verdict_name(oa_crl_verdict_e v);

/** Is it a failure to reach the distribution point (dns ... error)? */
int oa_crl_verdict_is_network(oa_crl_verdict_e v);

/** The verdict for a network engine class. */
oa_crl_verdict_e oa_crl_verdict_of_net(oa_net_error_e e);

typedef struct oa_crl_opts_t {
    apr_interval_time_t timeout;    /**< each phase: dns, connect, headers, body (default 5 s) */
    apr_interval_time_t skew;       /**< clock tolerance for thisUpdate/nextUpdate (300 s) */
    apr_time_t now;                 /**< 0: the current time */
    apr_size_t max_size;            /**< 0: OA_CRL_MAX_SIZE */
    apr_interval_time_t retry;      /**< how long the cache keeps a failed fetch, or a CRL
                                         already past its nextUpdate (default 300 s) */
    const char *user_agent;         /**< the User-Agent of the request, or NULL */
} oa_crl_opts_t;

/** One fetch of a distribution point. */
typedef struct oa_crl_fetch_t {
    const char *url;
    oa_crl_verdict_e verdict;       /**< OA_CRL_OK when crl is set */
    const char *message;            /**< why not, for people; NULL when OK */
    X509_CRL *crl;                  /**< freed with the pool it was fetched in */
    const char *format;             /**< "der" or "pem", NULL without a CRL */
    apr_size_t size;                /**< bytes of the body read */
    const char *ip;                 /**< the address connected to, or NULL */
    apr_interval_time_t t_dns, t_connect;
    apr_interval_time_t t_response; /**< request sent to the last byte read */
    apr_interval_time_t t_total;
    apr_time_t fetched;             /**< when (opts now) */
} oa_crl_fetch_t;

/** A certificate's CRL, judged. */
typedef struct oa_crl_check_t {
    const char *url;                /**< the distribution point, or NULL (OA_CRL_NONE) */
    oa_crl_verdict_e verdict;
    const char *message;            /**< what it means, for people (always set) */
    apr_time_t this_update;         /**< 0 without a CRL */
    apr_time_t next_update;         /**< 0 without a CRL, or when it has none */
    apr_time_t revoked_at;          /**< OA_CRL_REVOKED: the entry's date */
    const char *reason;             /**< OA_CRL_REVOKED: the entry's reason code
                                         ("keyCompromise"), or NULL when it gives none */
    int entries;                    /**< certificates the CRL lists */
    const char *format;             /**< "der" or "pem" */
    apr_size_t size;
    const char *ip;
    apr_interval_time_t t_dns, t_connect, t_response, t_total; /**< of the fetch used */
    int cached;                     /**< answered with a CRL fetched earlier */
    apr_time_t checked_at;          /**< when the check was made (opts now) */
} oa_crl_check_t;

/** The first http:// URI of the certificate's CRL distribution points: oa_x509_crl_url()
 *  in oa_pki.h. */

/**
 * Decode a CRL held in memory: DER, or PEM ("-----BEGIN X509 CRL-----"). The CRL is
 * freed with p. *pformat (may be NULL) is "der" or "pem".
 * @return APR_SUCCESS, or APR_EINVAL when it is neither
 */
apr_status_t oa_crl_parse(X509_CRL **pcrl, const char **pformat, apr_pool_t *p,
                          const unsigned char *buf, apr_size_t len);

/**
 * GET url (plain http://) and decode the body. Each phase within opts timeout: resolving,
 * connecting, the answer's headers, its whole body (a server that trickles is cut off),
 * so never more than 4 x timeout; the body within opts max_size.
 * @return APR_SUCCESS with f->crl set, or an error with f->verdict/f->message set
 */
apr_status_t oa_crl_fetch(oa_crl_fetch_t **pf, apr_pool_t *p, const char *url,
                          const oa_crl_opts_t *o);

/**
 * Judge crl for cert, issued by issuer: the CRL's issuer name and signature, the
 * certificate's serial, thisUpdate/nextUpdate against opts now and skew. Fills the
 * verdict, message, dates, revocation and entries of r (nothing else).
 */
void oa_crl_judge(oa_crl_check_t *r, apr_pool_t *p, X509_CRL *crl, X509 *cert,
                  X509 *issuer, const oa_crl_opts_t *o);

/** CRLs by URL, each kept until its nextUpdate; one fetch at a time per URL (the
 *  others wait for it). Safe to share between threads. */
typedef struct oa_crl_cache_t oa_crl_cache_t;

oa_crl_cache_t *oa_crl_cache_make(apr_pool_t *p);

/** Fetches made through the cache so far (for statistics and tests). */
int oa_crl_cache_fetches(oa_crl_cache_t *c);

/**
 * Check cert's CRL (cert and issuer required): url, or the certificate's first http://
 * distribution point when NULL; through cache (NULL: fetch it now, keep nothing). The
 * result is allocated from p; it holds no reference to the cache.
 * @return APR_SUCCESS when a CRL was judged (any verdict from bad-signature on), else
 *         an error status, r->verdict saying why
 */
apr_status_t oa_crl_check(oa_crl_check_t **pr, apr_pool_t *p, oa_crl_cache_t *cache,
                          X509 *cert, X509 *issuer, const char *url, const oa_crl_opts_t *o);

#endif /* OA_CRL_H */
