/*
 * Live checks. TLS, X.509, OCSP and HTTP are OpenSSL's (SSL_*, OCSP_*, OSSL_HTTP via
 * OCSP_sendreq_*); the sockets are APR's, non-blocking, every wait bounded.
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include <apr_portable.h>
#include <apr_hash.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/http.h>
#include <openssl/httperr.h>
#include <openssl/x509v3.h>

#include "oa_pki.h"
#include "oa_crl.h"
#include "oa_probe.h"

#define DEFAULT_TIMEOUT apr_time_from_sec(5)
#define DEFAULT_SKEW    apr_time_from_sec(300)

static void defaults(const oa_probe_opts_t *o, apr_interval_time_t *timeout,
                     apr_interval_time_t *skew, apr_time_t *now)
{
    *timeout = (o && o->timeout > 0) ? o->timeout : DEFAULT_TIMEOUT;
    *skew = (o && o->skew > 0) ? o->skew : DEFAULT_SKEW;
    *now = (o && o->now) ? o->now : apr_time_now();
}

static apr_status_t free_x509(void *x)
{
    X509_free(x);
    return APR_SUCCESS;
}

static apr_status_t free_stack(void *s)
{
    sk_X509_pop_free(s, X509_free);
    return APR_SUCCESS;
}

const char *oa_probe_parse_target(apr_pool_t *p, const char *target, const char **phost,
                                  apr_port_t *pport)
{
    const char *colon;
    *pport = 443;
    if (target[0] == '[') {
        const char *end = strchr(target, ']');
        if (!end) {
            return "an IPv6 address needs its closing ]";
        }
        *phost = apr_pstrmemdup(p, target + 1, (apr_size_t)(end - target - 1));
        colon = end[1] == ':' ? end + 1 : NULL;
        if (end[1] && !colon) {
            return "expected :PORT after ]";
        }
    }
    else {
        colon = strrchr(target, ':');
        if (colon && strchr(target, ':') != colon) {
            *phost = target;     /* a bare IPv6 address */
            colon = NULL;
        }
        else {
            *phost = colon ? apr_pstrmemdup(p, target, (apr_size_t)(colon - target)) : target;
        }
    }
    if (colon) {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (*end || port < 1 || port > 65535) {
            return apr_psprintf(p, "'%s' is not a port number", colon + 1);
        }
        *pport = (apr_port_t)port;
    }
    if (!**phost) {
        return "no host";
    }
    return NULL;
}

static int is_ip_literal(const char *h)
{
    int dots = 0;
    if (strchr(h, ':')) {
        return 1;
    }
    for (; *h; h++) {
        if (*h == '.') {
            dots++;
        }
        else if (!apr_isdigit(*h)) {
            return 0;
        }
    }
    return dots == 3;
}

/* ------------------------------------------------------------------ the handshake */

SSL_CTX *oa_probe_ssl_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        /* every probe is a new session, as a first-time visitor's handshake is */
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
    return ctx;
}

/* the leaf's issuer among the served certificates; else the caller's hint */
static void find_issuer(oa_tls_probe_t *r, const oa_probe_opts_t *o)
{
    int i;
    if (X509_check_issued(r->leaf, r->leaf) == X509_V_OK) {
        r->self_signed = r->chain_complete = 1;
        r->issuer = r->leaf;
        return;
    }
    for (i = 0; i < sk_X509_num(r->served); i++) {
        X509 *c = sk_X509_value(r->served, i);
        if (X509_cmp(c, r->leaf) && X509_check_issued(c, r->leaf) == X509_V_OK) {
            r->issuer = c;
            r->chain_complete = 1;
            return;
        }
    }
    if (o && o->issuer_hint && X509_check_issued(o->issuer_hint, r->leaf) == X509_V_OK) {
        r->issuer = o->issuer_hint;
        r->issuer_from_hint = 1;
    }
}

