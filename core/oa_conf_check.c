/*
 * The checks httpd makes of each directive when it walks the parsed tree
 * (server/config.c invoke_cmd, ap_check_cmd_context, and the handlers of the
 * directives real configs carry). Messages are httpd 2.4.71's, word for word.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <limits.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_network_io.h>

#include "oa_conf_check.h"
#include "oa_conf_reader.h"
#include "oa_modules.h"
#include "oa_names.h"

/* ------------------------------------------------------------------ the probed table */

typedef struct {
    const char *name;
    oa_args_how_t how;
    int exec_on_read;
    const char *arity_msg;
    const char *ctx_msg[OA_CTX_COUNT];
} rule_t;

static const rule_t rules[] = {
#define OA_DIRECTIVE_RULE(n, how, eor, am, t, v, d, l, f, px, i, lim) \
    { n, how, eor, am, { t, v, d, l, f, px, i, lim } },
#if __has_include("oa_directive_rules.inc")
#include "oa_directive_rules.inc"
#endif
#undef OA_DIRECTIVE_RULE
    { NULL, OA_ARGS_RAW, 0, NULL, { NULL } }
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]) - 1)

static const char *rule_name(size_t i)
{
    return rules[i].name;
}

static oa_names_t rule_index = OA_NAMES_INIT(N_RULES, rule_name);

static const rule_t *rule_find(const char *name)
{
    int i = oa_names_find(&rule_index, name);
    return i < 0 ? NULL : &rules[i];
}

oa_args_how_t oa_check_args_how(const char *directive)
{
    const rule_t *r = rule_find(directive);
    return r ? r->how : OA_ARGS_RAW;
}

int oa_check_exec_on_read(const char *directive)
{
    const rule_t *r = rule_find(directive);
    return r && r->exec_on_read;
}

/* ------------------------------------------------------------------ contexts */

typedef struct {
    const char *section;    /* as httpd spells it, with the '<' */
    oa_ctx_t ctx;
} section_ctx_t;

static const section_ctx_t section_ctx[] = {
    { "<VirtualHost", OA_CTX_VHOST },
    { "<Directory", OA_CTX_DIR },
    { "<DirectoryMatch", OA_CTX_DIR },
    { "<Location", OA_CTX_LOC },
    { "<LocationMatch", OA_CTX_LOC },
    { "<Files", OA_CTX_FILES },
    { "<FilesMatch", OA_CTX_FILES },
    { "<Proxy", OA_CTX_PROXY },
    { "<ProxyMatch", OA_CTX_PROXY },
    { "<If", OA_CTX_IF },
    { "<ElseIf", OA_CTX_IF },
    { "<Else", OA_CTX_IF },
    { "<Limit", OA_CTX_LIMIT },
    { "<LimitExcept", OA_CTX_LIMIT },
    { NULL, OA_CTX_OTHER }
};

/* the section each context was probed in, as its messages name it */
static const char *const probe_section[OA_CTX_COUNT] = {
    NULL, "<VirtualHost>", "<Directory>", "<Location>", "<Files>", "<Proxy>", "<If>",
    "<Limit>"
};

#define N_SECTIONS (sizeof(section_ctx) / sizeof(section_ctx[0]) - 1)

static const char *section_name(size_t i)
{
    return section_ctx[i].section;
}

static oa_names_t section_index = OA_NAMES_INIT(N_SECTIONS, section_name);

static const section_ctx_t *section_of(const oa_node_t *n)
{
    int i;
    if (!n) {
        return NULL;
    }
    i = oa_names_find(&section_index, n->directive);
    return &section_ctx[i < 0 ? (int)N_SECTIONS : i];
}

/* invoke_cmd's override check names the section ("not allowed in <X> context"), the
 * handlers' ap_check_cmd_context() says "cannot occur within <X> section" */
static int is_override_msg(const char *m)
{
    apr_size_t n = strlen(m);
    return (n > 17 && !strcmp(m + n - 17, " not allowed here"))
           || (strstr(m, " not allowed in <") && n > 8 && !strcmp(m + n - 8, " context"));
}

/* ap_check_cmd_context()'s messages, which look at every section above the directive */
static int is_cmd_context_msg(const char *m)
{
    return strstr(m, " cannot occur within ") != NULL;
}

/* per row, a bit per context whose message is one of those: asked for most nodes and
 * several contexts, so found once */
static unsigned char cmd_ctx_bits[N_RULES];
static pthread_once_t cmd_ctx_once = PTHREAD_ONCE_INIT;

static void cmd_ctx_build(void)
{
    size_t i;
    int c;
    for (i = 0; i < N_RULES; i++) {
        for (c = 0; c < OA_CTX_COUNT; c++) {
            if (rules[i].ctx_msg[c] && is_cmd_context_msg(rules[i].ctx_msg[c])) {
                cmd_ctx_bits[i] |= (unsigned char)(1u << c);
            }
        }
    }
}

/* is the row's message for context c (which must be there) ap_check_cmd_context()'s? */
static int cmd_ctx_msg(const rule_t *r, oa_ctx_t c)
{
    pthread_once(&cmd_ctx_once, cmd_ctx_build);
    return (cmd_ctx_bits[r - rules] >> c) & 1;
}

/* the message as httpd gives it for section s (probed in its context's first section) */
static const char *for_section(apr_pool_t *p, const char *m, oa_ctx_t ctx,
                               const section_ctx_t *s)
{
    const char *probe = probe_section[ctx];
    const char *at;
    if (!probe || !s->section || strstr(m, " or <LimitExcept>")) {
        return m;
    }
    at = strstr(m, probe);
    if (!at || (strlen(s->section) == strlen(probe) - 1
                && !strncmp(probe, s->section, strlen(probe) - 1))) {
        return m;
    }
    return apr_psprintf(p, "%.*s%s>%s", (int)(at - m), m, s->section, at + strlen(probe));
}

