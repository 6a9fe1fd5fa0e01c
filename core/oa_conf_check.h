/**
 * @file oa_conf_check.h
 * @brief The checks httpd makes of each directive when it processes the tree:
 * where it is allowed, how many arguments it takes, and the values it refuses.
 *
 * Contexts and arity come from core/oa_directive_rules.inc, probed from the real httpd
 * by tools/probe-directives.py; the value checks are rows of a table in oa_conf_check.c,
 * each with httpd's own message.
 */
#ifndef OA_CONF_CHECK_H
#define OA_CONF_CHECK_H

#include <apr_pools.h>
#include <apr_hash.h>

#include "oa_conf.h"

/** command_rec's args_how, as far as httpd's own messages tell it. */
typedef enum {
    OA_ARGS_RAW,        /**< RAW_ARGS, TAKE_ARGV or unknown: httpd does not count */
    OA_ARGS_NO_ARGS,
    OA_ARGS_TAKE1,
    OA_ARGS_TAKE2,
    OA_ARGS_TAKE12,
    OA_ARGS_TAKE3,
    OA_ARGS_TAKE23,
    OA_ARGS_TAKE123,
    OA_ARGS_TAKE13,
    OA_ARGS_ITERATE,
    OA_ARGS_ITERATE2,
    OA_ARGS_FLAG
} oa_args_how_t;

/** Where a directive stands, by its enclosing section. */
typedef enum {
    OA_CTX_TOP,         /**< main server */
    OA_CTX_VHOST,       /**< <VirtualHost> */
    OA_CTX_DIR,         /**< <Directory>, <DirectoryMatch> */
    OA_CTX_LOC,         /**< <Location>, <LocationMatch> */
    OA_CTX_FILES,       /**< <Files>, <FilesMatch> */
    OA_CTX_PROXY,       /**< <Proxy>, <ProxyMatch> */
    OA_CTX_IF,          /**< <If>, <ElseIf>, <Else> */
    OA_CTX_LIMIT,       /**< <Limit>, <LimitExcept> */
    OA_CTX_COUNT,
    OA_CTX_OTHER = OA_CTX_COUNT /**< any other section: not checked */
} oa_ctx_t;

/** What the checks remember between directives (listeners so far). */
typedef struct oa_check_state_t {
    apr_pool_t *p;
    const oa_conf_t *conf;
    apr_hash_t *listeners;      /**< "host|port" -> "" */
    const char *server_root;    /**< for relative paths (the ServerRoot in force) */
    apr_hash_t *ssl_files;      /**< path -> what apr_stat said: a certificate named by
                                     ten thousand vhosts is looked at once */
} oa_check_state_t;

/** A fresh state for one walk of the tree. */
void oa_check_state_init(oa_check_state_t *cs, apr_pool_t *p, const oa_conf_t *conf,
                         const char *server_root);

/**
 * Check one node as httpd's invoke_cmd and the directive's handler would: context,
 * then arity, then values.
 * @return NULL, or httpd's message (without "Syntax error on line N of FILE:")
 */
const char *oa_check_node(oa_check_state_t *cs, const oa_node_t *n);

/**
 * The same, with the checks that rules make (OA102, OA103, OA105, OA305: they report
 * them with more to say); *powned says that the message is one of those.
 */
const char *oa_check_node_all(oa_check_state_t *cs, const oa_node_t *n, int *powned);

/** args_how of a directive (OA_ARGS_RAW when the table does not know it). */
oa_args_how_t oa_check_args_how(const char *directive);

/** Does httpd run the directive while reading (EXEC_ON_READ), so that its errors come
 *  before those of the directives above it? */
int oa_check_exec_on_read(const char *directive);

#endif /* OA_CONF_CHECK_H */
