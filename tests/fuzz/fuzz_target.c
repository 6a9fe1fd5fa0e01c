/* libFuzzer target: probe targets as typed on the command line (HOST[:PORT],
 * [v6]:PORT), and the text escaping every peer string goes through. */
#include "fuzz_common.h"

#include "oa_probe.h"
#include "oa_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *host = NULL, *e, *esc, *c;
    apr_port_t port = 0;
    char *text;

    fuzz_init();
    if (size > 64 * 1024) {
        return 0;
    }
    apr_pool_create(&p, NULL);
    text = apr_pstrmemdup(p, (const char *)data, size);
    e = oa_probe_parse_target(p, text, &host, &port);
    if (!e && (!host || !*host || port == 0)) {
        abort();    /* success promises a host and a port */
    }
    /* escaped text holds no control byte, and plain printable ASCII is kept as it is */
    esc = oa_text_escape(p, text);
    for (c = esc; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            abort();
        }
    }
    for (c = text; *c && (unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f; c++) {
    }
    if (!*c && esc != text) {
        abort();
    }
    apr_pool_destroy(p);
    return 0;
}