static const char *check_context(apr_pool_t *p, const rule_t *r, const oa_node_t *n)
{
    static const oa_ctx_t handler_order[] = { OA_CTX_VHOST, OA_CTX_LIMIT, OA_CTX_DIR,
                                              OA_CTX_LOC, OA_CTX_FILES, OA_CTX_IF };
    const section_ctx_t *ps = section_of(n->parent);
    oa_ctx_t pctx = ps ? ps->ctx : OA_CTX_TOP;
    const char *m;
    size_t k;

    if (pctx == OA_CTX_OTHER) {
        return NULL;
    }
    m = r->ctx_msg[pctx];
    if (m && is_override_msg(m)) {
        return for_section(p, m, pctx, ps ? ps : &section_ctx[0]);
    }
    if (pctx == OA_CTX_TOP || (m && !cmd_ctx_msg(r, pctx))) {
        /* a handler's own test of where it stands ("only valid in per-directory config
         * files"): about the enclosing section only */
        return m;
    }
    /* ap_check_cmd_context: <VirtualHost>, <Limit>, then the nearest <Directory>,
     * <Location>, <Files>/<If> above the directive */
    for (k = 0; k < sizeof(handler_order) / sizeof(handler_order[0]); k++) {
        const oa_ctx_t c = handler_order[k];
        const char *hm = r->ctx_msg[c];
        const oa_node_t *a;
        if (!hm || !cmd_ctx_msg(r, c)) {
            continue;
        }
        for (a = n->parent; a; a = a->parent) {
            const section_ctx_t *as = section_of(a);
            if (as->ctx == c) {
                return for_section(p, hm, c, as);
            }
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ arity (invoke_cmd) */

static const char *check_arity(const rule_t *r, const apr_array_header_t *w)
{
    const int n = w->nelts;
#define W(i) ((i) < n && *APR_ARRAY_IDX(w, (i), const char *))
    int ok = 1;
    switch (r->how) {
    case OA_ARGS_RAW:
        return NULL;
    case OA_ARGS_NO_ARGS:
        ok = n == 0;
        break;
    case OA_ARGS_TAKE1:
        ok = W(0) && n == 1;
        break;
    case OA_ARGS_TAKE2:
        ok = W(0) && W(1) && n == 2;
        break;
    case OA_ARGS_TAKE12:
    case OA_ARGS_TAKE123:
        ok = W(0) && n <= (r->how == OA_ARGS_TAKE12 ? 2 : 3);
        break;
    case OA_ARGS_TAKE3:
        ok = W(0) && W(1) && W(2) && n == 3;
        break;
    case OA_ARGS_TAKE23:
        ok = W(0) && W(1) && n <= 3;
        break;
    case OA_ARGS_TAKE13:
        ok = W(0) && n <= 3 && (n == 1 || (n == 3 && W(1)) || (n == 2 && !W(1)));
        break;
    case OA_ARGS_ITERATE:
        ok = W(0);
        break;
    case OA_ARGS_ITERATE2:
        ok = W(0) && n >= 2;
        break;
    case OA_ARGS_FLAG:
        ok = W(0) && (!strcasecmp(APR_ARRAY_IDX(w, 0, const char *), "on")
                      || !strcasecmp(APR_ARRAY_IDX(w, 0, const char *), "off"));
        break;
    }
#undef W
    return ok ? NULL : r->arity_msg;
}

/* ------------------------------------------------------------------ value checks */

typedef const char *(*value_check_fn)(oa_check_state_t *cs, const oa_node_t *n,
                                      const apr_array_header_t *w);

#define ARG(i) APR_ARRAY_IDX(w, (i), const char *)

static int one_of(const char *s, const char *const *names)
{
    for (; *names; names++) {
        if (!strcasecmp(s, *names)) {
            return 1;
        }
    }
    return 0;
}

/* core.c set_listener / listen.c alloc_listener */
static const char *check_listen(oa_check_state_t *cs, const oa_node_t *n,
                                const apr_array_header_t *w)
{
    char *host = NULL, *scope = NULL;
    apr_port_t port = 0;
    const char *key;
    (void)n;
    if (w->nelts < 1 || w->nelts > 2) {
        return "Listen requires 1 or 2 arguments.";
    }
    if (apr_parse_addr_port(&host, &scope, &port, ARG(0), cs->p) != APR_SUCCESS) {
        return "Invalid address or port";
    }
    if (host && !strcmp(host, "*")) {
        host = NULL;
    }
    if (scope) {
        return "Scope id is not supported";
    }
    if (!port) {
        return "Port must be specified";
    }
    key = apr_psprintf(cs->p, "%s|%u", host ? host : "", (unsigned)port);
    if (apr_hash_get(cs->listeners, key, APR_HASH_KEY_STRING)) {
        return "Cannot define multiple Listeners on the same IP:port";
    }
    apr_hash_set(cs->listeners, key, APR_HASH_KEY_STRING, "");
    return NULL;
}

static const char *check_server_tokens(oa_check_state_t *cs, const oa_node_t *n,
                                       const apr_array_header_t *w)
{
    static const char *const ok[] = { "OS", "Min", "Minimal", "Major", "Minor", "Prod",
                                      "ProductOnly", "Full", NULL };
    (void)cs; (void)n;
    if (w->nelts == 1 && !one_of(ARG(0), ok)) {
        return "ServerTokens takes 1 argument: 'Prod(uctOnly)', 'Major', 'Minor', "
               "'Min(imal)', 'OS', or 'Full'";
    }
    return NULL;
}

static const char *const option_names[] = {
    "Indexes", "Includes", "IncludesNOEXEC", "FollowSymLinks", "SymLinksIfOwnerMatch",
    "ExecCGI", "MultiViews", "RunScripts", NULL
};

/* core.c set_options */
static const char *check_options(oa_check_state_t *cs, const oa_node_t *n,
                                 const apr_array_header_t *w)
{
    int i, saw_action = 0, saw_plain = 0;
    (void)n;
    for (i = 0; i < w->nelts; i++) {
        const char *o = ARG(i);
        char action = (*o == '+' || *o == '-') ? *o++ : '\0';
        int lead = i == 0 && !action && (!strcasecmp(o, "None") || !strcasecmp(o, "All"));
        if ((action && saw_plain) || (!action && saw_action)) {
            return "Either all Options must start with + or -, or no Option may.";
        }
        if (action) {
            saw_action = 1;
        }
        else if (!lead) {
            saw_plain = 1;
        }
        if (!strcasecmp(o, "None")) {
            if (action && i == 0) {
                return "You may not use 'Options +None' or 'Options -None'.";
            }
            if (i) {
                return "'Options None' must be the first Option given.";
            }
        }
        else if (!strcasecmp(o, "All")) {
            if (action && i == 0) {
                return "You may not use 'Options +All' or 'Options -All'.";
            }
            if (i) {
                return "'Options All' must be the first option given.";
            }
        }
        else if (!one_of(o, option_names)) {
            return apr_pstrcat(cs->p, "Illegal option ", o, NULL);
        }
    }
    return NULL;
}

/* core.c set_override */
static const char *check_allow_override(oa_check_state_t *cs, const oa_node_t *n,
                                        const apr_array_header_t *w)
{
    static const char *const ok[] = { "Limit", "Options", "FileInfo", "AuthConfig",
                                      "Indexes", "None", "All", NULL };
    int i;
    (void)n;
    for (i = 0; i < w->nelts; i++) {
        const char *o = ARG(i);
        const char *eq = strchr(o, '=');
        if (!strncasecmp(o, "Nonfatal=", 9)) {
            continue;
        }
        if (eq && (apr_size_t)(eq - o) == 7 && !strncasecmp(o, "Options", 7)) {
            char *list = apr_pstrdup(cs->p, eq + 1), *last, *opt;
            for (opt = apr_strtok(list, ",", &last); opt; opt = apr_strtok(NULL, ",", &last)) {
                if (strcasecmp(opt, "None") && strcasecmp(opt, "All")
                    && !one_of(opt, option_names)) {
                    return apr_pstrcat(cs->p, "Illegal option ", opt, NULL);
                }
            }
            continue;
        }
        if (!one_of(o, ok)) {
            return apr_pstrcat(cs->p, "Illegal override option ", o, NULL);
        }
    }
    return NULL;
}

static int is_log_level(const char *s)
{
    static const char *const levels[] = { "emerg", "alert", "crit", "error", "warn",
                                          "notice", "info", "debug", "trace1", "trace2",
                                          "trace3", "trace4", "trace5", "trace6",
                                          "trace7", "trace8", NULL };
    return one_of(s, levels);
}

#define LOG_LEVEL_MSG "Log level keyword must be one of emerg/alert/crit/error/warn/notice/" \
                      "info/debug/trace1/.../trace8"

static int module_known(const oa_conf_t *conf, const char *name)
{
    int i;
    for (i = 0; i < conf->modules->nelts; i++) {
        const oa_module_t *m = APR_ARRAY_IDX(conf->modules, i, const oa_module_t *);
        apr_size_t il = m->id ? strlen(m->id) : 0;
        if (!strcmp(m->name, name) || (m->id && !strcmp(m->id, name))
            || (il > 7 && strlen(name) == il - 7 && !strncmp(m->id, name, il - 7))) {
            return 1;
        }
    }
    return 0;
}

/* core.c set_loglevel */
static const char *check_log_level(oa_check_state_t *cs, const oa_node_t *n,
                                   const apr_array_header_t *w)
{
    int i;
    (void)n;
    for (i = 0; i < w->nelts; i++) {
        const char *a = ARG(i), *colon = strrchr(a, ':');
        const char *mod;
        if (!colon) {
            if (!is_log_level(a)) {
                return LOG_LEVEL_MSG;
            }
            continue;
        }
        mod = apr_pstrmemdup(cs->p, a, (apr_size_t)(colon - a));
        if (!colon[1]) {
            return apr_psprintf(cs->p, "Module specifier '%s' must be followed by a log "
                                "level keyword", mod);
        }
        if (!is_log_level(colon + 1)) {
            return apr_psprintf(cs->p, "%s:%s: " LOG_LEVEL_MSG, mod, colon + 1);
        }
        if (!cs->conf->unknown_modules && !module_known(cs->conf, mod)) {
            return apr_psprintf(cs->p, "Cannot find module %s", mod);
        }
    }
    return NULL;
}

/* ap_timeout_parameter_parse */
static const char *check_timeout_param(oa_check_state_t *cs, const oa_node_t *n,
                                       const apr_array_header_t *w)
{
    const char *s = w->nelts ? ARG(0) : "";
    char *end = NULL;
    errno = 0;
    (void)apr_strtoi64(s, &end, 10);
    if (!errno && end && *end) {
        if (*end == 'm') {
            errno = (end[1] == 's' || end[1] == 'i') ? 0 : EINVAL;
        }
        else if (*end != 'h' && *end != 's') {
            errno = EINVAL;
        }
    }
    return errno ? apr_pstrcat(cs->p, n->directive, " has wrong format", NULL) : NULL;
}

static const char *check_limit_request_body(oa_check_state_t *cs, const oa_node_t *n,
                                            const apr_array_header_t *w)
{
    char *end;
    apr_off_t v;
    (void)cs; (void)n;
    if (w->nelts != 1 || apr_strtoff(&v, ARG(0), &end, 10) != APR_SUCCESS || *end || v < 0) {
        return "LimitRequestBody requires a non-negative integer.";
    }
    return NULL;
}

static const char *check_keyword(const apr_array_header_t *w, const char *const *ok,
                                 const char *msg)
{
    return w->nelts == 1 && !one_of(ARG(0), ok) ? msg : NULL;
}

static const char *check_hostname_lookups(oa_check_state_t *cs, const oa_node_t *n,
                                          const apr_array_header_t *w)
{
    static const char *const ok[] = { "on", "off", "double", NULL };
    (void)cs; (void)n;
    return check_keyword(w, ok, "parameter must be 'on', 'off', or 'double'");
}

static const char *check_use_canonical_name(oa_check_state_t *cs, const oa_node_t *n,
                                            const apr_array_header_t *w)
{
    static const char *const ok[] = { "on", "off", "dns", NULL };
    (void)cs; (void)n;
    return check_keyword(w, ok, "parameter must be 'on', 'off', or 'dns'");
}

static const char *check_server_signature(oa_check_state_t *cs, const oa_node_t *n,
                                          const apr_array_header_t *w)
{
    static const char *const ok[] = { "on", "off", "email", NULL };
    (void)cs; (void)n;
    return check_keyword(w, ok, "ServerSignature: use one of: off | on | email");
}

static const char *check_ssl_engine(oa_check_state_t *cs, const oa_node_t *n,
                                    const apr_array_header_t *w)
{
    static const char *const ok[] = { "on", "off", "optional", NULL };
    (void)cs; (void)n;
    return w->nelts && !one_of(ARG(0), ok) ? "Argument must be On or Off" : NULL;
}

static const char *check_ssl_protocol(oa_check_state_t *cs, const oa_node_t *n,
                                      const apr_array_header_t *w)
{
    static const char *const ok[] = { "all", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", NULL };
    int i;
    for (i = 0; i < w->nelts; i++) {
        const char *a = ARG(i);
        char action = (*a == '+' || *a == '-') ? *a++ : '\0';
        if (!strcasecmp(a, "SSLv2")) {
            if (action == '-') {
                continue;
            }
            return apr_pstrcat(cs->p, strncasecmp(n->directive, "SSLProxy", 8)
                               ? "SSLProtocol" : "SSLProxyProtocol",
                               ": SSLv2 is no longer supported", NULL);
        }
        if (!strcasecmp(a, "SSLv3")) {
            if (action != '-') {
                return "SSLv3 not supported by this version of OpenSSL";
            }
            continue;
        }
        if (!one_of(a, ok)) {
            return apr_psprintf(cs->p, "%s: Illegal protocol '%s'",
                                strncasecmp(n->directive, "SSLProxy", 8) ? "SSLProtocol"
                                : "SSLProxyProtocol", a);
        }
    }
    return NULL;
}

static const char *check_ssl_verify(oa_check_state_t *cs, const oa_node_t *n,
                                    const apr_array_header_t *w)
{
    static const char *const ok[] = { "none", "optional", "require", "optional_no_ca", NULL };
    if (w->nelts == 1 && !one_of(ARG(0), ok)) {
        return apr_psprintf(cs->p, "%s: Invalid argument '%s'",
                            strncasecmp(n->directive, "SSLProxy", 8) ? "SSLVerifyClient"
                            : "SSLProxyVerify", ARG(0));
    }
    return NULL;
}

static const char *check_ssl_options(oa_check_state_t *cs, const oa_node_t *n,
                                     const apr_array_header_t *w)
{
    static const char *const ok[] = { "StdEnvVars", "ExportCertData", "FakeBasicAuth",
                                      "StrictRequire", "OptRenegotiate",
                                      "LegacyDNStringFormat", NULL };
    int i;
    (void)n;
    for (i = 0; i < w->nelts; i++) {
        const char *a = ARG(i);
        if (*a == '+' || *a == '-') {
            a++;
        }
        if (!one_of(a, ok)) {
            return apr_psprintf(cs->p, "SSLOptions: Illegal option '%s'", a);
        }
    }
    return NULL;
}

/* socache providers (ap_lookup_provider is case-sensitive) and the modules giving them */
typedef struct {
    const char *provider;
    const char *module;
} socache_t;

static const socache_t socaches[] = {
    { "shmcb", "mod_socache_shmcb.c" },
    { "default", "mod_socache_shmcb.c" },
    { "dbm", "mod_socache_dbm.c" },
    { "memcache", "mod_socache_memcache.c" },
    { "redis", "mod_socache_redis.c" },
    { "dc", "mod_socache_dc.c" },
    { NULL, NULL }
};

static const char *socache_known(oa_check_state_t *cs)
{
    const char *list = NULL;
    int i;
    for (i = 0; socaches[i].provider; i++) {
        if (oa_conf_has_module(cs->conf, socaches[i].module)) {
            list = list ? apr_pstrcat(cs->p, list, ",", socaches[i].provider, NULL)
                        : socaches[i].provider;
        }
    }
    return list ? list : "";
}

/* mod_ssl's SSLSessionCache and SSLStaplingCache: "none" (sessions only), or NAME[:ARGS] */
static const char *check_socache(oa_check_state_t *cs, const oa_node_t *n,
                                 const apr_array_header_t *w)
{
    const int stapling = !strcasecmp(n->directive, "SSLStaplingCache");
    const char *a, *colon, *name;
    int i;
    if (w->nelts != 1 || cs->conf->unknown_modules) {
        return NULL;
    }
    a = ARG(0);
    if (!stapling && (!strcasecmp(a, "none") || !strcasecmp(a, "nonenotnull"))) {
        return NULL;
    }
    colon = strchr(a, ':');
    name = colon ? apr_pstrmemdup(cs->p, a, (apr_size_t)(colon - a)) : a;
    for (i = 0; socaches[i].provider; i++) {
        if (!strcmp(name, socaches[i].provider)) {
            if (oa_conf_has_module(cs->conf, socaches[i].module)) {
                return NULL;
            }
            break;
        }
    }
    if (stapling) {
        return apr_psprintf(cs->p, "SSLStaplingCache: '%s' stapling cache not supported "
                            "(known names: %s) Maybe you need to load the appropriate "
                            "socache module (mod_socache_%s?)", name, socache_known(cs), name);
    }
    return apr_psprintf(cs->p, "SSLSessionCache: '%s' session cache not supported (known "
                        "names: %s). Maybe you need to load the appropriate socache module "
                        "(mod_socache_%s?).", name, socache_known(cs), name);
}

/* mod_remoteip: IP[/mask] literals (host names are resolved: not judged here) */
static const char *check_remoteip_proxy(oa_check_state_t *cs, const oa_node_t *n,
                                        const apr_array_header_t *w)
{
    int i;
    for (i = 0; i < w->nelts; i++) {
        const char *a = ARG(i), *slash = strchr(a, '/');
        char *ip = slash ? apr_pstrmemdup(cs->p, a, (apr_size_t)(slash - a)) : (char *)a;
        apr_ipsubnet_t *sub;
        char ebuf[128];
        apr_status_t rv = apr_ipsubnet_create(&sub, ip, slash ? slash + 1 : NULL, cs->p);
        if (rv == APR_EBADMASK) {
            return apr_psprintf(cs->p, "RemoteIP: Error parsing IP %s (%s error) for %s", a,
                                apr_strerror(rv, ebuf, sizeof(ebuf)), n->directive);
        }
    }
    return NULL;
}

/* mod_rewrite's cmd_rewritebase (its context is checked before) */
static const char *check_rewrite_base(oa_check_state_t *cs, const oa_node_t *n,
                                      const apr_array_header_t *w)
{
    (void)cs; (void)n;
    if (w->nelts == 1 && ARG(0)[0] != '/') {
        return ARG(0)[0] ? "RewriteBase: argument is not a valid URL"
                         : "RewriteBase: empty URL not allowed";
    }
    return NULL;
}

static int file_exists(oa_check_state_t *cs, const char *path)
{
    apr_finfo_t fi;
    return apr_stat(&fi, path, APR_FINFO_TYPE, cs->p) == APR_SUCCESS;
}

typedef struct {
    apr_status_t rv;
    apr_filetype_e type;
    apr_off_t size;
} file_stat_t;

static const file_stat_t *ssl_file_stat(oa_check_state_t *cs, const char *path)
{
    file_stat_t *st = apr_hash_get(cs->ssl_files, path, APR_HASH_KEY_STRING);
    apr_finfo_t fi;
    if (!st) {
        st = apr_pcalloc(cs->p, sizeof(*st));
        st->rv = apr_stat(&fi, path, APR_FINFO_TYPE | APR_FINFO_SIZE, cs->p);
        if (st->rv == APR_SUCCESS) {
            st->type = fi.filetype;
            st->size = fi.size;
        }
        apr_hash_set(cs->ssl_files, path, APR_HASH_KEY_STRING, st);
    }
    return st;
}

/* mod_ssl's ssl_cmd_check_file/_dir: a file must be there and not empty; a key or
 * certificate may also be a PKCS#11 URI */
static const char *check_ssl_file(oa_check_state_t *cs, const oa_node_t *n,
                                  const apr_array_header_t *w)
{
    const int dir = !strcasecmp(n->directive, "SSLCACertificatePath");
    const char *path;
    const file_stat_t *st;
    if (w->nelts != 1 || !strncasecmp(ARG(0), "pkcs11:", 7)) {
        return NULL;
    }
    path = oa_conf_map_path(cs->p, cs->conf->path_map,
                            oa_conf_server_relative(cs->p, cs->server_root, ARG(0)));
    st = ssl_file_stat(cs, path);
    if (dir) {
        return st->rv == APR_SUCCESS && st->type == APR_DIR ? NULL
               : apr_psprintf(cs->p, "%s: directory '%s' does not exist", n->directive, path);
    }
    return st->rv == APR_SUCCESS && st->type == APR_REG && st->size > 0 ? NULL
           : apr_psprintf(cs->p, "%s: file '%s' does not exist or is empty", n->directive, path);
}

/* mod_ssl's ssl_cmd_SSLPassPhraseDialog */
static const char *check_ssl_pass_phrase_dialog(oa_check_state_t *cs, const oa_node_t *n,
                                                const apr_array_header_t *w)
{
    const char *a = w->nelts ? ARG(0) : "";
    (void)n;
    if (!strcasecmp(a, "builtin") || a[0] == '|') {
        return NULL;
    }
    if (!strncasecmp(a, "exec:", 5) && a[5]) {
        const char *path = oa_conf_map_path(cs->p, cs->conf->path_map,
                                            oa_conf_server_relative(cs->p, cs->server_root,
                                                                    a + 5));
        return file_exists(cs, path) ? NULL : apr_psprintf(cs->p, "SSLPassPhraseDialog: file "
                                                           "'%s' does not exist", path);
    }
    return "SSLPassPhraseDialog: Invalid argument";
}

/* mod_ssl's ssl_cmd_SSLRandomSeed */
static const char *check_ssl_random_seed(oa_check_state_t *cs, const oa_node_t *n,
                                         const apr_array_header_t *w)
{
    const char *src, *path;
    (void)n;
    if (w->nelts < 2) {
        return NULL;
    }
    if (strcasecmp(ARG(0), "startup") && strcasecmp(ARG(0), "connect")) {
        return apr_psprintf(cs->p, "SSLRandomSeed: invalid context: `%s'", ARG(0));
    }
    src = ARG(1);
    if (!strcasecmp(src, "builtin")) {
        return NULL;
    }
    if (!strncasecmp(src, "egd:", 4)) {
        return apr_psprintf(cs->p, "Invalid SSLRandomSeed entropy source `%s': This version of "
                            "OpenSSL does not support the Entropy Gathering Daemon (EGD).", src);
    }
    path = !strncasecmp(src, "file:", 5) || !strncasecmp(src, "exec:", 5) ? src + 5 : src;
    path = oa_conf_server_relative(cs->p, cs->server_root, path);
    return file_exists(cs, path) ? NULL : apr_psprintf(cs->p, "SSLRandomSeed: source path "
                                                       "'%s' does not exist", path);
}

/* numbers that handlers read with atoi() and refuse out of range ("%s": the argument) */
typedef struct {
    const char *name;
    long lo, hi;            /* allowed range; zero_ok: 0 as well */
    int zero_ok;
    const char *msg;
} number_t;

static const number_t numbers[] = {
    { "DeflateCompressionLevel", 1, 9, 0, "Compression Level must be between 1 and 9" },
    { "LimitRequestFieldSize", 0, LONG_MAX, 0,
      "LimitRequestFieldsize \"%s\" must be a non-negative integer" },
    { "LimitRequestFields", 0, LONG_MAX, 0,
      "LimitRequestFields \"%s\" must be a non-negative integer (0 = no limit)" },
    { "LimitRequestLine", 0, LONG_MAX, 0,
      "LimitRequestLine \"%s\" must be a non-negative integer" },
    { "LimitXMLRequestBody", 0, LONG_MAX, 0,
      "LimitXMLRequestBody requires a non-negative integer." },
    { "ListenBacklog", 1, LONG_MAX, 0, "ListenBacklog must be > 0" },
    { "ProxyReceiveBufferSize", 512, LONG_MAX, 1,
      "ProxyReceiveBufferSize must be >= 512 bytes, or 0 for system default." },
    { "ProxyTimeout", 1, LONG_MAX, 0, "Proxy Timeout must be at least 1 second." },
    { "ReceiveBufferSize", 512, LONG_MAX, 1,
      "ReceiveBufferSize must be >= 512 bytes, or 0 for system default." },
    { "SendBufferSize", 512, LONG_MAX, 1,
      "SendBufferSize must be >= 512 bytes, or 0 for system default." },
    { "SSLVerifyDepth", 0, LONG_MAX, 0, "SSLVerifyDepth: Invalid argument '%s'" },
    { NULL, 0, 0, 0, NULL }
};

static const char *check_number(oa_check_state_t *cs, const oa_node_t *n,
                                const apr_array_header_t *w)
{
    int i;
    long v;
    if (w->nelts != 1) {
        return NULL;
    }
    v = atol(ARG(0));
    for (i = 0; numbers[i].name; i++) {
        if (!strcasecmp(n->directive, numbers[i].name)) {
            if ((v >= numbers[i].lo && v <= numbers[i].hi) || (numbers[i].zero_ok && !v)) {
                return NULL;
            }
            return apr_psprintf(cs->p, numbers[i].msg, ARG(0));
        }
    }
    return NULL;
}

typedef struct {
    const char *name;
    value_check_fn check;
} value_check_t;

/* one row per directive whose values httpd checks while processing the tree */
static const value_check_t value_checks[] = {
    { "DeflateCompressionLevel", check_number },
    { "AllowOverride", check_allow_override },
    { "HostnameLookups", check_hostname_lookups },
    { "KeepAliveTimeout", check_timeout_param },
    { "LimitRequestBody", check_limit_request_body },
    { "LimitRequestFieldSize", check_number },
    { "LimitRequestFields", check_number },
    { "LimitRequestLine", check_number },
    { "LimitXMLRequestBody", check_number },
    { "ListenBacklog", check_number },
    { "Listen", check_listen },
    { "LogLevel", check_log_level },
    { "Options", check_options },
    { "ProxyReceiveBufferSize", check_number },
    { "ProxyTimeout", check_number },
    { "ReceiveBufferSize", check_number },
    { "RemoteIPInternalProxy", check_remoteip_proxy },
    { "RemoteIPTrustedProxy", check_remoteip_proxy },
    { "RewriteBase", check_rewrite_base },
    { "SendBufferSize", check_number },
    { "ServerSignature", check_server_signature },
    { "ServerTokens", check_server_tokens },
    { "SSLCACertificateFile", check_ssl_file },
    { "SSLCACertificatePath", check_ssl_file },
    { "SSLCARevocationFile", check_ssl_file },
    { "SSLCertificateChainFile", check_ssl_file },
    { "SSLCertificateFile", check_ssl_file },
    { "SSLCertificateKeyFile", check_ssl_file },
    { "SSLEngine", check_ssl_engine },
    { "SSLOptions", check_ssl_options },
    { "SSLPassPhraseDialog", check_ssl_pass_phrase_dialog },
    { "SSLProtocol", check_ssl_protocol },
    { "SSLProxyProtocol", check_ssl_protocol },
    { "SSLProxyVerify", check_ssl_verify },
    { "SSLRandomSeed", check_ssl_random_seed },
    { "SSLSessionCache", check_socache },
    { "SSLStaplingCache", check_socache },
    { "SSLVerifyClient", check_ssl_verify },
    { "SSLVerifyDepth", check_number },
    { "UseCanonicalName", check_use_canonical_name },
    { NULL, NULL }
};

#undef ARG

/* ------------------------------------------------------------------ rule-owned checks */

/* Where a rule already judges what httpd refuses (and says more than httpd does), the
 * reader leaves it to the rule: the finding carries "httpd refuses to start". */
typedef enum {
    OWN_ARITY = 1,          /* OA105 invalid-stapling-argument */
    OWN_VHOST = 2,          /* OA102 stapling-cache-in-vhost */
    OWN_VALUE = 4           /* OA103 stapling-cache-provider, OA305 certificate-unreadable */
} owned_t;

typedef struct {
    const char *name;
    int owned;
} rule_owned_t;

static const rule_owned_t rule_owned[] = {
    { "SSLCACertificateFile", OWN_ARITY | OWN_VALUE },
    { "SSLCACertificatePath", OWN_ARITY | OWN_VALUE },
    { "SSLCertificateChainFile", OWN_ARITY | OWN_VALUE },
    { "SSLCertificateFile", OWN_ARITY | OWN_VALUE },
    { "SSLCertificateKeyFile", OWN_ARITY | OWN_VALUE },
    { "SSLStaplingCache", OWN_ARITY | OWN_VHOST | OWN_VALUE },
    { "SSLStaplingErrorCacheTimeout", OWN_ARITY },
    { "SSLStaplingFakeTryLater", OWN_ARITY },
    { "SSLStaplingForceURL", OWN_ARITY },
    { "SSLStaplingResponderTimeout", OWN_ARITY },
    { "SSLStaplingResponseMaxAge", OWN_ARITY },
    { "SSLStaplingResponseTimeSkew", OWN_ARITY },
    { "SSLStaplingReturnResponderErrors", OWN_ARITY },
    { "SSLStaplingStandardCacheTimeout", OWN_ARITY },
    { "SSLUseStapling", OWN_ARITY },
    { NULL, 0 }
};

static int owned_by_rule(const char *name, int what)
{
    int i;
    for (i = 0; rule_owned[i].name; i++) {
        if (!strcasecmp(name, rule_owned[i].name)) {
            return (rule_owned[i].owned & what) != 0;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ entry points */

void oa_check_state_init(oa_check_state_t *cs, apr_pool_t *p, const oa_conf_t *conf,
                         const char *server_root)
{
    cs->p = p;
    cs->conf = conf;
    cs->listeners = apr_hash_make(p);
    cs->server_root = server_root;
    cs->ssl_files = apr_hash_make(p);
}

static const char *value_check_name(size_t i)
{
    return value_checks[i].name;
}

static oa_names_t value_check_index =
    OA_NAMES_INIT(sizeof(value_checks) / sizeof(value_checks[0]) - 1, value_check_name);

static const char *value_check(oa_check_state_t *cs, const oa_node_t *n,
                               const apr_array_header_t *w)
{
    int i = oa_names_find(&value_check_index, n->directive);
    return i < 0 ? NULL : value_checks[i].check(cs, n, w);
}

/* mod_alias's Alias and ScriptAlias, whose context test depends on the number of
 * arguments (the table was probed with one): with two, anywhere in a directory context
 * is refused; with one, only <Location> takes it, and globally it needs two. */
static int is_alias(const char *d)
{
    return !strcasecmp(d, "Alias") || !strcasecmp(d, "ScriptAlias");
}

static const char *check_alias(oa_check_state_t *cs, const oa_node_t *n,
                               const apr_array_header_t *w, const char *probed)
{
    const oa_node_t *a;
    const section_ctx_t *dir = NULL;
    for (a = n->parent; a && !dir; a = a->parent) {
        const section_ctx_t *sc = section_of(a);
        if (sc->ctx != OA_CTX_VHOST && sc->ctx != OA_CTX_OTHER) {
            dir = sc;
        }
    }
    if (w->nelts == 2) {
        return dir ? apr_pstrcat(cs->p, n->directive, " cannot occur within directory context",
                                 NULL) : NULL;
    }
    if (!dir) {
        return "Alias must have two arguments when used globally";
    }
    return probed;
}

const char *oa_check_node_all(oa_check_state_t *cs, const oa_node_t *n, int *powned)
{
    const rule_t *r = rule_find(n->directive);
    apr_array_header_t *w;
    const char *m, *probed = NULL;

    *powned = 0;
    if (r && (m = check_context(cs->p, r, n)) != NULL) {
        if (!is_alias(n->directive) || is_override_msg(m)) {
            *powned = owned_by_rule(n->directive, OWN_VHOST)
                      && strstr(m, "<VirtualHost>") != NULL;
            return m;
        }
        probed = m;
    }
    if (n->directive[0] == '<') {
        return NULL;
    }
    w = oa_conf_split_args(cs->p, n->args);
    if (r && (m = check_arity(r, w)) != NULL) {
        *powned = owned_by_rule(n->directive, OWN_ARITY);
        return m;
    }
    if (is_alias(n->directive)) {
        return check_alias(cs, n, w, probed);
    }
    m = value_check(cs, n, w);
    *powned = m && owned_by_rule(n->directive, OWN_VALUE);
    return m;
}

const char *oa_check_node(oa_check_state_t *cs, const oa_node_t *n)
{
    int owned;
    const char *m = oa_check_node_all(cs, n, &owned);
    return owned ? NULL : m;
}

/* ------------------------------------------------------------------ the tree, as httpd processes it */

static apr_status_t invalid_command(st_t *st, const char *word, const char *mod,
                                    const char *file, int line)
{
    oa_diag_t *d;
    const char *c;
    oa_rd_fail(st, file, line, "Invalid command '%s', perhaps misspelled or defined by a module "
         "not included in the server configuration", oa_rd_escape_word(st->p, word, strlen(word)));
    d = st->err;
    for (c = word; *c; c++) {
        if (!apr_isprint(*c) && !apr_isspace(*c)) {
            d->hint = "the file holds binary data: is it a configuration file?";
            return APR_EGENERAL;
        }
    }
    if (mod) {
        const char *id = oa_module_id_for_name(mod);
        apr_size_t il = id ? strlen(id) : 0;
        d->hint = apr_psprintf(st->p, "%s is provided by %s, which this configuration "
                               "does not load%s%.*s%s", word, mod,
                               il > 7 ? " (Debian: a2enmod " : "", (int)(il > 7 ? il - 7 : 0),
                               id ? id : "", il > 7 ? ")" : "");
    }
    return APR_EGENERAL;
}

static const oa_node_t *next_skipping_children(const oa_node_t *n)
{
    while (n && !n->next) {
        n = n->parent;
    }
    return n ? n->next : NULL;
}

/* The last ErrorLog among a server's own directives (not those of nested sections). */
static const oa_node_t *error_log_of(const oa_node_t *first)
{
    const oa_node_t *n, *found = NULL;
    for (n = first; n; n = n->next) {
        if (oa_node_is(n, "ErrorLog")) {
            found = n;
        }
    }
    return found;
}

/* open_error_log (log.c) at -t: the directory of each file ErrorLog must exist. Only
 * ErrorLogs the config sets are checked (a missing one means the compiled-in default). */
static apr_status_t check_error_log(st_t *st, const oa_node_t *el, const oa_node_t *vhost)
{
    apr_array_header_t *w;
    const char *arg, *path, *slash;
    apr_finfo_t fi;
    if (!el) {
        return APR_SUCCESS;
    }
    w = oa_conf_split_args(st->p, el->args);
    arg = w->nelts ? APR_ARRAY_IDX(w, 0, const char *) : "";
    if (!*arg || *arg == '|' || !strncasecmp(arg, "syslog", 6)) {
        return APR_SUCCESS;
    }
    path = oa_conf_server_relative(st->p, st->server_root, arg);
    slash = strrchr(path, '/');
    path = apr_pstrmemdup(st->p, path, slash ? (apr_size_t)(slash - path + 1) : 0);
    if (!*path || apr_stat(&fi, path, APR_FINFO_TYPE, st->p) == APR_SUCCESS) {
        return APR_SUCCESS;
    }
    if (!vhost) {
        return oa_rd_fail(st, el->file, el->line, "Cannot access directory '%s' for main error log "
                    "(httpd -t: Configuration check failed)", path);
    }
    return oa_rd_fail(st, el->file, el->line, "Cannot access directory '%s' for error log of vhost "
                "defined at %s:%d (httpd -t: Configuration check failed)", path, vhost->file,
                vhost->line);
}

static apr_status_t check_error_logs(st_t *st)
{
    const oa_node_t *n;
    if (check_error_log(st, error_log_of(st->conf->first), NULL) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    for (n = st->conf->first; n; n = n->next) {
        if (oa_node_is(n, "<VirtualHost")
            && check_error_log(st, error_log_of(n->first_child), n) != APR_SUCCESS) {
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
}

/* httpd looks directives up when it processes the tree, with every module loaded, and
 * checks each where it stands (oa_conf_check.c) */
apr_status_t oa_rd_check_directives(st_t *st)
{
    const oa_node_t *n, *owned_at = NULL;
    const char *mod, *msg, *owned_msg = NULL;
    oa_check_state_t cs;
    int owned;
    oa_check_state_init(&cs, st->p, st->conf, st->server_root);
    for (n = st->conf->first; n; ) {
        if (oa_rd_directive_available(st, n->directive, &mod) == 0) {
            if (owned_at) {
                break;
            }
            return invalid_command(st, n->directive, mod, n->file, n->line);
        }
        if (oa_rd_read_cmd(n->directive)) {
            /* read before its module was loaded: httpd runs it now, on its own terms */
            n = next_skipping_children(n);
            continue;
        }
        if ((msg = oa_check_node_all(&cs, n, &owned)) != NULL) {
            if (!owned) {
                break;
            }
            /* a rule reports it (and says more) when the config is read to the end;
             * but if a later error stops the read, httpd's first error is this one */
            if (!owned_at) {
                owned_at = n;
                owned_msg = msg;
            }
        }
        n = oa_node_next_preorder(n);
    }
    if (owned_at && (n || check_error_logs(st) != APR_SUCCESS)) {
        st->err = NULL;
        return oa_rd_fail(st, owned_at->file, owned_at->line, "%s", owned_msg);
    }
    if (n) {
        return oa_rd_fail(st, n->file, n->line, "%s", msg);
    }
    if (owned_at) {
        st->conf->refused = oa_diag_make(st->p, OA_SEV_ERROR, owned_at->file, owned_at->line,
                                         "%s", owned_msg);
        return APR_SUCCESS;
    }
    return check_error_logs(st);
}

