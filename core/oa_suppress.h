/**
 * @file oa_suppress.h
 * @brief "# ocsp-lint: disable=..." comments for hosts whose parsed tree has no
 *        comments (httpd's): found by reading the lines above a directive.
 */
#ifndef OA_SUPPRESS_H
#define OA_SUPPRESS_H

#include <apr_pools.h>

#include "oa_conf.h"

typedef struct oa_suppress_cache_t oa_suppress_cache_t;

oa_suppress_cache_t *oa_suppress_cache_make(apr_pool_t *p);

/**
 * The rule list of the disable comment governing line `line` of `file`, as the reader
 * would have kept it: the last such comment above the line, with only blank lines and
 * comments between. NULL when there is none or the file cannot be read.
 */
const char *oa_suppress_above(oa_suppress_cache_t *c, const char *file, int line);

/** Set n->suppress for every node of the tree that comes from a real file. */
void oa_suppress_mark_tree(oa_suppress_cache_t *c, oa_node_t *first);

/** The rule list of a comment line ("# ocsp-lint: disable=A,B why"), or NULL. */
const char *oa_suppress_parse(apr_pool_t *p, const char *comment);

#endif
