/**
 * @file oa_envvars.h
 * @brief Debian's /etc/apache2/envvars: the variables apache2ctl exports before httpd
 *        reads apache2.conf (APACHE_LOG_DIR, APACHE_RUN_USER, ...).
 */
#ifndef OA_ENVVARS_H
#define OA_ENVVARS_H

#include <apr_pools.h>
#include <apr_tables.h>

#include <apr_errno.h>

#include "oa_diag.h"

/** oa_envvars_read() of something that is not a regular file. */
#define OA_ENVVARS_NOT_REGULAR (APR_OS_START_USERERR + 1)

/**
 * Read the `NAME=value` and `export NAME=value` assignments of a shell file into vars
 * (later assignments win), expanding $NAME and ${NAME} from earlier ones and from the
 * environment. Nothing is executed: conditionals are not evaluated, so the last
 * assignment of a name in the file wins.
 * @return APR_SUCCESS, OA_ENVVARS_NOT_REGULAR for a FIFO, device or directory (refused
 *         without opening it), or the error of opening/reading the file
 */
apr_status_t oa_envvars_read(apr_table_t *vars, apr_pool_t *p, const char *path);

/** The same, from a string (for tests). */
void oa_envvars_parse(apr_table_t *vars, apr_pool_t *p, const char *text);

#endif /* OA_ENVVARS_H */
