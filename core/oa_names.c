#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "oa_names.h"

static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;

/* Equal names ignoring ASCII case hash alike: each byte is taken with bit 0x20 set,
 * which folds the letters (and joins some punctuation, which only costs a probe). The
 * length and the first and last eight bytes: directive names differ there, and a long
 * name costs no more than a short one. */
static apr_uint32_t name_hash(const char *s)
{
    const apr_uint64_t fold = 0x2020202020202020ull, mul = 0x9e3779b97f4a7c15ull;
    size_t n = strlen(s), i;
    apr_uint64_t h = n, w;
    if (n >= 8) {
        memcpy(&w, s, 8);
        h = (h ^ (w | fold)) * mul;
        memcpy(&w, s + n - 8, 8);
        h = (h ^ (w | fold)) * mul;
    }
    else {
        for (i = 0; i < n; i++) {
            h = (h ^ ((unsigned char)s[i] | 0x20u)) * mul;
        }
    }
    return (apr_uint32_t)(h >> 32);
}

static void build(oa_names_t *ix)
{
    size_t i;
    for (i = 0; i < ix->n; i++) {
        apr_uint32_t h = name_hash(ix->name_at(i)) & (OA_NAMES_SLOTS - 1);
        /* a name seen before keeps its first row, as a scan from the top finds it */
        while (ix->slot[h] && strcasecmp(ix->name_at(ix->slot[h] - 1u), ix->name_at(i))) {
            h = (h + 1) & (OA_NAMES_SLOTS - 1);
        }
        if (!ix->slot[h]) {
            ix->slot[h] = (apr_uint16_t)(i + 1);
        }
    }
}

static int scan(const oa_names_t *ix, const char *name)
{
    size_t i;
    for (i = 0; i < ix->n; i++) {
        if (!strcasecmp(ix->name_at(i), name)) {
            return (int)i;
        }
    }
    return -1;
}

int oa_names_find(oa_names_t *ix, const char *name)
{
    apr_uint32_t h;
    if (ix->n > OA_NAMES_SLOTS / 2) {
        return scan(ix, name);      /* too big to index: still right */
    }
    if (!__atomic_load_n(&ix->ready, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&build_lock);
        if (!ix->ready) {
            build(ix);
            __atomic_store_n(&ix->ready, 1, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&build_lock);
    }
    for (h = name_hash(name) & (OA_NAMES_SLOTS - 1); ix->slot[h]; h = (h + 1) & (OA_NAMES_SLOTS - 1)) {
        if (!strcasecmp(ix->name_at(ix->slot[h] - 1u), name)) {
            return (int)ix->slot[h] - 1;
        }
    }
    return -1;
}
