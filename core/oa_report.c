#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "oa_report.h"
#include "oa_text.h"

static void outs(oa_out_fn *out, void *ctx, const char *s)
{
    out(ctx, s, strlen(s));
}

static const char *where(apr_pool_t *p, const char *file, int line)
{
    if (!file) {
        return "ocsp-lint";
    }
    return line > 0 ? apr_psprintf(p, "%s:%d", file, line) : file;
}

void oa_report_diag_text(apr_pool_t *p, const oa_diag_t *d, oa_out_fn *out, void *ctx)
{
    /* messages quote certificate contents (URLs, names): escaped for the terminal */
    outs(out, ctx, apr_psprintf(p, "%s: %s: %s\n", oa_text_escape(p, where(p, d->file, d->line)),
                                oa_severity_name(d->severity), oa_text_escape(p, d->message)));
    if (d->hint) {
        outs(out, ctx, apr_psprintf(p, "    hint: %s\n", oa_text_escape(p, d->hint)));
    }
}

void oa_report_diag_json(oa_json_t *j, const oa_diag_t *d)
{
    oa_json_obj_open(j, NULL);
    oa_json_str(j, "severity", oa_severity_name(d->severity));
    oa_json_str(j, "file", d->file);
    oa_json_int(j, "line", d->line);
    oa_json_str(j, "message", d->message);
    if (d->hint) {
        oa_json_str(j, "hint", d->hint);
    }
    oa_json_obj_close(j);
}

static void setting_json(oa_json_t *j, const oa_setting_t *s)
{
    oa_json_obj_open(j, NULL);
    oa_json_str(j, "value", s->value);
    oa_json_str(j, "file", s->node->file);
    oa_json_int(j, "line", s->node->line);
    if (s->node->macro) {
        oa_json_obj_open(j, "macro");
        oa_json_str(j, "name", s->node->macro);
        oa_json_str(j, "file", s->node->macro_file);
        oa_json_int(j, "line", s->node->macro_line);
        oa_json_obj_close(j);
    }
    oa_json_bool(j, "inherited", s->inherited);
    oa_json_obj_close(j);
}

static void strings_json(oa_json_t *j, const char *key, const apr_array_header_t *a)
{
    int i;
    oa_json_arr_open(j, key);
    for (i = 0; a && i < a->nelts; i++) {
        oa_json_str(j, NULL, APR_ARRAY_IDX(a, i, const char *));
    }
    oa_json_arr_close(j);
}

void oa_report_vhost_summary(oa_json_t *j, const oa_vhost_t *vh)
{
    oa_json_str(j, "name", vh->name);
    oa_json_str(j, "name_source", vh->name_source);
    strings_json(j, "aliases", vh->aliases);
    strings_json(j, "addresses", vh->addresses);
    strings_json(j, "addresses_resolved", vh->resolved);
    oa_json_str(j, "file", vh->file);
    oa_json_int(j, "line", vh->line);
    if (vh->node && vh->node->macro) {
        oa_json_obj_open(j, "macro");
        oa_json_str(j, "name", vh->node->macro);
        oa_json_str(j, "file", vh->node->macro_def_file);
        oa_json_int(j, "line", vh->node->macro_def_line);
        oa_json_int(j, "body_line", vh->node->macro_line);
        oa_json_obj_close(j);
    }
    oa_json_bool(j, "main_server", vh->is_main);
    oa_json_bool(j, "ssl", vh->ssl);
    if (vh->md) {
        oa_json_obj_open(j, "md");
        strings_json(j, "domains", vh->md->names);
        oa_json_bool(j, "stapling", oa_flag_on(vh->md->stapling));
        oa_json_str(j, "file", vh->md->node->file);
        oa_json_int(j, "line", vh->md->node->line);
        oa_json_obj_close(j);
    }
}

void oa_report_vhost_members(oa_json_t *j, const oa_vhost_t *vh)
{
    const char *const *names = oa_model_tracked_directives();
    int i, k;

    oa_report_vhost_summary(j, vh);
    oa_json_obj_open(j, "settings");
    for (i = 0; names[i]; i++) {
        const apr_array_header_t *a = oa_vhost_get_all(vh, names[i]);
        if (!a || !a->nelts) {
            continue;
        }
        oa_json_arr_open(j, names[i]);
        for (k = 0; k < a->nelts; k++) {
            setting_json(j, APR_ARRAY_IDX(a, k, const oa_setting_t *));
        }
        oa_json_arr_close(j);
    }
    oa_json_obj_close(j);
}

static void global_json(oa_json_t *j, const oa_model_t *m)
{
    static const char *const globals[] = { "SSLStaplingCache", "MDStapling", NULL };
    int i, k;
    apr_pool_t *p = m->vhosts->pool;
    oa_json_obj_open(j, "global");
    for (i = 0; globals[i]; i++) {
        const char *key = apr_pstrdup(p, globals[i]);
        char *c;
        const apr_array_header_t *a;
        for (c = (char *)key; *c; c++) {
            *c = (char)apr_tolower(*c);
        }
        a = apr_hash_get(m->global, key, APR_HASH_KEY_STRING);
        if (!a || !a->nelts) {
            continue;
        }
        oa_json_arr_open(j, globals[i]);
        for (k = 0; k < a->nelts; k++) {
            setting_json(j, APR_ARRAY_IDX(a, k, const oa_setting_t *));
        }
        oa_json_arr_close(j);
    }
    oa_json_obj_close(j);
}

