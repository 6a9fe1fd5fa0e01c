/*
 * Shared by the libFuzzer targets: APR started once, and a confined directory that
 * stands in for the machine's files. Configurations read by a target have it as
 * ServerRoot and may Include, IfFile or name certificates only inside it (oa_conf_opts_t
 * confine, oa_pki_confine): whatever the input names elsewhere does not exist. It holds
 * a few configuration files and, when $OA_FUZZ_PKI (default ./pki) has them, the test
 * PKI's certificates and keys under pki/.
 */
#ifndef OA_FUZZ_COMMON_H
#define OA_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "oa_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_jail[64];

static void fuzz_remove_jail(void)
{
    char cmd[128];
    if (fuzz_jail[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_jail);
        if (system(cmd) != 0) {
            fprintf(stderr, "could not remove %s\n", fuzz_jail);
        }
    }
}

static void fuzz_put(apr_pool_t *p, const char *rel, const char *text, apr_size_t len)
{
    const char *path = apr_pstrcat(p, fuzz_jail, "/", rel, NULL);
    char *dir = apr_pstrdup(p, path);
    apr_file_t *f;
    apr_size_t n = len;
    *strrchr(dir, '/') = '\0';
    apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, p);
    if (apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE,
                      APR_FPROT_OS_DEFAULT, p) == APR_SUCCESS) {
        apr_file_write_full(f, text, n, NULL);
        apr_file_close(f);
    }
}

static void fuzz_copy_pki(apr_pool_t *p, const char *name)
{
    const char *src = getenv("OA_FUZZ_PKI");
    char *buf = NULL;
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;
    const char *path = apr_pstrcat(p, src && *src ? src : "pki", "/", name, NULL);
    if (apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p) != APR_SUCCESS) {
        return;
    }
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) == APR_SUCCESS && fi.size < 65536) {
        buf = apr_palloc(p, (apr_size_t)fi.size + 1);
        if (apr_file_read_full(f, buf, (apr_size_t)fi.size, &n) == APR_SUCCESS) {
            fuzz_put(p, apr_pstrcat(p, "pki/", name, NULL), buf, n);
        }
    }
    apr_file_close(f);
}

/* APR and the confined directory, once per process */
static const char *fuzz_init(void)
{
    static const char *const pki[] = { "good.pem", "good.key", "good-fullchain.pem", "int.pem",
        "root.pem", "chain.pem", "expired-fullchain.pem", "expired.key", "muststaple.pem",
        "muststaple.key", "noocsp.pem", "noocsp.key", "ancient-fullchain.pem", "ancient.key",
        "ocsp-signer.pem", NULL };
    apr_pool_t *p;
    int i;
    if (fuzz_jail[0]) {
        return fuzz_jail;
    }
    apr_initialize();
    strcpy(fuzz_jail, "/tmp/oa-fuzz-XXXXXX");
    if (!mkdtemp(fuzz_jail)) {
        perror("mkdtemp");
        abort();
    }
    atexit(fuzz_remove_jail);
    apr_pool_create(&p, NULL);
#define PUT(rel, text) fuzz_put(p, rel, text, strlen(text))
    PUT("inc.conf", "ServerName inc.test\n");
    PUT("sites/a.conf", "<VirtualHost *:443>\nServerName a.test\nSSLEngine on\n"
        "SSLCertificateFile pki/good-fullchain.pem\nSSLCertificateKeyFile pki/good.key\n"
        "SSLUseStapling on\n</VirtualHost>\n");
    PUT("sites/b.conf", "# ocsp-lint: disable=OA104 fuzz\n<VirtualHost *:443>\n"
        "ServerName b.test\nSSLEngine on\nSSLCertificateFile pki/noocsp.pem\n"
        "SSLCertificateKeyFile pki/noocsp.key\n</VirtualHost>\n");
    PUT("conf.d/loop.conf", "Include conf.d/loop.conf\n");
    PUT("mods/ssl.load", "LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n");
    PUT("envvars", "export APACHE_LOG_DIR=/var/log/apache2$SUFFIX\n");
#undef PUT
    for (i = 0; pki[i]; i++) {
        fuzz_copy_pki(p, pki[i]);
    }
    apr_pool_destroy(p);
    return fuzz_jail;
}

/* a sink for renderings: counts the bytes */
static void fuzz_sink(void *ctx, const char *s, apr_size_t len)
{
    *(apr_size_t *)ctx += len + (len && s[0] != 0);
}

/* data read as a configuration file, with ServerRoot and every file it names confined
 * to the directory of fuzz_init(): APR_SUCCESS and *pconf, or the error in *perr */
static apr_status_t fuzz_read_conf(oa_conf_t **pconf, oa_diag_t **perr, apr_pool_t *p,
                                   const uint8_t *data, size_t size)
{
    const char *jail = fuzz_init();
    oa_conf_opts_t opts;
    oa_conf_opts_init(&opts, p);
    opts.server_root = jail;
    opts.confine = jail;
    opts.skip_module_files = 1;      /* LoadModule's files are outside the directory */
    return oa_conf_read_string(pconf, perr, p, &opts, "fuzz.conf",
                               apr_pstrmemdup(p, (const char *)data, size));
}

#endif
