/* The status page's renderings: values escaped for each format, levels, predictions. */
#include "oa_test.h"

#include "oa_status.h"

static char *buf;

static void to_buf(void *ctx, const char *s, apr_size_t len)
{
    buf = apr_pstrcat(tp, buf, apr_pstrmemdup(tp, s, len), NULL);
}

#define T0 (APR_TIME_C(1800000000) * APR_USEC_PER_SEC)

static void recs3(oa_status_rec_t *r)
{
    memset(r, 0, 3 * sizeof(*r));
    /* good */
    strcpy(r[0].name, "good.test");
    strcpy(r[0].addresses, "*:443");
    strcpy(r[0].config_stapling, "active");
    strcpy(r[0].staple, "good");
    r[0].verified = 1;
    r[0].checked_at = T0;
    r[0].this_update = T0 - apr_time_from_sec(60);
    r[0].next_update = T0 + apr_time_from_sec(7200);
    r[0].responder_checked = 1;
    r[0].responder_up = 1;
    r[0].latency_ms = 12;
    strcpy(r[0].responder_url, "http://ocsp.test/");
    /* a name that needs escaping, broken config */
    strcpy(r[1].name, "<script>\"x\"&");
    strcpy(r[1].config_stapling, "broken");
    strcpy(r[1].finding_ids, "OA201");
    r[1].findings[OA_SEV_ERROR] = 1;
    strcpy(r[1].staple, "none");
    r[1].checked_at = T0;
    /* not probed yet */
    strcpy(r[2].name, "pending.test");
    strcpy(r[2].config_stapling, "active");
    strcpy(r[2].staple, "pending");
}

START_TEST(levels_and_prediction)
{
    oa_status_rec_t r[3];
    oa_tls_probe_t tls;
    oa_responder_check_t resp;
    recs3(r);
    ck_assert_int_eq(oa_status_level(&r[0], T0), 0);
    ck_assert_int_eq(oa_status_level(&r[1], T0), 2);
    ck_assert_int_eq(oa_status_level(&r[2], T0), 0);
    /* a file the audit could not read: not good, not an error either */
    strcpy(r[2].config_stapling, OA_STAPLING_UNKNOWN);
    ck_assert_int_eq(oa_status_level(&r[2], T0), 1);
    strcpy(r[2].config_stapling, "active");

    /* the responder goes down: stapling stops at the cached staple's nextUpdate */
    memset(&resp, 0, sizeof(resp));
    resp.url = "http://ocsp.test/";
    resp.error_class = "refused";
    resp.verdict = "unreachable";
    resp.message = "connection refused";
    oa_status_update(&r[0], NULL, &resp, T0 + apr_time_from_sec(10));
    ck_assert(!r[0].responder_up);
    ck_assert(r[0].stop_at == r[0].next_update);
    ck_assert(r[0].responder_down_since == T0 + apr_time_from_sec(10));
    ck_assert_int_eq(oa_status_level(&r[0], T0), 1);
    /* an hour before the stop it is an error */
    ck_assert_int_eq(oa_status_level(&r[0], T0 + apr_time_from_sec(7000)), 2);
    /* still down at the next round: "since" stays */
    oa_status_update(&r[0], NULL, &resp, T0 + apr_time_from_sec(70));
    ck_assert(r[0].responder_down_since == T0 + apr_time_from_sec(10));
    /* back */
    resp.error_class = NULL;
    resp.verdict = "ok";
    resp.message = NULL;
    oa_status_update(&r[0], NULL, &resp, T0 + apr_time_from_sec(130));
    ck_assert(r[0].responder_up);
    ck_assert(r[0].stop_at == 0);
    ck_assert(r[0].responder_down_since == 0);

    memset(&tls, 0, sizeof(tls));
    tls.staple_state = "revoked";
    tls.staple_present = 1;
    tls.staple_asked = 1;
    oa_status_update(&r[2], &tls, NULL, T0);
    ck_assert_str_eq(r[2].staple, "revoked");
    ck_assert_int_eq(oa_status_level(&r[2], T0), 2);

    /* a handshake that did not ask for a staple (its responder is down) keeps the last
     * staple and says so */
    tls.staple_asked = 0;
    tls.staple_state = "none";
    tls.staple_present = 0;
    oa_status_update(&r[2], &tls, NULL, T0 + apr_time_from_sec(60));
    ck_assert_str_eq(r[2].staple, "revoked");
    ck_assert(r[2].staple_not_asked);
    ck_assert(r[2].checked_at == T0 + apr_time_from_sec(60));
}
END_TEST

