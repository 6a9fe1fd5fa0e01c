/* Certificates as mod_ssl loads them, and the X.509 facts stapling depends on. */
#include "oa_test.h"

#include <openssl/pem.h>

#include "oa_pki.h"

static const char *pki_dir;

static const char *pf(const char *name)
{
    return apr_pstrcat(tp, pki_dir, "/", name, NULL);
}

START_TEST(read_once_and_facts)
{
    apr_time_t t;
    oa_pki_t *pki = oa_pki_make(tp);
    const oa_pemfile_t *f = oa_pki_file(pki, pf("good-fullchain.pem"));
    const oa_pemfile_t *again = oa_pki_file(pki, pf("good-fullchain.pem"));
    X509 *leaf, *inter;
    ck_assert_ptr_eq(f, again);
    ck_assert_int_eq(oa_pki_files_read(pki), 1);
    ck_assert_ptr_null(f->error);
    ck_assert_int_eq(sk_X509_num(f->certs), 2);
    leaf = sk_X509_value(f->certs, 0);
    inter = sk_X509_value(f->certs, 1);
    ck_assert_str_eq(oa_x509_subject(tp, leaf), "CN=good.test");
    ck_assert_str_eq(oa_x509_issuer_name(tp, leaf), "CN=OA Test Intermediate");
    ck_assert_str_eq(oa_x509_ocsp_url(tp, leaf), "http://127.0.0.1:9/");
    ck_assert(!oa_x509_must_staple(leaf));
    ck_assert(oa_x509_issued(inter, leaf));
    ck_assert(!oa_x509_issued(leaf, inter));
    ck_assert(oa_x509_is_ca(inter));
    ck_assert(!oa_x509_is_ca(leaf));
    ck_assert(oa_x509_not_after(&t, leaf) && t > apr_time_now());
    ck_assert(oa_x509_not_before(&t, leaf) && t <= apr_time_now());
}
END_TEST

START_TEST(extensions)
{
    oa_pki_t *pki = oa_pki_make(tp);
    X509 *ms = sk_X509_value(oa_pki_file(pki, pf("muststaple.pem"))->certs, 0);
    X509 *no = sk_X509_value(oa_pki_file(pki, pf("noocsp.pem"))->certs, 0);
    X509 *https = sk_X509_value(oa_pki_file(pki, pf("httpsocsp.pem"))->certs, 0);
    X509 *exp = sk_X509_value(oa_pki_file(pki, pf("expired.pem"))->certs, 0);
    X509 *other = sk_X509_value(oa_pki_file(pki, pf("other.pem"))->certs, 0);
    X509 *inter = sk_X509_value(oa_pki_file(pki, pf("int.pem"))->certs, 0);
    X509 *ancient = sk_X509_value(oa_pki_file(pki, pf("ancient.pem"))->certs, 0);
    apr_time_t t;
    ck_assert(oa_x509_must_staple(ms));
    /* valid 1960-01-01 to 1969-12-31T23:59:59Z: times before 1970 are times */
    ck_assert(oa_x509_not_after(&t, ancient));
    ck_assert_int_eq(t, apr_time_from_sec(-1));
    ck_assert(oa_x509_not_before(&t, ancient));
    ck_assert_int_eq(t, apr_time_from_sec(-315619200));
    ck_assert_str_eq(oa_time_str(tp, t), "1960-01-01T00:00:00Z");
    ck_assert_ptr_null(oa_x509_ocsp_url(tp, no));
    ck_assert(oa_x509_has_crldp(no));
    ck_assert(!oa_x509_has_crldp(ms));
    ck_assert_str_eq(oa_x509_ocsp_url(tp, https), "https://127.0.0.1:1/ocsp");
    ck_assert(oa_x509_not_after(&t, exp) && t < apr_time_now());
    ck_assert(!oa_x509_issued(inter, other));
}
END_TEST

