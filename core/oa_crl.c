/*
 * CRL checks. HTTP is OpenSSL's (OSSL_HTTP_REQ_CTX, a GET whose body is streamed to us),
 * the CRL is OpenSSL's (d2i/PEM, X509_CRL_verify, X509_CRL_get0_by_serial); the sockets
 * are the network engine's, non-blocking, every wait bounded.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <apr_uri.h>
#include <apr_hash.h>
#include <apr_portable.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/httperr.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "oa_crl.h"
#include "oa_pki.h"

#define DEFAULT_TIMEOUT apr_time_from_sec(5)
#define DEFAULT_SKEW    apr_time_from_sec(300)
#define DEFAULT_RETRY   apr_time_from_sec(300)

static const struct {
    const char *name;
    int network;
} verdicts[] = {
    [OA_CRL_OK]            = { "ok", 0 },
    [OA_CRL_NONE]          = { "none", 0 },
    [OA_CRL_URL]           = { "url", 0 },
    [OA_CRL_NO_ISSUER]     = { "no-issuer", 0 },
    [OA_CRL_DNS]           = { "dns", 1 },
    [OA_CRL_DNS_TIMEOUT]   = { "dns-timeout", 1 },
    [OA_CRL_REFUSED]       = { "refused", 1 },
    [OA_CRL_TIMEOUT]       = { "timeout", 1 },
    [OA_CRL_UNREACHABLE]   = { "unreachable", 1 },
    [OA_CRL_CANCELLED]     = { "cancelled", 1 },
    [OA_CRL_ERROR]         = { "error", 1 },
    [OA_CRL_HTTP]          = { "http", 0 },
    [OA_CRL_TOO_LARGE]     = { "too-large", 0 },
    [OA_CRL_MALFORMED]     = { "malformed", 0 },
    [OA_CRL_BAD_SIGNATURE] = { "bad-signature", 0 },
    [OA_CRL_STALE]         = { "stale", 0 },
    [OA_CRL_FUTURE]        = { "future", 0 },
    [OA_CRL_REVOKED]       = { "revoked", 0 },
};

/* the network engine's classes, row for row */
static const oa_crl_verdict_e of_net[] = {
    [OA_NET_OK]          = OA_CRL_OK,
    [OA_NET_DNS]         = OA_CRL_DNS,
    [OA_NET_DNS_TIMEOUT] = OA_CRL_DNS_TIMEOUT,
    [OA_NET_REFUSED]     = OA_CRL_REFUSED,
    [OA_NET_TIMEOUT]     = OA_CRL_TIMEOUT,
    [OA_NET_UNREACHABLE] = OA_CRL_UNREACHABLE,
    [OA_NET_CANCELLED]   = OA_CRL_CANCELLED,
    [OA_NET_ERROR]       = OA_CRL_ERROR,
};

const char *oa_crl_verdict_name(oa_crl_verdict_e v)
{
    if ((unsigned)v < sizeof(verdicts) / sizeof(verdicts[0]) && verdicts[v].name) {
        return verdicts[v].name;
    }
    return "error";
}

int oa_crl_verdict_is_network(oa_crl_verdict_e v)
{
    return (unsigned)v < sizeof(verdicts) / sizeof(verdicts[0]) && verdicts[v].network;
}

oa_crl_verdict_e oa_crl_verdict_of_net(oa_net_error_e e)
{
    if ((unsigned)e < sizeof(of_net) / sizeof(of_net[0])) {
        return of_net[e];
    }
    return OA_CRL_ERROR;
}

typedef struct {
    apr_interval_time_t timeout, skew, retry;
    apr_time_t now;
    apr_size_t max_size;
    const char *user_agent;
} opts_t;

static void defaults(opts_t *d, const oa_crl_opts_t *o)
{
    d->timeout = (o && o->timeout > 0) ? o->timeout : DEFAULT_TIMEOUT;
    d->skew = (o && o->skew > 0) ? o->skew : DEFAULT_SKEW;
    d->retry = (o && o->retry > 0) ? o->retry : DEFAULT_RETRY;
    d->now = (o && o->now) ? o->now : apr_time_now();
    d->max_size = (o && o->max_size) ? o->max_size : OA_CRL_MAX_SIZE;
    d->user_agent = o ? o->user_agent : NULL;
}

static apr_status_t free_crl(void *crl)
{
    X509_CRL_free(crl);
    return APR_SUCCESS;
}

