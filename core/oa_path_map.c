/*
 * --path-map FROM=TO: a server's paths (/etc/apache2, /etc/letsencrypt) onto where a
 * checkout of its configuration keeps them, for includes and certificate files alike.
 */
#include <string.h>

#include <apr_file_info.h>
#include <apr_strings.h>

#include "oa_conf.h"

static const char *trim_slashes(apr_pool_t *p, const char *path)
{
    apr_size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') {
        n--;
    }
    return apr_pstrmemdup(p, path, n);
}

const char *oa_conf_path_map_add(apr_pool_t *p, apr_array_header_t **pmap, const char *spec)
{
    const char *eq = strchr(spec, '=');
    oa_path_map_t *m;
    char *to = NULL;

    if (!eq || eq == spec || !eq[1]) {
        return apr_psprintf(p, "'%s' is not FROM=TO (e.g. /etc/apache2=conf)", spec);
    }
    if (spec[0] != '/') {
        return apr_psprintf(p, "'%s': FROM must be an absolute path, as the server has it",
                            spec);
    }
    if (apr_filepath_merge(&to, NULL, eq + 1, APR_FILEPATH_TRUENAME, p) != APR_SUCCESS) {
        return apr_psprintf(p, "'%s': cannot make an absolute path of '%s'", spec, eq + 1);
    }
    if (!*pmap) {
        *pmap = apr_array_make(p, 4, sizeof(oa_path_map_t));
    }
    m = apr_array_push(*pmap);
    m->from = trim_slashes(p, apr_pstrmemdup(p, spec, (apr_size_t)(eq - spec)));
    m->to = trim_slashes(p, to);
    return NULL;
}

const char *oa_conf_map_path(apr_pool_t *p, const apr_array_header_t *map, const char *path)
{
    const oa_path_map_t *best = NULL;
    apr_size_t best_len = 0;
    int i;

    for (i = 0; map && path && i < map->nelts; i++) {
        const oa_path_map_t *m = &APR_ARRAY_IDX(map, i, oa_path_map_t);
        apr_size_t n = strlen(m->from);
        if (!strcmp(m->from, "/")) {
            n = 0;   /* "/" maps everything: "/x" becomes TO "/x" */
        }
        else if (strncmp(path, m->from, n) || (path[n] && path[n] != '/')) {
            continue;
        }
        if (!best || n > best_len) {
            best = m;
            best_len = n;
        }
    }
    if (!best) {
        return path;
    }
    return apr_pstrcat(p, best->to, path + best_len, NULL);
}
