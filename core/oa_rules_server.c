/*
 * OA1xx: whether stapling is on, and the server-wide stapling cache
 * (mod_ssl's ssl_cmd_SSLStaplingCache and modssl_init_stapling).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "oa_names.h"
#include "oa_rules.h"

/* OA101: SSLUseStapling on with no SSLStaplingCache: httpd refuses to start (AH01958). */
void oa_rule_stapling_without_cache(oa_audit_t *a, const oa_rule_t *r)
{
    int i;
    if (oa_model_global(a->model, "SSLStaplingCache")) {
        return;
    }
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = APR_ARRAY_IDX(a->analyses, i, const oa_analysis_t *);
        const oa_setting_t *use = oa_vhost_get(an->vh, "SSLUseStapling");
        oa_finding_t *f;
        if (!an->stapling_on) {
            continue;
        }
        f = oa_audit_report(a, r, OA_SEV_ERROR, an->vh, use->node,
                            "add one server-wide cache outside every <VirtualHost>, e.g. "
                            "SSLStaplingCache shmcb:${APACHE_RUN_DIR}/ssl_stapling(128000), "
                            "and load mod_socache_shmcb",
                            "SSLUseStapling on but no SSLStaplingCache is configured: "
                            "httpd will refuse to start (AH01958 \"SSLStapling: no stapling "
                            "cache available\"), and apachectl -t does not notice");
        if (f) {
            f->fatal_startup = 1;
        }
    }
}

/* OA102: SSLStaplingCache inside <VirtualHost> (GLOBAL_ONLY). */
void oa_rule_stapling_cache_in_vhost(oa_audit_t *a, const oa_rule_t *r)
{
    int i;
    for (i = 1; i < a->model->vhosts->nelts; i++) {
        const oa_vhost_t *vh = APR_ARRAY_IDX(a->model->vhosts, i, const oa_vhost_t *);
        const oa_setting_t *c = oa_vhost_get(vh, "SSLStaplingCache");
        oa_finding_t *f;
        if (!c) {
            continue;
        }
        f = oa_audit_report(a, r, OA_SEV_ERROR, vh, c->node,
                            "move SSLStaplingCache to the main server config, outside every "
                            "<VirtualHost>: there is one stapling cache for the whole server",
                            "SSLStaplingCache cannot occur within <VirtualHost> section: httpd "
                            "refuses to start");
        if (f) {
            f->fatal_startup = 1;
        }
    }
}

/* the socache providers of httpd 2.4 and the modules that register them */
static const char *provider_module(const char *name)
{
    static const char *const map[][2] = {
        { "shmcb", "socache_shmcb_module" }, { "default", "socache_shmcb_module" },
        { "dbm", "socache_dbm_module" }, { "memcache", "socache_memcache_module" },
        { "redis", "socache_redis_module" }, { "dc", "socache_dc_module" },
        { NULL, NULL }
    };
    int i;
    for (i = 0; map[i][0]; i++) {
        if (!strcmp(map[i][0], name)) {
            return map[i][1];
        }
    }
    return NULL;
}

/* mod_socache_shmcb's argument: path[(size)], size a number of bytes >= 8192 */
static const char *shmcb_error(apr_pool_t *p, const char *arg)
{
    const char *open = strrchr(arg, '('), *last;
    apr_size_t n = strlen(arg);
    char *end;
    apr_int64_t size;
    if (!n) {
        return NULL;
    }
    last = arg + n - 1;
    if (open) {
        if (*last != ')') {
            return "no closing parenthesis or cache size missing after pathname with parenthesis";
        }
        size = apr_strtoi64(open + 1, &end, 10);
        if (end != last || end == open + 1) {
            return "cache size not numerical";
        }
        if (size < 8192) {
            return apr_psprintf(p, "size has to be >= 8192 bytes (it is %" APR_INT64_T_FMT ")",
                                size);
        }
        /* SHMCB_MAX_SIZE: the offsets are 32 bits wide on every platform */
        if (size >= APR_INT64_C(4294967295)) {
            return apr_psprintf(p, "size has to be < 4294967295 bytes on this platform (it is %"
                                APR_INT64_T_FMT ")", size);
        }
    }
    else if (*last == ')') {
        return "no opening parenthesis";
    }
    return NULL;
}

