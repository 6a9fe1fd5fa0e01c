/*
 * ocsp-lint's glue: exit codes and the subcommands.
 */
#ifndef LINT_H
#define LINT_H

#include <apr_pools.h>

#include "oa_json.h"
#include "oa_ocsp.h"
#include "oa_probe.h"

/* Exit codes: the contract with CI pipelines. */
typedef enum {
    LINT_EXIT_CLEAN = 0,      /* nothing at or above --fail-on (probe: every host fine) */
    LINT_EXIT_FINDINGS = 1,   /* findings at or above --fail-on (probe: a problem found) */
    LINT_EXIT_USAGE = 2,      /* usage or I/O error */
    LINT_EXIT_PARSE = 3       /* the configuration cannot be parsed */
} lint_exit_e;

/* ocsp-lint probe ... (argv[0] is "probe") */
int lint_probe_main(apr_pool_t *p, int argc, const char *const *argv);

/** `ocsp-lint serve ...`: a Prometheus exporter of live probes (lint_serve.c). */
int lint_serve_main(apr_pool_t *p, int argc, const char *const *argv);


#endif
