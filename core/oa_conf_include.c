/*
 * Include and IncludeOptional: wildcards, directories, depth limits, as
 * server/config.c process_resource_config_* walks them.
 */
#include "oa_conf_reader.h"

/* ------------------------------------------------------------------ Include */

static int path_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ap_process_resource_config_nofnmatch: a file, or every file below a directory */
/* returned by the walks below: stop collecting, the last file collected fails to open */
static const char STOP_WALK[] = "";

static const char *include_nofnmatch(st_t *st, apr_array_header_t *out, const char *path,
                                     int depth, int optional)
{
    apr_finfo_t fi;
    apr_status_t rv = oa_rd_stat(st, &fi, path);

    if (rv == APR_SUCCESS && fi.filetype == APR_DIR) {
        apr_dir_t *dir;
        apr_finfo_t de;
        apr_array_header_t *names;
        int i;
        char ebuf[256];
        if (++depth > OA_MAX_DIR_DEPTH) {
            return apr_psprintf(st->p, "Directory %s exceeds the maximum include directory "
                                "nesting level of %u. You have probably a recursion "
                                "somewhere.", path, OA_MAX_DIR_DEPTH);
        }
        rv = oa_rd_dir_open(st, &dir, path);
        if (rv != APR_SUCCESS) {
            return apr_psprintf(st->p, "Could not open config directory %s: %s", path,
                                apr_strerror(rv, ebuf, sizeof(ebuf)));
        }
        names = apr_array_make(st->p, 16, sizeof(const char *));
        while (apr_dir_read(&de, APR_FINFO_DIRENT, dir) == APR_SUCCESS) {
            if (strcmp(de.name, ".") && strcmp(de.name, "..")) {
                APR_ARRAY_PUSH(names, const char *) =
                    apr_pstrcat(st->p, path, path[strlen(path) - 1] == '/' ? "" : "/",
                                de.name, NULL);
            }
        }
        apr_dir_close(dir);
        qsort(names->elts, (size_t)names->nelts, sizeof(const char *), path_cmp);
        for (i = 0; i < names->nelts; i++) {
            const char *e = include_nofnmatch(st, out, APR_ARRAY_IDX(names, i, const char *),
                                              depth, optional);
            if (e) {
                return e;
            }
        }
        return NULL;
    }
    if (optional && (rv != APR_SUCCESS || fi.filetype == APR_NOFILE)) {
        return NULL;
    }
    APR_ARRAY_PUSH(out, const char *) = path;
    /* httpd opens each file as its walk reaches it: one it cannot stat (a symlink loop:
     * "Too many levels of symbolic links") ends the walk there, when it is opened */
    return rv == APR_SUCCESS ? NULL : STOP_WALK;
}

/* process_resource_config_fnmatch: wildcards, also in directory components */
static const char *include_fnmatch(st_t *st, apr_array_header_t *out, const char *path,
                                   const char *pattern, int optional)
{
    const char *rest = strchr(pattern, '/');
    const char *comp = rest ? apr_pstrmemdup(st->p, pattern, (apr_size_t)(rest - pattern))
                            : pattern;
    apr_dir_t *dir;
    apr_finfo_t de;
    apr_array_header_t *names;
    apr_status_t rv;
    char ebuf[256];
    int i;

    if (rest) {
        rest++;
    }
    if (!apr_fnmatch_test(comp)) {
        const char *p2 = apr_pstrcat(st->p, path, path[strlen(path) - 1] == '/' ? "" : "/",
                                     comp, NULL);
        return rest ? include_fnmatch(st, out, p2, rest, optional)
                    : include_nofnmatch(st, out, p2, 0, optional);
    }
    rv = oa_rd_dir_open(st, &dir, path);
    if (rv != APR_SUCCESS) {
        if (APR_STATUS_IS_ENOENT(rv) && optional) {
            return NULL;
        }
        return apr_psprintf(st->p, "Include/IncludeOptional: Could not open directory %s: %s",
                            path, apr_strerror(rv, ebuf, sizeof(ebuf)));
    }
    names = apr_array_make(st->p, 16, sizeof(const char *));
    while (apr_dir_read(&de, APR_FINFO_DIRENT | APR_FINFO_TYPE, dir) == APR_SUCCESS) {
        if (!strcmp(de.name, ".") || !strcmp(de.name, "..")
            || apr_fnmatch(comp, de.name, APR_FNM_PERIOD) != APR_SUCCESS) {
            continue;
        }
        /* inside the path only directories matter (httpd skips the rest) */
        if (rest && de.filetype != APR_DIR) {
            continue;
        }
        APR_ARRAY_PUSH(names, const char *) =
            apr_pstrcat(st->p, path, path[strlen(path) - 1] == '/' ? "" : "/", de.name, NULL);
    }
    apr_dir_close(dir);
    if (!names->nelts) {
        if (optional) {
            return NULL;
        }
        return apr_psprintf(st->p, "Include/IncludeOptional: No matches for the wildcard "
                            "'%s' in '%s', failing", comp, path);
    }
    qsort(names->elts, (size_t)names->nelts, sizeof(const char *), path_cmp);
    for (i = 0; i < names->nelts; i++) {
        const char *n = APR_ARRAY_IDX(names, i, const char *);
        const char *e = rest ? include_fnmatch(st, out, n, rest, optional)
                             : include_nofnmatch(st, out, n, 0, optional);
        if (e) {
            return e;
        }
    }
    return NULL;
}

