/*
 * mod_ocsp_audit: audits OCSP stapling of the configuration httpd loaded, with the
 * rule engine ocsp-lint uses (core/). This file is httpd glue only.
 *
 * Log numbers (our own; the AH numbers belong to httpd):
 *   OA00001 loaded (info)            OA00002 audit summary (info/warning)
 *   OA00003 nothing to audit (info)  OA00004 strict mode refuses to start (error)
 *   OA00005 strict mode at a restart: findings logged, the server keeps serving (error)
 *   OA00006 the verdict of a vhost that is not good (info)
 *   OA00010 finding, error           OA00011 finding, warning   OA00012 finding, note
 *   OA00020..OA00029: the live probes (ocsp_audit_probe.c)
 */
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_main.h>
#include <ap_mpm.h>

#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <apr_allocator.h>
#include <apr_strings.h>

#include "oa_audit.h"
#include "oa_conf.h"
#include "oa_verdict.h"
#include "oa_vhost.h"
#include "ocsp_audit_conftree.h"
#include "ocsp_audit_probe.h"
#include "ocsp_audit_status.h"

#include <mod_status.h>

module AP_MODULE_DECLARE_DATA ocsp_audit_module;

#define OA_UNSET -1

typedef struct {
    int enabled;               /* OcspAudit On|Off */
    int strict;                /* OcspAuditStrict On|Off */
    oa_audit_opts_t opts;      /* OcspAuditSelect / OcspAuditSkip / OcspAuditExpiryDays */
    int probe;                 /* OcspAuditProbe On|Off */
    int crl;                   /* OcspAuditCRL On|Off */
    /* OcspAuditProbeInterval, OcspAuditProbeTimeout, OcspAuditResponderInterval (seconds)
     * and OcspAuditProbeConcurrency; 0: unset */
    long numbers[4];
    const char *docs_url;      /* OcspAuditDocsURL */
} ocsp_audit_conf_t;

#ifndef OA_DOCS_URL
#define OA_DOCS_URL "https://github.com/mod-ocsp-audit/mod_ocsp_audit/blob/main/docs/rules/"
#endif

/* the numeric directives: one row each */
typedef enum { NUM_INTERVAL, NUM_TIMEOUT, NUM_RESPONDER_INTERVAL, NUM_CONCURRENCY } number_e;

static const struct {
    const char *name;
    long min, max, dflt;
} numbers[] = {
    [NUM_INTERVAL]           = { "OcspAuditProbeInterval", 5, 86400, 60 },
    [NUM_TIMEOUT]            = { "OcspAuditProbeTimeout", 1, 300, 5 },
    [NUM_RESPONDER_INTERVAL] = { "OcspAuditResponderInterval", 10, 604800, 3600 },
    [NUM_CONCURRENCY]        = { "OcspAuditProbeConcurrency", 1, 256, 8 },
};

/* The settings are global (the main server's); vhosts have none of their own. */
static void *create_server_config(apr_pool_t *p, server_rec *s)
{
    ocsp_audit_conf_t *c = apr_pcalloc(p, sizeof(*c));
    c->enabled = OA_UNSET;
    c->strict = OA_UNSET;
    c->probe = OA_UNSET;
    c->crl = OA_UNSET;
    return c;
}

static ocsp_audit_conf_t *get_conf(server_rec *s)
{
    return ap_get_module_config(s->module_config, &ocsp_audit_module);
}

#define FLAG_VALUE(v, dflt) ((v) == OA_UNSET ? (dflt) : (v))

/* ------------------------------------------------------------------ directives */

/* the On|Off directives: cmd->info is the offset of their field in ocsp_audit_conf_t */
static const char *set_flag(cmd_parms *cmd, void *dc, int flag)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (err) {
        return err;
    }
    *(int *)(void *)((char *)get_conf(cmd->server) + (apr_size_t)cmd->info) = flag;
    return NULL;
}

