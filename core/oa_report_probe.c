/*
 * Live checks as JSON. The status page (core/oa_status.c), `ocsp-lint probe` and
 * `--online` (lint/) render a responder check through oa_report_responder_json only, so
 * the same check has the same members everywhere.
 */
#include <string.h>

#include <apr_strings.h>

#include "oa_crl.h"
#include "oa_pki.h"
#include "oa_report_probe.h"

static void jtime(oa_json_t *j, apr_pool_t *p, const char *key, apr_time_t t)
{
    if (t) {
        oa_json_str(j, key, oa_time_str(p, t));
    }
    else {
        oa_json_null(j, key);
    }
}

void oa_responder_view_of_check(oa_responder_view_t *v, const oa_responder_check_t *r,
                                apr_time_t now)
{
    memset(v, 0, sizeof(*v));
    if (!r) {
        return;
    }
    v->url = r->url;
    v->proxy = r->proxy;
    v->checked = 1;
    v->checked_at = now;
    v->verdict = r->verdict;
    v->error = r->error_class;
    v->message = r->message;
    v->reachable = !r->error_class && r->verdict && strcmp(r->verdict, "trylater")
                   && strcmp(r->verdict, "error-status");
    v->ip = r->conn ? r->conn->ip : NULL;
    v->dns_ms = r->conn ? (int)apr_time_as_msec(r->conn->t_dns) : 0;
    v->connect_ms = r->conn ? (int)apr_time_as_msec(r->conn->t_connect) : 0;
    v->latency_ms = (int)apr_time_as_msec(r->t_response);
    v->down_since = v->reachable ? 0 : now;
    v->response = r->error_class ? NULL : &r->info;
}

void oa_report_ocsp_info_json(oa_json_t *j, apr_pool_t *p, const oa_ocsp_info_t *s)
{
    oa_json_str(j, "response_status", s->response_status_name);
    oa_json_str(j, "cert_status", s->cert_status_name);
    jtime(j, p, "revoked_at", s->revoked_at);
    oa_json_str(j, "revocation_reason", s->revocation_reason);
    jtime(j, p, "produced_at", s->produced_at);
    jtime(j, p, "this_update", s->this_update);
    jtime(j, p, "next_update", s->next_update);
    oa_json_int(j, "seconds_left", (long long)s->seconds_left);
    oa_json_bool(j, "verified", s->verified);
    oa_json_str(j, "verify_error", s->verify_error);
    oa_json_str(j, "signer", s->signer);
    oa_json_bool(j, "delegated_signer", s->delegated);
    oa_json_bool(j, "time_ok", s->time_ok);
    oa_json_str(j, "time_error", s->time_error);
}

void oa_report_responder_json(oa_json_t *j, apr_pool_t *p, const char *key,
                              const oa_responder_view_t *v)
{
    oa_json_obj_open(j, key);
    oa_report_responder_members(j, p, v);
    oa_json_obj_close(j);
}

void oa_report_responder_members(oa_json_t *j, apr_pool_t *p, const oa_responder_view_t *v)
{
    oa_json_str(j, "url", v->url);
    oa_json_str(j, "proxy", v->proxy);
    jtime(j, p, "checked_at", v->checked_at);
    if (v->checked) {
        oa_json_bool(j, "reachable", v->reachable);
        oa_json_str(j, "verdict", v->verdict);
    }
    else {
        oa_json_null(j, "reachable");
        oa_json_null(j, "verdict");
    }
    oa_json_str(j, "error", v->error);
    oa_json_str(j, "message", v->message);
    oa_json_str(j, "ip", v->ip);
    if (v->checked) {
        oa_json_int(j, "dns_ms", v->dns_ms);
        oa_json_int(j, "connect_ms", v->connect_ms);
        oa_json_int(j, "latency_ms", v->latency_ms);
    }
    else {
        oa_json_null(j, "dns_ms");
        oa_json_null(j, "connect_ms");
        oa_json_null(j, "latency_ms");
    }
    jtime(j, p, "down_since", v->down_since);
    if (v->response) {
        oa_json_obj_open(j, "response");
        oa_report_ocsp_info_json(j, p, v->response);
        oa_json_obj_close(j);
    }
}