/* a handshake with host:port, or with addr (already resolved) when it is not NULL */
static apr_status_t probe_tls(oa_tls_probe_t **pr, apr_pool_t *p, const char *host,
                              apr_sockaddr_t *addr, apr_port_t port, const char *sni,
                              const oa_probe_opts_t *o)
{
    oa_tls_probe_t *r = apr_pcalloc(p, sizeof(*r));
    apr_interval_time_t timeout, skew;
    apr_time_t now, t0, deadline;
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    apr_os_sock_t fd;
    apr_status_t rv;
    int i;

    *pr = r;
    defaults(o, &timeout, &skew, &now);
    r->host = host;
    r->port = port;
    r->sni = (o && o->no_sni) ? NULL : sni ? sni : (is_ip_literal(host) ? NULL : host);
    r->staple_state = "none";
    r->served = sk_X509_new_null();
    apr_pool_cleanup_register(p, r->served, free_stack, apr_pool_cleanup_null);

    rv = addr ? oa_net_connect_addr(&r->conn, p, addr, timeout)
              : oa_net_connect(&r->conn, p, host, port, timeout);
    if (rv != APR_SUCCESS) {
        r->error = r->conn->message;
        r->error_class = oa_net_error_name(r->conn->error);
        return rv;
    }
    ERR_clear_error();
    ctx = (o && o->ssl_ctx) ? NULL : oa_probe_ssl_ctx();
    ssl = (ctx || (o && o->ssl_ctx)) ? SSL_new(ctx ? ctx : o->ssl_ctx) : NULL;
    if (!ssl) {
        r->error = apr_psprintf(p, "TLS set-up: %s", oa_openssl_error(p, "the connection was closed"));
        r->error_class = "error";
        rv = APR_EGENERAL;
        goto cleanup;
    }
    /* a client as browsers are: SNI and the status_request extension */
    SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
    if (r->sni) {
        SSL_set_tlsext_host_name(ssl, r->sni);
    }
    r->staple_asked = !(o && o->no_status_request);
    if (r->staple_asked) {
        SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
    }
    apr_os_sock_get(&fd, r->conn->sock);
    SSL_set_fd(ssl, fd);

    t0 = apr_time_now();
    deadline = t0 + timeout;
    for (;;) {
        int ret = SSL_connect(ssl), err;
        if (ret == 1) {
            break;
        }
        err = SSL_get_error(ssl, ret);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            rv = oa_net_wait(r->conn->sock, err == SSL_ERROR_WANT_WRITE, deadline);
            if (rv == APR_SUCCESS) {
                continue;
            }
            r->error = apr_psprintf(p, "TLS handshake with %s port %u: no answer within %"
                                    APR_TIME_T_FMT " ms", r->conn->ip, port,
                                    apr_time_as_msec(timeout));
            r->error_class = "timeout";
        }
        else if (ERR_GET_LIB(ERR_peek_last_error()) == ERR_LIB_SSL
                 && ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_WRONG_VERSION_NUMBER) {
            /* what came back is no TLS record: most often an HTTP answer */
            ERR_clear_error();
            r->error = apr_psprintf(p, "%s port %u answers in plain HTTP, not TLS (its answer "
                                    "is no TLS record)", r->conn->ip, port);
            r->error_class = "not-tls";
            r->not_tls = 1;
            rv = APR_EGENERAL;
        }
        else if (ERR_GET_LIB(ERR_peek_last_error()) == ERR_LIB_SSL
                 && ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            /* the same peer as "no error queued": it closed in the middle */
            ERR_clear_error();
            r->error = apr_psprintf(p, "TLS handshake with %s port %u failed: the connection "
                                    "was closed (unexpected EOF)", r->conn->ip, port);
            r->error_class = "tls";
            rv = APR_EGENERAL;
        }
        else {
            r->error = apr_psprintf(p, "TLS handshake with %s port %u failed: %s", r->conn->ip,
                                    port, oa_openssl_error(p, "the connection was closed"));
            r->error_class = "tls";
            rv = APR_EGENERAL;
        }
        r->t_handshake = apr_time_now() - t0;
        goto cleanup;
    }
    r->t_handshake = apr_time_now() - t0;
    r->protocol = apr_pstrdup(p, SSL_get_version(ssl));
    r->cipher = apr_pstrdup(p, SSL_get_cipher_name(ssl));

    /* what was served */
    {
        STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
        for (i = 0; chain && i < sk_X509_num(chain); i++) {
            X509 *x = sk_X509_value(chain, i);
            X509_up_ref(x);
            sk_X509_push(r->served, x);
        }
        r->leaf = SSL_get1_peer_certificate(ssl);
        if (r->leaf) {
            apr_pool_cleanup_register(p, r->leaf, free_x509, apr_pool_cleanup_null);
            r->must_staple = oa_x509_must_staple(r->leaf);
            find_issuer(r, o);
            if (r->sni && !(o && o->no_name_check)) {
                r->name_match = X509_check_host(r->leaf, r->sni, 0, 0, NULL) == 1
                                ? OA_NAME_COVERED : OA_NAME_NOT_COVERED;
            }
        }
    }
    /* the staple */
    {
        const unsigned char *der = NULL;
        long len = SSL_get_tlsext_status_ocsp_resp(ssl, &der);
        r->staple_present = der && len > 0;
        if (r->staple_present && r->leaf) {
            oa_ocsp_inspect(&r->staple, p, der, len, r->leaf, r->issuer, now, skew);
        }
        r->staple_state = oa_ocsp_state(&r->staple, r->staple_present);
    }
    rv = APR_SUCCESS;