static const char *set_rules(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    int skip = cmd->info != NULL;
    if (err) {
        return err;
    }
    err = oa_audit_opts_add_rules(cmd->pool, &get_conf(cmd->server)->opts, skip, arg);
    return err ? apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL) : NULL;
}

static const char *set_expiry(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (err) {
        return err;
    }
    err = oa_audit_opts_set_expiry(&get_conf(cmd->server)->opts, arg);
    return err ? apr_pstrcat(cmd->pool, cmd->cmd->name, " ", err, ", not '", arg, "'", NULL)
               : NULL;
}

/* the numeric directives; cmd->info is the number_e */
static const char *set_probe_number(cmd_parms *cmd, void *dc, const char *arg)
{
    number_e which = (number_e)(apr_uintptr_t)cmd->info;
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    long v;
    char *end;
    if (err) {
        return err;
    }
    v = strtol(arg, &end, 10);
    if (*end || end == arg || v < numbers[which].min || v > numbers[which].max) {
        return apr_psprintf(cmd->pool, "%s takes a whole number from %ld to %ld, not '%s'",
                            cmd->cmd->name, numbers[which].min, numbers[which].max, arg);
    }
    get_conf(cmd->server)->numbers[which] = v;
    return NULL;
}

static long number(const ocsp_audit_conf_t *c, number_e which)
{
    return c->numbers[which] ? c->numbers[which] : numbers[which].dflt;
}

static const char *set_docs_url(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (err) {
        return err;
    }
    /* "none": rule IDs are not links */
    get_conf(cmd->server)->docs_url = strcasecmp(arg, "none") ? arg : "";
    return NULL;
}

const char *ocsp_audit_docs_url(server_rec *s)
{
    const char *u = get_conf(s)->docs_url;
    return !u ? OA_DOCS_URL : *u ? u : NULL;
}

static const command_rec ocsp_audit_cmds[] = {
    AP_INIT_FLAG("OcspAuditProbe", set_flag,
                 (void *)APR_OFFSETOF(ocsp_audit_conf_t, probe), RSRC_CONF,
                 "On (default) to probe every SSL vhost and its responder for the status page"),
    AP_INIT_TAKE1("OcspAuditProbeInterval", set_probe_number, (void *)NUM_INTERVAL, RSRC_CONF,
                  "seconds between probe rounds (default 60)"),
    AP_INIT_TAKE1("OcspAuditProbeTimeout", set_probe_number, (void *)NUM_TIMEOUT, RSRC_CONF,
                  "seconds each probe phase may take: DNS, connect, handshake, response (default 5)"),
    AP_INIT_TAKE1("OcspAuditProbeConcurrency", set_probe_number, (void *)NUM_CONCURRENCY,
                  RSRC_CONF, "vhosts probed at once (default 8)"),
    AP_INIT_TAKE1("OcspAuditResponderInterval", set_probe_number,
                  (void *)NUM_RESPONDER_INTERVAL, RSRC_CONF,
                  "seconds between questions to the OCSP responder of one certificate "
                  "(default 3600, as often as mod_ssl asks)"),
    AP_INIT_FLAG("OcspAuditCRL", set_flag,
                 (void *)APR_OFFSETOF(ocsp_audit_conf_t, crl), RSRC_CONF,
                 "On (default) to check the CRL of each SSL vhost's certificate, at most once "
                 "per its nextUpdate"),
    AP_INIT_TAKE1("OcspAuditDocsURL", set_docs_url, NULL, RSRC_CONF,
                  "where the status page links rule IDs to: URL + \"OA201.md\" "
                  "(default the project's rule pages; none: no links)"),
    AP_INIT_FLAG("OcspAudit", set_flag,
                 (void *)APR_OFFSETOF(ocsp_audit_conf_t, enabled), RSRC_CONF,
                 "On (default) to audit OCSP stapling at start-up and configtest, Off not to"),
    AP_INIT_FLAG("OcspAuditStrict", set_flag,
                 (void *)APR_OFFSETOF(ocsp_audit_conf_t, strict), RSRC_CONF,
                 "On to make configtest and start-up fail on error-level findings (default Off)"),
    AP_INIT_ITERATE("OcspAuditSelect", set_rules, NULL, RSRC_CONF,
                    "rules to run: IDs or names (OA201, issuer-not-found), comma-separated"),
    AP_INIT_ITERATE("OcspAuditSkip", set_rules, (void *)1, RSRC_CONF,
                    "rules not to run: IDs or names, comma-separated"),
    AP_INIT_TAKE1("OcspAuditExpiryDays", set_expiry, NULL, RSRC_CONF,
                  "warn about certificates that expire within this many days (default 14)"),
    { NULL }
};

