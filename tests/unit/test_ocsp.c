/* OCSP responses judged (made offline by openssl ocsp), targets, network failure classes. */
#include "oa_test.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <apr_file_io.h>

#include "oa_net.h"
#include "oa_ocsp.h"
#include "oa_pki.h"
#include "oa_probe.h"

static const char *pki_dir;

#define DAY (APR_TIME_C(86400) * APR_USEC_PER_SEC)

/* a response for NAME.pem signed by SIGNER (.pem/.key), as DER in the test's pool */
static unsigned char *response(const char *name, const char *signer, long *plen)
{
    const char *req = apr_psprintf(tp, "%s/%s.req", tdir, name);
    const char *out = apr_psprintf(tp, "%s/%s-%s.resp", tdir, name, signer);
    const char *cmd = apr_psprintf(tp,
        "cd '%s' && openssl ocsp -issuer int.pem -cert %s.pem -reqout '%s' -no_nonce >/dev/null 2>&1 && "
        "openssl ocsp -index db/index.txt -rsigner %s.pem -rkey %s.key -CA int.pem -reqin '%s' "
        "-respout '%s' -ndays 1 >/dev/null 2>&1", pki_dir, name, req, signer, signer, req, out);
    apr_file_t *f;
    apr_finfo_t fi;
    unsigned char *buf;
    apr_size_t n;
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(apr_file_open(&f, out, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, tp), APR_SUCCESS);
    apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    n = (apr_size_t)fi.size;
    buf = apr_palloc(tp, n);
    apr_file_read_full(f, buf, n, &n);
    apr_file_close(f);
    *plen = (long)n;
    return buf;
}

static X509 *cert(const char *name)
{
    oa_pki_t *pki = oa_pki_make(tp);
    return sk_X509_value(oa_pki_file(pki, apr_psprintf(tp, "%s/%s.pem", pki_dir, name))->certs, 0);
}

START_TEST(good_response)
{
    long len;
    unsigned char *der = response("good", "ocsp-signer", &len);
    oa_ocsp_info_t i;
    apr_time_t now = apr_time_now();
    oa_ocsp_inspect(&i, tp, der, len, cert("good"), cert("int"), now, apr_time_from_sec(300));
    ck_assert(i.decoded);
    ck_assert_str_eq(i.response_status_name, "successful");
    ck_assert_str_eq(i.cert_status_name, "good");
    ck_assert(i.verified);
    ck_assert(i.delegated);
    ck_assert_str_eq(i.signer, "CN=OA OCSP Signer");
    ck_assert(i.time_ok);
    ck_assert(i.this_update <= now + apr_time_from_sec(5));
    ck_assert(i.next_update > now + DAY - apr_time_from_sec(60));
    ck_assert(i.seconds_left > 86000 && i.seconds_left <= 86400);
    ck_assert_str_eq(oa_ocsp_state(&i, 1), "good");
}
END_TEST

START_TEST(revoked_response)
{
    long len;
    unsigned char *der = response("revoked", "ocsp-signer", &len);
    oa_ocsp_info_t i;
    oa_ocsp_inspect(&i, tp, der, len, cert("revoked"), cert("int"), apr_time_now(),
                    apr_time_from_sec(300));
    ck_assert_str_eq(i.cert_status_name, "revoked");
    ck_assert_str_eq(i.revocation_reason, "keyCompromise");
    ck_assert(i.revoked_at > 0 && i.revoked_at <= apr_time_now());
    ck_assert_str_eq(oa_ocsp_state(&i, 1), "revoked");
}
END_TEST

START_TEST(unauthorized_and_expired_signers)
{
    long len;
    unsigned char *der = response("good", "other-int", &len);
    oa_ocsp_info_t i;
    oa_ocsp_inspect(&i, tp, der, len, cert("good"), cert("int"), apr_time_now(),
                    apr_time_from_sec(300));
    ck_assert(!i.verified);
    ck_assert_ptr_nonnull(strstr(i.verify_error, "OA Other Intermediate"));
    der = response("good", "ocsp-signer-expired", &len);
    oa_ocsp_inspect(&i, tp, der, len, cert("good"), cert("int"), apr_time_now(),
                    apr_time_from_sec(300));
    ck_assert(!i.verified);
    ck_assert_ptr_nonnull(strstr(i.verify_error, "expired"));
}
END_TEST