cleanup:
    if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    SSL_CTX_free(ctx);
    ERR_clear_error();
    if (r->conn->sock) {
        apr_socket_close(r->conn->sock);
        r->conn->sock = NULL;
    }
    return rv;
}

/*
 * A handshake that fails at TLS level while asking for a staple is made again without
 * asking: when that one succeeds, asking for a staple is what kills the handshake (mod_ssl
 * cannot fetch a response it must have: an https or unusable responder URL, AH01955).
 */
static apr_status_t probe_tls_retry(oa_tls_probe_t **pr, apr_pool_t *p, const char *host,
                                    apr_sockaddr_t *addr, apr_port_t port, const char *sni,
                                    const oa_probe_opts_t *o)
{
    apr_status_t rv = probe_tls(pr, p, host, addr, port, sni, o);
    oa_tls_probe_t *first = *pr, *second;
    oa_probe_opts_t again;
    if (rv == APR_SUCCESS || !first->staple_asked || !first->error_class
        || strcmp(first->error_class, "tls")) {
        return rv;
    }
    if (o) {
        again = *o;
    }
    else {
        memset(&again, 0, sizeof(again));
    }
    again.no_status_request = 1;
    if (probe_tls(&second, p, host, addr, port, sni, &again) != APR_SUCCESS) {
        return rv;            /* it fails either way: the first answer stands */
    }
    second->status_request_kills = 1;
    second->staple_asked = 1;   /* it was asked for, and that failed the handshake */
    second->kill_error = first->error;
    *pr = second;
    return APR_SUCCESS;
}

/*
 * A certificate that does not cover the name sent: a handshake without SNI (and without
 * asking for a staple) gets the default vhost's certificate for the address. The same one
 * means no vhost has the name; another means a vhost has it with a wrong certificate.
 */
static void which_vhost(oa_tls_probe_t *r, apr_pool_t *p, const char *host,
                        apr_sockaddr_t *addr, apr_port_t port, const oa_probe_opts_t *o)
{
    oa_tls_probe_t *plain;
    oa_probe_opts_t bare;
    if (r->name_match != OA_NAME_NOT_COVERED || !r->leaf) {
        return;
    }
    if (o) {
        bare = *o;
    }
    else {
        memset(&bare, 0, sizeof(bare));
    }
    bare.no_sni = bare.no_status_request = 1;
    if (probe_tls(&plain, p, host, addr, port, NULL, &bare) == APR_SUCCESS && plain->leaf) {
        r->name_match = X509_cmp(plain->leaf, r->leaf) ? OA_NAME_OTHER_VHOST
                                                       : OA_NAME_DEFAULT_VHOST;
    }
}

apr_status_t oa_probe_tls(oa_tls_probe_t **pr, apr_pool_t *p, const char *host,
                          apr_port_t port, const char *sni, const oa_probe_opts_t *o)
{
    apr_status_t rv = probe_tls_retry(pr, p, host, NULL, port, sni, o);
    which_vhost(*pr, p, host, NULL, port, o);
    return rv;
}

