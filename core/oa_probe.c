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
#include <apr_thread_mutex.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/http.h>
#include <openssl/httperr.h>
#include <openssl/x509v3.h>

#include "oa_pki.h"
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
    r->sni = sni ? sni : (is_ip_literal(host) ? NULL : host);
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
    ctx = SSL_CTX_new(TLS_client_method());
    ssl = ctx ? SSL_new(ctx) : NULL;
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
    SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp);
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
            for (i = 0; i < sk_X509_num(r->served); i++) {
                X509 *c = sk_X509_value(r->served, i);
                if (X509_cmp(c, r->leaf) && X509_check_issued(c, r->leaf) == X509_V_OK) {
                    r->issuer = c;
                    r->chain_complete = 1;
                    break;
                }
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

apr_status_t oa_probe_tls(oa_tls_probe_t **pr, apr_pool_t *p, const char *host,
                          apr_port_t port, const char *sni, const oa_probe_opts_t *o)
{
    return probe_tls(pr, p, host, NULL, port, sni, o);
}

apr_status_t oa_probe_tls_at(oa_tls_probe_t **pr, apr_pool_t *p, const char *host,
                             apr_sockaddr_t *addr, const char *sni, const oa_probe_opts_t *o)
{
    return probe_tls(pr, p, host, addr, addr->port, sni, o);
}

/* ------------------------------------------------------------------ the responder */

static const char *http_error(apr_pool_t *p, const char **pclass)
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
        *pclass = "closed";
        ERR_clear_error();
        return "the responder closed the connection without an answer";
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
    apr_uri_t u;
    OCSP_REQUEST *req = NULL;
    OCSP_CERTID *id = NULL;
    OCSP_RESPONSE *rsp = NULL;
    OSSL_HTTP_REQ_CTX *rctx = NULL;
    BIO *bio = NULL;
    apr_os_sock_t fd;
    apr_status_t rv = APR_EGENERAL;
    const char *path;

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
    if (apr_uri_parse(p, r->url, &u) != APR_SUCCESS || !u.scheme || strcmp(u.scheme, "http")
        || !u.hostname) {
        r->error_class = "url";
        r->message = apr_psprintf(p, "%s is not a plain http:// URL (mod_ssl's OCSP client "
                                  "cannot use it)", r->url);
        r->verdict = "unreachable";
        return APR_EINVAL;
    }
    if (!u.port) {
        u.port = apr_uri_port_of_scheme(u.scheme);
    }
    path = u.path && *u.path ? u.path : "/";
    if (u.query) {
        path = apr_pstrcat(p, path, "?", u.query, NULL);
    }

    rv = oa_net_connect(&r->conn, p, u.hostname, u.port, timeout);
    if (rv != APR_SUCCESS) {
        r->error_class = oa_net_error_name(r->conn->error);
        r->message = r->conn->message;
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
    rctx = OCSP_sendreq_new(bio, path, NULL, -1);
    if (!rctx || !OSSL_HTTP_REQ_CTX_add1_header(rctx, "Host", u.hostname)
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
            const char *cls, *why = http_error(p, &cls);
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

struct oa_responder_cache_t {
    apr_pool_t *pool;
    apr_thread_mutex_t *lock;
    apr_hash_t *checked;     /* leaf fingerprint -> oa_responder_check_t* */
    apr_hash_t *dead;        /* responder URL -> the check that failed */
};

oa_responder_cache_t *oa_responder_cache_make(apr_pool_t *p)
{
    oa_responder_cache_t *c = apr_pcalloc(p, sizeof(*c));
    c->pool = p;
    apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, p);
    c->checked = apr_hash_make(p);
    c->dead = apr_hash_make(p);
    return c;
}

oa_responder_check_t *oa_responder_check_once(oa_responder_cache_t *c, apr_pool_t *p,
                                              X509 *leaf, X509 *issuer, const char *url,
                                              const oa_probe_opts_t *o, int *pskipped)
{
    const char *fp;
    oa_responder_check_t *r;
    if (pskipped) {
        *pskipped = 0;
    }
    if (!leaf || !issuer || !(url = url ? url : oa_x509_ocsp_url(p, leaf))) {
        return NULL;
    }
    fp = oa_x509_fingerprint(p, leaf);
    apr_thread_mutex_lock(c->lock);
    r = apr_hash_get(c->checked, fp, APR_HASH_KEY_STRING);
    if (!r && (r = apr_hash_get(c->dead, url, APR_HASH_KEY_STRING)) != NULL && pskipped) {
        *pskipped = 1;
    }
    apr_thread_mutex_unlock(c->lock);
    if (r) {
        return r;
    }
    oa_responder_check(&r, p, leaf, issuer, url, o);
    apr_thread_mutex_lock(c->lock);   /* the cache's pool is only touched under the lock */
    apr_hash_set(c->checked, apr_pstrdup(c->pool, fp), APR_HASH_KEY_STRING, r);
    if (r->conn && r->conn->error) {
        apr_hash_set(c->dead, apr_pstrdup(c->pool, url), APR_HASH_KEY_STRING, r);
    }
    apr_thread_mutex_unlock(c->lock);
    return r;
}