/* OA103: a cache provider that is not loaded, or a shmcb argument httpd refuses. */
void oa_rule_stapling_cache_provider(oa_audit_t *a, const oa_rule_t *r)
{
    const oa_setting_t *c = oa_model_global(a->model, "SSLStaplingCache");
    const char *arg, *sep, *name, *mod;
    oa_finding_t *f = NULL;

    if (!c || !c->argv->nelts) {
        return;
    }
    arg = APR_ARRAY_IDX(c->argv, 0, const char *);
    sep = strchr(arg, ':');
    name = sep ? apr_pstrmemdup(a->pool, arg, (apr_size_t)(sep - arg)) : arg;
    mod = provider_module(name);
    if (!mod) {
        f = oa_audit_report(a, r, OA_SEV_ERROR, NULL, c->node,
                            "use shmcb:PATH(SIZE) with mod_socache_shmcb loaded",
                            "SSLStaplingCache: '%s' stapling cache not supported: httpd refuses "
                            "to start", name);
    }
    else if (!oa_conf_has_module(a->model->conf, mod)) {
        f = oa_audit_report(a, r, OA_SEV_ERROR, NULL, c->node,
                            apr_psprintf(a->pool, "load the module: a2enmod %.*s (LoadModule %s ...)",
                                         (int)(strlen(mod) - 7), mod, mod),
                            "SSLStaplingCache uses the '%s' cache but %s is not loaded: httpd "
                            "refuses to start ('%s' stapling cache not supported)", name, mod, name);
    }
    else if (!strcmp(mod, "socache_shmcb_module") && sep) {
        const char *e = shmcb_error(a->pool, sep + 1);
        if (e) {
            f = oa_audit_report(a, r, OA_SEV_ERROR, NULL, c->node,
                                "write it as shmcb:/path/to/file(SIZE) with SIZE in bytes, e.g. "
                                "shmcb:${APACHE_RUN_DIR}/ssl_stapling(128000)",
                                "SSLStaplingCache: Invalid argument: %s: httpd refuses to start", e);
        }
    }
    if (f) {
        f->fatal_startup = 1;
    }
}

/* OA104: an SSL vhost that does not staple although its certificate names a responder. */
void oa_rule_stapling_off(oa_audit_t *a, const oa_rule_t *r)
{
    int i, j;
    for (i = 0; i < a->analyses->nelts; i++) {
        const oa_analysis_t *an = APR_ARRAY_IDX(a->analyses, i, const oa_analysis_t *);
        const oa_setting_t *use = oa_vhost_get(an->vh, "SSLUseStapling");
        int with_url = 0, any = 0;
        if (an->stapling_on || an->md_staples) {
            continue;
        }
        for (j = 0; j < an->certs->nelts; j++) {
            const oa_certinfo_t *ci = APR_ARRAY_IDX(an->certs, j, const oa_certinfo_t *);
            if (ci->leaf) {
                any = 1;
                with_url |= ci->ocsp_url != NULL;
            }
        }
        if (!any) {
            continue;
        }
        if (with_url) {
            oa_audit_report(a, r, OA_SEV_WARNING, an->vh, use ? use->node : NULL,
                            "add SSLUseStapling on to the vhost (and one SSLStaplingCache for "
                            "the server)",
                            "OCSP stapling is off for %s although its certificate names an OCSP "
                            "responder: clients must ask the CA themselves (slower, and a privacy "
                            "leak) or skip the check", oa_vhost_label(a->pool, an->vh));
        }
        else {
            oa_audit_report(a, r, OA_SEV_NOTE, an->vh, use ? use->node : NULL,
                            "nothing to do unless the CA issues certificates with an OCSP URL "
                            "again",
                            "OCSP stapling is off for %s, and its certificate names no OCSP "
                            "responder, so stapling could not work for it anyway",
                            oa_vhost_label(a->pool, an->vh));
        }
    }
}