START_TEST(html_escapes_and_orders)
{
    oa_status_rec_t r[3];
    recs3(r);
    buf = apr_pstrdup(tp, "");
    oa_status_html(tp, r, 3, T0, NULL, to_buf, NULL);
    ck_assert_ptr_null(strstr(buf, "<script>"));
    ck_assert_ptr_nonnull(strstr(buf, "&lt;script&gt;&quot;x&quot;&amp;"));
    ck_assert_ptr_nonnull(strstr(buf, "3 SSL virtual hosts: <a class=\"good\" "
                                      "href=\"?level=good\">2 good</a>"));
    ck_assert_ptr_nonnull(strstr(buf, "1 not probed yet"));
    /* errors first */
    ck_assert(strstr(buf, "data-vhost=\"&lt;script") < strstr(buf, "data-vhost=\"good.test\""));
    ck_assert_ptr_nonnull(strstr(buf, "<tr class=\"bad\""));
}
END_TEST

START_TEST(auto_lines)
{
    oa_status_rec_t r[3];
    recs3(r);
    strcpy(r[0].responder_error, "two\nlines \033[31mred\033[0m\r");
    strcpy(r[2].name, "\033]0;title\007p\xc2\x9b" "2J.test");
    strcpy(r[1].crl.url, "http://ca.test/\033[2Jx\ny.crl");
    buf = apr_pstrdup(tp, "");
    oa_status_auto(tp, r, 3, T0, to_buf, NULL);
    /* peers' bytes never reach the output raw: one line per value, no ESC, no CSI */
    ck_assert_ptr_null(strchr(buf, '\033'));
    ck_assert_ptr_null(strchr(buf, '\r'));
    ck_assert_ptr_null(strstr(buf, "\xc2\x9b"));
    {
        int lines = 0;
        const char *c;
        for (c = buf; *c; c++) {
            lines += *c == '\n';
        }
        ck_assert_int_eq(lines, 5 + 3 * 23);   /* 23 lines a vhost: the verdict, the CRL */
    }
    ck_assert_ptr_nonnull(strstr(buf, "OcspAudit[2]Name: \\x1b]0;title\\x07p\\u009b2J.test\n"));
    ck_assert_ptr_nonnull(strstr(buf, "OcspAuditVhosts: 3\nOcspAuditStapledGood: 1\n"));
    ck_assert_ptr_nonnull(strstr(buf, "OcspAudit[0]Name: good.test\n"));
    ck_assert_ptr_nonnull(strstr(buf, "OcspAudit[0]SecondsLeft: 7200\n"));
    ck_assert_ptr_nonnull(strstr(buf, "OcspAudit[1]Staple: none\n"));
    ck_assert_ptr_nonnull(strstr(buf, "OcspAudit[1]CrlUrl: http://ca.test/\\x1b[2Jx\\ny.crl\n"));
    ck_assert_ptr_nonnull(strstr(buf, "OcspAudit[0]ResponderError: two\\nlines "
                                      "\\x1b[31mred\\x1b[0m\\r\n"));
}
END_TEST

