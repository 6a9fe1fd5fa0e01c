#include <pthread.h>
#include <strings.h>

#include "oa_names.h"

static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;

/* FNV-1a over the name folded to lower case (ASCII) */
static apr_uint32_t name_hash(const char *s)
{
    apr_uint32_t h = 2166136261u;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        h = (h ^ (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c)) * 16777619u;
    }
    return h;
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
