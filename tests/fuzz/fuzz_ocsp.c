/*
 * libFuzzer target: OCSP responses as a staple and as a responder's answer
 * (oa_ocsp_inspect, judged against the test PKI's good.test and its issuer), folded
 * into a status record (oa_status_update, oa_status_level) and rendered in every format
 * of the status page. Input: one byte of flags, one byte n, n bytes of text that a peer
 * controls (a reason phrase, a URL, an error), then the DER.
 * Checked: ?auto output is one line per value, without a control byte; ?prometheus is
 * valid UTF-8 without one.
 */
#include "fuzz_common.h"

#include <openssl/pem.h>

#include "oa_ocsp.h"
#include "oa_pki.h"
#include "oa_status.h"
#include "oa_text.h"

static X509 *leaf, *issuer;

static X509 *load(const char *name)
{
    const char *dir = getenv("OA_FUZZ_PKI");
    char path[512];
    FILE *f;
    X509 *x;
    snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "pki", name);
    f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "fuzz_ocsp: cannot read %s (set OA_FUZZ_PKI to a test PKI made by "
                "tools/make-test-pki.sh)\n", path);
        abort();
    }
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x) {
        abort();
    }
    return x;
}

static void check_auto(void *ctx, const char *s, apr_size_t len)
{
    apr_size_t i;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f) {
            abort();    /* a raw control byte reached ?auto */
        }
    }
    *(apr_size_t *)ctx += len;
}

static void check_prometheus(void *ctx, const char *s, apr_size_t len)
{
    const unsigned char *u = (const unsigned char *)apr_pstrmemdup((apr_pool_t *)ctx, s, len);
    while (*u) {
        int n = oa_utf8_len(u);
        if (!n || (*u < 0x20 && *u != '\n') || *u == 0x7f) {
            abort();    /* a scrape would break on this */
        }
        u += n;
    }
}

static const char *const verdicts[] = { "ok", "unreachable", "http-error", "malformed",
    "trylater", "unauthorized", "error-status", "unverified", "stale", "future", "revoked",
    "unknown" };
static const char *const classes[] = { NULL, "dns", "refused", "timeout", "closed", "http",
    "malformed", "error" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    unsigned flags, n;
    const char *text;
    const unsigned char *der;
    long derlen;
    oa_ocsp_info_t info, bare;
    oa_tls_probe_t tls;
    oa_responder_check_t resp;
    oa_crl_check_t crl;
    oa_status_rec_t recs[2];
    oa_status_view_t view;
    oa_status_server_t srv;
    apr_time_t now = APR_TIME_C(1800000000) * APR_USEC_PER_SEC;
    apr_size_t out = 0;
    int i;

    fuzz_init();
    if (!leaf) {
        leaf = load("good.pem");
        issuer = load("int.pem");
    }
    if (size < 2 || size > 256 * 1024) {
        return 0;
    }
    flags = data[0];
    n = data[1];
    if (n > size - 2) {
        n = (unsigned)(size - 2);
    }
    apr_pool_create(&p, NULL);
    text = apr_pstrmemdup(p, (const char *)data + 2, n);
    der = data + 2 + n;
    derlen = (long)(size - 2 - n);

    oa_ocsp_inspect(&info, p, der, derlen, leaf, issuer, now, apr_time_from_sec(300));
    oa_ocsp_inspect(&bare, p, der, derlen, leaf, NULL, now, 0);
    (void)oa_ocsp_state(&bare, 1);

    memset(&tls, 0, sizeof(tls));
    tls.host = text;
    tls.sni = text;
    tls.staple_present = derlen > 0;
    tls.staple = info;
    tls.staple_state = oa_ocsp_state(&info, tls.staple_present);
    tls.error = (flags & 1) ? text : NULL;
    memset(&resp, 0, sizeof(resp));
    resp.url = text;
    resp.info = info;
    resp.error_class = classes[(flags >> 1) % (sizeof(classes) / sizeof(classes[0]))];
    resp.verdict = verdicts[(flags >> 4) % (sizeof(verdicts) / sizeof(verdicts[0]))];
    resp.message = (flags & 8) ? text : NULL;
    resp.t_response = apr_time_from_msec(flags);

    for (i = 0; i < 2; i++) {
        memset(&recs[i], 0, sizeof(recs[i]));
        oa_status_strcpy(recs[i].name, sizeof(recs[i].name), text);
        oa_status_strcpy(recs[i].addresses, sizeof(recs[i].addresses), text);
        oa_status_strcpy(recs[i].file, sizeof(recs[i].file), text);
        oa_status_strcpy(recs[i].config_stapling, sizeof(recs[i].config_stapling),
                         i ? "active" : "broken");
        oa_status_strcpy(recs[i].finding_ids, sizeof(recs[i].finding_ids), text);
        oa_status_strcpy(recs[i].staple, sizeof(recs[i].staple), "pending");
    }
    oa_status_update(&recs[0], &tls, &resp, now);
    oa_status_update(&recs[0], &tls, &resp, now + apr_time_from_sec(60));
    oa_status_update(&recs[1], &tls, NULL, now);
    oa_status_update(&recs[1], NULL, &resp, now);
    /* a CRL check as the module folds it in: every verdict, the peer's words */
    memset(&crl, 0, sizeof(crl));
    crl.url = text;
    crl.verdict = (oa_crl_verdict_e)(flags % (OA_CRL_REVOKED + 1));
    crl.message = text;
    crl.reason = (flags & 8) ? text : NULL;
    crl.format = (flags & 4) ? "pem" : NULL;
    crl.next_update = (flags & 2) ? now + apr_time_from_sec(flags) : 0;
    crl.revoked_at = (flags & 1) ? now : 0;
    oa_status_update_crl(&recs[flags & 1], &crl, now);
    oa_status_strcpy(recs[1].cert_serial, sizeof(recs[1].cert_serial), "1F");
    for (i = 0; i < 2; i++) {
        (void)oa_status_level(&recs[i], now);
    }
    /* the query string is the admin's input: the fuzzer's text, and links to rule pages */
    oa_status_view_parse(&view, text);
    view.docs_url = (flags & 2) ? "https://docs.example/rules/" : NULL;
    memset(&srv, 0, sizeof(srv));
    srv.version = text;
    srv.rounds = flags;
    srv.round_end = (flags & 4) ? now : 0;
    srv.round_duration = apr_time_from_msec(flags);
    oa_status_html(p, recs, 2, now, (flags & 16) ? NULL : &view, fuzz_sink, &out);
    oa_status_html_fragment(p, recs, 2, now, &view, fuzz_sink, &out);
    oa_status_auto(p, recs, 2, now, check_auto, &out);
    oa_status_json(p, recs, 2, now, fuzz_sink, &out);
    oa_status_prometheus(p, recs, 2, now, (flags & 32) ? NULL : &srv, check_prometheus, p);
    apr_pool_destroy(p);
    return 0;
}