apr_status_t oa_probe_tls_at(oa_tls_probe_t **pr, apr_pool_t *p, const char *host,
                             apr_sockaddr_t *addr, const char *sni, const oa_probe_opts_t *o)
{
    apr_status_t rv = probe_tls_retry(pr, p, host, addr, addr->port, sni, o);
    which_vhost(*pr, p, host, addr, addr->port, o);
    return rv;
}

/* ------------------------------------------------------------------ the responder */

/*
 * Why OpenSSL's HTTP client gave up. With nothing in the error queue it either saw the
 * connection close, or (OpenSSL 3.0) met a header line longer than its line buffer: the
 * bytes read tell the two apart.
 */
static const char *http_error(apr_pool_t *p, BIO *bio, const char **pclass)
{
    unsigned long e = ERR_peek_last_error();
    const char *data = NULL, *msg;
    int flags = 0;
    char buf[256];

    *pclass = "error";
    if (!e || (ERR_GET_LIB(e) == ERR_LIB_HTTP
               && ERR_GET_REASON(e) == HTTP_R_FAILED_READING_DATA)) {
        /* a write that failed (EPIPE, ECONNRESET) leaves no error; a read that met the
         * end of the stream or a reset is "failed reading data" */
        apr_uint64_t got = (apr_uint64_t)BIO_number_read(bio);
        *pclass = "closed";
        ERR_clear_error();
        if (!got) {
            return "the responder closed the connection without an answer";
        }
        if (e) {
            return apr_psprintf(p, "the responder closed the connection in the middle of "
                                "its answer (after %" APR_UINT64_T_FMT " bytes)", got);
        }
        /* OpenSSL 3.0 gives up on a header line longer than its buffer without a word */
        *pclass = "http";
        return apr_psprintf(p, "the responder sent %" APR_UINT64_T_FMT " bytes that are not a "
                            "readable HTTP response (a header line longer than %d bytes?)",
                            got, OSSL_HTTP_DEFAULT_MAX_LINE_LEN);
    }
    ERR_peek_last_error_data(&data, &flags);
    ERR_error_string_n(e, buf, sizeof(buf));
    /* the detail ("code=500,reason=...", "expected=...,actual=...") before it is freed */
    msg = (data && *data && (flags & ERR_TXT_STRING)) ? apr_psprintf(p, "%s (%s)", buf, data)
                                                      : apr_pstrdup(p, buf);
    if (strstr(buf, "asn1") || strstr(buf, "ASN1") || strstr(buf, "decod")
        || ERR_GET_LIB(e) == ERR_LIB_ASN1 || ERR_GET_LIB(e) == ERR_LIB_OCSP) {
        *pclass = "malformed";   /* an answer, but not a DER OCSP response */
    }
    else if (ERR_GET_LIB(e) == ERR_LIB_HTTP) {
        *pclass = "http";
    }
    ERR_clear_error();
    return msg;
}

/* Where the request goes: the responder, or (SSLOCSPProxyURL) the proxy, to which mod_ssl
 * sends the absolute URL as the request target. NULL, or why the URL cannot be used. */
typedef struct {
    const char *host;            /* connect here */
    apr_port_t port;
    const char *target;          /* the request line's target */
    const char *host_header;     /* mod_ssl's "Host: NAME:PORT" */
} hop_t;

static const char *plain_http(apr_pool_t *p, const char *url, apr_uri_t *u)
{
    if (apr_uri_parse(p, url, u) != APR_SUCCESS || !u->scheme || strcmp(u->scheme, "http")
        || !u->hostname || !*u->hostname) {
        return apr_psprintf(p, "%s is not a plain http:// URL with a host (mod_ssl's OCSP "
                            "client cannot use it)", url);
    }
    if (!u->port) {
        u->port = apr_uri_port_of_scheme(u->scheme);
    }
    return NULL;
}