void oa_report_vhosts_json(apr_pool_t *p, const oa_model_t *m, oa_out_fn *out, void *ctx,
                           const char *version)
{
    oa_json_t *j = oa_json_make(p, out, ctx, 1);
    int i;

    oa_json_obj_open(j, NULL);
    oa_json_str(j, "version", version);
    oa_json_str(j, "config", m->conf->config_file);
    oa_json_str(j, "server_root", m->conf->server_root);
    oa_json_arr_open(j, "modules");
    for (i = 0; i < m->conf->modules->nelts; i++) {
        oa_json_str(j, NULL, APR_ARRAY_IDX(m->conf->modules, i, const oa_module_t *)->id);
    }
    oa_json_arr_close(j);
    strings_json(j, "files", m->conf->files);
    global_json(j, m);
    oa_json_arr_open(j, "vhosts");
    for (i = 0; i < m->vhosts->nelts; i++) {
        oa_json_obj_open(j, NULL);
        oa_report_vhost_members(j, APR_ARRAY_IDX(m->vhosts, i, const oa_vhost_t *));
        oa_json_obj_close(j);
    }
    oa_json_arr_close(j);
    oa_json_arr_open(j, "diagnostics");
    for (i = 0; i < m->conf->diags->nelts; i++) {
        oa_report_diag_json(j, APR_ARRAY_IDX(m->conf->diags, i, const oa_diag_t *));
    }
    for (i = 0; i < m->diags->nelts; i++) {
        oa_report_diag_json(j, APR_ARRAY_IDX(m->diags, i, const oa_diag_t *));
    }
    oa_json_arr_close(j);
    oa_json_obj_close(j);
    oa_json_end(j);
}

void oa_report_vhosts_text(apr_pool_t *p, const oa_model_t *m, oa_out_fn *out, void *ctx)
{
    const char *const *names = oa_model_tracked_directives();
    int i, k, d, nssl = 0;

    for (i = 0; i < m->vhosts->nelts; i++) {
        const oa_vhost_t *vh = APR_ARRAY_IDX(m->vhosts, i, const oa_vhost_t *);
        nssl += vh->ssl;
        if (vh->is_main) {
            outs(out, ctx, apr_psprintf(p, "%s: main server %s%s\n", vh->file,
                                        *vh->name ? vh->name : "(no ServerName)",
                                        vh->ssl ? " [SSL]" : ""));
        }
        else {
            const char *addrs = "";
            for (k = 0; k < vh->addresses->nelts; k++) {
                addrs = apr_pstrcat(p, addrs, k ? " " : "",
                                    APR_ARRAY_IDX(vh->addresses, k, const char *), NULL);
            }
            outs(out, ctx, apr_psprintf(p, "%s: <VirtualHost %s> %s%s\n",
                                        where(p, vh->file, vh->line), addrs,
                                        *vh->name ? vh->name : "(no name)",
                                        vh->ssl ? " [SSL]" : ""));
            if (vh->node && vh->node->macro) {
                outs(out, ctx, apr_psprintf(p, "    made by macro '%s' (%s)\n", vh->node->macro,
                                            where(p, vh->node->macro_file, vh->node->macro_line)));
            }
        }
        if (vh->aliases->nelts) {
            const char *al = "";
            for (k = 0; k < vh->aliases->nelts; k++) {
                al = apr_pstrcat(p, al, k ? " " : "", APR_ARRAY_IDX(vh->aliases, k, const char *),
                                 NULL);
            }
            outs(out, ctx, apr_psprintf(p, "    aliases: %s\n", al));
        }
        if (vh->md) {
            outs(out, ctx, apr_psprintf(p, "    managed by mod_md (%s), MDStapling %s\n",
                                        where(p, vh->md->node->file, vh->md->node->line),
                                        oa_flag_on(vh->md->stapling) ? "on" : "off"));
        }
        for (d = 0; names[d]; d++) {
            const apr_array_header_t *a = oa_vhost_get_all(vh, names[d]);
            if (!strcmp(names[d], "ServerName") || !strcmp(names[d], "ServerAlias")) {
                continue;
            }
            for (k = 0; a && k < a->nelts; k++) {
                const oa_setting_t *s = APR_ARRAY_IDX(a, k, const oa_setting_t *);
                outs(out, ctx, apr_psprintf(p, "    %-32s %s  (%s%s)\n", s->directive, s->value,
                                            where(p, s->node->file, s->node->line),
                                            s->inherited ? ", from the main server" : ""));
            }
        }
    }
    {
        const oa_setting_t *cache = oa_model_global(m, "SSLStaplingCache");
        outs(out, ctx, apr_psprintf(p, "SSLStaplingCache: %s\n", cache
                                    ? apr_psprintf(p, "%s  (%s)", cache->value,
                                                   where(p, cache->node->file, cache->node->line))
                                    : "(not set)"));
    }
    outs(out, ctx, apr_psprintf(p, "%d virtual host%s (%d with SSL) and the main server, "
                                "from %d file%s\n", m->vhosts->nelts - 1,
                                m->vhosts->nelts == 2 ? "" : "s", nssl, m->conf->files->nelts,
                                m->conf->files->nelts == 1 ? "" : "s"));
}
