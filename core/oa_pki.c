#include <errno.h>
#include <limits.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_file_io.h>
#include <apr_lib.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "oa_pki.h"

struct oa_pki_t {
    apr_pool_t *pool;
    apr_hash_t *files;
    apr_hash_t *pairs;     /* "kind:ptr:ptr" -> answer of an issued/key check */
    apr_hash_t *capaths;   /* dir -> STACK_OF(X509) of every certificate in it */
    const char *confine;   /* NULL, or the only directory files are read from */
    apr_hash_t *fps;       /* X509 * -> cert_facts_t: fingerprint, OCSP URL, must-staple */
    apr_hash_t *ders;      /* DER bytes -> X509 *: one decoded object per distinct certificate */
};

static apr_status_t free_certs(void *data)
{
    sk_X509_pop_free((STACK_OF(X509) *)data, X509_free);
    return APR_SUCCESS;
}

static apr_status_t free_x509(void *data)
{
    X509_free((X509 *)data);
    return APR_SUCCESS;
}

static apr_status_t free_key(void *data)
{
    EVP_PKEY_free((EVP_PKEY *)data);
    return APR_SUCCESS;
}

oa_pki_t *oa_pki_make(apr_pool_t *p)
{
    oa_pki_t *pki = apr_pcalloc(p, sizeof(*pki));
    pki->pool = p;
    pki->files = apr_hash_make(p);
    pki->capaths = apr_hash_make(p);
    pki->pairs = apr_hash_make(p);
    pki->fps = apr_hash_make(p);
    pki->ders = apr_hash_make(p);
    return pki;
}

/* what the audit reads from a certificate for every vhost that serves it, read once */
typedef struct {
    const char *fingerprint;
    const char *ocsp_url;
    int must_staple;
    int has_not_before, has_not_after;
    apr_time_t not_before, not_after;
} cert_facts_t;

static const cert_facts_t *facts(oa_pki_t *pki, X509 *x)
{
    cert_facts_t *cf = apr_hash_get(pki->fps, &x, sizeof(x));
    X509 **key;
    if (!cf) {
        cf = apr_palloc(pki->pool, sizeof(*cf));
        cf->fingerprint = oa_x509_fingerprint(pki->pool, x);
        cf->ocsp_url = oa_x509_ocsp_url(pki->pool, x);
        cf->must_staple = oa_x509_must_staple(x);
        cf->has_not_before = oa_x509_not_before(&cf->not_before, x);
        cf->has_not_after = oa_x509_not_after(&cf->not_after, x);
        key = apr_palloc(pki->pool, sizeof(*key));
        *key = x;
        apr_hash_set(pki->fps, key, sizeof(*key), cf);
    }
    return cf;
}

const char *oa_pki_fingerprint(oa_pki_t *pki, X509 *x)
{
    return facts(pki, x)->fingerprint;
}

const char *oa_pki_ocsp_url(oa_pki_t *pki, X509 *x)
{
    return facts(pki, x)->ocsp_url;
}

int oa_pki_must_staple(oa_pki_t *pki, X509 *x)
{
    return facts(pki, x)->must_staple;
}

int oa_pki_not_before(oa_pki_t *pki, apr_time_t *pt, X509 *x)
{
    const cert_facts_t *cf = facts(pki, x);
    *pt = cf->not_before;
    return cf->has_not_before;
}

int oa_pki_not_after(oa_pki_t *pki, apr_time_t *pt, X509 *x)
{
    const cert_facts_t *cf = facts(pki, x);
    *pt = cf->not_after;
    return cf->has_not_after;
}

/* The objects live as long as the cache (the files hold them), so their addresses
 * are stable keys. */
typedef struct {
    char kind;
    const void *a, *b;
} pair_key_t;

static int *pair_get(oa_pki_t *pki, char kind, const void *a, const void *b)
{
    pair_key_t k;
    memset(&k, 0, sizeof(k));
    k.kind = kind;
    k.a = a;
    k.b = b;
    return apr_hash_get(pki->pairs, &k, sizeof(k));
}

