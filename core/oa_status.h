/**
 * @file oa_status.h
 * @brief Live stapling status per vhost: a fixed-size record that can live in shared
 *        memory (no pointers), and its renderings: HTML, mod_status-style `?auto`,
 *        JSON and Prometheus text exposition.
 */
#ifndef OA_STATUS_H
#define OA_STATUS_H

#include <apr_pools.h>
#include <apr_time.h>

#include "oa_audit.h"
#include "oa_crl.h"
#include "oa_json.h"
#include "oa_probe.h"
#include "oa_verdict.h"

#define OA_STATUS_STR 256

/** What the served chain holds, as the last probe saw it. */
typedef enum {
    OA_CHAIN_UNKNOWN = 0,       /**< not probed, or the handshake failed */
    OA_CHAIN_COMPLETE,          /**< the leaf's issuer was served */
    OA_CHAIN_SELF_SIGNED,       /**< the leaf is its own issuer */
    OA_CHAIN_NO_ISSUER          /**< the issuer was not served: clients without it cached
                                     cannot build the chain; the staple was judged with the
                                     configured issuer */
} oa_chain_e;

/** "unknown", "complete", "self-signed", "issuer-missing". */
const char *oa_chain_name(oa_chain_e c);

/** The last check of the served certificate's CRL (core/oa_crl.h). Plain data. */
typedef struct oa_status_crl_t {
    char url[OA_STATUS_STR];        /**< its first http:// distribution point, "" none */
    int checked;                    /**< a check was made: the fields below are set */
    int verdict;                    /**< oa_crl_verdict_e */
    char message[OA_STATUS_STR];
    apr_time_t checked_at;          /**< when it was last checked */
    apr_time_t this_update, next_update, revoked_at;
    char reason[32];                /**< the revocation's reason code, "" none */
    int entries;
    apr_int64_t size;               /**< bytes of the CRL fetched */
    char format[8];                 /**< der, pem */
    int cached;                     /**< the check used a CRL fetched earlier */
    int dns_ms, connect_ms, latency_ms, total_ms; /**< of that fetch */
} oa_status_crl_t;

/** One vhost. Plain data only: it is copied into shared memory as it is. */
typedef struct oa_status_rec_t {
    /* identity and configuration verdict (from the audit) */
    char name[OA_STATUS_STR];
    char aliases[OA_STATUS_STR];
    char addresses[OA_STATUS_STR];
    char file[OA_STATUS_STR];
    int line;
    char config_stapling[16];       /**< active, off, broken, fatal */
    char config_reason[OA_STATUS_STR];
    int findings[3];                /**< by severity: notes, warnings, errors */
    int stapling_on;                /**< mod_ssl (SSLUseStapling) or mod_md staples it */
    int md_staples;
    int must_staple;                /**< the served certificate: TLS Feature status_request */
    int no_ocsp_url;                /**< ... names no OCSP responder (nor ForceURL) */
    int self_signed;
    apr_time_t cert_not_after;      /**< ... expires then (0: not known) */
    char cert_serial[64];           /**< ... its serial number (hex) */
    char cert_issuer[128];          /**< ... its issuer's CN (or whole name) */
    char finding_ids[OA_STATUS_STR];/**< "OA201 OA405" */
    /* where the probe connects */
    char probe_host[64];
    int probe_port;
    /* the last probe */
    apr_time_t checked_at;          /**< 0: not probed yet ("pending") */
    char staple[16];                /**< good, revoked, unknown, trylater, none, error, pending */
    int staple_not_asked;           /**< the last handshake did not ask for a staple, since
                                         the responder was down: the staple fields are from
                                         the handshake before */
    int verified;
    oa_chain_e chain;               /**< the served chain */
    apr_time_t this_update, next_update, produced_at;
    char probe_error[OA_STATUS_STR];/**< the handshake failed */
    int not_tls;                    /**< the port does not speak TLS */
    int status_request_kills;       /**< a handshake asking for a staple fails, one that
                                         does not ask succeeds */
    /* the responder */
    char responder_url[OA_STATUS_STR];
    char responder_proxy[OA_STATUS_STR]; /**< SSLOCSPProxyURL the check went through */
    char responder_verdict[24];     /**< ok, unreachable, trylater, ... (oa_responder_check_t) */
    char responder_class[16];       /**< the failure's class, "" when none */
    int responder_checked;
    apr_time_t responder_checked_at; /**< the last time the module asked the responder */
    int responder_up;
    int latency_ms;                 /**< request sent to answer read */
    int dns_ms, connect_ms;         /**< the responder check's other phases */
    char responder_error[OA_STATUS_STR];
    apr_time_t responder_down_since; /**< 0 when up */
    /* what comes next */
    apr_time_t stop_at;             /**< when stapling will stop if the responder stays
                                         down (the cached staple's nextUpdate), else 0 */
    /* the served certificate's CRL */
    oa_status_crl_t crl;
} oa_status_rec_t;

