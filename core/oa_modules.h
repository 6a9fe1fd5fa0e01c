/**
 * @file oa_modules.h
 * @brief What httpd 2.4's modules are called and which directives they provide.
 *
 * The tables come from core/oa_directives.inc, generated from Debian's apache2 by
 * tools/gen-directives.sh (mod_info's listing of every shipped module).
 */
#ifndef OA_MODULES_H
#define OA_MODULES_H

#include <apr_pools.h>
#include <apr_tables.h>

/** "ssl_module" -> "mod_ssl.c"; unknown ids get httpd's usual pattern ("x_module" -> "mod_x.c").
 *  *pknown (may be NULL) says whether the module is in the table. */
const char *oa_module_name_for_id(apr_pool_t *p, const char *id, int *pknown);

/** The n-th module (0, 1, ...) providing a directive ("SSLEngine", "<VirtualHost";
 *  case-insensitive) by file name ("mod_ssl.c"), or NULL past the last: a few
 *  directives (Listen, MaxRequestWorkers, ...) are registered by every MPM. */
const char *oa_directive_module_n(const char *directive, int n);

/** "mod_ssl.c" -> "ssl_module", NULL when the table does not know the module. */
const char *oa_module_id_for_name(const char *name);

/** Built-in modules (file names) of Debian's apache2 and of RHEL's httpd. */
apr_array_header_t *oa_builtin_modules_debian(apr_pool_t *p);
apr_array_header_t *oa_builtin_modules_rhel(apr_pool_t *p);

/** Number of directives in the table (0 when it is missing: no directive checks then). */
int oa_directive_count(void);

#endif /* OA_MODULES_H */
