/**
 * @file oa_conf.h
 * @brief The configuration tree: Apache httpd 2.4 configs read exactly as httpd reads them.
 *
 * The tree has the shape of httpd's own parsed tree (ap_directive_t, "ap_conftree"):
 * one node per directive, sections hold their body as children, and the directives
 * httpd executes while reading (Include, Define, <IfModule> and the other <If*> sections
 * except <If>/<ElseIf>/<Else>, <Macro>/Use, ServerRoot, LoadModule) are acted on here:
 * included files and true <If*> bodies are spliced in place, false ones are dropped.
 * The httpd module builds the same tree from httpd's ap_conftree, so the model and the
 * rules never know which host they run in.
 */
#ifndef OA_CONF_H
#define OA_CONF_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_hash.h>

#include "oa_diag.h"

typedef struct oa_node_t oa_node_t;

/** One directive or section. */
struct oa_node_t {
    const char *directive;  /**< as written: "SSLEngine", "<VirtualHost" (sections keep the '<') */
    const char *args;       /**< arguments after ${VAR} substitution; for sections without the '>' */
    oa_node_t *parent;      /**< enclosing section, NULL at top level */
    oa_node_t *first_child; /**< body of a section */
    oa_node_t *next;        /**< next sibling */
    const char *file;       /**< the file the line was read from; for a line made by a macro,
                                 the file of the (outermost) Use */
    int line;               /**< its line; httpd's convention: a continued line counts as its
                                 last physical line. For a macro line, the line of the Use. */
    const char *macro;      /**< name of the macro whose body produced the line, or NULL */
    const char *macro_file; /**< where that body line was written */
    int macro_line;
    const char *macro_def_file; /**< where the <Macro> line is (httpd's "defined on line") */
    int macro_def_line;
    const char *suppress;   /**< rules silenced for this node (and a section's body) by a
                                 comment on the line above: "# ocsp-lint: disable=OA203 why" */
};

/** One --path-map FROM=TO: where a server's directory is on this machine (a checkout). */
typedef struct oa_path_map_t {
    const char *from;              /**< absolute, no trailing '/': "/etc/apache2" */
    const char *to;                /**< absolute, no trailing '/': "/src/repo/conf" */
} oa_path_map_t;

/** How to read a configuration (mirrors httpd's command line). */
typedef struct oa_conf_opts_t {
    const char *config_file;       /**< -f: the main config; relative to server_root when relative */
    const char *server_root;       /**< -d: initial ServerRoot */
    apr_array_header_t *defines;   /**< -D NAME (const char *) */
    apr_array_header_t *pre_directives;  /**< -C "directive" (const char *), read before the config */
    apr_array_header_t *post_directives; /**< -c "directive", read after it */
    apr_table_t *env;              /**< variables for ${VAR} after Defines; NULL: the process
                                        environment only */
    apr_array_header_t *builtin_modules; /**< modules compiled into httpd, by file name
                                              ("core.c", "mod_so.c"); NULL: Debian's apache2 */
    apr_array_header_t *path_map;  /**< oa_path_map_t: server paths onto local ones, for
                                        includes, ServerRoot and certificate files; NULL: none */
    int skip_module_files;         /**< do not check that LoadModule's file exists (a config
                                        read on another machine; tests with made-up paths) */
    int httpd_version[3];          /**< target version for <IfVersion>; {0,0,0}: 2.4.71, the Debian 12 httpd the directive table comes from */
    const char *confine;           /**< NULL, or an absolute directory: files outside it are
                                        treated as missing (fuzzing and tests: the reader
                                        never wanders into the machine's files) */
} oa_conf_opts_t;

/** A module httpd would have loaded. */
typedef struct oa_module_t {
    const char *id;         /**< module symbol: "ssl_module" */
    const char *name;       /**< source file name as httpd knows it: "mod_ssl.c" */
    const char *path;       /**< LoadModule's path, NULL for built-ins */
    const char *file;       /**< where LoadModule was, NULL for built-ins */
    int line;
} oa_module_t;