static const char *next_hop(hop_t *h, apr_pool_t *p, const char *url, const char *proxy)
{
    apr_uri_t u, pu;
    const char *err, *path;

    if ((err = plain_http(p, url, &u)) != NULL) {
        return err;
    }
    path = u.path && *u.path ? u.path : "/";
    if (u.query) {
        path = apr_pstrcat(p, path, "?", u.query, NULL);
    }
    h->host_header = apr_psprintf(p, "%s:%u", u.hostname, u.port);
    if (!proxy) {
        h->host = u.hostname;
        h->port = u.port;
        h->target = path;
        return NULL;
    }
    if ((err = plain_http(p, proxy, &pu)) != NULL) {
        return apr_psprintf(p, "SSLOCSPProxyURL: %s", err);
    }
    h->host = pu.hostname;
    h->port = pu.port;
    h->target = apr_psprintf(p, "http://%s:%u%s", u.hostname, u.port, path);
    return NULL;
}

static void verdict(oa_responder_check_t *r)
{
    const oa_ocsp_info_t *i = &r->info;
    if (r->error_class) {
        r->verdict = (!strcmp(r->error_class, "http")) ? "http-error"
                   : (!strcmp(r->error_class, "malformed")) ? "malformed" : "unreachable";
    }
    else if (i->response_status == OCSP_RESPONSE_STATUS_TRYLATER) {
        r->verdict = "trylater";
    }
    else if (i->response_status == OCSP_RESPONSE_STATUS_UNAUTHORIZED) {
        r->verdict = "unauthorized";
    }
    else if (i->response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        r->verdict = "error-status";
    }
    else if (i->time_error && !strncmp(i->time_error, "not yet", 7)) {
        r->verdict = "future";   /* before anything else: a clock behind explains the rest */
    }
    else if (!i->verified || i->cert_status < 0) {
        r->verdict = "unverified";
    }
    else if (!i->time_ok) {
        r->verdict = "stale";
    }
    else if (i->cert_status == V_OCSP_CERTSTATUS_REVOKED) {
        r->verdict = "revoked";
    }
    else if (i->cert_status == V_OCSP_CERTSTATUS_UNKNOWN) {
        r->verdict = "unknown";
    }
    else {
        r->verdict = "ok";
    }
}

