#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_network_io.h>

#include "oa_vhost.h"
#include "oa_names.h"

typedef enum {
    MERGE_LAST,      /* vhost value, else the main server's (cfgMerge) */
    MERGE_CERTKEYS,  /* mod_ssl's positional merge of certificate/key file lists */
    MERGE_NONE,      /* the vhost's own values only (ServerAlias) */
    MERGE_GLOBAL     /* one value for the whole server */
} merge_e;

typedef struct {
    const char *name;
    merge_e merge;
} tracked_t;

#define T(name, merge) { name, merge }

static const tracked_t tracked[] = {
    T("ServerName", MERGE_LAST),
    T("ServerAlias", MERGE_NONE),
    T("SSLEngine", MERGE_LAST),
    T("SSLCertificateFile", MERGE_CERTKEYS),
    T("SSLCertificateKeyFile", MERGE_CERTKEYS),
    T("SSLCertificateChainFile", MERGE_LAST),
    T("SSLCACertificateFile", MERGE_LAST),
    T("SSLCACertificatePath", MERGE_LAST),
    T("SSLUseStapling", MERGE_LAST),
    T("SSLStaplingResponderTimeout", MERGE_LAST),
    T("SSLStaplingResponseTimeSkew", MERGE_LAST),
    T("SSLStaplingResponseMaxAge", MERGE_LAST),
    T("SSLStaplingStandardCacheTimeout", MERGE_LAST),
    T("SSLStaplingErrorCacheTimeout", MERGE_LAST),
    T("SSLStaplingReturnResponderErrors", MERGE_LAST),
    T("SSLStaplingFakeTryLater", MERGE_LAST),
    T("SSLStaplingForceURL", MERGE_LAST),
    T("SSLOCSPProxyURL", MERGE_LAST),
    T("SSLStaplingCache", MERGE_GLOBAL),
    T("MDomain", MERGE_GLOBAL),
    T("MDStapling", MERGE_GLOBAL),
    T("MDStapleOthers", MERGE_GLOBAL),
    { NULL, MERGE_LAST }
};

/* mod_ssl keeps up to three certificate/key pairs by position (CERTKEYS_IDX_MAX + 1) */
#define CERTKEYS_POSITIONAL 3

const char *const *oa_model_tracked_directives(void)
{
    static const char *names[sizeof(tracked) / sizeof(tracked[0])];
    int i;
    if (!names[0]) {
        for (i = 0; tracked[i].name; i++) {
            names[i] = tracked[i].name;
        }
    }
    return names;
}