void oa_report_crl_json(oa_json_t *j, apr_pool_t *p, const char *key, const oa_crl_check_t *c)
{
    oa_json_obj_open(j, key);
    oa_json_str(j, "url", c->url);
    oa_json_str(j, "verdict", oa_crl_verdict_name(c->verdict));
    oa_json_str(j, "message", c->message);
    jtime(j, p, "this_update", c->this_update);
    jtime(j, p, "next_update", c->next_update);
    jtime(j, p, "revoked_at", c->revoked_at);
    oa_json_str(j, "reason", c->reason);
    oa_json_int(j, "entries", c->entries);
    oa_json_str(j, "format", c->format);
    oa_json_int(j, "size", (long long)c->size);
    oa_json_bool(j, "cached", c->cached);
    jtime(j, p, "checked_at", c->checked_at);
    oa_json_str(j, "ip", c->ip);
    /* the phases under the names a responder check gives them */
    oa_json_int(j, "dns_ms", (long long)apr_time_as_msec(c->t_dns));
    oa_json_int(j, "connect_ms", (long long)apr_time_as_msec(c->t_connect));
    oa_json_int(j, "latency_ms", (long long)apr_time_as_msec(c->t_response));
    oa_json_int(j, "total_ms", (long long)apr_time_as_msec(c->t_total));
    oa_json_obj_close(j);
}

void oa_report_probe_json(oa_json_t *j, apr_pool_t *p, const char *target, const char *host,
                          int port, int addresses, const oa_tls_probe_t *t,
                          const oa_responder_check_t *resp, const oa_crl_check_t *crl,
                          const char *problem, const oa_verdict_t *v)
{
    apr_time_t na;
    oa_json_obj_open(j, NULL);
    oa_json_str(j, "target", target);
    oa_json_str(j, "host", host);
    oa_json_int(j, "port", port);
    oa_json_int(j, "addresses", addresses);
    oa_json_str(j, "sni", t->sni);
    oa_json_bool(j, "ok", !problem);
    oa_json_str(j, "problem", problem);
    oa_json_str(j, "level", oa_level_name(v->level));
    oa_json_str(j, "state", oa_state_name(v->state));
    oa_json_str(j, "reason", v->reason);
    oa_json_str(j, "fix", v->fix);
    oa_json_str(j, "revocation", oa_revocation_name(v->revocation));
    jtime(j, p, "stapling_stops_at", v->stops_at);
    oa_json_str(j, "ip", t->conn ? t->conn->ip : NULL);
    oa_json_str(j, "error", t->error_class);
    oa_json_str(j, "message", t->error);
    oa_json_int(j, "dns_ms", t->conn ? (long long)apr_time_as_msec(t->conn->t_dns) : 0);
    oa_json_int(j, "connect_ms", t->conn ? (long long)apr_time_as_msec(t->conn->t_connect) : 0);
    oa_json_int(j, "handshake_ms", (long long)apr_time_as_msec(t->t_handshake));
    oa_json_str(j, "protocol", t->protocol);
    if (t->leaf) {
        oa_json_str(j, "subject", oa_x509_subject(p, t->leaf));
        {
            const apr_array_header_t *names = oa_x509_dns_names(p, t->leaf);
            int i;
            oa_json_arr_open(j, "names");
            for (i = 0; i < names->nelts; i++) {
                oa_json_str(j, NULL, APR_ARRAY_IDX(names, i, const char *));
            }
            oa_json_arr_close(j);
        }
        oa_json_str(j, "name_match", t->name_match == OA_NAME_NOT_CHECKED ? NULL
                    : oa_name_match_name(t->name_match));
        oa_json_str(j, "issuer", oa_x509_issuer_name(p, t->leaf));
        oa_json_str(j, "not_after", oa_x509_not_after(&na, t->leaf) ? oa_time_str(p, na) : NULL);
        oa_json_bool(j, "must_staple", t->must_staple);
        oa_json_bool(j, "chain_complete", t->chain_complete);
        oa_json_int(j, "certificates_served", sk_X509_num(t->served));
    }
    oa_json_obj_open(j, "staple");
    oa_json_str(j, "state", t->staple_state);
    oa_json_bool(j, "present", t->staple_present);
    if (t->staple_present) {
        oa_report_ocsp_info_json(j, p, &t->staple);
    }
    oa_json_obj_close(j);
    if (resp) {
        oa_responder_view_t rv;
        oa_responder_view_of_check(&rv, resp, apr_time_now());
        oa_report_responder_json(j, p, "responder", &rv);
    }
    if (crl) {
        oa_report_crl_json(j, p, "crl", crl);
    }
    oa_json_obj_close(j);
}
