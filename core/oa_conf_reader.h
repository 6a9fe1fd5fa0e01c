/*
 * oa_conf_reader.h - the configuration reader's state and the functions its files share
 * (private to core/: oa_conf.h is the interface).
 *
 * The reader is a stack of line sources (files, macro bodies, -C/-c strings) and a
 * stack of open sections, both explicit, so that deep nesting and long include chains
 * never recurse on the C stack. What httpd executes while reading (EXEC_ON_READ) is
 * executed here (oa_conf_parse.c's command table); everything else becomes a node of
 * the tree, checked when the tree is processed (oa_conf_check.c).
 *
 *   oa_conf_lines.c        line sources, logical lines, words (ap_getword_conf)
 *   oa_conf_vars.c         ${VAR}, Define and UnDefine
 *   oa_conf_include.c      Include and IncludeOptional
 *   oa_conf_conditional.c  <IfModule>, <IfDefine>, <IfVersion>, <IfFile>, <IfDirective>,
 *                          <IfSection>; skipping a false one
 *   oa_conf_macro.c        mod_macro: <Macro>, Use, UndefMacro
 *   oa_conf_modules.c      LoadModule, ServerRoot, the modules loaded
 *   oa_conf_sections.c     open sections and the tree they build
 *   oa_conf_check.c        directive checks (where, arity, values) on the finished tree
 *   oa_conf_parse.c        one line: the command table; the entry points
 */
#ifndef OA_CONF_READER_H
#define OA_CONF_READER_H

#include <stdlib.h>
#include <string.h>
#include <regex.h>
#include <errno.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_fnmatch.h>
#include <apr_env.h>

#include "oa_conf.h"
#include "oa_conf_check.h"
#include "oa_modules.h"
#include "oa_suppress.h"

#define OA_MAX_LINE          (16 * 1024 * 1024) /* httpd's VARBUF_MAX_LEN */
#define OA_MAX_INCLUDE_DEPTH 128                /* AP_MAX_INCLUDE_DEPTH */
#define OA_MAX_DIR_DEPTH     128                /* AP_MAX_INCLUDE_DIR_DEPTH */
#define OA_READ_CHUNK        (64 * 1024)

typedef struct {
    const char *text;
    const char *file;
    int line;
    int index;                   /* mod_macro's number for it: non-empty lines, from 1 */
} macro_line_t;

/* mod_macro reads and substitutes lines in MAX_STRING_LEN (8192) buffers */
#define OA_MACRO_MAX_LINE    8191

typedef struct {
    const char *name;            /* lower case, as mod_macro keeps it */
    apr_array_header_t *params;  /* const char * */
    apr_array_header_t *lines;   /* macro_line_t */
    const char *file;
    int line;
} macro_t;

enum { SRC_FILE, SRC_STRING, SRC_MACRO };

typedef struct src_t src_t;
struct src_t {
    src_t *up;
    int kind;
    apr_pool_t *pool;            /* read buffers; destroyed when the source is done */
    const char *name;            /* file path, or "-C"/"-c", or the macro name */
    int line;                    /* last physical line read */
    /* files */
    apr_file_t *fd;
    char *buf;
    apr_size_t blen, bpos;
    int eof;
    apr_array_header_t *group;   /* the files of one Include, in httpd's order */
    int group_next;
    const char *inc_file;        /* the Include that read this file */
    int inc_line;
    int base_depth;              /* sections open when the file was entered */
    int include_depth;
    /* strings */
    const char *text;
    apr_size_t tlen, tpos;
    /* macros */
    macro_t *macro;
    apr_array_header_t *mlines;  /* macro_line_t, after substitution */
    int midx;
    const char *use_file;        /* the outermost Use */
    int use_line;
    const char *cur_file;        /* where the last body line was defined */
    int cur_line;
};

enum { FRAME_SECTION, FRAME_IF };

typedef struct {
    int kind;
    const char *name;            /* section name without '<', as written */
    oa_node_t *node;             /* FRAME_SECTION */
    oa_node_t *tail;             /* last child appended (FRAME_SECTION) */
    int target;                  /* index of the section frame nodes go to, -1: top */
    const char *file;
    int line;
} frame_t;