START_TEST(asn1_times_any_year)
{
    static const struct { const char *s; apr_int64_t secs; } ok[] = {
        { "19700101000000Z", 0 },
        { "19691231235959Z", -1 },
        { "500101000000Z", -631152000 },           /* UTCTime: 1950 */
        { "16000229120000Z", -11670955200LL },     /* a leap day of a 400-year */
        { "00010101000000Z", -62135596800LL },
        { "99991231235959Z", 253402300799LL },
        { "20380119031408Z", 2147483648LL },        /* past 32-bit time_t */
    };
    ASN1_TIME *a = ASN1_TIME_new();
    apr_time_t t;
    apr_size_t i;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ck_assert_msg(ASN1_TIME_set_string(a, ok[i].s) == 1, "%s", ok[i].s);
        ck_assert_msg(oa_asn1_time_get(&t, a) == 1, "%s", ok[i].s);
        ck_assert_msg(t == apr_time_from_sec(ok[i].secs), "%s: %" APR_TIME_T_FMT, ok[i].s,
                      apr_time_sec(t));
    }
    /* absent, or contents that are no date: unknown, not 1970 */
    ck_assert_int_eq(oa_asn1_time_get(&t, NULL), 0);
    ck_assert(ASN1_STRING_set(a, "20231340000000Z", -1) == 1);
    ck_assert_int_eq(oa_asn1_time_get(&t, a), 0);
    ASN1_TIME_free(a);
}
END_TEST

START_TEST(keys)
{
    oa_pki_t *pki = oa_pki_make(tp);
    X509 *good = sk_X509_value(oa_pki_file(pki, pf("good.pem"))->certs, 0);
    const oa_pemfile_t *k = oa_pki_file(pki, pf("good.key"));
    const oa_pemfile_t *k2 = oa_pki_file(pki, pf("other.key"));
    const char *enc = apr_pstrcat(tp, tdir, "/enc.key", NULL);
    const char *cmd = apr_psprintf(tp, "openssl pkey -in '%s' -aes256 -passout pass:x -out '%s'",
                                   pf("good.key"), enc);
    ck_assert_ptr_nonnull(k->key);
    ck_assert_int_eq(sk_X509_num(k->certs), 0);
    ck_assert(oa_x509_key_matches(good, k->key));
    ck_assert(!oa_x509_key_matches(good, k2->key));
    ck_assert_int_eq(system(cmd), 0);
    ck_assert(oa_pki_file(pki, enc)->key_encrypted);
    ck_assert_ptr_null(oa_pki_file(pki, enc)->key);
}
END_TEST

/* a key after the certificates in one file is found; a file of certificates only has no
 * key and asks for no pass phrase (its key is not looked for: OpenSSL 3's key reader
 * was most of the cost of loading it) */
START_TEST(keys_beside_certs)
{
    oa_pki_t *pki = oa_pki_make(tp);
    const char *both = apr_pstrcat(tp, tdir, "/both.pem", NULL);
    const char *encboth = apr_pstrcat(tp, tdir, "/encboth.pem", NULL);
    const char *cmd = apr_psprintf(tp, "cat '%s' '%s' > '%s' && openssl pkey -in '%s' -aes256 "
                                   "-passout pass:x | cat '%s' - > '%s'", pf("good-fullchain.pem"),
                                   pf("good.key"), both, pf("good.key"), pf("good.pem"), encboth);
    const oa_pemfile_t *chain = oa_pki_file(pki, pf("good-fullchain.pem")), *f, *e;
    ck_assert_int_eq(system(cmd), 0);
    f = oa_pki_file(pki, both);
    e = oa_pki_file(pki, encboth);
    ck_assert_int_eq(sk_X509_num(chain->certs), 2);
    ck_assert_ptr_null(chain->key);
    ck_assert(!chain->key_encrypted);
    ck_assert_int_eq(sk_X509_num(f->certs), 2);
    ck_assert_ptr_nonnull(f->key);
    ck_assert(oa_x509_key_matches(sk_X509_value(f->certs, 0), f->key));
    ck_assert_int_eq(sk_X509_num(e->certs), 1);
    ck_assert_ptr_null(e->key);
    ck_assert(e->key_encrypted);
}
END_TEST