/** The result of reading a configuration. */
typedef struct oa_conf_t {
    apr_pool_t *pool;
    oa_node_t *first;              /**< first top-level node */
    const char *config_file;       /**< absolute path of the main config */
    const char *server_root;       /**< ServerRoot after reading (the last one wins) */
    apr_array_header_t *modules;   /**< oa_module_t*, built-ins first, then LoadModule order */
    apr_array_header_t *defines;   /**< names defined at the end of reading (const char *) */
    apr_table_t *vars;             /**< Define NAME VALUE variables at the end of reading */
    apr_array_header_t *files;     /**< every file read, in order (const char *) */
    apr_array_header_t *diags;     /**< warnings and notes found while reading (oa_diag_t *) */
    int unknown_modules;           /**< LoadModule of modules whose directives we do not know */
    const apr_array_header_t *path_map; /**< opts->path_map, for the files the rules read */
    const oa_diag_t *refused;      /**< httpd's first refusal of a check that a rule makes
                                        (OA102/103/105/305: reading went on so that the rule
                                        can say more); NULL when httpd reads it all */
} oa_conf_t;

/** Fill opts with httpd's defaults. */
void oa_conf_opts_init(oa_conf_opts_t *opts, apr_pool_t *p);

/**
 * Read a configuration as httpd would.
 * @param pconf  the tree, also when reading failed (what was read so far)
 * @param perr   the fatal error (file, line, message) when the config cannot be parsed
 * @return APR_SUCCESS; APR_ENOENT/EACCES... when the main config cannot be opened
 *         (*perr says so); APR_EGENERAL when the config cannot be parsed (*perr says why).
 */
apr_status_t oa_conf_read(oa_conf_t **pconf, oa_diag_t **perr, apr_pool_t *p,
                          const oa_conf_opts_t *opts);

/**
 * Read a configuration from a string (for tests and -C/-c): name is used as its file name.
 */
apr_status_t oa_conf_read_string(oa_conf_t **pconf, oa_diag_t **perr, apr_pool_t *p,
                                 const oa_conf_opts_t *opts, const char *name,
                                 const char *text);

/**
 * An empty configuration, for hosts that parsed the tree themselves (the httpd module
 * turns ap_conftree into oa_node_t and fills this in).
 */
oa_conf_t *oa_conf_create(apr_pool_t *p, const char *config_file, const char *server_root);

/** Record a loaded module (id may be NULL: derived from the name). */
oa_module_t *oa_conf_add_module(oa_conf_t *conf, const char *id, const char *name,
                                const char *path);

/**
 * httpd's name for a line that mod_macro produced, e.g.
 * `macro 'vh' (defined on line 3 of "/f.conf") used on line 10 of "/g.conf"`:
 * fill in the node's macro fields and set its file/line to the outermost Use.
 * @return 1 when name was such a string, 0 otherwise (the node is left alone)
 */
int oa_node_set_macro_origin(apr_pool_t *p, oa_node_t *n, const char *name, int line);

/** Is the module (by id "ssl_module" or file name "mod_ssl.c") loaded in conf? */
int oa_conf_has_module(const oa_conf_t *conf, const char *name);

/** Was NAME defined (-D or Define) at the end of reading? */
int oa_conf_is_defined(const oa_conf_t *conf, const char *name);

/** A path as httpd resolves it: absolute paths as they are, others below server_root. */
const char *oa_conf_server_relative(apr_pool_t *p, const char *server_root,
                                    const char *path);

/**
 * Add a "FROM=TO" mapping to *pmap (made when NULL). FROM must be absolute; TO is taken
 * from the current directory when relative. The longest matching FROM wins.
 * @return NULL, or why spec is not a mapping
 */
const char *oa_conf_path_map_add(apr_pool_t *p, apr_array_header_t **pmap, const char *spec);

/** A server path as it is on this machine: the longest FROM of map that is path or a
 *  directory above it replaced by its TO; path itself when none matches (or map is NULL). */
const char *oa_conf_map_path(apr_pool_t *p, const apr_array_header_t *map, const char *path);

/**
 * Split an argument string into words the way httpd's ap_getword_conf does: white space
 * separates, "..." and '...' quote (a backslash escapes the quote char or a backslash).
 * @return array of const char *
 */
apr_array_header_t *oa_conf_split_args(apr_pool_t *p, const char *args);

/** Next node in document order (depth first), or NULL. Iterative: safe on deep trees. */
const oa_node_t *oa_node_next_preorder(const oa_node_t *n);

/** Does the directive name match (case-insensitive, as httpd compares)? */
int oa_node_is(const oa_node_t *n, const char *directive);

#endif /* OA_CONF_H */
