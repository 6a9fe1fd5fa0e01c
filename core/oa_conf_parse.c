/*
 * Reading Apache httpd 2.4 configuration files the way httpd does (server/config.c,
 * server/core.c, modules/core/mod_macro.c, modules/metadata/mod_version.c): one line
 * at a time, through one table of the directives httpd runs while reading.
 */
#include "oa_audit.h"
#include "oa_conf_reader.h"
#include "oa_names.h"

/* ------------------------------------------------------------------ the command table */

static apr_status_t read_include(st_t *st, const oa_read_cmd_t *cmd, const char *word,
                                 const char *args, const char *file, int line)
{
    return oa_rd_do_include(st, args, cmd->flag, word, file, line);
}

static apr_status_t read_define(st_t *st, const oa_read_cmd_t *cmd, const char *word,
                                const char *args, const char *file, int line)
{
    (void)word;
    return oa_rd_exec_define(st, args, cmd->flag, file, line);
}

static apr_status_t read_serverroot(st_t *st, const oa_read_cmd_t *cmd, const char *word,
                                    const char *args, const char *file, int line)
{
    (void)cmd; (void)word;
    return oa_rd_exec_serverroot(st, args, file, line);
}

static apr_status_t read_loadmodule(st_t *st, const oa_read_cmd_t *cmd, const char *word,
                                    const char *args, const char *file, int line)
{
    (void)cmd; (void)word;
    return oa_rd_exec_loadmodule(st, args, file, line);
}

static apr_status_t read_macro(st_t *st, const oa_read_cmd_t *cmd, const char *word,
                               const char *args, const char *file, int line)
{
    (void)cmd; (void)word;
    return oa_rd_define_macro(st, args, file, line);
}

static apr_status_t read_use(st_t *st, const oa_read_cmd_t *cmd, const char *word,
                             const char *args, const char *file, int line)
{
    (void)cmd; (void)word;
    return oa_rd_use_macro(st, args, file, line);
}

static apr_status_t read_undefmacro(st_t *st, const oa_read_cmd_t *cmd, const char *word,
                                    const char *args, const char *file, int line)
{
    (void)cmd; (void)word;
    return oa_rd_undef_macro(st, args, file, line);
}

/* a true <If*> section is spliced in place, a false one skipped */
static apr_status_t read_if(st_t *st, const oa_read_cmd_t *cmd, const char *word,
                            const char *args, const char *file, int line)
{
    int result = 0;
    apr_status_t rv = oa_rd_eval_if(st, cmd->lname, word, args, &result, file, line);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (result) {
        oa_rd_push_frame(st, FRAME_IF, word + 1, NULL);
        return APR_SUCCESS;
    }
    return oa_rd_soak_section(st, word + 1);
}

/*
 * The directives httpd runs while reading (EXEC_ON_READ) and this reader executes, as
 * httpd's command_rec has them: name, handler, its argument. Where each is allowed and
 * its arity come from the generated table (oa_directive_rules.inc), what httpd checks
 * of the others when it processes the tree from oa_conf_check.c's table.
 */
static const oa_read_cmd_t read_cmds[] = {
    { "Include", "include", read_include, 0 },
    { "IncludeOptional", "includeoptional", read_include, 1 },
    { "Define", "define", read_define, 0 },
    { "UnDefine", "undefine", read_define, 1 },
    { "ServerRoot", "serverroot", read_serverroot, 0 },
    { "LoadModule", "loadmodule", read_loadmodule, 0 },
    { "<Macro", "<macro", read_macro, 0 },
    { "Use", "use", read_use, 0 },
    { "UndefMacro", "undefmacro", read_undefmacro, 0 },
    { "<IfModule", "<ifmodule", read_if, 0 },
    { "<IfDefine", "<ifdefine", read_if, 0 },
    { "<IfVersion", "<ifversion", read_if, 0 },
    { "<IfFile", "<iffile", read_if, 0 },
    { "<IfDirective", "<ifdirective", read_if, 0 },
    { "<IfSection", "<ifsection", read_if, 0 },
    { NULL, NULL, NULL, 0 }
};

static const char *read_cmd_name(size_t i)
{
    return read_cmds[i].name;
}

static oa_names_t read_cmd_index =
    OA_NAMES_INIT(sizeof(read_cmds) / sizeof(read_cmds[0]) - 1, read_cmd_name);

const oa_read_cmd_t *oa_rd_read_cmd(const char *directive)
{
    int i = oa_names_find(&read_cmd_index, directive);
    return i < 0 ? NULL : &read_cmds[i];
}

/* ------------------------------------------------------------------ one line */

/* A directive httpd keeps in the tree; one it runs while reading (EXEC_ON_READ) and
 * we do not execute is checked now, as httpd would refuse it now. */