START_TEST(bad_files)
{
    oa_pki_t *pki = oa_pki_make(tp);
    const char *garbage = oa_test_write("garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64 !!\n"
                                        "-----END CERTIFICATE-----\n");
    const char *empty = oa_test_write("empty.pem", "");
    const char *text = oa_test_write("text.pem", "hello\n");
    const char *bin = apr_pstrcat(tp, tdir, "/bin.pem", NULL);
    FILE *fb = fopen(bin, "wb");
    fwrite("\x30\x82\x01\x00\0\0", 1, 6, fb);
    fclose(fb);
    ck_assert_ptr_nonnull(strstr(oa_pki_file(pki, "/nonexistent-oa/x.pem")->error, "cannot read"));
    ck_assert_ptr_nonnull(strstr(oa_pki_file(pki, garbage)->error, "no certificate or key"));
    ck_assert_ptr_nonnull(strstr(oa_pki_file(pki, empty)->error, "no PEM data"));
    ck_assert_ptr_nonnull(strstr(oa_pki_file(pki, text)->error, "no PEM data"));
    ck_assert_ptr_nonnull(strstr(oa_pki_file(pki, bin)->error, "no PEM data"));
    ck_assert_ptr_nonnull(strstr(oa_pki_file(pki, tdir)->error, "not a regular file"));
    ck_assert_int_eq(sk_X509_num(oa_pki_file(pki, garbage)->certs), 0);
    /* confined to tdir: the test PKI outside it cannot be read, tdir's files can */
    pki = oa_pki_make(tp);
    oa_pki_confine(pki, tdir);
    ck_assert_ptr_nonnull(strstr(oa_pki_file(pki, pf("good.pem"))->error, "cannot read"));
    ck_assert_ptr_nonnull(strstr(oa_pki_file(pki, garbage)->error, "no certificate or key"));
    ck_assert_ptr_nonnull(strstr(oa_pki_file(pki, apr_pstrcat(tp, tdir, "/../x.pem", NULL))->error,
                                 "cannot read"));
}
END_TEST

START_TEST(capath_lookup)
{
    oa_pki_t *pki = oa_pki_make(tp);
    X509 *good = sk_X509_value(oa_pki_file(pki, pf("good.pem"))->certs, 0);
    X509 *inter = sk_X509_value(oa_pki_file(pki, pf("int.pem"))->certs, 0);
    STACK_OF(X509) *found;
    const char *cmd = apr_psprintf(tp, "cp '%s' '%s/' && openssl rehash '%s'", pf("int.pem"),
                                   tdir, tdir);
    ck_assert_int_eq(system(cmd), 0);
    found = oa_pki_capath_issuers(pki, tdir, good);
    ck_assert_int_eq(sk_X509_num(found), 1);
    ck_assert_int_eq(X509_cmp(sk_X509_value(found, 0), inter), 0);
}
END_TEST

START_TEST(time_format)
{
    ck_assert_str_eq(oa_time_str(tp, APR_TIME_C(1700000000) * APR_USEC_PER_SEC), "2023-11-14T22:13:20Z");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oa_pki");
    TCase *tc = tcase_create("pki");
    int rc;
    pki_dir = oa_test_make_pki();
    tcase_add_checked_fixture(tc, oa_test_setup, oa_test_teardown);
    tcase_add_test(tc, read_once_and_facts);
    tcase_add_test(tc, extensions);
    tcase_add_test(tc, asn1_times_any_year);
    tcase_add_test(tc, keys);
    tcase_add_test(tc, keys_beside_certs);
    tcase_add_test(tc, bad_files);
    tcase_add_test(tc, capath_lookup);
    tcase_add_test(tc, time_format);
    suite_add_tcase(s, tc);
    rc = oa_test_run(s);
    oa_test_remove_pki(pki_dir);
    return rc;
}
