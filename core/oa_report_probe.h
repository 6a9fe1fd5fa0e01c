/**
 * @file oa_report_probe.h
 * @brief What a live check found, as JSON: one shape for a responder check wherever it is
 *        shown (`ocsp-lint probe`, `--online`, the status page's `?json`), and a probe's
 *        whole report.
 */
#ifndef OA_REPORT_PROBE_H
#define OA_REPORT_PROBE_H

#include <apr_pools.h>
#include <apr_time.h>

#include "oa_json.h"
#include "oa_ocsp.h"
#include "oa_probe.h"
#include "oa_verdict.h"

/** A responder check as every output shows it; zero/NULL members are "not known". */
typedef struct oa_responder_view_t {
    const char *url;
    const char *proxy;              /**< SSLOCSPProxyURL it went through */
    int checked;                    /**< asked at all */
    apr_time_t checked_at;
    int reachable;                  /**< answered with a response (tryLater is not one) */
    const char *verdict;            /**< ok, unreachable, http-error, malformed, trylater, ... */
    const char *error;              /**< the failure's class (dns, refused, timeout, closed,
                                         http, malformed, url, ...), NULL when none */
    const char *message;            /**< the failure in words, NULL when none */
    const char *ip;
    int dns_ms, connect_ms, latency_ms; /**< latency: request sent to answer read */
    apr_time_t down_since;          /**< the page keeps it across checks */
    const oa_ocsp_info_t *response; /**< what it answered, when it answered */
} oa_responder_view_t;

/** The view of a check just made (check may be NULL: not asked). */
void oa_responder_view_of_check(oa_responder_view_t *v, const oa_responder_check_t *check,
                                apr_time_t now);

/** "responder": {...} (key NULL: an array element), or null when not asked. */
void oa_report_responder_json(oa_json_t *j, apr_pool_t *p, const char *key,
                              const oa_responder_view_t *v);

/** The same members, into an object already open (`--online`'s entries). */
void oa_report_responder_members(oa_json_t *j, apr_pool_t *p, const oa_responder_view_t *v);

struct oa_crl_check_t;

/** A CRL check (core/oa_crl.h) as every output shows it: "crl": {...}. */
void oa_report_crl_json(oa_json_t *j, apr_pool_t *p, const char *key,
                        const struct oa_crl_check_t *c);

/** The members of a decoded OCSP response (a staple, or the responder's answer). */
void oa_report_ocsp_info_json(oa_json_t *j, apr_pool_t *p, const oa_ocsp_info_t *s);

/** One probe of `ocsp-lint probe --format json` (docs/json-output.md). */
void oa_report_probe_json(oa_json_t *j, apr_pool_t *p, const char *target, const char *host,
                          int port, int addresses, const oa_tls_probe_t *tls,
                          const oa_responder_check_t *resp,
                          const struct oa_crl_check_t *crl, const char *problem,
                          const oa_verdict_t *verdict);

#endif /* OA_REPORT_PROBE_H */
