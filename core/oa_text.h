/**
 * @file oa_text.h
 * @brief Strings from peers and certificates made safe for a terminal or a line-based
 *        text format: control bytes are shown escaped, valid UTF-8 stays as it is.
 */
#ifndef OA_TEXT_H
#define OA_TEXT_H

#include <apr_pools.h>

/**
 * The length of the valid UTF-8 sequence starting at s (1 for ASCII), or 0 when the
 * bytes there are not valid UTF-8 (overlong forms, surrogates and code points above
 * U+10FFFF are invalid). s must be NUL-terminated.
 */
int oa_utf8_len(const unsigned char *s);

/**
 * s with every byte a terminal could act on escaped, for text output: \\n, \\r and \\t
 * for those three, \\xHH for the other C0 controls, DEL and bytes that are not valid
 * UTF-8, and \\u00HH for the C1 controls (U+0080-U+009F, CSI among them) and
 * \\u20HH for the bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069).
 * Everything else, printable UTF-8 included, is kept. A backslash is kept as it is:
 * the result is for people, JSON is for programs. Returns s itself when nothing needs
 * escaping, "" for NULL.
 */
const char *oa_text_escape(apr_pool_t *p, const char *s);

#endif /* OA_TEXT_H */
