/* libFuzzer target: PEM decoding and every X.509 fact the rules read. */
#include <stdint.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "oa_pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialized;
    apr_pool_t *p;
    oa_pki_t *pki;
    const oa_pemfile_t *f;
    char *buf;
    int i;

    if (!initialized) {
        apr_initialize();
        initialized = 1;
    }
    apr_pool_create(&p, NULL);
    buf = apr_pstrmemdup(p, (const char *)data, size);
    pki = oa_pki_make(p);
    f = oa_pki_parse(pki, "fuzz.pem", buf, size);
    for (i = 0; i < sk_X509_num(f->certs); i++) {
        X509 *x = sk_X509_value(f->certs, i);
        (void)oa_x509_ocsp_url(p, x);
        (void)oa_x509_has_crldp(x);
        (void)oa_x509_must_staple(x);
        (void)oa_x509_is_ca(x);
        (void)oa_x509_self_signed(x);
        (void)oa_x509_subject(p, x);
        (void)oa_x509_issuer_name(p, x);
        apr_time_t t;
        if (oa_x509_not_before(&t, x)) {
            (void)oa_time_str(p, t);
        }
        if (oa_x509_not_after(&t, x)) {
            (void)oa_time_str(p, t);
        }
        if (i > 0) {
            (void)oa_x509_issued(sk_X509_value(f->certs, i - 1), x);
        }
        if (f->key) {
            (void)oa_x509_key_matches(x, f->key);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