/* the serial in hex, as openssl x509 -serial prints it */
static const char *serial_hex(apr_pool_t *p, X509 *x)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    const char *out = apr_pstrdup(p, hex ? hex : "?");
    OPENSSL_free(hex);
    BN_free(bn);
    return out;
}

/* a name in the same one-line form as oa_x509_subject */
static const char *name_str(apr_pool_t *p, const X509_NAME *n)
{
    X509_NAME *copy = X509_NAME_dup(n);
    X509 *x = X509_new();
    const char *out = "?";
    if (copy && x && X509_set_subject_name(x, copy)) {
        out = oa_x509_subject(p, x);
    }
    X509_NAME_free(copy);
    X509_free(x);
    return out;
}

/* ------------------------------------------------------------------ decoding */

apr_status_t oa_crl_parse(X509_CRL **pcrl, const char **pformat, apr_pool_t *p,
                          const unsigned char *buf, apr_size_t len)
{
    X509_CRL *crl = NULL;
    const char *format = NULL;
    const unsigned char *q = buf;

    *pcrl = NULL;
    if (len > 0 && len < (apr_size_t)1 << 30) {
        if (buf[0] == 0x30) {   /* a DER SEQUENCE */
            crl = d2i_X509_CRL(NULL, &q, (long)len);
            format = "der";
        }
        else {
            BIO *bio = BIO_new_mem_buf(buf, (int)len);
            crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
            BIO_free(bio);
            format = "pem";
        }
    }
    ERR_clear_error();
    if (!crl) {
        return APR_EINVAL;
    }
    apr_pool_cleanup_register(p, crl, free_crl, apr_pool_cleanup_null);
    *pcrl = crl;
    if (pformat) {
        *pformat = format;
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ fetching */

typedef struct {
    const char *host, *host_header, *path;
    apr_port_t port;
} target_t;

static const char *parse_url(target_t *t, apr_pool_t *p, const char *url)
{
    apr_uri_t u;
    if (apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.scheme || strcasecmp(u.scheme, "http")
        || !u.hostname || !*u.hostname) {
        return apr_psprintf(p, "%s is not a plain http:// URL with a host (CRLs are fetched "
                            "over plain HTTP: they are signed)", url);
    }
    t->host = u.hostname;
    t->port = u.port ? u.port : apr_uri_port_of_scheme("http");
    t->host_header = u.port_str ? apr_psprintf(p, "%s:%u", u.hostname, t->port) : u.hostname;
    t->path = (u.path && *u.path) ? u.path : "/";
    if (u.query) {
        t->path = apr_pstrcat(p, t->path, "?", u.query, NULL);
    }
    return NULL;
}

/* why OpenSSL's HTTP client gave up on the headers */
static oa_crl_verdict_e http_failure(apr_pool_t *p, BIO *bio, const char **pmsg)
{
    unsigned long e = ERR_peek_last_error();
    const char *data = NULL;
    int flags = 0;
    char buf[256];

    if (!e) {
        apr_uint64_t got = (apr_uint64_t)BIO_number_read(bio);
        *pmsg = got ? apr_psprintf(p, "%" APR_UINT64_T_FMT " bytes that are not a 200 "
                                   "response (a redirect, or not readable HTTP)", got)
                    : "the connection was closed without an answer";
        ERR_clear_error();
        return got ? OA_CRL_HTTP : OA_CRL_ERROR;
    }
    ERR_peek_last_error_data(&data, &flags);
    ERR_error_string_n(e, buf, sizeof(buf));
    *pmsg = (data && *data && (flags & ERR_TXT_STRING)) ? apr_psprintf(p, "%s (%s)", buf, data)
                                                        : apr_pstrdup(p, buf);
    ERR_clear_error();
    if (ERR_GET_LIB(e) == ERR_LIB_HTTP && ERR_GET_REASON(e) == HTTP_R_MAX_RESP_LEN_EXCEEDED) {
        return OA_CRL_TOO_LARGE;
    }
    return OA_CRL_HTTP;
}

/* the request line and headers sent, the headers read; the body left on the socket */
static apr_status_t exchange_headers(oa_crl_fetch_t *f, apr_pool_t *p, OSSL_HTTP_REQ_CTX *rctx,
                                     BIO *bio, apr_socket_t *sock, const opts_t *d)
{
    apr_time_t deadline = apr_time_now() + d->timeout;
    for (;;) {
        int ret = OSSL_HTTP_REQ_CTX_nbio(rctx);
        const char *why;
        if (ret == 1) {
            return APR_SUCCESS;
        }
        if (ret == 0) {
            f->verdict = http_failure(p, bio, &why);
            f->message = apr_psprintf(p, "%s answered, but not with a CRL: %s", f->url, why);
            return APR_EGENERAL;
        }
        if (oa_net_wait(sock, BIO_should_write(bio), deadline) != APR_SUCCESS) {
            f->verdict = oa_net_cancelled() ? OA_CRL_CANCELLED : OA_CRL_TIMEOUT;
            f->message = apr_psprintf(p, "%s accepted the connection but sent no answer "
                                      "within %" APR_TIME_T_FMT " ms", f->url,
                                      apr_time_as_msec(d->timeout));
            return APR_TIMEUP;
        }
    }
}

/* the body, up to max_size bytes, all of it within the timeout */
static apr_status_t read_body(oa_crl_fetch_t *f, apr_pool_t *p, BIO *bio, apr_socket_t *sock,
                              const opts_t *d, size_t expected, char **pbuf, apr_size_t *plen)
{
    apr_size_t cap = expected ? expected : 64 * 1024, len = 0;
    char *buf = malloc(cap + 1);
    apr_time_t deadline = apr_time_now() + d->timeout;

    while (buf) {
        int n;
        if (expected && len >= expected) {
            break;
        }
        if (len == cap) {
            char *more;
            cap *= 2;
            if (!(more = realloc(buf, cap + 1))) {
                break;
            }
            buf = more;
        }
        n = BIO_read(bio, buf + len, (int)(cap - len));
        if (n > 0) {
            len += (apr_size_t)n;
            if (len > d->max_size) {
                f->verdict = OA_CRL_TOO_LARGE;
                f->message = apr_psprintf(p, "%s sends a CRL larger than the limit of %"
                                          APR_SIZE_T_FMT " bytes: not read", f->url,
                                          d->max_size);
                free(buf);
                return APR_ENOSPC;
            }
            continue;   /* one deadline for the whole body: a trickle cannot hold us */
        }
        if (!BIO_should_retry(bio)) {
            break;   /* the end (connection closed) */
        }
        if (oa_net_wait(sock, 0, deadline) != APR_SUCCESS) {
            f->verdict = oa_net_cancelled() ? OA_CRL_CANCELLED : OA_CRL_TIMEOUT;
            f->message = apr_psprintf(p, "%s sent only %" APR_SIZE_T_FMT " bytes of the CRL "
                                      "within %" APR_TIME_T_FMT " ms",
                                      f->url, len, apr_time_as_msec(d->timeout));
            free(buf);
            return APR_TIMEUP;
        }
    }
    if (!buf) {
        f->verdict = OA_CRL_ERROR;
        f->message = "out of memory reading the CRL";
        return APR_ENOMEM;
    }
    if (expected && len < expected) {
        f->verdict = OA_CRL_HTTP;
        f->message = apr_psprintf(p, "%s closed the connection after %" APR_SIZE_T_FMT " of "
                                  "%" APR_SIZE_T_FMT " bytes", f->url, len, (apr_size_t)expected);
        free(buf);
        return APR_EGENERAL;
    }
    *pbuf = buf;
    *plen = len;
    return APR_SUCCESS;
}

static apr_status_t get_crl(oa_crl_fetch_t *f, apr_pool_t *p, oa_conn_t *conn,
                            const target_t *t, const opts_t *d)
{
    OSSL_HTTP_REQ_CTX *rctx = NULL;
    BIO *bio = NULL, *sock = NULL;
    apr_os_sock_t fd;
    apr_status_t rv = APR_EGENERAL;
    apr_time_t t1 = apr_time_now();
    char *body = NULL;
    apr_size_t len = 0;

    ERR_clear_error();
    apr_os_sock_get(&fd, conn->sock);
    /* a buffer over the socket: the HTTP client reads the headers line by line */
    sock = BIO_new_socket((int)fd, BIO_NOCLOSE);
    bio = sock ? BIO_new(BIO_f_buffer()) : NULL;
    if (bio) {
        BIO_push(bio, sock);
        sock = NULL;
    }
    rctx = bio ? OSSL_HTTP_REQ_CTX_new(bio, bio, 0) : NULL;
    if (!rctx || !OSSL_HTTP_REQ_CTX_set_request_line(rctx, 0, NULL, NULL, t->path)
        || !OSSL_HTTP_REQ_CTX_add1_header(rctx, "Host", t->host_header)
        || (d->user_agent && !OSSL_HTTP_REQ_CTX_add1_header(rctx, "User-Agent", d->user_agent))
        || !OSSL_HTTP_REQ_CTX_set_expected(rctx, NULL, 0 /* DER or PEM */, 0, 0)) {
        f->verdict = OA_CRL_ERROR;
        f->message = apr_psprintf(p, "setting up the HTTP request: %s",
                                  oa_openssl_error(p, "out of memory"));
        goto cleanup;
    }
    /* a Content-Length over the limit is refused before the body is read */
    OSSL_HTTP_REQ_CTX_set_max_response_length(rctx, d->max_size);
    if ((rv = exchange_headers(f, p, rctx, bio, conn->sock, d)) != APR_SUCCESS) {
        goto cleanup;
    }
    if (OSSL_HTTP_REQ_CTX_get_resp_len(rctx) > d->max_size) {
        f->verdict = OA_CRL_TOO_LARGE;
        f->message = apr_psprintf(p, "%s sends a CRL of %" APR_SIZE_T_FMT " bytes, over the "
                                  "limit of %" APR_SIZE_T_FMT ": not read", f->url,
                                  (apr_size_t)OSSL_HTTP_REQ_CTX_get_resp_len(rctx), d->max_size);
        rv = APR_ENOSPC;
        goto cleanup;
    }
    ERR_clear_error();   /* the HTTP client notes an oversized length and goes on */
    if ((rv = read_body(f, p, bio, conn->sock, d, OSSL_HTTP_REQ_CTX_get_resp_len(rctx),
                        &body, &len)) != APR_SUCCESS) {
        goto cleanup;
    }
    f->size = len;
    if (oa_crl_parse(&f->crl, &f->format, p, (unsigned char *)body, len) != APR_SUCCESS) {
        f->verdict = OA_CRL_MALFORMED;
        f->message = apr_psprintf(p, "%s sent %" APR_SIZE_T_FMT " bytes that are neither a DER "
                                  "nor a PEM CRL", f->url, len);
        rv = APR_EINVAL;
        goto cleanup;
    }
    f->verdict = OA_CRL_OK;
    rv = APR_SUCCESS;

cleanup:
    f->t_response = apr_time_now() - t1;
    free(body);
    OSSL_HTTP_REQ_CTX_free(rctx);
    BIO_free_all(bio);
    BIO_free(sock);
    ERR_clear_error();
    return rv;
}

apr_status_t oa_crl_fetch(oa_crl_fetch_t **pf, apr_pool_t *p, const char *url,
                          const oa_crl_opts_t *o)
{
    oa_crl_fetch_t *f = apr_pcalloc(p, sizeof(*f));
    apr_time_t t0 = apr_time_now();
    oa_conn_t *conn = NULL;
    target_t t = { NULL, NULL, NULL, 0 };
    opts_t d;
    apr_status_t rv;
    const char *err;

    *pf = f;
    defaults(&d, o);
    f->url = url;
    f->fetched = d.now;
    if (!url) {
        f->verdict = OA_CRL_NONE;
        f->message = "no CRL distribution point";
        return APR_EINVAL;
    }
    if ((err = parse_url(&t, p, url)) != NULL) {
        f->verdict = OA_CRL_URL;
        f->message = err;
        return APR_EINVAL;
    }
    rv = oa_net_connect(&conn, p, t.host, t.port, d.timeout);
    f->t_dns = conn->t_dns;
    f->t_connect = conn->t_connect;
    f->ip = conn->ip;
    if (rv != APR_SUCCESS) {
        f->verdict = oa_crl_verdict_of_net(conn->error);
        f->message = apr_psprintf(p, "the CRL distribution point %s: %s", url, conn->message);
    }
    else {
        rv = get_crl(f, p, conn, &t, &d);
    }
    if (conn->sock) {
        apr_socket_close(conn->sock);
        conn->sock = NULL;
    }
    f->t_total = apr_time_now() - t0;
    return rv;
}

/* ------------------------------------------------------------------ judging */

static void judge_revoked(oa_crl_check_t *r, apr_pool_t *p, X509_CRL *crl, X509 *cert)
{
    X509_REVOKED *rev = NULL;
    ASN1_ENUMERATED *code;
    if (X509_CRL_get0_by_serial(crl, &rev, X509_get_serialNumber(cert)) != 1 || !rev) {
        return;   /* not listed (2: removeFromCRL, a delta's "no longer on hold") */
    }
    r->verdict = OA_CRL_REVOKED;
    r->revoked_at = oa_asn1_time(X509_REVOKED_get0_revocationDate(rev));
    code = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
    if (code) {
        r->reason = apr_pstrdup(p, OCSP_crl_reason_str(ASN1_ENUMERATED_get(code)));
        ASN1_ENUMERATED_free(code);
    }
    r->message = apr_psprintf(p, "the CRL lists the certificate (serial %s) as revoked since "
                              "%s%s%s: clients that check CRLs refuse it; replace it now",
                              serial_hex(p, cert), oa_time_str(p, r->revoked_at),
                              r->reason ? ", reason " : "", r->reason ? r->reason : "");
}

void oa_crl_judge(oa_crl_check_t *r, apr_pool_t *p, X509_CRL *crl, X509 *cert,
                  X509 *issuer, const oa_crl_opts_t *o)
{
    opts_t d;
    EVP_PKEY *key = issuer ? X509_get0_pubkey(issuer) : NULL;
    const STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);

    defaults(&d, o);
    r->this_update = oa_asn1_time(X509_CRL_get0_lastUpdate(crl));
    r->next_update = oa_asn1_time(X509_CRL_get0_nextUpdate(crl));
    r->entries = revs ? sk_X509_REVOKED_num(revs) : 0;
    r->revoked_at = 0;
    r->reason = NULL;
    r->verdict = OA_CRL_OK;
    if (!issuer) {
        r->verdict = OA_CRL_NO_ISSUER;
        r->message = "the issuer certificate is not known: the CRL cannot be verified";
        return;
    }
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer))) {
        r->verdict = OA_CRL_BAD_SIGNATURE;
        r->message = apr_psprintf(p, "the CRL is issued by %s, not by the certificate's issuer "
                                  "%s: clients cannot use it", name_str(p,
                                  X509_CRL_get_issuer(crl)), oa_x509_subject(p, issuer));
        return;
    }
    if (!key || X509_CRL_verify(crl, key) <= 0) {
        ERR_clear_error();
        r->verdict = OA_CRL_BAD_SIGNATURE;
        r->message = apr_psprintf(p, "the CRL's signature does not verify with the key of %s: "
                                  "clients reject it (a CRL signed by another key, or damaged)",
                                  oa_x509_subject(p, issuer));
        return;
    }
    judge_revoked(r, p, crl, cert);
    if (r->verdict == OA_CRL_REVOKED) {
        return;   /* revoked whatever the dates say */
    }
    if (r->this_update && r->this_update > d.now + d.skew) {
        r->verdict = OA_CRL_FUTURE;
        r->message = apr_psprintf(p, "the CRL's thisUpdate %s is ahead of the clock: this "
                                  "server's clock (or the CA's) is wrong",
                                  oa_time_str(p, r->this_update));
    }
    else if (r->next_update && r->next_update < d.now - d.skew) {
        r->verdict = OA_CRL_STALE;
        r->message = apr_psprintf(p, "the CRL's nextUpdate %s is past: the CA has not "
                                  "published a newer one at this URL, and clients that check "
                                  "CRLs may fail hard or ignore revocation",
                                  oa_time_str(p, r->next_update));
    }
    else {
        r->message = apr_psprintf(p, "the CRL (%d entr%s, next update %s) does not list the "
                                  "certificate", r->entries, r->entries == 1 ? "y" : "ies",
                                  r->next_update ? oa_time_str(p, r->next_update) : "not set");
    }
}