static int pair_set(oa_pki_t *pki, char kind, const void *a, const void *b, int v)
{
    pair_key_t *k = apr_pcalloc(pki->pool, sizeof(*k));
    int *pv = apr_palloc(pki->pool, sizeof(*pv));
    k->kind = kind;
    k->a = a;
    k->b = b;
    *pv = v;
    apr_hash_set(pki->pairs, k, sizeof(*k), pv);
    return v;
}

int oa_pki_issued(oa_pki_t *pki, X509 *issuer, X509 *x)
{
    int *v = pair_get(pki, 'i', issuer, x);
    return v ? *v : pair_set(pki, 'i', issuer, x, oa_x509_issued(issuer, x));
}

int oa_pki_check_issued(oa_pki_t *pki, X509 *issuer, X509 *x)
{
    int *v = pair_get(pki, 'c', issuer, x);
    return v ? *v : pair_set(pki, 'c', issuer, x, X509_check_issued(issuer, x) == X509_V_OK);
}

int oa_pki_key_matches(oa_pki_t *pki, X509 *x, EVP_PKEY *key)
{
    int *v = pair_get(pki, 'k', x, key);
    return v ? *v : pair_set(pki, 'k', x, key, oa_x509_key_matches(x, key));
}

void oa_pki_confine(oa_pki_t *pki, const char *dir)
{
    pki->confine = dir ? apr_pstrdup(pki->pool, dir) : NULL;
}

static int confined_out(const oa_pki_t *pki, const char *path)
{
    apr_size_t n;
    if (!pki->confine) {
        return 0;
    }
    n = strlen(pki->confine);
    return strncmp(path, pki->confine, n) || (path[n] != '/' && path[n] != '\0')
           || strstr(path, "/..");
}

int oa_pki_files_read(const oa_pki_t *pki)
{
    return (int)apr_hash_count(pki->files);
}

/* refuse to ask for a pass phrase: we only want to know that one is needed */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    *(int *)u = 1;
    return 0;
}

static const char *const file_state_names[] = { "read", "missing", "unreadable" };

const char *oa_file_state_name(oa_file_state_e state)
{
    return (unsigned)state < sizeof(file_state_names) / sizeof(file_state_names[0])
           ? file_state_names[state] : "?";
}

oa_file_state_e oa_file_state_of(apr_status_t rv)
{
    if (APR_STATUS_IS_ENOENT(rv) || APR_STATUS_IS_ENOTDIR(rv)) {
        return OA_FILE_MISSING;
    }
    if (APR_STATUS_IS_EACCES(rv) || rv == APR_FROM_OS_ERROR(EPERM)) {
        return OA_FILE_UNREADABLE;
    }
    return OA_FILE_READ;
}

/* Is the last error "no PEM start line" (the reader reached the end without finding
 * an object of the type it wanted)? */