START_TEST(stale_future_and_wrong_certificate)
{
    long len;
    unsigned char *der = response("good", "ocsp-signer", &len);
    oa_ocsp_info_t i;
    /* two days on: nextUpdate passed */
    oa_ocsp_inspect(&i, tp, der, len, cert("good"), cert("int"), apr_time_now() + 2 * DAY,
                    apr_time_from_sec(300));
    ck_assert(!i.time_ok);
    ck_assert_ptr_nonnull(strstr(i.time_error, "expired: nextUpdate"));
    ck_assert(i.seconds_left < 0);
    /* an hour back: thisUpdate in the future (clock skew) */
    oa_ocsp_inspect(&i, tp, der, len, cert("good"), cert("int"),
                    apr_time_now() - apr_time_from_sec(3600), apr_time_from_sec(300));
    ck_assert(!i.time_ok);
    ck_assert_ptr_nonnull(strstr(i.time_error, "not yet valid"));
    /* a response about another certificate */
    oa_ocsp_inspect(&i, tp, der, len, cert("soon"), cert("int"), apr_time_now(),
                    apr_time_from_sec(300));
    ck_assert_int_eq(i.cert_status, -1);
    ck_assert_str_eq(oa_ocsp_state(&i, 1), "error");
    /* no issuer known: nothing can be checked */
    oa_ocsp_inspect(&i, tp, der, len, cert("good"), NULL, apr_time_now(), apr_time_from_sec(300));
    ck_assert(!i.verified);
    ck_assert_ptr_nonnull(strstr(i.verify_error, "issuer"));
}
END_TEST

START_TEST(garbage_and_trylater)
{
    static const unsigned char trylater[] = { 0x30, 0x03, 0x0a, 0x01, 0x03 };
    static const unsigned char junk[] = "<html>oops</html>";
    oa_ocsp_info_t i;
    oa_ocsp_inspect(&i, tp, trylater, sizeof(trylater), cert("good"), cert("int"), apr_time_now(),
                    apr_time_from_sec(300));
    ck_assert(i.decoded);
    ck_assert_str_eq(i.response_status_name, "tryLater");
    ck_assert_str_eq(oa_ocsp_state(&i, 1), "trylater");
    oa_ocsp_inspect(&i, tp, junk, (long)sizeof(junk), cert("good"), cert("int"), apr_time_now(),
                    apr_time_from_sec(300));
    ck_assert(!i.decoded);
    ck_assert_ptr_nonnull(strstr(i.verify_error, "not an OCSP response"));
    ck_assert_str_eq(oa_ocsp_state(&i, 1), "error");
    ck_assert_str_eq(oa_ocsp_state(&i, 0), "none");
}
END_TEST

START_TEST(targets)
{
    const char *h;
    apr_port_t port;
    ck_assert_ptr_null(oa_probe_parse_target(tp, "example.com", &h, &port));
    ck_assert_str_eq(h, "example.com");
    ck_assert_int_eq(port, 443);
    ck_assert_ptr_null(oa_probe_parse_target(tp, "127.0.0.1:8443", &h, &port));
    ck_assert_str_eq(h, "127.0.0.1");
    ck_assert_int_eq(port, 8443);
    ck_assert_ptr_null(oa_probe_parse_target(tp, "[::1]:9443", &h, &port));
    ck_assert_str_eq(h, "::1");
    ck_assert_int_eq(port, 9443);
    ck_assert_ptr_null(oa_probe_parse_target(tp, "2001:db8::1", &h, &port));
    ck_assert_str_eq(h, "2001:db8::1");
    ck_assert_ptr_nonnull(oa_probe_parse_target(tp, "host:99999", &h, &port));
    ck_assert_ptr_nonnull(oa_probe_parse_target(tp, "[::1", &h, &port));
    ck_assert_ptr_nonnull(oa_probe_parse_target(tp, ":443", &h, &port));
}
END_TEST

START_TEST(network_failures_are_classified)
{
    oa_conn_t *c;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    apr_time_t t0;
    /* a port nothing listens on: bind, read the port, close */
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    port = ntohs(sa.sin_port);
    close(fd);
    t0 = apr_time_now();
    ck_assert_int_ne(oa_net_connect(&c, tp, "127.0.0.1", (apr_port_t)port, apr_time_from_sec(2)),
                     APR_SUCCESS);
    ck_assert_int_eq(c->error, OA_NET_REFUSED);
    ck_assert_str_eq(oa_net_error_name(c->error), "refused");
    ck_assert(apr_time_now() - t0 < apr_time_from_sec(1));
    /* a name in the reserved .invalid TLD never resolves */
    ck_assert_int_ne(oa_net_connect(&c, tp, "no-such-host.invalid", 443, apr_time_from_sec(3)),
                     APR_SUCCESS);
    ck_assert(c->error == OA_NET_DNS || c->error == OA_NET_DNS_TIMEOUT);
    /* a listener that never accepts still completes the TCP handshake (backlog): a probe
     * of what comes after is the integration suite's */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oa_ocsp");
    TCase *tc = tcase_create("ocsp");
    int rc;
    pki_dir = oa_test_make_pki();
    tcase_add_checked_fixture(tc, oa_test_setup, oa_test_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, good_response);
    tcase_add_test(tc, revoked_response);
    tcase_add_test(tc, unauthorized_and_expired_signers);
    tcase_add_test(tc, stale_future_and_wrong_certificate);
    tcase_add_test(tc, garbage_and_trylater);
    tcase_add_test(tc, targets);
    tcase_add_test(tc, network_failures_are_classified);
    suite_add_tcase(s, tc);
    rc = oa_test_run(s);
    oa_test_remove_pki(pki_dir);
    return rc;
}