typedef struct {
    apr_pool_t *p;
    const oa_conf_opts_t *opts;
    oa_conf_t *conf;
    src_t *src;
    apr_array_header_t *frames;  /* frame_t */
    oa_node_t *top_tail;
    apr_hash_t *macros;          /* name -> macro_t* */
    apr_hash_t *loaded;          /* module id and module name -> oa_module_t* */
    const char *server_root;
    int version[3];
    /* the current logical line, malloc'd so that one 16 MB line is not kept for good */
    char *lb;
    apr_size_t lb_len, lb_cap;
    int line_has_nul;
    apr_size_t raw_len;             /* the logical line as read, with white space and newline */
    const char *pending_suppress;   /* from a "# ocsp-lint: disable=..." comment */
    const src_t *pending_src;       /* ... in this source only */
    oa_diag_t *err;
} st_t;


/* ------------------------------------------------------------------ shared by the reader's files */
apr_status_t oa_rd_fail(st_t *st, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void oa_rd_src_where(const src_t *s, const char **pfile, int *pline);

const char *oa_rd_escape_word(apr_pool_t *p, const char *w, apr_size_t n);

char *oa_rd_getword_conf(apr_pool_t *p, const char **line);

apr_status_t oa_rd_src_open_file(st_t *st, src_t *s, const char *path);

/* opts->confine: outside that directory nothing exists (fuzzing and tests: the reader
 * never wanders into the machine's files). stat and opendir that honour it. */
int oa_rd_confined_out(const st_t *st, const char *path);
apr_status_t oa_rd_stat(st_t *st, apr_finfo_t *fi, const char *path);
apr_status_t oa_rd_dir_open(st_t *st, apr_dir_t **d, const char *path);

/* a path as the configuration names it (relative: to ServerRoot), mapped onto this
 * machine with --path-map */
const char *oa_rd_path(st_t *st, const char *name);

void oa_rd_src_pop(st_t *st);

apr_status_t oa_rd_next_line(st_t *st, char **pline, int raw);

const char *oa_rd_resolve_env(st_t *st, const char *word, const char *file, int line);

apr_status_t oa_rd_exec_define(st_t *st, const char *args, int undefine, const char *file,
                                int line);

int oa_rd_frames_depth(st_t *st);

apr_status_t oa_rd_close_file_sections(st_t *st, src_t *s);

oa_node_t *oa_rd_append_node(st_t *st, const char *directive, const char *args);

void oa_rd_push_frame(st_t *st, int kind, const char *name, oa_node_t *node);

apr_status_t oa_rd_close_section(st_t *st, const char *word, const char *file, int line);

oa_module_t *oa_rd_find_loaded(st_t *st, const char *name);

const char *oa_rd_id_for_builtin(apr_pool_t *p, const char *name);

void oa_rd_add_module(st_t *st, const char *id, const char *name, const char *path,
                       const char *file, int line);

int oa_rd_directive_available(st_t *st, const char *directive, const char **pmodule);

apr_status_t oa_rd_exec_loadmodule(st_t *st, const char *args, const char *file, int line);

apr_status_t oa_rd_exec_serverroot(st_t *st, const char *args, const char *file, int line);

apr_status_t oa_rd_soak_section(st_t *st, const char *name);

apr_status_t oa_rd_eval_if(st_t *st, const char *lname, const char *dname,
                            const char *args, int *presult, const char *file, int line);

apr_status_t oa_rd_do_include(st_t *st, const char *args, int optional, const char *dname,
                               const char *file, int line);

apr_status_t oa_rd_define_macro(st_t *st, const char *args, const char *file, int line);

apr_status_t oa_rd_use_macro(st_t *st, const char *args, const char *file, int line);

apr_status_t oa_rd_check_directives(st_t *st);

apr_status_t oa_rd_undef_macro(st_t *st, const char *args, const char *file, int line);

/* ------------------------------------------------------------------ the command table */

typedef struct oa_read_cmd_t oa_read_cmd_t;

/** Runs a directive while reading, as its EXEC_ON_READ handler does in httpd. */
typedef apr_status_t (*oa_read_fn)(st_t *st, const oa_read_cmd_t *cmd, const char *word,
                                   const char *args, const char *file, int line);

struct oa_read_cmd_t {
    const char *name;       /* as httpd spells it */
    const char *lname;      /* lower case */
    oa_read_fn run;
    int flag;               /* the handler's argument (IncludeOptional, UnDefine) */
};

/** The row of a directive this reader runs while reading, or NULL. */
const oa_read_cmd_t *oa_rd_read_cmd(const char *directive);

#endif /* OA_CONF_READER_H */
