/*
 * ap_conftree -> oa_node_t. httpd's tree already has the shape core expects (true
 * <If*> bodies spliced in, Include'd files in place, what runs while reading gone);
 * facts that have no node (LoadModule, Define, ServerRoot) come from the running server.
 */
#include <string.h>

#include <httpd.h>
#include <http_config.h>
#include <http_main.h>

#include <apr_lib.h>
#include <apr_file_info.h>
#include <apr_strings.h>

#include "oa_suppress.h"
#include "ocsp_audit_conftree.h"

/* copy one node: sections lose the '>' that httpd keeps in args */
static oa_node_t *copy_node(apr_pool_t *p, const ap_directive_t *d, oa_node_t *parent)
{
    oa_node_t *n = apr_pcalloc(p, sizeof(*n));
    const char *args = d->args ? d->args : "";
    n->directive = d->directive;
    n->parent = parent;
    if (d->directive[0] == '<') {
        const char *gt = strrchr(args, '>');
        apr_size_t len = gt ? (apr_size_t)(gt - args) : strlen(args);
        while (len > 0 && apr_isspace(args[len - 1])) {
            len--;
        }
        args = apr_pstrmemdup(p, args, len);
    }
    n->args = args;
    n->file = d->filename;
    n->line = d->line_num;
    if (d->filename && !oa_node_set_macro_origin(p, n, d->filename, d->line_num)) {
        n->file = d->filename;
    }
    return n;
}

/* walk without recursion (the tree may be thousands of sections deep), with our own
 * stack of the sections entered rather than httpd's parent pointers */
typedef struct {
    const ap_directive_t *d;
    oa_node_t *n;
} level_t;

static oa_node_t *copy_tree(apr_pool_t *p, const ap_directive_t *root)
{
    apr_array_header_t *stack = apr_array_make(p, 16, sizeof(level_t));
    oa_node_t *first = NULL, *prev = NULL, *parent = NULL;
    const ap_directive_t *d = root;

    while (d) {
        oa_node_t *n = copy_node(p, d, parent);
        if (prev) {
            prev->next = n;
        }
        else if (parent) {
            parent->first_child = n;
        }
        else {
            first = n;
        }
        if (d->first_child) {
            level_t *l = apr_array_push(stack);
            l->d = d;
            l->n = n;
            parent = n;
            prev = NULL;
            d = d->first_child;
            continue;
        }
        prev = n;
        d = d->next;
        while (!d && stack->nelts) {
            level_t *l = &APR_ARRAY_IDX(stack, stack->nelts - 1, level_t);
            stack->nelts--;
            prev = l->n;
            parent = l->n->parent;
            d = l->d->next;
        }
    }
    return first;
}

/* The main configuration file: httpd keeps it to itself, so read -f (and -d) from the
 * command line the way httpd does, defaulting to its compiled-in names. */
static const char *main_config_file(apr_pool_t *p, server_rec *s)
{
    const char *f = SERVER_CONFIG_FILE, *d = HTTPD_ROOT;
    const char *const *argv = s->process->argv;
    int i, argc = s->process->argc;
    char *merged = NULL;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-f") || !strcmp(a, "-d")) && i + 1 < argc) {
            if (a[1] == 'f') {
                f = argv[++i];
            }
            else {
                d = argv[++i];
            }
        }
        else if (!strncmp(a, "-f", 2) && a[2]) {
            f = a + 2;
        }
        else if (!strncmp(a, "-d", 2) && a[2]) {
            d = a + 2;
        }
    }
    if (apr_filepath_merge(&merged, f[0] == '/' ? NULL : d, f, APR_FILEPATH_TRUENAME, p)
        == APR_SUCCESS) {
        return merged;
    }
    return f;
}

oa_conf_t *ocsp_audit_conf_from_httpd(apr_pool_t *p, server_rec *s)
{
    const char *main_file = main_config_file(p, s);
    oa_conf_t *conf = oa_conf_create(p, main_file, ap_server_root);
    module **m;
    int i;

    conf->first = copy_tree(p, ap_conftree);
    /* httpd keeps no comments: read the disable comments above each directive */
    oa_suppress_mark_tree(oa_suppress_cache_make(p), conf->first);
    for (m = ap_loaded_modules; *m; m++) {
        oa_conf_add_module(conf, NULL, (*m)->name, NULL);
    }
    for (i = 0; ap_server_config_defines && i < ap_server_config_defines->nelts; i++) {
        APR_ARRAY_PUSH(conf->defines, const char *) =
            APR_ARRAY_IDX(ap_server_config_defines, i, const char *);
    }
    return conf;
}