apr_status_t oa_rd_do_include(st_t *st, const char *args, int optional, const char *dname,
                               const char *file, int line)
{
    apr_array_header_t *w = oa_conf_split_args(st->p, args);
    apr_array_header_t *files = apr_array_make(st->p, 4, sizeof(const char *));
    const char *path, *err;
    src_t *s, *up;
    int depth = 0;

    if (w->nelts != 1) {
        return oa_rd_fail(st, file, line, "%s takes one argument, Name of the config file to be "
                    "included", dname);
    }
    for (up = st->src; up; up = up->up) {
        if (up->kind == SRC_FILE && up->inc_file) {
            depth = up->include_depth;
            break;
        }
    }
    if (depth + 1 > OA_MAX_INCLUDE_DEPTH) {
        /* a file that includes itself, directly or not, or just a long chain? */
        const char *chain = "", *again = NULL;
        int n = 0;
        src_t *a, *b;
        for (a = st->src; a && !again; a = a->up) {
            for (b = a->up; a->kind == SRC_FILE && b && !again; b = b->up) {
                if (b->kind == SRC_FILE && !strcmp(a->name, b->name)) {
                    again = a->name;
                }
            }
        }
        if (!again) {
            return oa_rd_fail(st, file, line, "Exceeded maximum include depth of %d, There appears "
                        "to be a recursion.", OA_MAX_INCLUDE_DEPTH);
        }
        /* say which files keep including each other */
        for (up = st->src; up && n < 8; up = up->up) {
            if (up->kind == SRC_FILE && up->inc_file) {
                chain = apr_psprintf(st->p, "%s:%d includes %s%s%s", up->inc_file, up->inc_line,
                                     up->name, *chain ? "; " : "", chain);
                n++;
            }
        }
        return oa_rd_fail(st, file, line, "Include cycle: %s%s (%s includes itself; httpd gives up "
                    "after %d nested includes: 'Exceeded maximum include depth')",
                    n >= 8 ? "...; " : "", chain, again, OA_MAX_INCLUDE_DEPTH);
    }
    path = oa_rd_path(st, APR_ARRAY_IDX(w, 0, const char *));
    if (!apr_fnmatch_test(path)) {
        err = include_nofnmatch(st, files, path, 0, optional);
    }
    else {
        err = include_fnmatch(st, files, "/", path + 1, optional);
    }
    if (err && err != STOP_WALK) {
        return oa_rd_fail(st, file, line, "%s", err);
    }
    if (!files->nelts) {
        return APR_SUCCESS;
    }
    s = apr_pcalloc(st->p, sizeof(*s));
    s->kind = SRC_FILE;
    s->group = files;
    s->group_next = 1;
    s->inc_file = file;
    s->inc_line = line;
    s->include_depth = depth + 1;
    s->base_depth = oa_rd_frames_depth(st);
    s->up = st->src;
    {
        apr_status_t rv = oa_rd_src_open_file(st, s, APR_ARRAY_IDX(files, 0, const char *));
        if (rv != APR_SUCCESS) {
            char ebuf[256];
            if (s->pool) {
                apr_pool_destroy(s->pool);
            }
            return oa_rd_fail(st, file, line, "Could not open configuration file %s: %s",
                        APR_ARRAY_IDX(files, 0, const char *),
                        apr_strerror(rv, ebuf, sizeof(ebuf)));
        }
    }
    st->src = s;
    return APR_SUCCESS;
}