static char *lower(apr_pool_t *p, const char *s)
{
    char *l = apr_pstrdup(p, s), *c;
    for (c = l; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    return l;
}

#define N_TRACKED (sizeof(tracked) / sizeof(tracked[0]) - 1)

static const char *tracked_name(size_t i)
{
    return tracked[i].name;
}

static oa_names_t tracked_index = OA_NAMES_INIT(N_TRACKED, tracked_name);

/* a tracked directive's row, or -1: every configuration line is looked up, and every
 * oa_vhost_get of the rules */
static int tracked_id(const char *directive)
{
    return oa_names_find(&tracked_index, directive);
}

int oa_flag_on(const oa_setting_t *s)
{
    return s && s->argv->nelts >= 1 && !strcasecmp(APR_ARRAY_IDX(s->argv, 0, const char *), "on");
}

static oa_setting_t *make_setting(apr_pool_t *p, const tracked_t *t, const oa_node_t *n)
{
    oa_setting_t *s = apr_pcalloc(p, sizeof(*s));
    s->directive = t->name;
    s->value = n->args;
    s->argv = oa_conf_split_args(p, n->args);
    s->node = n;
    return s;
}

static void push_setting(apr_pool_t *p, apr_array_header_t **slot, oa_setting_t *s)
{
    if (!*slot) {
        *slot = apr_array_make(p, 2, sizeof(oa_setting_t *));
    }
    APR_ARRAY_PUSH(*slot, oa_setting_t *) = s;
}

/* The server-level directives of one context: the node list's direct members, an
 * array per tracked directive (NULL: not set there). */
static apr_array_header_t **collect(apr_pool_t *p, const oa_node_t *first, oa_model_t *m,
                                   int in_vhost)
{
    apr_array_header_t **own = apr_pcalloc(p, sizeof(*own) * N_TRACKED);
    const oa_node_t *n;
    for (n = first; n; n = n->next) {
        const tracked_t *t;
        int id;
        if (n->directive[0] == '<' || (id = tracked_id(n->directive)) < 0) {
            continue;   /* <...>: per-directory sections; <MDomainSet> is collect_md's */
        }
        t = &tracked[id];
        if (t->merge == MERGE_GLOBAL && !in_vhost) {
            const char *key = lower(p, t->name);
            apr_array_header_t *a = apr_hash_get(m->global, key, APR_HASH_KEY_STRING);
            push_setting(p, &a, make_setting(p, t, n));
            apr_hash_set(m->global, key, APR_HASH_KEY_STRING, a);
            continue;
        }
        /* a global directive inside a vhost stays with the vhost: httpd refuses
         * SSLStaplingCache there (GLOBAL_ONLY), and the rules say so */
        push_setting(p, &own[id], make_setting(p, t, n));
    }
    return own;
}

/* vhost := merge(main, vhost) for every tracked directive */
static apr_array_header_t **merge(apr_pool_t *p, apr_array_header_t *const *base,
                                  apr_array_header_t *const *add)
{
    apr_array_header_t **out = apr_pcalloc(p, sizeof(*out) * N_TRACKED);
    apr_size_t i;
    for (i = 0; i < N_TRACKED; i++) {
        const tracked_t *t = &tracked[i];
        const apr_array_header_t *b = base[i], *a = add[i];
        apr_array_header_t *r = NULL;
        int j;

        if (t->merge == MERGE_NONE || t->merge == MERGE_GLOBAL) {
            if (a) {
                r = apr_array_copy(p, a);
            }
        }
        else if (t->merge == MERGE_LAST) {
            const apr_array_header_t *src = (a && a->nelts) ? a : b;
            if (src && src->nelts) {
                oa_setting_t *s = APR_ARRAY_IDX(src, src->nelts - 1, oa_setting_t *);
                if (src == b) {
                    /* a vhost's own setting is used as it is; an inherited one is a copy
                     * that says so */
                    s = apr_pmemdup(p, s, sizeof(oa_setting_t));
                    s->inherited = 1;
                }
                r = apr_array_make(p, 1, sizeof(oa_setting_t *));
                APR_ARRAY_PUSH(r, oa_setting_t *) = s;
            }
        }
        else { /* MERGE_CERTKEYS */
            int na = a ? a->nelts : 0, nb = b ? b->nelts : 0;
            r = apr_array_make(p, na + nb, sizeof(oa_setting_t *));
            for (j = 0; j < na && j < CERTKEYS_POSITIONAL; j++) {
                APR_ARRAY_PUSH(r, oa_setting_t *) = APR_ARRAY_IDX(a, j, oa_setting_t *);
            }
            for (; j < nb; j++) {
                oa_setting_t *s = apr_pmemdup(p, APR_ARRAY_IDX(b, j, oa_setting_t *),
                                              sizeof(oa_setting_t));
                s->inherited = 1;
                APR_ARRAY_PUSH(r, oa_setting_t *) = s;
            }
            for (j = CERTKEYS_POSITIONAL; j < na; j++) {
                APR_ARRAY_PUSH(r, oa_setting_t *) = APR_ARRAY_IDX(a, j, oa_setting_t *);
            }
            if (!r->nelts) {
                r = NULL;
            }
        }
        out[i] = r;
    }
    return out;
}

const apr_array_header_t *oa_vhost_get_all(const oa_vhost_t *vh, const char *directive)
{
    int id = tracked_id(directive);
    return id < 0 ? NULL : vh->settings[id];
}

const oa_setting_t *oa_vhost_get(const oa_vhost_t *vh, const char *directive)
{
    const apr_array_header_t *a = oa_vhost_get_all(vh, directive);
    return (a && a->nelts) ? APR_ARRAY_IDX(a, a->nelts - 1, const oa_setting_t *) : NULL;
}

const oa_setting_t *oa_model_global(const oa_model_t *m, const char *directive)
{
    const char *key = lower(m->vhosts->pool, directive);
    const apr_array_header_t *a = apr_hash_get(m->global, key, APR_HASH_KEY_STRING);
    return (a && a->nelts) ? APR_ARRAY_IDX(a, a->nelts - 1, const oa_setting_t *) : NULL;
}

/* "[scheme://]host[:port]" (ServerName, a <VirtualHost> address) -> host */
static const char *server_name_host(apr_pool_t *p, const char *v)
{
    const char *s = strstr(v, "://"), *e;
    if (s) {
        v = s + 3;
    }
    if (v[0] == '[') {
        e = strchr(v, ']');
        return e ? apr_pstrmemdup(p, v, (apr_size_t)(e - v + 1)) : v;
    }
    e = strrchr(v, ':');
    return e ? apr_pstrmemdup(p, v, (apr_size_t)(e - v)) : v;
}

static int is_wildcard(const char *h)
{
    return !strcmp(h, "*") || !strcasecmp(h, "_default_");
}

static void collect_md(apr_pool_t *p, oa_model_t *m)
{
    const oa_node_t *n;
    const oa_setting_t *global_stapling = NULL;
    apr_array_header_t *pending = apr_array_make(p, 4, sizeof(oa_md_t *));
    int i;

    for (n = m->conf->first; n; n = n->next) {
        int is_set = !strcasecmp(n->directive, "<MDomainSet") || !strcasecmp(n->directive, "<MDomain");
        if (!strcasecmp(n->directive, "MDStapling")) {
            oa_setting_t *s = apr_pcalloc(p, sizeof(*s));
            s->directive = "MDStapling";
            s->value = n->args;
            s->argv = oa_conf_split_args(p, n->args);
            s->node = n;
            global_stapling = s;
        }
        else if (is_set || !strcasecmp(n->directive, "MDomain")) {
            oa_md_t *md = apr_pcalloc(p, sizeof(*md));
            apr_array_header_t *w = oa_conf_split_args(p, n->args);
            const oa_node_t *c;
            md->names = apr_array_make(p, w->nelts, sizeof(const char *));
            md->node = n;
            for (i = 0; i < w->nelts; i++) {
                const char *name = APR_ARRAY_IDX(w, i, const char *);
                /* MDomain name... [auto|manual] */
                if (!strcasecmp(name, "auto") || !strcasecmp(name, "manual")) {
                    continue;
                }
                APR_ARRAY_PUSH(md->names, const char *) = lower(p, name);
            }
            for (c = is_set ? n->first_child : NULL; c; c = c->next) {
                if (!strcasecmp(c->directive, "MDStapling")) {
                    oa_setting_t *s = apr_pcalloc(p, sizeof(*s));
                    s->directive = "MDStapling";
                    s->value = c->args;
                    s->argv = oa_conf_split_args(p, c->args);
                    s->node = c;
                    md->stapling = s;
                }
            }
            APR_ARRAY_PUSH(m->mds, oa_md_t *) = md;
            APR_ARRAY_PUSH(pending, oa_md_t *) = md;
        }
    }
    /* a global MDStapling applies to every domain without its own, wherever it stands */
    for (i = 0; i < pending->nelts; i++) {
        oa_md_t *md = APR_ARRAY_IDX(pending, i, oa_md_t *);
        if (!md->stapling) {
            md->stapling = global_stapling;
        }
    }
}

static const oa_md_t *md_for(const oa_model_t *m, const oa_vhost_t *vh)
{
    int i, j, k;
    for (i = 0; i < m->mds->nelts; i++) {
        const oa_md_t *md = APR_ARRAY_IDX(m->mds, i, const oa_md_t *);
        for (j = 0; j < md->names->nelts; j++) {
            const char *d = APR_ARRAY_IDX(md->names, j, const char *);
            const oa_setting_t *sn = oa_vhost_get(vh, "ServerName");
            if (sn && !strcasecmp(vh->name, d) && !sn->inherited) {
                return md;
            }
            for (k = 0; k < vh->aliases->nelts; k++) {
                if (!strcasecmp(APR_ARRAY_IDX(vh->aliases, k, const char *), d)) {
                    return md;
                }
            }
        }
    }
    return NULL;
}

static int is_any_address(const char *h)
{
    return !h || is_wildcard(h) || !strcmp(h, "0.0.0.0") || !strcmp(h, "::");
}

/* A host's addresses (NULL when it does not resolve), looked up once per model: ten
 * thousand vhosts on four addresses were ten thousand getaddrinfo calls, each opening
 * a netlink socket for AI_ADDRCONFIG. The port plays no part in the lookup (APR sets
 * it afterwards) nor in the reverse lookup of the first address, so none is given. */
static apr_sockaddr_t *resolve_host(apr_pool_t *p, apr_hash_t *cache, const char *host)
{
    apr_sockaddr_t **psa = apr_hash_get(cache, host, APR_HASH_KEY_STRING);
    if (!psa) {
        psa = apr_palloc(p, sizeof(*psa));
        if (apr_sockaddr_info_get(psa, host, APR_UNSPEC, 0, 0, p) != APR_SUCCESS) {
            *psa = NULL;
        }
        apr_hash_set(cache, apr_pstrdup(p, host), APR_HASH_KEY_STRING, psa);
    }
    return *psa;
}

/* vhost.c get_addresses: each address of <VirtualHost>, names resolved (all their
 * addresses; one that does not resolve is ignored, as httpd ignores it). *pfirst: the
 * first address, NULL when it is a wildcard. */
static void resolve_addresses(apr_pool_t *p, apr_hash_t *cache, oa_vhost_t *vh,
                              apr_sockaddr_t **pfirst)
{
    int i;
    *pfirst = NULL;
    vh->resolved = apr_array_make(p, vh->addresses->nelts, sizeof(const char *));
    for (i = 0; i < vh->addresses->nelts; i++) {
        const char *a = APR_ARRAY_IDX(vh->addresses, i, const char *);
        char *host = NULL, *scope = NULL, *ip;
        apr_port_t port = 0;
        apr_sockaddr_t *sa, *x;
        const char *ps;
        if (apr_parse_addr_port(&host, &scope, &port, a, p) != APR_SUCCESS) {
            continue;
        }
        ps = port ? apr_psprintf(p, "%u", (unsigned)port) : "*";
        if (is_any_address(host)) {
            APR_ARRAY_PUSH(vh->resolved, const char *) = apr_pstrcat(p, "*:", ps, NULL);
            continue;
        }
        if ((sa = resolve_host(p, cache, host)) == NULL) {
            continue;
        }
        for (x = sa; x; x = x->next) {
            apr_sockaddr_ip_get(&ip, x);
            APR_ARRAY_PUSH(vh->resolved, const char *) =
                x->family == APR_INET6 ? apr_psprintf(p, "[%s]:%s", ip, ps)
                                       : apr_psprintf(p, "%s:%s", ip, ps);
            if (i == 0 && x == sa) {
                *pfirst = x;
            }
        }
    }
}

static void finish_vhost(apr_pool_t *p, apr_hash_t *resolved, oa_model_t *m, oa_vhost_t *vh)
{
    const oa_setting_t *sn = oa_vhost_get(vh, "ServerName");
    const oa_setting_t *eng = oa_vhost_get(vh, "SSLEngine");
    const apr_array_header_t *al = oa_vhost_get_all(vh, "ServerAlias");
    int i, j;

    apr_sockaddr_t *first = NULL;

    if (!vh->is_main) {
        resolve_addresses(p, resolved, vh, &first);
    }
    if (first && (!sn || sn->inherited)) {
        /* ap_fini_vhost_config: no ServerName of its own and a specific first address:
         * the address's name (reverse lookup), not the main server's */
        char *rname = NULL;
        vh->name_source = "address";
        vh->name = apr_getnameinfo(&rname, first, 0) == APR_SUCCESS && rname
                   ? rname : "bogus_host_without_reverse_dns";
    }
    else if (sn && sn->argv->nelts) {
        vh->name = server_name_host(p, APR_ARRAY_IDX(sn->argv, 0, const char *));
        vh->name_source = sn->inherited ? "main" : "ServerName";
    }
    else {
        vh->name_source = "none";
        vh->name = "";
        for (i = 0; i < vh->addresses->nelts; i++) {
            const char *h = server_name_host(p, APR_ARRAY_IDX(vh->addresses, i, const char *));
            if (!is_wildcard(h)) {
                vh->name = h;
                vh->name_source = "address";
                break;
            }
        }
    }
    vh->aliases = apr_array_make(p, 2, sizeof(const char *));
    for (i = 0; al && i < al->nelts; i++) {
        const oa_setting_t *s = APR_ARRAY_IDX(al, i, const oa_setting_t *);
        for (j = 0; j < s->argv->nelts; j++) {
            APR_ARRAY_PUSH(vh->aliases, const char *) = APR_ARRAY_IDX(s->argv, j, const char *);
        }
    }
    if (eng && eng->argv->nelts) {
        const char *v = APR_ARRAY_IDX(eng->argv, 0, const char *);
        vh->ssl = !strcasecmp(v, "on") || !strcasecmp(v, "optional");
    }
    vh->md = md_for(m, vh);
}

apr_status_t oa_model_build(oa_model_t **pmodel, apr_pool_t *p, oa_conf_t *conf)
{
    oa_model_t *m = apr_pcalloc(p, sizeof(*m));
    oa_vhost_t *main_vh = apr_pcalloc(p, sizeof(*main_vh));
    apr_array_header_t **main_set;
    const oa_node_t *n;
    int idx = 1;

    m->conf = conf;
    m->vhosts = apr_array_make(p, 16, sizeof(oa_vhost_t *));
    m->global = apr_hash_make(p);
    m->mds = apr_array_make(p, 4, sizeof(oa_md_t *));
    m->diags = apr_array_make(p, 4, sizeof(oa_diag_t *));

    main_set = collect(p, conf->first, m, 0);
    main_vh->is_main = 1;
    main_vh->index = 0;
    main_vh->file = conf->config_file;
    main_vh->line = 0;
    main_vh->addresses = apr_array_make(p, 1, sizeof(const char *));
    main_vh->resolved = main_vh->addresses;
    main_vh->settings = merge(p, apr_pcalloc(p, sizeof(*main_set) * N_TRACKED), main_set);
    APR_ARRAY_PUSH(m->vhosts, oa_vhost_t *) = main_vh;

    for (n = conf->first; n; n = n->next) {
        oa_vhost_t *vh;
        apr_array_header_t **own;
        if (strcasecmp(n->directive, "<VirtualHost")) {
            continue;
        }
        vh = apr_pcalloc(p, sizeof(*vh));
        vh->index = idx++;
        vh->node = n;
        vh->file = n->file;
        vh->line = n->line;
        vh->addresses = oa_conf_split_args(p, n->args);
        own = collect(p, n->first_child, m, 1);
        vh->settings = merge(p, main_set, own);
        APR_ARRAY_PUSH(m->vhosts, oa_vhost_t *) = vh;
    }

    collect_md(p, m);
    {
        apr_hash_t *resolved = apr_hash_make(p);
        int i;
        for (i = 0; i < m->vhosts->nelts; i++) {
            finish_vhost(p, resolved, m, APR_ARRAY_IDX(m->vhosts, i, oa_vhost_t *));
        }
    }
    *pmodel = m;
    return APR_SUCCESS;
}

void oa_vhost_probe_target(apr_pool_t *p, const oa_vhost_t *vh, const char **phost,
                           int *pport)
{
    const char *a = vh->addresses->nelts ? APR_ARRAY_IDX(vh->addresses, 0, const char *) : "*";
    const char *host = server_name_host(p, a), *colon;
    apr_size_t hl = strlen(host);
    *pport = 443;
    colon = a + hl;
    if (*colon == ':' && apr_isdigit(colon[1])) {
        *pport = atoi(colon + 1);
    }
    if (host[0] == '[' && hl > 2) {
        host = apr_pstrmemdup(p, host + 1, hl - 2);
    }
    *phost = (is_wildcard(host) || !*host) ? "127.0.0.1" : host;
}