static apr_status_t add_node(st_t *st, const char *word, const char *args, int is_section,
                             const char *file, int line)
{
    oa_node_t *n = oa_rd_append_node(st, word, args);
    const char *mod, *msg;
    n->suppress = st->pending_src == st->src ? st->pending_suppress : NULL;
    st->pending_suppress = NULL;
    if (is_section) {
        oa_rd_push_frame(st, FRAME_SECTION, word + 1, n);
    }
    if (oa_check_exec_on_read(word) && oa_rd_directive_available(st, word, &mod) == 1) {
        oa_check_state_t cs;
        oa_check_state_init(&cs, st->p, st->conf, st->server_root);
        if ((msg = oa_check_node(&cs, n)) != NULL) {
            return oa_rd_fail(st, file, line, "%s", msg);
        }
    }
    return APR_SUCCESS;
}

static apr_status_t process_line(st_t *st, const char *l)
{
    const char *file, *args, *mod;
    const oa_read_cmd_t *cmd;
    char *word;
    int line, is_section = 0;

    if (*l == '#') {
        /* "# ocsp-lint: disable=OA203,stapling-off because ..." silences those rules
         * for the directive or section on the next line */
        const char *r = oa_suppress_parse(st->p, l);
        if (r) {
            const char *bad = oa_rule_list_unknown(st->p, r, 1);
            st->pending_suppress = r;
            st->pending_src = st->src;
            if (bad) {
                oa_rd_src_where(st->src, &file, &line);
                oa_diag_add(st->conf->diags, OA_SEV_WARNING, file, line,
                            "'# ocsp-lint: disable=' names no rule '%s': it silences nothing "
                            "(rules are IDs such as OA203, families such as OA2, or names "
                            "such as issuer-not-found; ocsp-lint --list-rules lists them)",
                            bad);
            }
        }
        return APR_SUCCESS;
    }
    if (*l == '\0') {
        return APR_SUCCESS;
    }
    oa_rd_src_where(st->src, &file, &line);
    if (st->line_has_nul) {
        /* httpd's line reader stops at a NUL byte: the rest of the line is lost */
        oa_diag_add(st->conf->diags, OA_SEV_WARNING, file, line, "the line holds a NUL byte; "
                    "httpd reads it only up to there: is this a text file?");
    }
    args = oa_rd_resolve_env(st, l, file, line);
    if (args == l) {
        args = apr_pstrdup(st->p, l);   /* l is the reader's buffer */
    }
    word = oa_rd_getword_conf(st->p, &args);
    if (!*word) {
        return APR_SUCCESS;
    }
    if (word[0] == '<' && word[1] == '/') {
        return oa_rd_close_section(st, word, file, line);
    }
    /* ap_build_config_sub drops a '>' glued to the name ("<DirectoryMatch> "/x/">"),
     * and a section without arguments gets ">" */
    if (word[strlen(word) - 1] == '>') {
        word[strlen(word) - 1] = '\0';
    }
    if (word[0] == '<') {
        /* section handlers take their arguments up to the last '>' */
        const char *gt;
        if (!*args) {
            args = ">";
        }
        gt = strrchr(args, '>');
        is_section = 1;
        if (gt) {
            apr_size_t an = (apr_size_t)(gt - args);
            while (an > 0 && apr_isspace(args[an - 1])) {
                an--;
            }
            args = apr_pstrmemdup(st->p, args, an);
        }
        else {
            return oa_rd_fail(st, file, line, "%s> directive missing closing '>'", word);
        }
    }
    /* What httpd executes while reading is looked up now, among the modules loaded
     * so far; everything else only when httpd processes the finished tree
     * (oa_rd_check_directives), so LoadModule may come after its directives. */
    cmd = oa_rd_read_cmd(word);
    if (!cmd || oa_rd_directive_available(st, word, &mod) == 0) {
        /* httpd keeps a directive it does not know (yet) in the tree and refuses it
         * when it processes the tree, after every error found while reading */
        return add_node(st, word, args, is_section, file, line);
    }
    st->pending_suppress = NULL;
    return cmd->run(st, cmd, word, args, file, line);
}

/* ------------------------------------------------------------------ entry points */

void oa_conf_opts_init(oa_conf_opts_t *opts, apr_pool_t *p)
{
    memset(opts, 0, sizeof(*opts));
    opts->defines = apr_array_make(p, 4, sizeof(const char *));
    opts->pre_directives = apr_array_make(p, 2, sizeof(const char *));
    opts->post_directives = apr_array_make(p, 2, sizeof(const char *));
}

static void free_line_buffer(st_t *st)
{
    free(st->lb);
    st->lb = NULL;
    st->lb_cap = st->lb_len = 0;
}

