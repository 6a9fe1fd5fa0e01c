/**
 * @file oa_vhost.h
 * @brief The virtual hosts of a configuration and the stapling-related settings each
 *        one ends up with, merged from the main server as mod_ssl merges them.
 */
#ifndef OA_VHOST_H
#define OA_VHOST_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_hash.h>

#include "oa_conf.h"

/** One directive's value in one server context. */
typedef struct oa_setting_t {
    const char *directive;      /**< canonical spelling: "SSLCertificateFile" */
    const char *value;          /**< its argument string */
    apr_array_header_t *argv;   /**< the arguments split as httpd splits them */
    const oa_node_t *node;      /**< where it was set */
    int inherited;              /**< taken from the main server */
} oa_setting_t;

/** A mod_md managed domain (MDomain or <MDomainSet>). */
typedef struct oa_md_t {
    apr_array_header_t *names;  /**< domain names (const char *) */
    const oa_setting_t *stapling; /**< the MDStapling that applies, NULL: off (the default) */
    const oa_node_t *node;
} oa_md_t;

typedef struct oa_vhost_t {
    int index;                  /**< 0 is the main server */
    int is_main;
    const char *name;           /**< ServerName's host, or where it came from (name_source) */
    const char *name_source;    /**< "ServerName", "main", "address" (httpd's reverse lookup
                                     of an IP vhost without a ServerName of its own), "none" */
    apr_array_header_t *aliases;   /**< const char * */
    apr_array_header_t *addresses; /**< const char *, as written in <VirtualHost> */
    apr_array_header_t *resolved;  /**< const char *, as `httpd -S` shows them: names resolved,
                                        "*:443" for *, _default_, 0.0.0.0 and [::] */
    const oa_node_t *node;      /**< the <VirtualHost> node; NULL for the main server */
    const char *file;
    int line;
    int ssl;                    /**< SSLEngine on or optional, after merging */
    const oa_md_t *md;          /**< the mod_md domain covering this vhost, or NULL */
    apr_array_header_t **settings; /**< per tracked directive (oa_model_tracked_directives'
                                    order): its oa_setting_t *, or NULL; read it through
                                    oa_vhost_get_all */
} oa_vhost_t;

typedef struct oa_model_t {
    oa_conf_t *conf;
    apr_array_header_t *vhosts;   /**< oa_vhost_t *, the main server first */
    apr_hash_t *global;           /**< lower-case directive -> array of oa_setting_t*, for
                                       directives that are global only (SSLStaplingCache) */
    apr_array_header_t *mds;      /**< oa_md_t * */
    apr_array_header_t *diags;    /**< model-level diagnostics (oa_diag_t *) */
} oa_model_t;

/** Build the model of a configuration tree. */
apr_status_t oa_model_build(oa_model_t **pmodel, apr_pool_t *p, oa_conf_t *conf);

/** The effective settings of a directive in a vhost (array of oa_setting_t*), or NULL. */
const apr_array_header_t *oa_vhost_get_all(const oa_vhost_t *vh, const char *directive);

/** The effective (last) setting of a single-valued directive, or NULL. */
const oa_setting_t *oa_vhost_get(const oa_vhost_t *vh, const char *directive);

/** The last global setting of a directive (e.g. SSLStaplingCache), or NULL. */
const oa_setting_t *oa_model_global(const oa_model_t *m, const char *directive);

/** The directives the model tracks, in a stable order (NULL-terminated). */
const char *const *oa_model_tracked_directives(void);

/**
 * Where a client reaches the vhost from this machine: its first address, with "*" and
 * "_default_" (and a missing host) as 127.0.0.1 and a missing port as 443.
 */
void oa_vhost_probe_target(apr_pool_t *p, const oa_vhost_t *vh, const char **phost,
                           int *pport);

/** Is the word an "on" flag value ("on", case-insensitive)? */
int oa_flag_on(const oa_setting_t *s);

#endif /* OA_VHOST_H */
