/**
 * @file oa_verdict.h
 * @brief One verdict per vhost: a level, a state, a one-sentence reason and a fix.
 *
 * Computed in one place (oa_verdict_decide) from facts that each host gathers the way it
 * can: the linter from the audit (what mod_ssl will do), `ocsp-lint probe` from a live
 * handshake and responder check, the module's status page from both. Every output (text,
 * JSON, SARIF, HTML, ?auto, Prometheus, the error log) renders the verdict; none decides
 * for itself, so the same situation gets the same words everywhere.
 */
#ifndef OA_VERDICT_H
#define OA_VERDICT_H

#include <apr_pools.h>
#include <apr_time.h>

#include "oa_crl.h"

/** How a vhost stands: its colour. */
typedef enum {
    OA_LEVEL_GOOD = 0,
    OA_LEVEL_WARNING,
    OA_LEVEL_ERROR
} oa_level_e;

/** "good", "warning", "error". */
const char *oa_level_name(oa_level_e level);

/** What the configuration makes mod_ssl (or mod_md) do with the vhost's stapling. */
typedef enum {
    OA_PREDICT_NONE = 0,     /**< not known: no configuration (a probe of a live server) */
    OA_PREDICT_ACTIVE,       /**< a staple is sent */
    OA_PREDICT_OFF,          /**< stapling is not configured */
    OA_PREDICT_BROKEN,       /**< configured, but no staple will be sent */
    OA_PREDICT_FATAL,        /**< handshakes that ask for a staple fail */
    OA_PREDICT_UNKNOWN       /**< a file it depends on could not be read */
} oa_predict_e;

/** The prediction of an OA_STAPLING_* word ("active", ...); OA_PREDICT_NONE for NULL. */
oa_predict_e oa_predict_from_name(const char *name);

/** The vhost's stapling in one word. */
typedef enum {
    OA_STATE_STAPLED = 0,    /**< staples a good response (offline: will staple) */
    OA_STATE_OFF,            /**< stapling deliberately off */
    OA_STATE_NO_OCSP_URL,    /**< the certificate names no responder: nothing to staple */
    OA_STATE_SELF_SIGNED,    /**< no CA behind the certificate: nothing to staple */
    OA_STATE_AT_RISK,        /**< stapling now, but it stops when the cached staple ends */
    OA_STATE_NO_STAPLE,      /**< configured, and the handshake gets none */
    OA_STATE_BAD_STAPLE,     /**< a staple clients reject: unverified, unknown, error */
    OA_STATE_REVOKED,        /**< the staple says the certificate is revoked */
    OA_STATE_BROKEN,         /**< the configuration keeps mod_ssl from stapling */
    OA_STATE_FATAL,          /**< handshakes that ask for a staple fail */
    OA_STATE_MUST_STAPLE,    /**< a Must-Staple certificate without a staple: refused */
    OA_STATE_UNREACHABLE,    /**< no TLS handshake with the vhost */
    OA_STATE_NAME_MISMATCH,  /**< the certificate served does not cover the name asked
                                  for (SNI): clients refuse it, staple or not */
    OA_STATE_PENDING,        /**< not probed yet */
    OA_STATE_UNKNOWN         /**< a file it depends on could not be read */
} oa_state_e;

/** "stapled", "off", "no-ocsp-url", "self-signed", "at-risk", "no-staple",
 *  "bad-staple", "revoked", "broken", "fatal", "must-staple-missing", "unreachable",
 *  "name-mismatch", "pending", "unknown". */
const char *oa_state_name(oa_state_e state);

/** How clients can learn that the served certificate is revoked: the revocation path it
 *  has, and how that path stands. */
typedef enum {
    OA_REVOCATION_UNKNOWN = 0,      /**< not known: not probed, no certificate, self-signed */
    OA_REVOCATION_STAPLE,           /**< a good staple is served (offline: will be) */
    OA_REVOCATION_OCSP,             /**< not stapled: clients ask the OCSP responder */
    OA_REVOCATION_CRL_UNCHECKED,    /**< a CRL distribution point, not checked */
    OA_REVOCATION_CRL_FRESH,        /**< its CRL is signed by the issuer and current */
    OA_REVOCATION_CRL_STALE,        /**< its CRL is past nextUpdate, or not yet valid */
    OA_REVOCATION_CRL_UNREACHABLE,  /**< its CRL cannot be fetched (network, HTTP, size) */
    OA_REVOCATION_CRL_INVALID,      /**< its CRL is not a CRL of the issuer */
    OA_REVOCATION_REVOKED,          /**< the staple or the CRL says revoked */
    OA_REVOCATION_NONE              /**< neither an OCSP responder nor a CRL: clients
                                         cannot learn of a revocation */
} oa_revocation_e;