static int no_start_line(void)
{
    unsigned long e = ERR_peek_last_error();
    return ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/*
 * The certificates of a PEM buffer, as PEM_read_bio_X509 reads them (CERTIFICATE and
 * X509 CERTIFICATE blocks, others skipped, the first bad one ends the list), each
 * decoded once per cache: the same intermediate in a thousand chain files is one X509.
 * With OpenSSL 3 decoding a certificate (its public key, through OSSL_DECODER) is most
 * of the cost of reading it.
 * Returns 1 when the file held nothing else to its end: only certificates, each without
 * PEM headers and decoded. Then no key can be in it and no pass phrase asked for.
 */
static int read_certs(oa_pki_t *pki, oa_pemfile_t *f, BIO *bio)
{
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long len = 0;
    int only_certs = 1;

    while (PEM_read_bio(bio, &name, &header, &data, &len)) {
        int cert = !strcmp(name, PEM_STRING_X509) || !strcmp(name, PEM_STRING_X509_OLD);
        X509 *x = NULL;
        EVP_CIPHER_INFO cipher;
        if (cert && header[0]
            && (!PEM_get_EVP_CIPHER_INFO(header, &cipher)
                || !PEM_do_header(&cipher, data, &len, NULL, NULL))) {
            cert = 0;
            len = -1;
        }
        if (cert) {
            x = apr_hash_get(pki->ders, data, (apr_ssize_t)len);
            if (x) {
                X509_up_ref(x);
            }
            else {
                const unsigned char *q = data;
                if ((x = d2i_X509(NULL, &q, len)) != NULL) {
                    X509_up_ref(x);      /* the DER index's reference */
                    apr_pool_cleanup_register(pki->pool, x, free_x509, apr_pool_cleanup_null);
                    apr_hash_set(pki->ders, apr_pmemdup(pki->pool, data, (apr_size_t)len),
                                 (apr_ssize_t)len, x);
                }
            }
        }
        only_certs = only_certs && cert && x && !header[0];
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (cert && x) {
            sk_X509_push(f->certs, x);
        }
        else if (cert || len < 0) {
            only_certs = 0;
            break;
        }
    }
    only_certs = only_certs && no_start_line();
    ERR_clear_error();
    return only_certs;
}

/*
 * Read certificates and the first private key from bio the way mod_ssl does: OpenSSL's
 * PEM reader, streaming (memory is bounded by the largest object, not the file: httpd
 * has no size limit, a 5 MB file of comments and a certificate loads fine), then from
 * the start again for the key.
 */
static void load_pem(oa_pki_t *pki, oa_pemfile_t *f, BIO *bio)
{
    apr_pool_t *p = pki->pool;
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long len = 0;
    int asked = 0;

    /* any PEM object at all? (a complete BEGIN/END block of any type) */
    ERR_clear_error();
    if (!PEM_read_bio(bio, &name, &header, &data, &len) && no_start_line()) {
        ERR_clear_error();
        f->error = apr_psprintf(p, "%s holds no PEM data (mod_ssl reads PEM only)", f->path);
        return;
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    ERR_clear_error();
    if (BIO_reset(bio) < 0) {
        goto cleanup;
    }
    /* OpenSSL 3 sets up a decoder for every object PEM_read_bio_PrivateKey meets: in a
     * file of certificates only, that was most of the cost of loading it */
    if (read_certs(pki, f, bio) || BIO_reset(bio) < 0) {
        goto cleanup;
    }
    f->key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &asked);
    if (f->key) {
        apr_pool_cleanup_register(p, f->key, free_key, apr_pool_cleanup_null);
    }
    else if (asked) {
        f->key_encrypted = 1;
    }
cleanup:
    ERR_clear_error();
    if (!sk_X509_num(f->certs) && !f->key && !f->key_encrypted) {
        f->error = apr_psprintf(p, "%s: no certificate or key could be decoded from its "
                                "PEM data", f->path);
    }
}

static oa_pemfile_t *pemfile_make(oa_pki_t *pki, const char *name)
{
    oa_pemfile_t *f = apr_pcalloc(pki->pool, sizeof(*f));
    f->path = apr_pstrdup(pki->pool, name);
    f->certs = sk_X509_new_null();
    apr_pool_cleanup_register(pki->pool, f->certs, free_certs, apr_pool_cleanup_null);
    return f;
}

const oa_pemfile_t *oa_pki_parse(oa_pki_t *pki, const char *name, const char *buf,
                                 apr_size_t len)
{
    oa_pemfile_t *f = pemfile_make(pki, name);
    BIO *bio = len <= INT_MAX ? BIO_new_mem_buf(buf, (int)len) : NULL;
    if (!bio) {
        f->error = apr_psprintf(pki->pool, "%s: cannot be read into memory", name);
        return f;
    }
    load_pem(pki, f, bio);
    BIO_free(bio);
    return f;
}

const oa_pemfile_t *oa_pki_file(oa_pki_t *pki, const char *path)
{
    oa_pemfile_t *f = apr_hash_get(pki->files, path, APR_HASH_KEY_STRING);
    apr_finfo_t fi;
    apr_status_t rv;
    char ebuf[256];
    BIO *bio;

    if (f) {
        return f;
    }
    f = pemfile_make(pki, path);
    rv = confined_out(pki, path) ? APR_ENOENT : apr_stat(&fi, path, APR_FINFO_TYPE, pki->pool);
    if (rv == APR_SUCCESS && fi.filetype != APR_REG) {
        f->error = apr_psprintf(pki->pool, "%s is not a regular file", path);
    }
    else if (rv != APR_SUCCESS || !(bio = BIO_new_file(path, "rb"))) {
        if (rv == APR_SUCCESS) {
            rv = APR_FROM_OS_ERROR(errno);
        }
        f->state = oa_file_state_of(rv);
        ERR_clear_error();
        f->error = apr_psprintf(pki->pool, "cannot read %s: %s", path,
                                apr_strerror(rv, ebuf, sizeof(ebuf)));
    }
    else {
        load_pem(pki, f, bio);
        BIO_free(bio);
    }
    apr_hash_set(pki->files, f->path, APR_HASH_KEY_STRING, f);
    return f;
}

STACK_OF(X509) *oa_pki_capath_issuers(oa_pki_t *pki, const char *dir, X509 *x)
{
    /* OpenSSL's hash_dir lookup: files named <issuer-name-hash>.N */
    STACK_OF(X509) *out = sk_X509_new_null();
    unsigned long h = X509_issuer_name_hash(x);
    int n;
    apr_pool_cleanup_register(pki->pool, out, free_certs, apr_pool_cleanup_null);
    for (n = 0; n < 100; n++) {
        const char *path = apr_psprintf(pki->pool, "%s/%08lx.%d", dir, h, n);
        const oa_pemfile_t *f;
        apr_finfo_t fi;
        int i;
        if (apr_stat(&fi, path, APR_FINFO_TYPE, pki->pool) != APR_SUCCESS) {
            break;
        }
        f = oa_pki_file(pki, path);
        for (i = 0; i < sk_X509_num(f->certs); i++) {
            X509 *c = sk_X509_value(f->certs, i);
            X509_up_ref(c);
            sk_X509_push(out, c);
        }
    }
    return out;
}

const char *oa_x509_fingerprint(apr_pool_t *p, X509 *x)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0, i;
    char *hex;
    X509_digest(x, EVP_sha256(), md, &len);
    hex = apr_palloc(p, len * 2 + 1);
    for (i = 0; i < len; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    hex[len * 2] = '\0';
    return hex;
}

const char *oa_x509_ocsp_url(apr_pool_t *p, X509 *x)
{
    STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(x);
    const char *u = NULL;
    if (urls && sk_OPENSSL_STRING_num(urls) > 0) {
        u = apr_pstrdup(p, sk_OPENSSL_STRING_value(urls, 0));
    }
    X509_email_free(urls);
    return u;
}

int oa_x509_has_crldp(X509 *x)
{
    return X509_get_ext_by_NID(x, NID_crl_distribution_points, -1) >= 0;
}

int oa_x509_must_staple(X509 *x)
{
    /* TLSFeatures ::= SEQUENCE OF INTEGER; status_request is 5 */
    int idx = X509_get_ext_by_NID(x, NID_tlsfeature, -1);
    X509_EXTENSION *ext;
    STACK_OF(ASN1_INTEGER) *features;
    int i, found = 0;

    if (idx < 0 || !(ext = X509_get_ext(x, idx))) {
        return 0;
    }
    features = X509V3_EXT_d2i(ext);
    if (!features) {
        ERR_clear_error();
        return 0;
    }
    for (i = 0; i < sk_ASN1_INTEGER_num(features); i++) {
        if (ASN1_INTEGER_get(sk_ASN1_INTEGER_value(features, i)) == 5) {
            found = 1;
        }
    }
    sk_ASN1_INTEGER_pop_free(features, ASN1_INTEGER_free);
    return found;
}

int oa_x509_issued(X509 *issuer, X509 *x)
{
    EVP_PKEY *k;
    int ok;
    if (X509_check_issued(issuer, x) != X509_V_OK) {
        return 0;
    }
    k = X509_get0_pubkey(issuer);
    ok = k && X509_verify(x, k) == 1;
    ERR_clear_error();
    return ok;
}

int oa_x509_is_ca(X509 *x)
{
    return X509_check_ca(x) >= 1;
}

int oa_x509_self_signed(X509 *x)
{
    return X509_check_issued(x, x) == X509_V_OK;
}

static const char *name_str(apr_pool_t *p, X509_NAME *n)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    long len;
    const char *s;
    X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253);
    len = BIO_get_mem_data(b, &data);
    s = apr_pstrmemdup(p, data, (apr_size_t)len);
    BIO_free(b);
    return s;
}