/** Fill the identity and configuration verdict of a record from an audit. */
void oa_status_from_analysis(oa_status_rec_t *rec, const oa_analysis_t *an);

/**
 * A record for a server probed without its configuration (`ocsp-lint serve`): name and
 * address as given, the served certificate's facts, and the probe folded in.
 */
void oa_status_from_probe(oa_status_rec_t *rec, const char *name, const char *address,
                          const oa_tls_probe_t *tls, const oa_responder_check_t *resp,
                          const oa_crl_check_t *crl, apr_time_t now);

/**
 * Fold a probe and a responder check (either may be NULL) into the record, at time now:
 * keeps "down since" across rounds and predicts when stapling stops.
 */
void oa_status_update(oa_status_rec_t *rec, const oa_tls_probe_t *tls,
                      const oa_responder_check_t *resp, apr_time_t now);

/** Fold a CRL check of the served certificate into the record, made at time now. */
void oa_status_update_crl(oa_status_rec_t *rec, const oa_crl_check_t *crl, apr_time_t now);

/** The record's CRL check, as core/oa_crl.h gives one (for the renderers). */
void oa_status_crl_check(oa_crl_check_t *c, const oa_status_rec_t *rec);

/** The verdict of a record (oa_verdict.h): what every rendering of the page shows. */
void oa_status_verdict(oa_verdict_t *v, apr_pool_t *p, const oa_status_rec_t *rec,
                       apr_time_t now);

/** The verdict of each of n records, in p; count[level] is how many have each level. */
oa_verdict_t *oa_status_verdicts(apr_pool_t *p, const oa_status_rec_t *recs, int n,
                                 apr_time_t now, int count[3]);

/** How a record stands: 0 good, 1 warning, 2 error (the verdict's level). */
int oa_status_level(const oa_status_rec_t *rec, apr_time_t now);

/** How the HTML page is shown: what the page's query string asks for. */
typedef struct oa_status_view_t {
    const char *docs_url;           /**< rule pages are docs_url + "OA201.md"; NULL: IDs
                                         are not links */
    int refresh;                    /**< reload every this many seconds (0: never) */
    int level;                      /**< only vhosts of this oa_level_e; -1: all */
    int state;                      /**< only vhosts of this oa_state_e; -1: all */
} oa_status_view_t;

/**
 * The view a query string asks for: "level=error", "state=at-risk", "refresh=30"
 * (5 to 3600), separated by '&'; anything else is ignored. docs_url is kept.
 */
void oa_status_view_parse(oa_status_view_t *v, const char *args);

/** The renderings (HTML: core/oa_status_html.c); every value is escaped for its format. view may be NULL (all
 *  vhosts, no links, no refresh). */
void oa_status_html(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                    const oa_status_view_t *view, oa_out_fn *out, void *ctx);
/** The summary line and the table only (for mod_status's page), and their CSS. */
void oa_status_html_fragment(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                             const oa_status_view_t *view, oa_out_fn *out, void *ctx);
void oa_status_css(oa_out_fn *out, void *ctx);
void oa_status_auto(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                    oa_out_fn *out, void *ctx);
void oa_status_json(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                    oa_out_fn *out, void *ctx);
/** What the page knows of the server as a whole (for the metrics). */
typedef struct oa_status_server_t {
    const char *version;            /**< the module's */
    int rounds;                     /**< probe rounds ended in this generation */
    apr_time_t round_end;           /**< when the last one ended (0: none yet) */
    apr_interval_time_t round_duration;
} oa_status_server_t;

/** The Prometheus text exposition (core/oa_status_prom.c); srv may be NULL. */
void oa_status_prometheus(apr_pool_t *p, const oa_status_rec_t *recs, int n, apr_time_t now,
                          const oa_status_server_t *srv, oa_out_fn *out, void *ctx);

/** Safe copy into a fixed buffer (truncates, always terminates). */
void oa_status_strcpy(char *dst, apr_size_t size, const char *src);

#endif /* OA_STATUS_H */