/* ------------------------------------------------------------------ the audit */

static int finding_level(oa_severity_e sev, int *pnum)
{
    switch (sev) {
    case OA_SEV_ERROR:
        *pnum = 10;
        return APLOG_ERR;
    case OA_SEV_WARNING:
        *pnum = 11;
        return APLOG_WARNING;
    default:
        *pnum = 12;
        return APLOG_INFO;
    }
}

/*
 * Audit the configuration httpd just read and log every finding once. Returns the
 * number of error-level findings. The log lines are meant for people and for
 * scripts: "OA000NN: LEVEL FILE:LINE [ID slug] vhost NAME: message (fix: hint)".
 */
static int run_audit(apr_pool_t *ptemp, server_rec *s, const char *when, oa_audit_t **paudit)
{
    ocsp_audit_conf_t *c = get_conf(s);
    oa_conf_t *conf;
    oa_model_t *model;
    oa_audit_t *audit;
    int i, errors = 0, warnings = 0, notes = 0;

    *paudit = NULL;
    if (!ap_find_linked_module("mod_ssl.c")) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     "OA00003: mod_ocsp_audit: mod_ssl is not loaded, nothing to audit");
        return 0;
    }
    conf = ocsp_audit_conf_from_httpd(ptemp, s);
    oa_model_build(&model, ptemp, conf);
    /* on the server itself: a file that is not there is what httpd meets too */
    c->opts.require_files = 1;
    oa_audit_run(&audit, ptemp, model, oa_pki_make(ptemp), &c->opts);
    *paudit = audit;
    if (!audit->analyses->nelts) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     "OA00003: mod_ocsp_audit: no virtual host has SSLEngine on, nothing to audit");
        return 0;
    }
    for (i = 0; i < audit->findings->nelts; i++) {
        const oa_finding_t *f = APR_ARRAY_IDX(audit->findings, i, const oa_finding_t *);
        int num, level = finding_level(f->d.severity, &num);
        errors += f->d.severity == OA_SEV_ERROR;
        warnings += f->d.severity == OA_SEV_WARNING;
        notes += f->d.severity == OA_SEV_NOTE;
        ap_log_error(APLOG_MARK, level, 0, s, "OA000%d: %s %s:%d [%s %s] vhost %s: %s%s%s%s",
                     num, oa_severity_name(f->d.severity), f->d.file ? f->d.file : "?", f->d.line,
                     f->rule->id, f->rule->slug,
                     f->vh ? oa_vhost_label(ptemp, f->vh) : "(server)", f->d.message,
                     f->d.hint ? " (fix: " : "", f->d.hint ? f->d.hint : "", f->d.hint ? ")" : "");
    }
    /* each vhost's verdict in the words of ocsp-lint, the probe and the page (at info:
     * the findings above are what needs reading; this sums them up per vhost) */
    for (i = 0; i < audit->analyses->nelts && APLOG_IS_LEVEL(s, APLOG_INFO); i++) {
        const oa_analysis_t *an = APR_ARRAY_IDX(audit->analyses, i, const oa_analysis_t *);
        oa_verdict_t v;
        oa_verdict_of_analysis(&v, ptemp, an, audit->now);
        if (v.level != OA_LEVEL_GOOD) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "OA00006: vhost %s: %s, %s: %s%s%s%s",
                         oa_vhost_label(ptemp, an->vh), oa_level_name(v.level),
                         oa_state_name(v.state), v.reason, v.fix ? " (fix: " : "",
                         v.fix ? v.fix : "", v.fix ? ")" : "");
        }
    }
    ap_log_error(APLOG_MARK, errors ? APLOG_WARNING : APLOG_INFO, 0, s,
                 "OA00002: mod_ocsp_audit %s: %d SSL virtual host%s, %d error%s, %d warning%s, "
                 "%d note%s (%d suppressed)%s%s", when, audit->analyses->nelts,
                 audit->analyses->nelts == 1 ? "" : "s", errors, errors == 1 ? "" : "s",
                 warnings, warnings == 1 ? "" : "s", notes, notes == 1 ? "" : "s",
                 audit->suppressed, !strcmp(audit->startup, OA_STARTUP_FAILS)
                 ? "; httpd will refuse to start: " : !strcmp(audit->startup, OA_STARTUP_UNKNOWN)
                 ? "; not checked: " : "", audit->startup_reason ? audit->startup_reason : "");
    return errors;
}

