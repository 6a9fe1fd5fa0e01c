#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "oa_modules.h"

typedef struct { const char *id; const char *name; } mod_row_t;
typedef struct { const char *directive; const char *module; } dir_row_t;

static const mod_row_t mod_rows[] = {
#define OA_MODULE(id, name) { id, name },
#define OA_DIRECTIVE(d, m)
#if __has_include("oa_directives.inc")
#include "oa_directives.inc"
#endif
#undef OA_MODULE
#undef OA_DIRECTIVE
    /* this project's own module */
    { "ocsp_audit_module", "mod_ocsp_audit.c" },
    { NULL, NULL }
};

static const dir_row_t dir_rows[] = {
#define OA_MODULE(id, name)
#define OA_DIRECTIVE(d, m) { d, m },
#if __has_include("oa_directives.inc")
#include "oa_directives.inc"
#endif
#undef OA_MODULE
#undef OA_DIRECTIVE
    { "OcspAudit", "mod_ocsp_audit.c" },
    { "OcspAuditStrict", "mod_ocsp_audit.c" },
    { "OcspAuditSelect", "mod_ocsp_audit.c" },
    { "OcspAuditSkip", "mod_ocsp_audit.c" },
    { "OcspAuditExpiryDays", "mod_ocsp_audit.c" },
    { "OcspAuditProbe", "mod_ocsp_audit.c" },
    { "OcspAuditProbeInterval", "mod_ocsp_audit.c" },
    { "OcspAuditProbeTimeout", "mod_ocsp_audit.c" },
    { "OcspAuditProbeConcurrency", "mod_ocsp_audit.c" },
    { "OcspAuditResponderInterval", "mod_ocsp_audit.c" },
    { "OcspAuditDocsURL", "mod_ocsp_audit.c" },
    { NULL, NULL }
};

#define N_DIRS (sizeof(dir_rows) / sizeof(dir_rows[0]) - 1)

/* dir_rows sorted case-insensitively, built once (config time is single-threaded) */
static const dir_row_t *sorted[N_DIRS + 1];
static int sorted_ready;

static int row_cmp(const void *a, const void *b)
{
    const dir_row_t *x = *(const dir_row_t *const *)a, *y = *(const dir_row_t *const *)b;
    return strcasecmp(x->directive, y->directive);
}

static void sort_rows(void)
{
    size_t i;
    if (sorted_ready) {
        return;
    }
    for (i = 0; i < N_DIRS; i++) {
        sorted[i] = &dir_rows[i];
    }
    qsort(sorted, N_DIRS, sizeof(sorted[0]), row_cmp);
    sorted_ready = 1;
}

/* index of the first row for the directive in sorted[], or -1 */
static int find_first(const char *directive)
{
    size_t lo = 0, hi = N_DIRS;
    sort_rows();
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcasecmp(sorted[mid]->directive, directive) < 0) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return (lo < N_DIRS && !strcasecmp(sorted[lo]->directive, directive)) ? (int)lo : -1;
}

const char *oa_directive_module_n(const char *directive, int n)
{
    int i = find_first(directive);
    if (i < 0 || n < 0 || (size_t)(i + n) >= N_DIRS
        || strcasecmp(sorted[i + n]->directive, directive)) {
        return NULL;
    }
    return sorted[i + n]->module;
}

const char *oa_module_id_for_name(const char *name)
{
    size_t i;
    for (i = 0; mod_rows[i].id; i++) {
        if (!strcmp(mod_rows[i].name, name)) {
            return mod_rows[i].id;
        }
    }
    return NULL;
}

int oa_directive_count(void)
{
    return (int)N_DIRS;
}

const char *oa_module_name_for_id(apr_pool_t *p, const char *id, int *pknown)
{
    size_t i, n;
    for (i = 0; mod_rows[i].id; i++) {
        if (!strcmp(mod_rows[i].id, id)) {
            if (pknown) {
                *pknown = 1;
            }
            return mod_rows[i].name;
        }
    }
    if (pknown) {
        *pknown = 0;
    }
    n = strlen(id);
    if (n > 7 && !strcmp(id + n - 7, "_module")) {
        return apr_psprintf(p, "mod_%.*s.c", (int)(n - 7), id);
    }
    return apr_pstrcat(p, id, ".c", NULL);
}

static apr_array_header_t *make_list(apr_pool_t *p, const char *const *names)
{
    apr_array_header_t *a = apr_array_make(p, 8, sizeof(const char *));
    for (; *names; names++) {
        APR_ARRAY_PUSH(a, const char *) = *names;
    }
    return a;
}

apr_array_header_t *oa_builtin_modules_debian(apr_pool_t *p)
{
    static const char *const names[] = {
        "core.c", "mod_so.c", "mod_watchdog.c", "http_core.c", "mod_log_config.c",
        "mod_logio.c", "mod_version.c", "mod_unixd.c", NULL
    };
    return make_list(p, names);
}

apr_array_header_t *oa_builtin_modules_rhel(apr_pool_t *p)
{
    static const char *const names[] = { "core.c", "mod_so.c", "http_core.c", NULL };
    return make_list(p, names);
}