/* OA105: arguments mod_ssl refuses (flags, numbers) in stapling directives. */
/* which checks of OA105 a directive gets: a bit per kind */
enum { ARG_FLAG = 1, ARG_NUMERIC = 2, ARG_TAKE1 = 4 };

typedef struct {
    const char *name;       /* as the messages spell it */
    int kinds;
} arg_kind_t;

static const arg_kind_t arg_kinds[] = {
    { "SSLUseStapling", ARG_FLAG },
    { "SSLStaplingReturnResponderErrors", ARG_FLAG },
    { "SSLStaplingFakeTryLater", ARG_FLAG },
    { "SSLStaplingResponderTimeout", ARG_NUMERIC | ARG_TAKE1 },
    { "SSLStaplingResponseTimeSkew", ARG_NUMERIC | ARG_TAKE1 },
    { "SSLStaplingResponseMaxAge", ARG_NUMERIC | ARG_TAKE1 },
    { "SSLStaplingStandardCacheTimeout", ARG_NUMERIC | ARG_TAKE1 },
    { "SSLStaplingErrorCacheTimeout", ARG_NUMERIC | ARG_TAKE1 },
    { "SSLStaplingForceURL", ARG_TAKE1 },
    { "SSLCertificateChainFile", ARG_TAKE1 },
    { "SSLCACertificateFile", ARG_TAKE1 },
    { "SSLCACertificatePath", ARG_TAKE1 },
    { "SSLCertificateFile", ARG_TAKE1 },
    { "SSLCertificateKeyFile", ARG_TAKE1 },
    { "SSLStaplingCache", ARG_TAKE1 },
};

static const char *arg_kind_name(size_t i)
{
    return arg_kinds[i].name;
}

/* each node of the configuration is one lookup rather than twenty strcasecmp */
static oa_names_t arg_kind_index =
    OA_NAMES_INIT(sizeof(arg_kinds) / sizeof(arg_kinds[0]), arg_kind_name);

static const arg_kind_t *arg_kind_of(const char *directive)
{
    int i = oa_names_find(&arg_kind_index, directive);
    return i < 0 ? NULL : &arg_kinds[i];
}

void oa_rule_invalid_stapling_argument(oa_audit_t *a, const oa_rule_t *r)
{
    const oa_node_t *n;

    for (n = a->model->conf->first; n; n = oa_node_next_preorder(n)) {
        const arg_kind_t *k = n->directive ? arg_kind_of(n->directive) : NULL;
        apr_array_header_t *w;
        oa_finding_t *f = NULL;
        if (!k) {
            continue;
        }
        w = oa_conf_split_args(a->pool, n->args);
        /* httpd reads only the first word of a flag (invoke_cmd, FLAG) */
        if ((k->kinds & ARG_FLAG)
            && (w->nelts < 1 || (strcasecmp(APR_ARRAY_IDX(w, 0, const char *), "on")
                                 && strcasecmp(APR_ARRAY_IDX(w, 0, const char *), "off")))) {
            f = oa_audit_report(a, r, OA_SEV_ERROR, NULL, n, "write On or Off",
                                "%s must be On or Off (it is '%s'): httpd refuses to start",
                                k->name, n->args);
        }
        if ((k->kinds & ARG_NUMERIC) && w->nelts == 1
            && atoi(APR_ARRAY_IDX(w, 0, const char *)) < 0) {
            f = oa_audit_report(a, r, OA_SEV_ERROR, NULL, n,
                                "give a number of seconds, 0 or more",
                                "%s: invalid argument '%s' (negative): httpd refuses to "
                                "start", k->name, n->args);
        }
        if ((k->kinds & ARG_TAKE1) && w->nelts != 1) {
            f = oa_audit_report(a, r, OA_SEV_ERROR, NULL, n,
                                "give one argument; quote a path with spaces, and put a "
                                "# comment on a line of its own",
                                "%s takes one argument (it has %d): httpd refuses to start",
                                k->name, w->nelts);
        }
        if (f) {
            f->fatal_startup = 1;
        }
    }
}