/* at a restart, strict mode never takes the running server down */
static void strict_at_restart(server_rec *s, int errors)
{
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                 "OA00005: mod_ocsp_audit: OcspAuditStrict On and %d error-level finding%s at "
                 "this restart: the server keeps serving (strict mode refuses only at "
                 "configtest and at a cold start; run apachectl -t before reloading)",
                 errors, errors == 1 ? "" : "s");
}

static int strict_refusal(server_rec *s, int errors)
{
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                 "OA00004: mod_ocsp_audit: OcspAuditStrict On and %d error-level finding%s: "
                 "refusing the configuration", errors, errors == 1 ? "" : "s");
    return HTTP_INTERNAL_SERVER_ERROR;
}

/*
 * check_config: after the configuration is read, before logs are opened. With
 * `apachectl -t` this is the only chance: findings go to stderr, next to "Syntax OK",
 * and strict mode makes the test fail.
 */
static int ocsp_audit_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                   server_rec *s)
{
    ocsp_audit_conf_t *c = get_conf(s);
    oa_audit_t *audit;
    int errors;
    if (ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_CONFIG_TEST || !FLAG_VALUE(c->enabled, 1)) {
        return OK;
    }
    errors = run_audit(ptemp, s, "configtest", &audit);
    if (errors && FLAG_VALUE(c->strict, 0)) {
        return strict_refusal(s, errors);
    }
    return OK;
}

/* how many times this server has audited a configuration it started with; kept in the
 * process pool, since httpd unloads and reloads the module at every restart */
static int audit_generation(server_rec *s)
{
    void *data = NULL;
    int *gen;
    apr_pool_userdata_get(&data, "ocsp_audit_generation", s->process->pool);
    if (!data) {
        gen = apr_pcalloc(s->process->pool, sizeof(*gen));
        apr_pool_userdata_set(gen, "ocsp_audit_generation", apr_pool_cleanup_null,
                              s->process->pool);
    }
    else {
        gen = data;
    }
    return ++*gen;
}

/*
 * The audit's scratch: a pool with an allocator of its own, so that destroying it hands
 * its memory back to malloc rather than to pconf's allocator, which keeps what it is
 * given for the life of the parent and of every child forked from it. The parsed model,
 * the certificates and the analyses are only needed until the probe has copied what it
 * keeps (ocsp_audit_probe_init).
 */