START_TEST(json_members)
{
    oa_status_rec_t r[3];
    recs3(r);
    buf = apr_pstrdup(tp, "");
    oa_status_json(tp, r, 3, T0, to_buf, NULL);
    ck_assert_ptr_nonnull(strstr(buf, "\"name\": \"<script>\\\"x\\\"&\""));
    ck_assert_ptr_nonnull(strstr(buf, "\"seconds_left\": 7200"));
    ck_assert_ptr_nonnull(strstr(buf, "\"staple\": \"pending\""));
    ck_assert_ptr_nonnull(strstr(buf, "\"reachable\": true"));
    ck_assert_ptr_nonnull(strstr(buf, "\"findings\": [\n          \"OA201\"\n        ]"));
}
END_TEST

START_TEST(prometheus_exposition)
{
    oa_status_rec_t r[3];
    oa_status_server_t srv;
    recs3(r);
    r[0].cert_not_after = T0 + apr_time_from_sec(86400);
    strcpy(r[0].cert_serial, "1000");
    strcpy(r[0].cert_issuer, "OA Test Intermediate");
    memset(&srv, 0, sizeof(srv));
    srv.version = "9.9";
    srv.round_end = T0;
    srv.round_duration = apr_time_from_msec(1500);
    /* a name cut in the middle of a UTF-8 sequence, with ESC: still a valid label */
    strcpy(r[2].name, "p\033[1m\\\xc3");
    buf = apr_pstrdup(tp, "");
    oa_status_prometheus(tp, r, 3, T0, &srv, to_buf, NULL);
    ck_assert_ptr_nonnull(strstr(buf, "vhost=\"p\\\\x1b[1m\\\\\xef\xbf\xbd\",address=\"\"}"));
    ck_assert_ptr_null(strchr(buf, '\033'));
    /* stable labels: name and addresses, no position */
    ck_assert_ptr_null(strstr(buf, "index=\""));
    ck_assert_ptr_nonnull(strstr(buf, "# TYPE ssl_ocsp_response_stapled gauge\n"));
    ck_assert_ptr_nonnull(strstr(buf, "ssl_ocsp_response_stapled{vhost=\"good.test\",address=\"*:443\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(buf, "ssl_ocsp_response_status{vhost=\"good.test\",address=\"*:443\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(buf, "vhost=\"<script>\\\"x\\\"&\""));
    ck_assert_ptr_nonnull(strstr(buf, "ocsp_audit_staple_status{vhost=\"good.test\",address=\"*:443\",status=\"good\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(buf, "ocsp_audit_responder_latency_seconds{vhost=\"good.test\",address=\"*:443\",phase=\"response\"} 0.012\n"));
    ck_assert_ptr_nonnull(strstr(buf, "ocsp_audit_config_findings{vhost=\"<script>\\\"x\\\"&\",address=\"\",severity=\"error\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(buf, "ocsp_audit_vhost_verdict{vhost=\"good.test\",address=\"*:443\",level=\"good\",state=\"stapled\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(buf, "ocsp_audit_vhost_level{vhost=\"good.test\",address=\"*:443\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(buf, "ssl_cert_not_after{vhost=\"good.test\",address=\"*:443\",serial_no=\"1000\",issuer_cn=\"OA Test Intermediate\"} 1800086400\n"));
    ck_assert_ptr_nonnull(strstr(buf, "ocsp_audit_build_info{version=\"9.9\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(buf, "ocsp_audit_probe_round_duration_seconds 1.5\n"));
    ck_assert_ptr_nonnull(strstr(buf, "ocsp_audit_vhosts{level=\"error\"} 1\n"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oa_status");
    TCase *tc = tcase_create("status");
    tcase_add_checked_fixture(tc, oa_test_setup, oa_test_teardown);
    tcase_add_test(tc, levels_and_prediction);
    tcase_add_test(tc, html_escapes_and_orders);
    tcase_add_test(tc, auto_lines);
    tcase_add_test(tc, json_members);
    tcase_add_test(tc, prometheus_exposition);
    suite_add_tcase(s, tc);
    return oa_test_run(s);
}