apr_array_header_t *oa_x509_dns_names(apr_pool_t *p, X509 *x)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    apr_array_header_t *out = apr_array_make(p, 2, sizeof(const char *));
    int i;
    for (i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type == GEN_DNS) {
            APR_ARRAY_PUSH(out, const char *) =
                apr_pstrmemdup(p, (const char *)ASN1_STRING_get0_data(g->d.dNSName),
                               (apr_size_t)ASN1_STRING_length(g->d.dNSName));
        }
    }
    GENERAL_NAMES_free(gens);
    if (!out->nelts) {
        /* no DNS name in the SAN: X509_check_host falls back to the CN */
        char cn[256];
        if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
                                      (int)sizeof(cn)) > 0) {
            APR_ARRAY_PUSH(out, const char *) = apr_pstrdup(p, cn);
        }
    }
    return out;
}

const char *oa_x509_subject(apr_pool_t *p, X509 *x)
{
    return name_str(p, X509_get_subject_name(x));
}

const char *oa_x509_issuer_name(apr_pool_t *p, X509 *x)
{
    return name_str(p, X509_get_issuer_name(x));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil):
 * exact for every year, where apr_time_exp_gmt_get refuses years before 1970. */
static apr_int64_t days_from_civil(apr_int64_t y, int m, int d)
{
    apr_int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int oa_asn1_time_get(apr_time_t *pt, const ASN1_TIME *t)
{
    struct tm tm;
    apr_int64_t secs;
    *pt = 0;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
        ERR_clear_error();
        return 0;
    }
    secs = days_from_civil((apr_int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400
           + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    *pt = apr_time_from_sec(secs);
    return 1;
}

apr_time_t oa_asn1_time(const ASN1_TIME *t)
{
    apr_time_t out;
    oa_asn1_time_get(&out, t);
    return out;
}

int oa_x509_not_before(apr_time_t *pt, X509 *x)
{
    return oa_asn1_time_get(pt, X509_get0_notBefore(x));
}

int oa_x509_not_after(apr_time_t *pt, X509 *x)
{
    return oa_asn1_time_get(pt, X509_get0_notAfter(x));
}

int oa_x509_key_matches(X509 *x, EVP_PKEY *key)
{
    int ok = X509_check_private_key(x, key) == 1;
    ERR_clear_error();
    return ok;
}

const char *oa_time_str(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t e;
    apr_time_exp_gmt(&e, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", e.tm_year + 1900, e.tm_mon + 1,
                        e.tm_mday, e.tm_hour, e.tm_min, e.tm_sec);
}

const char *oa_openssl_error(apr_pool_t *p, const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    char buf[256];
    if (!e) {
        return fallback;
    }
    ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return apr_pstrdup(p, buf);
}

const char *oa_x509_crl_url(apr_pool_t *p, X509 *x)
{
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
    const char *url = NULL;
    int i, k;
    for (i = 0; !url && i < sk_DIST_POINT_num(dps); i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (!dp->distpoint || dp->distpoint->type != 0) {
            continue;   /* a relative name: nothing to fetch */
        }
        for (k = 0; !url && k < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); k++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, k);
            const ASN1_IA5STRING *u = g->type == GEN_URI ? g->d.uniformResourceIdentifier : NULL;
            if (u && u->length > 7 && !OPENSSL_strncasecmp((const char *)u->data, "http://", 7)) {
                url = apr_pstrmemdup(p, (const char *)u->data, (apr_size_t)u->length);
            }
        }
    }
    CRL_DIST_POINTS_free(dps);
    return url;
}