static apr_pool_t *audit_pool(apr_pool_t *parent)
{
    apr_allocator_t *alloc;
    apr_pool_t *p = NULL;
    if (apr_allocator_create(&alloc) != APR_SUCCESS) {
        apr_pool_create(&p, parent);
        return p;
    }
    apr_allocator_max_free_set(alloc, 1);
    apr_pool_create_ex(&p, parent, NULL, alloc);
    apr_allocator_owner_set(alloc, p);
    apr_pool_tag(p, "ocsp_audit_scratch");
    return p;
}

static void audit_pool_done(apr_pool_t *p)
{
    apr_pool_destroy(p);
#if defined(__GLIBC__)
    /* before the children are forked: freed heap is given back, not copied into each */
    malloc_trim(0);
#endif
}

/*
 * post_config: after every start and graceful restart, with the error log open.
 * httpd reads its configuration twice when it starts; the first round is skipped.
 * Runs last, so that mod_ssl has accepted the configuration.
 */
static int ocsp_audit_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                  server_rec *s)
{
    ocsp_audit_conf_t *c = get_conf(s);
    oa_audit_t *audit;
    apr_pool_t *scratch;
    int errors, restart;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "OA00001: mod_ocsp_audit %s loaded", OA_VERSION);
    if (!FLAG_VALUE(c->enabled, 1)) {
        return OK;
    }
    restart = audit_generation(s) > 1;
    scratch = audit_pool(ptemp);
    errors = run_audit(scratch, s, restart ? "restart" : "start", &audit);
    if (errors && FLAG_VALUE(c->strict, 0)) {
        if (!restart) {
            audit_pool_done(scratch);
            return strict_refusal(s, errors);
        }
        strict_at_restart(s, errors);
    }
    if (audit) {
        ocsp_audit_probe_conf_t pc;
        pc.enabled = FLAG_VALUE(c->probe, 1);
        pc.interval = apr_time_from_sec(number(c, NUM_INTERVAL));
        pc.timeout = apr_time_from_sec(number(c, NUM_TIMEOUT));
        pc.responder_interval = apr_time_from_sec(number(c, NUM_RESPONDER_INTERVAL));
        pc.concurrency = (int)number(c, NUM_CONCURRENCY);
        pc.crl = FLAG_VALUE(c->crl, 1);
        /* copies what the probes and the status page keep into pconf and the shm */
        ocsp_audit_probe_init(pconf, s, audit, &pc);
    }
    audit_pool_done(scratch);
    return OK;
}

/* each child: its prober, stopped and joined before the child's pools go away */
static void ocsp_audit_child_init(apr_pool_t *pchild, server_rec *s)
{
    ocsp_audit_probe_child_init(pchild, s);
}

static void ocsp_audit_register_hooks(apr_pool_t *p)
{
    static const char *const after_ssl[] = { "mod_ssl.c", NULL };
    static const char *const before_wd[] = { "mod_watchdog.c", NULL };
    ap_hook_check_config(ocsp_audit_check_config, NULL, NULL, APR_HOOK_LAST);
    /* after mod_ssl has accepted the configuration, before mod_watchdog starts the
     * watchdogs registered during post_config */
    ap_hook_post_config(ocsp_audit_post_config, after_ssl, before_wd, APR_HOOK_LAST);
    /* before mod_watchdog starts the thread that calls the probe callback */
    ap_hook_child_init(ocsp_audit_child_init, NULL, before_wd, APR_HOOK_MIDDLE);
    ap_hook_handler(ocsp_audit_status_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, ocsp_audit_status_hook, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(ocsp_audit) = {
    STANDARD20_MODULE_STUFF,
    NULL,                       /* per-directory config creator */
    NULL,                       /* dir config merger */
    create_server_config,       /* server config creator */
    NULL,                       /* server config merger: the settings are global */
    ocsp_audit_cmds,            /* command table */
    ocsp_audit_register_hooks,  /* register hooks */
#if defined(AP_MODULE_FLAG_NONE)
    AP_MODULE_FLAG_NONE         /* flags */
#endif
};
