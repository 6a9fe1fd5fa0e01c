/**
 * @file oa_probe.h
 * @brief Live checks: a TLS handshake as a client makes it (SNI, status_request), and an
 *        OCSP query to the responder as mod_ssl makes it. Every phase has a deadline.
 */
#ifndef OA_PROBE_H
#define OA_PROBE_H

#include <apr_pools.h>
#include <apr_time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "oa_net.h"
#include "oa_ocsp.h"
#include "oa_verdict.h"

/** What a client sees. */
typedef struct oa_tls_probe_t {
    const char *host;
    apr_port_t port;
    const char *sni;
    oa_conn_t *conn;                /**< address, DNS and connect timings, network errors */
    apr_interval_time_t t_handshake;
    const char *error;              /**< NULL when the handshake completed */
    const char *error_class;        /**< oa_net_error_name() or "tls" */
    const char *protocol, *cipher;
    X509 *leaf;                     /**< the served certificate */
    STACK_OF(X509) *served;         /**< every certificate served, leaf first */
    X509 *issuer;                   /**< the leaf's issuer: among those served, else the
                                         caller's issuer_hint when it issued the leaf */
    int chain_complete;             /**< the issuer was served */
    int self_signed;                /**< the leaf is its own issuer: no chain to serve */
    int issuer_from_hint;           /**< the staple was judged with opts->issuer_hint, since
                                         the served chain lacks the issuer */
    int must_staple;
    int staple_present;
    oa_ocsp_info_t staple;          /**< judged against the served issuer */
    const char *staple_state;       /**< good, revoked, unknown, trylater, error, none */
    int staple_asked;               /**< the handshake asked for a staple */
    int status_request_kills;       /**< asking for a staple failed the handshake; this
                                         result is of a second one that did not ask */
    const char *kill_error;         /**< how the handshake that asked failed */
    int not_tls;                    /**< the port answered, but not in TLS (plain HTTP) */
    oa_name_match_e name_match;     /**< does the leaf cover sni (X509_check_host); when it
                                         does not, a handshake without SNI tells whether the
                                         default vhost answered */
} oa_tls_probe_t;

/** What the responder answers. */
typedef struct oa_responder_check_t {
    const char *url;
    const char *proxy;              /**< the HTTP proxy asked (SSLOCSPProxyURL), or NULL */
    oa_conn_t *conn;
    apr_interval_time_t t_response; /**< request sent to response read */
    apr_interval_time_t t_total;
    const char *error_class;        /**< NULL when a response was judged, else dns,
                                         dns-timeout, refused, timeout, unreachable,
                                         closed (reset, or closed before answering),
                                         http, malformed, url, error */
    const char *message;
    oa_ocsp_info_t info;
    const char *verdict;            /**< ok, unreachable, http-error, malformed, trylater,
                                         unauthorized, error-status, unverified, stale,
                                         future, revoked, unknown */
} oa_responder_check_t;

typedef struct oa_probe_opts_t {
    apr_interval_time_t timeout;    /**< each phase (default 5 s) */
    apr_interval_time_t skew;       /**< clock tolerance (default 300 s, as mod_ssl) */
    apr_time_t now;                 /**< 0: the current time */
    SSL_CTX *ssl_ctx;               /**< a client context to reuse (from oa_probe_ssl_ctx);
                                         NULL: one is made for each handshake */
    X509 *issuer_hint;              /**< the configured issuer: judges the staple when the
                                         served chain lacks the issuer (mod_ssl staples
                                         with the configured chain, not the served one) */
    const char *proxy;              /**< SSLOCSPProxyURL: ask the responder through this
                                         HTTP proxy, as mod_ssl does; NULL: directly */
    const char *user_agent;         /**< the User-Agent of responder requests, or NULL */
    int no_status_request;          /**< handshake without asking for a staple (the
                                         responder is known down: asking would make
                                         mod_ssl wait on it in a worker) */
    int no_sni;                     /**< send no server name at all, even when host is a
                                         name: what the address's default vhost serves */
    int no_name_check;              /**< do not judge whether the leaf covers the name
                                         sent (name_match stays "not-checked"), nor make
                                         a second handshake to learn which vhost answered:
                                         the module probes its own vhosts, whose ServerName
                                         need not be the name clients use (ServerAlias) */
} oa_probe_opts_t;

/** A client context for oa_probe_opts_t.ssl_ctx: no verification, any protocol OpenSSL
 *  allows. Freed with SSL_CTX_free. */
SSL_CTX *oa_probe_ssl_ctx(void);

/** Handshake with host:port (SNI sni, may be NULL: host when it is a name). A name is
 *  resolved and its addresses tried in turn until one connects. */
apr_status_t oa_probe_tls(oa_tls_probe_t **pr, apr_pool_t *p, const char *host,
                          apr_port_t port, const char *sni, const oa_probe_opts_t *o);

/** Handshake with one address of host (from oa_net_resolve; its port is used); SNI as
 *  for oa_probe_tls. For probing every address behind a name. */
apr_status_t oa_probe_tls_at(oa_tls_probe_t **pr, apr_pool_t *p, const char *host,
                             apr_sockaddr_t *addr, const char *sni, const oa_probe_opts_t *o);

/** Ask the responder (url, or the certificate's AIA URL when NULL) about cert. */
apr_status_t oa_responder_check(oa_responder_check_t **pr, apr_pool_t *p, X509 *cert,
                                X509 *issuer, const char *url, const oa_probe_opts_t *o);

/**
 * Responder checks for many certificates (a probe round, an --online lint): each
 * certificate is asked about once, and a responder that failed at the network level is
 * not waited on again for its other certificates. Safe to share between threads.
 */
typedef struct oa_responder_cache_t oa_responder_cache_t;

oa_responder_cache_t *oa_responder_cache_make(apr_pool_t *p);

/**
 * The check for leaf (url, or its AIA URL when NULL), made or remembered. NULL when
 * there is nothing to ask (no issuer, no URL). *pskipped (may be NULL) is set when the
 * answer is another certificate's failure of the same responder.
 */
oa_responder_check_t *oa_responder_check_once(oa_responder_cache_t *c, apr_pool_t *p,
                                              X509 *leaf, X509 *issuer, const char *url,
                                              const oa_probe_opts_t *o, int *pskipped);

struct oa_crl_opts_t;

/** The options of CRL checks (core/oa_crl.h) that go with these probe options: the same
 *  timeout, skew, clock and User-Agent. */
void oa_probe_crl_opts(struct oa_crl_opts_t *co, const oa_probe_opts_t *po);

struct oa_crl_check_t;
struct oa_crl_cache_t;

/** The CRL check of the certificate a handshake got (through cache), or NULL when there
 *  is none to make: no certificate, no known issuer, self-signed (no CA to revoke it),
 *  or no http:// CRL distribution point. */
struct oa_crl_check_t *oa_probe_served_crl(apr_pool_t *p, struct oa_crl_cache_t *cache,
                                           const oa_tls_probe_t *tls,
                                           const struct oa_crl_opts_t *o);

/** "HOST[:PORT]" and "[v6]:PORT" into parts (default port 443). NULL or the error. */
const char *oa_probe_parse_target(apr_pool_t *p, const char *target, const char **phost,
                                  apr_port_t *pport);

#endif /* OA_PROBE_H */