/** "unknown", "staple", "ocsp", "crl", "crl-fresh", "crl-stale", "crl-unreachable",
 *  "crl-invalid", "revoked", "none". */
const char *oa_revocation_name(oa_revocation_e r);

/** The revocation path of a CRL check's verdict (OA_REVOCATION_UNKNOWN for OA_CRL_NONE). */
oa_revocation_e oa_revocation_of_crl(oa_crl_verdict_e v);
/** Does the certificate a handshake got cover the name it sent (SNI)? */
typedef enum {
    OA_NAME_NOT_CHECKED = 0, /**< no name sent (an IP address), or no certificate */
    OA_NAME_COVERED,         /**< X509_check_host accepts the name */
    OA_NAME_NOT_COVERED,     /**< it does not; which vhost answered is not known */
    OA_NAME_DEFAULT_VHOST,   /**< it does not, and a handshake without SNI gets the same
                                  certificate: no vhost has the name, the default vhost of
                                  the address answered */
    OA_NAME_OTHER_VHOST      /**< it does not, and a handshake without SNI gets another
                                  certificate: a vhost has the name, with a certificate
                                  for other names */
} oa_name_match_e;

/** "not-checked", "covered", "not-covered", "default-vhost", "other-vhost". */
const char *oa_name_match_name(oa_name_match_e m);

/** What is known of one vhost; zero means "not known". */
typedef struct oa_verdict_facts_t {
    /* the configuration */
    oa_predict_e predicted;
    const char *predict_reason;      /**< why it is not active, from the audit */
    int config_errors;               /**< findings of severity error */
    int config_warnings;
    int stapling_on;                 /**< SSLUseStapling on or mod_md stapling */
    int md_staples;                  /**< mod_md staples it */
    int no_ocsp_url;                 /**< the certificate names no OCSP responder */
    const char *crl_url;             /**< its CRL distribution point, when known */
    int cert_known;                  /**< the served certificate is known */
    int self_signed;
    int must_staple;
    /* a live handshake */
    int live;                        /**< the host probes (the page, probe): not probed
                                          yet is "pending", not a prediction */
    int probed;                      /**< a handshake was made (or tried) */
    const char *probe_error;         /**< it failed: why */
    int not_tls;                     /**< the port answered in plain HTTP */
    int status_request_kills;        /**< a handshake asking for a staple fails, one that
                                          does not ask succeeds */
    const char *staple;              /**< good, revoked, unknown, trylater, error, none */
    int staple_asked;                /**< the handshake asked for a staple */
    int staple_verified;
    int chain_lacks_issuer;          /**< the served chain lacks the issuer */
    const char *sni;                 /**< the name the handshake sent */
    oa_name_match_e name_match;      /**< does the served certificate cover it */
    const char *served_names;        /**< the served certificate's DNS names, ", " between */
    apr_time_t next_update;          /**< the staple's */
    /* the responder */
    int responder_checked;
    int responder_up;
    const char *responder_error;
    int responder_trylater;          /**< the responder itself answers tryLater */
    apr_time_t stops_at;             /**< stapling stops then if the responder stays down */
    /* its CRL (core/oa_crl.h) */
    int crl_checked;                 /**< a check was made: crl and crl_message are set */
    oa_crl_verdict_e crl;
    const char *crl_message;
    apr_time_t now;
} oa_verdict_facts_t;

typedef struct oa_verdict_t {
    oa_level_e level;
    oa_state_e state;
    const char *reason;              /**< one sentence, for people */
    const char *fix;                 /**< one sentence, or NULL when there is nothing to do */
    apr_time_t stops_at;             /**< when stapling stops, or 0 */
    oa_revocation_e revocation;      /**< how clients learn of a revocation */
} oa_verdict_t;

/** The verdict for the facts. Strings are in p (or static). */
void oa_verdict_decide(oa_verdict_t *v, apr_pool_t *p, const oa_verdict_facts_t *f);

struct oa_analysis_t;
struct oa_tls_probe_t;
struct oa_responder_check_t;

/** The linter's verdict of an analysed vhost (what mod_ssl will do). */
void oa_verdict_of_analysis(oa_verdict_t *v, apr_pool_t *p, const struct oa_analysis_t *an,
                            apr_time_t now);

/** A probe's verdict: a handshake (may have failed), the responder check and the CRL
 *  check (either may be NULL: not made). */
void oa_verdict_of_probe(oa_verdict_t *v, apr_pool_t *p, const struct oa_tls_probe_t *tls,
                         const struct oa_responder_check_t *resp,
                         const oa_crl_check_t *crl, apr_time_t now);

#endif /* OA_VERDICT_H */
