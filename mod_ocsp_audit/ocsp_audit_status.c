/*
 * The live status page: the ocsp-audit-status handler and a section in mod_status's
 * page. Readers copy the shared records (ocsp_audit_shm.h); nothing here waits for a
 * probe.
 */
#include <string.h>

#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_protocol.h>
#include <mod_status.h>

#include "oa_status.h"
#include "ocsp_audit_shm.h"
#include "ocsp_audit_status.h"

/* ------------------------------------------------------------------ readers */

static void to_request(void *ctx, const char *s, apr_size_t len)
{
    ap_rwrite(s, (int)len, (request_rec *)ctx);
}

int ocsp_audit_status_handler(request_rec *r)
{
    oa_status_rec_t *recs;
    int n;
    const char *a = r->args ? r->args : "";

    if (!r->handler || strcmp(r->handler, "ocsp-audit-status")) {
        return DECLINED;
    }
    r->allowed = (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    recs = ocsp_audit_shm_snapshot(r->pool, &n);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!strncmp(a, "auto", 4)) {
        ap_set_content_type(r, "text/plain; charset=utf-8");
        if (!r->header_only) {
            oa_status_auto(r->pool, recs, n, apr_time_now(), to_request, r);
        }
    }
    else if (!strncmp(a, "json", 4)) {
        ap_set_content_type(r, "application/json");
        if (!r->header_only) {
            oa_status_json(r->pool, recs, n, apr_time_now(), to_request, r);
        }
    }
    else if (!strncmp(a, "prometheus", 10) || !strncmp(a, "metrics", 7)) {
        ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
        if (!r->header_only) {
            oa_status_server_t srv;
            ocsp_audit_shm_rounds(&srv);
            srv.version = OA_VERSION;
            oa_status_prometheus(r->pool, recs, n, apr_time_now(), &srv, to_request, r);
        }
    }
    else {
        ap_set_content_type(r, "text/html; charset=utf-8");
        if (!r->header_only) {
            oa_status_view_t view;
            view.docs_url = ocsp_audit_docs_url(r->server);
            oa_status_view_parse(&view, a);
            oa_status_html(r->pool, recs, n, apr_time_now(), &view, to_request, r);
        }
    }
    return OK;
}

int ocsp_audit_status_hook(request_rec *r, int flags)
{
    oa_status_rec_t *recs;
    int n;
    if (!ocsp_audit_shm_count()) {
        return OK;
    }
    recs = ocsp_audit_shm_snapshot(r->pool, &n);
    if (flags & AP_STATUS_SHORT) {
        oa_status_auto(r->pool, recs, n, apr_time_now(), to_request, r);
    }
    else {
        ap_rputs("<hr />\n<h2>OCSP stapling (mod_ocsp_audit)</h2>\n", r);
        oa_status_css(to_request, r);
        oa_status_view_t view;
        oa_status_view_parse(&view, NULL);
        view.docs_url = ocsp_audit_docs_url(r->server);
        oa_status_html_fragment(r->pool, recs, n, apr_time_now(), &view, to_request, r);
    }
    return OK;
}
