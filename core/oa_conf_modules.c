/*
 * The modules a configuration loads (built-ins, LoadModule) and ServerRoot.
 */
#include "oa_conf_reader.h"

/* ------------------------------------------------------------------ modules */

oa_module_t *oa_rd_find_loaded(st_t *st, const char *name)
{
    return apr_hash_get(st->loaded, name, APR_HASH_KEY_STRING);
}

int oa_conf_has_module(const oa_conf_t *conf, const char *name)
{
    int i;
    for (i = 0; i < conf->modules->nelts; i++) {
        const oa_module_t *m = APR_ARRAY_IDX(conf->modules, i, const oa_module_t *);
        if (!strcmp(m->name, name) || !strcmp(m->id, name)) {
            return 1;
        }
    }
    return 0;
}

int oa_conf_is_defined(const oa_conf_t *conf, const char *name)
{
    int i;
    for (i = 0; i < conf->defines->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(conf->defines, i, const char *), name)) {
            return 1;
        }
    }
    return 0;
}

const char *oa_rd_id_for_builtin(apr_pool_t *p, const char *name)
{
    apr_size_t n = strlen(name);
    if (!strcmp(name, "core.c")) {
        return "core_module";
    }
    if (!strcmp(name, "http_core.c")) {
        return "http_module";
    }
    if (n > 6 && !strncmp(name, "mod_", 4) && !strcmp(name + n - 2, ".c")) {
        return apr_psprintf(p, "%.*s_module", (int)(n - 6), name + 4);
    }
    if (n > 2 && !strcmp(name + n - 2, ".c")) {
        return apr_psprintf(p, "mpm_%.*s_module", (int)(n - 2), name);
    }
    return name;
}

oa_conf_t *oa_conf_create(apr_pool_t *p, const char *config_file, const char *server_root)
{
    oa_conf_t *conf = apr_pcalloc(p, sizeof(*conf));
    conf->pool = p;
    conf->config_file = config_file;
    conf->server_root = server_root;
    conf->modules = apr_array_make(p, 32, sizeof(oa_module_t *));
    conf->defines = apr_array_make(p, 8, sizeof(const char *));
    conf->vars = apr_table_make(p, 8);
    conf->files = apr_array_make(p, 16, sizeof(const char *));
    conf->diags = apr_array_make(p, 8, sizeof(oa_diag_t *));
    return conf;
}

oa_module_t *oa_conf_add_module(oa_conf_t *conf, const char *id, const char *name,
                                const char *path)
{
    oa_module_t *m = apr_pcalloc(conf->pool, sizeof(*m));
    m->id = id ? id : oa_module_id_for_name(name);
    if (!m->id) {
        m->id = oa_rd_id_for_builtin(conf->pool, name);
    }
    m->name = name;
    m->path = path;
    APR_ARRAY_PUSH(conf->modules, oa_module_t *) = m;
    return m;
}

void oa_rd_add_module(st_t *st, const char *id, const char *name, const char *path,
                       const char *file, int line)
{
    oa_module_t *m = oa_conf_add_module(st->conf, id, name, path);
    m->file = file;
    m->line = line;
    apr_hash_set(st->loaded, m->id, APR_HASH_KEY_STRING, m);
    apr_hash_set(st->loaded, m->name, APR_HASH_KEY_STRING, m);
}

/* `macro 'NAME' (defined on line D of "F") used on line U of "G"`, G possibly another
 * such string when a macro used another one */
/* Is the directive available with the modules loaded so far? 1 yes, 0 no (httpd
 * refuses it), -1 unknown (a module we know nothing about may provide it). */
int oa_rd_directive_available(st_t *st, const char *directive, const char **pmodule)
{
    const char *mod;
    int n;
    *pmodule = oa_directive_module_n(directive, 0);
    if (!oa_directive_count()) {
        return -1;
    }
    for (n = 0, mod = *pmodule; mod; mod = oa_directive_module_n(directive, ++n)) {
        if (oa_rd_find_loaded(st, mod)) {
            return 1;
        }
    }
    return st->conf->unknown_modules ? -1 : 0;
}

apr_status_t oa_rd_exec_loadmodule(st_t *st, const char *args, const char *file, int line)
{
    apr_array_header_t *w = oa_conf_split_args(st->p, args);
    const char *id, *name, *path;
    apr_finfo_t fi;
    oa_module_t *m;
    int known;
    if (w->nelts != 2) {
        return oa_rd_fail(st, file, line, "LoadModule takes two arguments, a module name and the "
                    "name of a shared object file to load it from");
    }
    id = APR_ARRAY_IDX(w, 0, const char *);
    m = oa_rd_find_loaded(st, id);
    if (m && !m->path) {
        return oa_rd_fail(st, file, line, "module %s is built-in and can't be loaded", id);
    }
    if (m) {
        oa_diag_add(st->conf->diags, OA_SEV_WARNING, file, line,
                    "module %s is already loaded, skipping", id);
        return APR_SUCCESS;
    }
    path = oa_rd_path(st, APR_ARRAY_IDX(w, 1, const char *));
    if (!st->opts->skip_module_files && oa_rd_stat(st, &fi, path) != APR_SUCCESS) {
        /* mod_so's apr_dso_load() of a file that is not there; the text is dlerror()'s */
        return oa_rd_fail(st, file, line, "Cannot load %s into server: %s: cannot open shared "
                    "object file: No such file or directory", APR_ARRAY_IDX(w, 1, const char *),
                    path);
    }
    name = oa_module_name_for_id(st->p, id, &known);
    if (!known && oa_directive_count()) {
        st->conf->unknown_modules++;
    }
    oa_rd_add_module(st, id, name, path, file, line);
    return APR_SUCCESS;
}

apr_status_t oa_rd_exec_serverroot(st_t *st, const char *args, const char *file, int line)
{
    apr_array_header_t *w = oa_conf_split_args(st->p, args);
    apr_finfo_t fi;
    const char *root;
    if (w->nelts != 1 || !*APR_ARRAY_IDX(w, 0, const char *)) {
        return oa_rd_fail(st, file, line, "ServerRoot takes one argument, Common directory of "
                    "server-related files (logs, confs, etc.)");
    }
    root = oa_rd_path(st, APR_ARRAY_IDX(w, 0, const char *));
    if (oa_rd_stat(st, &fi, root) != APR_SUCCESS || fi.filetype != APR_DIR) {
        return oa_rd_fail(st, file, line, "ServerRoot must be a valid directory");
    }
    st->server_root = root;
    return APR_SUCCESS;
}

