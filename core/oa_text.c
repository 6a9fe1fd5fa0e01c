#include <string.h>

#include <apr_strings.h>

#include "oa_text.h"

int oa_utf8_len(const unsigned char *s)
{
    int n, i;
    unsigned int cp;
    if (s[0] < 0x80) {
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        cp = s[0] & 0x1F;
    }
    else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        cp = s[0] & 0x0F;
    }
    else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        cp = s[0] & 0x07;
    }
    else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)
        || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

/* the code point of a valid sequence of n bytes */
static unsigned int code_point(const unsigned char *s, int n)
{
    static const unsigned char lead_mask[] = { 0, 0x7F, 0x1F, 0x0F, 0x07 };
    unsigned int cp = s[0] & lead_mask[n];
    int i;
    for (i = 1; i < n; i++) {
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    return cp;
}

/* how a sequence of n valid bytes (0: one invalid byte) is written: NULL to keep it,
 * else its escape in buf */
static const char *escape_of(const unsigned char *s, int n, char buf[8])
{
    unsigned int cp;
    if (n == 0) {
        apr_snprintf(buf, 8, "\\x%02x", s[0]);
        return buf;
    }
    cp = code_point(s, n);
    switch (cp) {
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: break;
    }
    if (cp < 0x20 || cp == 0x7F) {
        apr_snprintf(buf, 8, "\\x%02x", cp);
        return buf;
    }
    if ((cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E)
        || (cp >= 0x2066 && cp <= 0x2069)) {
        apr_snprintf(buf, 8, "\\u%04x", cp);
        return buf;
    }
    return NULL;
}

const char *oa_text_escape(apr_pool_t *p, const char *s)
{
    const unsigned char *c;
    apr_size_t extra = 0;
    char buf[8], *out, *o;

    if (!s) {
        return "";
    }
    for (c = (const unsigned char *)s; *c; ) {
        int n = oa_utf8_len(c);
        const char *e = escape_of(c, n, buf);
        extra += e ? strlen(e) : 0;
        c += n ? n : 1;
    }
    if (!extra) {
        return s;
    }
    out = o = apr_palloc(p, strlen(s) + extra + 1);
    for (c = (const unsigned char *)s; *c; ) {
        int n = oa_utf8_len(c);
        const char *e = escape_of(c, n, buf);
        if (e) {
            apr_size_t l = strlen(e);
            memcpy(o, e, l);
            o += l;
        }
        else {
            memcpy(o, c, (apr_size_t)n);
            o += n;
        }
        c += n ? n : 1;
    }
    *o = '\0';
    return out;
}