/* ------------------------------------------------------------------ the cache */

typedef struct {
    apr_pool_t *pool;           /* the entry's own: destroyed when it is replaced */
    oa_crl_fetch_t *f;
    apr_time_t expires;
} entry_t;

struct oa_crl_cache_t {
    apr_pool_t *pool;
    apr_thread_mutex_t *lock;
    apr_thread_cond_t *cv;
    apr_hash_t *entries;        /* URL -> entry_t* */
    apr_hash_t *inflight;       /* URL -> "" while it is fetched */
    int fetches;
};

oa_crl_cache_t *oa_crl_cache_make(apr_pool_t *p)
{
    oa_crl_cache_t *c = apr_pcalloc(p, sizeof(*c));
    c->pool = p;
    apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, p);
    apr_thread_cond_create(&c->cv, p);
    c->entries = apr_hash_make(p);
    c->inflight = apr_hash_make(p);
    return c;
}

int oa_crl_cache_fetches(oa_crl_cache_t *c)
{
    int n;
    apr_thread_mutex_lock(c->lock);
    n = c->fetches;
    apr_thread_mutex_unlock(c->lock);
    return n;
}

/* what a check takes from a fetch: copied to its pool, the CRL referenced */
static void take(oa_crl_check_t *r, apr_pool_t *p, const oa_crl_fetch_t *f, X509_CRL **pcrl)
{
    r->verdict = f->verdict;
    r->message = f->message ? apr_pstrdup(p, f->message) : NULL;
    r->format = f->format;      /* static strings */
    r->size = f->size;
    r->ip = f->ip ? apr_pstrdup(p, f->ip) : NULL;
    r->t_dns = f->t_dns;
    r->t_connect = f->t_connect;
    r->t_response = f->t_response;
    r->t_total = f->t_total;
    *pcrl = NULL;
    if (f->crl && X509_CRL_up_ref(f->crl)) {
        *pcrl = f->crl;
    }
}