static src_t *string_source(st_t *st, const char *name, const char *text)
{
    src_t *s = apr_pcalloc(st->p, sizeof(*s));
    s->kind = SRC_STRING;
    s->name = name;
    s->text = text;
    s->tlen = strlen(text);
    return s;
}

static apr_status_t run(st_t *st)
{
    apr_status_t rv;
    char *l;
    while ((rv = oa_rd_next_line(st, &l, 0)) == APR_SUCCESS) {
        rv = process_line(st, l);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return rv == APR_EOF ? APR_SUCCESS : rv;
}

static apr_status_t conf_read(oa_conf_t **pconf, oa_diag_t **perr, apr_pool_t *p,
                              const oa_conf_opts_t *opts, const char *name, const char *text)
{
    st_t st;
    oa_conf_t *conf = oa_conf_create(p, NULL, NULL);
    apr_array_header_t *builtins;
    src_t *main_src = NULL;
    apr_status_t rv;
    int i;

    memset(&st, 0, sizeof(st));
    st.p = p;
    st.opts = opts;
    st.conf = conf;
    conf->path_map = opts->path_map;
    st.frames = apr_array_make(p, 16, sizeof(frame_t));
    st.macros = apr_hash_make(p);
    st.loaded = apr_hash_make(p);
    st.server_root = opts->server_root ? opts->server_root : "/etc/apache2";
    if (opts->httpd_version[0]) {
        memcpy(st.version, opts->httpd_version, sizeof(st.version));
    }
    else {
        st.version[0] = 2;
        st.version[1] = 4;
        st.version[2] = 71;
    }
    *pconf = conf;
    *perr = NULL;

    for (i = 0; opts->defines && i < opts->defines->nelts; i++) {
        APR_ARRAY_PUSH(conf->defines, const char *) = APR_ARRAY_IDX(opts->defines, i, const char *);
    }
    builtins = opts->builtin_modules ? opts->builtin_modules : oa_builtin_modules_debian(p);
    for (i = 0; i < builtins->nelts; i++) {
        const char *bname = APR_ARRAY_IDX(builtins, i, const char *);
        oa_rd_add_module(&st, oa_rd_id_for_builtin(p, bname), bname, NULL, NULL, 0);
    }

    /* sources are a stack: push what is read last first */
    for (i = opts->post_directives ? opts->post_directives->nelts - 1 : -1; i >= 0; i--) {
        src_t *s = string_source(&st, "-c", APR_ARRAY_IDX(opts->post_directives, i, const char *));
        s->up = st.src;
        st.src = s;
    }
    if (text) {
        main_src = string_source(&st, name, text);
        conf->config_file = name;
    }
    else {
        char ebuf[256];
        const char *path = oa_conf_server_relative(p, st.server_root, opts->config_file
                                                   ? opts->config_file : "apache2.conf");
        conf->config_file = path;
        main_src = apr_pcalloc(p, sizeof(*main_src));
        main_src->kind = SRC_FILE;
        rv = oa_rd_src_open_file(&st, main_src, path);
        if (rv != APR_SUCCESS) {
            if (main_src->pool) {
                apr_pool_destroy(main_src->pool);
            }
            *perr = oa_diag_make(p, OA_SEV_ERROR, path, 0,
                                 "Could not open configuration file %s: %s", path,
                                 apr_strerror(rv, ebuf, sizeof(ebuf)));
            return rv;
        }
    }
    main_src->up = st.src;
    st.src = main_src;
    for (i = opts->pre_directives ? opts->pre_directives->nelts - 1 : -1; i >= 0; i--) {
        src_t *s = string_source(&st, "-C", APR_ARRAY_IDX(opts->pre_directives, i, const char *));
        s->up = st.src;
        st.src = s;
    }

    rv = run(&st);
    if (rv == APR_SUCCESS) {
        rv = oa_rd_check_directives(&st);
    }
    while (st.src) {
        oa_rd_src_pop(&st);
    }
    free_line_buffer(&st);
    conf->server_root = st.server_root;
    if (rv != APR_SUCCESS) {
        if (!st.err) {
            char ebuf[256];
            st.err = oa_diag_make(p, OA_SEV_ERROR, conf->config_file, 0, "%s",
                                  apr_strerror(rv, ebuf, sizeof(ebuf)));
        }
        *perr = st.err;
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t oa_conf_read(oa_conf_t **pconf, oa_diag_t **perr, apr_pool_t *p,
                          const oa_conf_opts_t *opts)
{
    return conf_read(pconf, perr, p, opts, NULL, NULL);
}

apr_status_t oa_conf_read_string(oa_conf_t **pconf, oa_diag_t **perr, apr_pool_t *p,
                                 const oa_conf_opts_t *opts, const char *name,
                                 const char *text)
{
    return conf_read(pconf, perr, p, opts, name, text);
}