apr_status_t oa_responder_check(oa_responder_check_t **pr, apr_pool_t *p, X509 *cert,
                                X509 *issuer, const char *url, const oa_probe_opts_t *o)
{
    oa_responder_check_t *r = apr_pcalloc(p, sizeof(*r));
    apr_interval_time_t timeout, skew;
    apr_time_t now, t0 = apr_time_now(), t1, deadline;
    hop_t hop = { NULL, 0, NULL, NULL };
    OCSP_REQUEST *req = NULL;
    OCSP_CERTID *id = NULL;
    OCSP_RESPONSE *rsp = NULL;
    OSSL_HTTP_REQ_CTX *rctx = NULL;
    BIO *bio = NULL;
    apr_os_sock_t fd;
    apr_status_t rv = APR_EGENERAL;
    const char *err;

    *pr = r;
    defaults(o, &timeout, &skew, &now);
    r->url = url ? url : oa_x509_ocsp_url(p, cert);
    if (!r->url) {
        r->error_class = "url";
        r->message = "the certificate names no OCSP responder";
        r->verdict = "unreachable";
        return APR_EINVAL;
    }
    if (!issuer) {
        r->error_class = "error";
        r->message = "the issuer certificate is not known: no OCSP request can be made";
        r->verdict = "unreachable";
        return APR_EINVAL;
    }
    if ((err = next_hop(&hop, p, r->url, o ? o->proxy : NULL)) != NULL) {
        r->error_class = "url";
        r->message = err;
        r->verdict = "unreachable";
        return APR_EINVAL;
    }
    r->proxy = o ? o->proxy : NULL;

    rv = oa_net_connect(&r->conn, p, hop.host, hop.port, timeout);
    if (rv != APR_SUCCESS) {
        r->error_class = oa_net_error_name(r->conn->error);
        r->message = r->proxy ? apr_psprintf(p, "the OCSP proxy %s: %s", r->proxy,
                                             r->conn->message) : r->conn->message;
        r->t_total = apr_time_now() - t0;
        verdict(r);
        return rv;
    }

    /* the request mod_ssl sends: one CertID (SHA-1), POSTed */
    ERR_clear_error();
    req = OCSP_REQUEST_new();
    id = OCSP_cert_to_id(NULL, cert, issuer);
    if (!req || !id || !OCSP_request_add0_id(req, id)) {
        OCSP_CERTID_free(id);
        r->error_class = "error";
        r->message = apr_psprintf(p, "building the OCSP request: %s", oa_openssl_error(p, "the connection was closed"));
        goto done;
    }
    apr_os_sock_get(&fd, r->conn->sock);
    bio = BIO_new_socket((int)fd, BIO_NOCLOSE);
    rctx = OCSP_sendreq_new(bio, hop.target, NULL, -1);
    if (!rctx || !OSSL_HTTP_REQ_CTX_add1_header(rctx, "Host", hop.host_header)
        || (o && o->user_agent
            && !OSSL_HTTP_REQ_CTX_add1_header(rctx, "User-Agent", o->user_agent))
        || !OSSL_HTTP_REQ_CTX_set_expected(rctx, "application/ocsp-response", 1, 0, 0)
        || !OCSP_REQ_CTX_set1_req(rctx, req)) {
        r->error_class = "error";
        r->message = apr_psprintf(p, "setting up the HTTP request: %s", oa_openssl_error(p, "the connection was closed"));
        goto done;
    }
    t1 = apr_time_now();
    deadline = t1 + timeout;
    for (;;) {
        int ret = OCSP_sendreq_nbio(&rsp, rctx);
        if (ret == 1) {
            break;
        }
        if (ret == 0) {
            const char *cls, *why = http_error(p, bio, &cls);
            r->message = !strcmp(cls, "closed")
                ? apr_psprintf(p, "%s: %s", r->url, why)
                : apr_psprintf(p, "%s answered, but not with an OCSP response: %s", r->url, why);
            r->error_class = cls;
            r->t_response = apr_time_now() - t1;
            goto done;
        }
        if (oa_net_wait(r->conn->sock, BIO_should_write(bio), deadline) != APR_SUCCESS) {
            r->error_class = "timeout";
            r->message = apr_psprintf(p, "%s accepted the connection but sent no answer within %"
                                      APR_TIME_T_FMT " ms", r->url, apr_time_as_msec(timeout));
            r->t_response = apr_time_now() - t1;
            goto done;
        }
    }
    r->t_response = apr_time_now() - t1;
    oa_ocsp_inspect_response(&r->info, p, rsp, cert, issuer, now, skew);
    rv = APR_SUCCESS;

done:
    r->t_total = apr_time_now() - t0;
    verdict(r);
    if (r->info.verify_error && !r->message && strcmp(r->verdict, "ok")) {
        r->message = r->info.verify_error;
    }
    else if (r->info.time_error && !r->message) {
        r->message = r->info.time_error;
    }
    OCSP_RESPONSE_free(rsp);
    OSSL_HTTP_REQ_CTX_free(rctx);
    BIO_free(bio);
    OCSP_REQUEST_free(req);
    ERR_clear_error();
    if (r->conn && r->conn->sock) {
        apr_socket_close(r->conn->sock);
        r->conn->sock = NULL;
    }
    return rv;
}

/* ------------------------------------------------------------------ many certificates */

/*
 * Single flight: a certificate being checked is waited for, not checked again; the first
 * check of a responder URL in a round is a scout that the other certificates of that
 * responder wait for: if it fails at the network level they all take its answer (one
 * timeout per responder, not one per certificate), if it answers they go on at once.
 */
struct oa_responder_cache_t {
    apr_pool_t *pool;
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *cv;
    apr_hash_t *checked;     /* leaf fingerprint -> oa_responder_check_t* */
    apr_hash_t *inflight;    /* leaf fingerprint -> "" while it is being checked */
    apr_hash_t *dead;        /* responder URL -> the check that failed */
    apr_hash_t *alive;       /* responder URL -> "" once it answered */
    apr_hash_t *scouting;    /* responder URL -> "" while its first check runs */
};

oa_responder_cache_t *oa_responder_cache_make(apr_pool_t *p)
{
    oa_responder_cache_t *c = apr_pcalloc(p, sizeof(*c));
    c->pool = p;
    apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, p);
    apr_thread_cond_create(&c->cv, p);
    c->checked = apr_hash_make(p);
    c->inflight = apr_hash_make(p);
    c->dead = apr_hash_make(p);
    c->alive = apr_hash_make(p);
    c->scouting = apr_hash_make(p);
    return c;
}