/* until when a fetch answers for its URL */
static apr_time_t expiry(const oa_crl_fetch_t *f, const opts_t *d)
{
    apr_time_t next = f->crl ? oa_asn1_time(X509_CRL_get0_nextUpdate(f->crl)) : 0;
    return next > d->now + d->retry ? next : d->now + d->retry;
}

static void fetch_cached(oa_crl_check_t *r, apr_pool_t *p, oa_crl_cache_t *c, const char *url,
                         const oa_crl_opts_t *o, const opts_t *d, X509_CRL **pcrl)
{
    entry_t *e;
    apr_pool_t *ep;
    oa_crl_fetch_t *f;

    apr_thread_mutex_lock(c->lock);
    for (;;) {
        e = apr_hash_get(c->entries, url, APR_HASH_KEY_STRING);
        if (e && e->expires > d->now) {
            take(r, p, e->f, pcrl);
            r->cached = 1;
            apr_thread_mutex_unlock(c->lock);
            return;
        }
        if (!apr_hash_get(c->inflight, url, APR_HASH_KEY_STRING)) {
            break;
        }
        apr_thread_cond_wait(c->cv, c->lock);   /* single flight: wait for the one fetch */
    }
    apr_pool_create(&ep, c->pool);
    url = apr_pstrdup(ep, url);
    apr_hash_set(c->inflight, url, APR_HASH_KEY_STRING, "");
    c->fetches++;
    apr_thread_mutex_unlock(c->lock);

    oa_crl_fetch(&f, ep, url, o);   /* ep is ours alone until it is published */

    apr_thread_mutex_lock(c->lock);
    if (e) {
        apr_hash_set(c->entries, url, APR_HASH_KEY_STRING, NULL);
        apr_pool_destroy(e->pool);  /* checks hold their own reference to its CRL */
    }
    e = apr_pcalloc(ep, sizeof(*e));
    e->pool = ep;
    e->f = f;
    e->expires = expiry(f, d);
    apr_hash_set(c->entries, url, APR_HASH_KEY_STRING, e);
    apr_hash_set(c->inflight, url, APR_HASH_KEY_STRING, NULL);
    take(r, p, f, pcrl);
    apr_thread_cond_broadcast(c->cv);
    apr_thread_mutex_unlock(c->lock);
}

apr_status_t oa_crl_check(oa_crl_check_t **pr, apr_pool_t *p, oa_crl_cache_t *cache,
                          X509 *cert, X509 *issuer, const char *url, const oa_crl_opts_t *o)
{
    oa_crl_check_t *r = apr_pcalloc(p, sizeof(*r));
    X509_CRL *crl = NULL;
    opts_t d;

    *pr = r;
    defaults(&d, o);
    r->checked_at = d.now;
    if (!cert) {
        r->verdict = OA_CRL_ERROR;
        r->message = "no certificate to look up";
        return APR_EINVAL;
    }
    r->url = url ? url : oa_x509_crl_url(p, cert);
    if (!r->url) {
        r->verdict = OA_CRL_NONE;
        r->message = "the certificate names no http:// CRL distribution point";
        return APR_EINVAL;
    }
    if (!issuer) {
        r->verdict = OA_CRL_NO_ISSUER;
        r->message = "the issuer certificate is not known: the CRL cannot be verified";
        return APR_EINVAL;
    }
    if (cache) {
        fetch_cached(r, p, cache, r->url, o, &d, &crl);
    }
    else {
        oa_crl_fetch_t *f;
        oa_crl_fetch(&f, p, r->url, o);
        take(r, p, f, &crl);
    }
    if (!crl) {
        return APR_EGENERAL;
    }
    oa_crl_judge(r, p, crl, cert, issuer, o);
    X509_CRL_free(crl);
    return APR_SUCCESS;
}