/* under the lock: the answer to take, or NULL once this caller may ask itself */
static oa_responder_check_t *wait_turn(oa_responder_cache_t *c, const char *fp, const char *url,
                                       int *pskipped)
{
    for (;;) {
        oa_responder_check_t *r = apr_hash_get(c->checked, fp, APR_HASH_KEY_STRING);
        if (r) {
            return r;
        }
        if (!apr_hash_get(c->inflight, fp, APR_HASH_KEY_STRING)) {
            if ((r = apr_hash_get(c->dead, url, APR_HASH_KEY_STRING)) != NULL) {
                if (pskipped) {
                    *pskipped = 1;
                }
                return r;
            }
            if (apr_hash_get(c->alive, url, APR_HASH_KEY_STRING)
                || !apr_hash_get(c->scouting, url, APR_HASH_KEY_STRING)) {
                return NULL;
            }
        }
        apr_thread_cond_wait(c->cv, c->lock);
    }
}

oa_responder_check_t *oa_responder_check_once(oa_responder_cache_t *c, apr_pool_t *p,
                                              X509 *leaf, X509 *issuer, const char *url,
                                              const oa_probe_opts_t *o, int *pskipped)
{
    const char *fp;
    oa_responder_check_t *r;
    int scout;
    if (pskipped) {
        *pskipped = 0;
    }
    if (!leaf || !issuer || !(url = url ? url : oa_x509_ocsp_url(p, leaf))) {
        return NULL;
    }
    fp = oa_x509_fingerprint(p, leaf);
    apr_thread_mutex_lock(c->lock);   /* the cache's pool is only touched under the lock */
    if ((r = wait_turn(c, fp, url, pskipped)) != NULL) {
        apr_thread_mutex_unlock(c->lock);
        return r;
    }
    fp = apr_pstrdup(c->pool, fp);
    url = apr_pstrdup(c->pool, url);
    apr_hash_set(c->inflight, fp, APR_HASH_KEY_STRING, "");
    scout = !apr_hash_get(c->alive, url, APR_HASH_KEY_STRING);
    if (scout) {
        apr_hash_set(c->scouting, url, APR_HASH_KEY_STRING, "");
    }
    apr_thread_mutex_unlock(c->lock);

    oa_responder_check(&r, p, leaf, issuer, url, o);

    apr_thread_mutex_lock(c->lock);
    apr_hash_set(c->checked, fp, APR_HASH_KEY_STRING, r);
    apr_hash_set(c->inflight, fp, APR_HASH_KEY_STRING, NULL);
    if (scout) {
        apr_hash_set(c->scouting, url, APR_HASH_KEY_STRING, NULL);
    }
    /* dead: it could not be reached, or it took the connection and never answered (a
     * hung responder): its other certificates would only wait out the same timeout */
    if ((r->conn && r->conn->error) || (r->error_class && (!strcmp(r->error_class, "timeout")
                                                           || !strcmp(r->error_class, "closed")))) {
        apr_hash_set(c->dead, url, APR_HASH_KEY_STRING, r);
    }
    else {
        apr_hash_set(c->alive, url, APR_HASH_KEY_STRING, "");
    }
    apr_thread_cond_broadcast(c->cv);
    apr_thread_mutex_unlock(c->lock);
    return r;
}

void oa_probe_crl_opts(oa_crl_opts_t *co, const oa_probe_opts_t *po)
{
    memset(co, 0, sizeof(*co));
    co->timeout = po->timeout;
    co->skew = po->skew;
    co->now = po->now;
    co->user_agent = po->user_agent;
}

oa_crl_check_t *oa_probe_served_crl(apr_pool_t *p, oa_crl_cache_t *cache,
                                    const oa_tls_probe_t *tls, const oa_crl_opts_t *o)
{
    oa_crl_check_t *r = NULL;
    if (!tls->leaf || !tls->issuer || tls->self_signed || !oa_x509_crl_url(p, tls->leaf)) {
        return NULL;
    }
    oa_crl_check(&r, p, cache, tls->leaf, tls->issuer, NULL, o);
    return r;
}
