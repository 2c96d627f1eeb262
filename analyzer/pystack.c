/* The process-wide table of Python frames behind stack tokens (see
 * pyframes.h).  Entries live in fixed blocks that never move, so a token
 * is looked up without a lock: the block pointer and the entry are
 * written before the count that publishes them (release), and a reader
 * only trusts indexes below the count it loads (acquire). */
#include "pystack.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PF_BLOCK 1024u
#define PF_BLOCKS 4096u /* 4 Mi distinct frames at most */

struct pf_entry {
    const char *func, *file;
    uint32_t line;
    uint64_t hash;
};

static struct pf_entry *pf_blocks[PF_BLOCKS];
static uint32_t pf_count;   /* published entries */
static uint32_t *pf_index;  /* hash table of entry index + 1 */
static size_t pf_index_cap; /* power of two */
static pthread_mutex_t pf_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t pf_hash(const char *func, const char *file, uint32_t line)
{
    uint64_t h = 0xcbf29ce484222325ull ^ line;
    for (const char *s = func; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    h = (h ^ 0xff) * 0x100000001b3ull;
    for (const char *s = file; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static struct pf_entry *pf_at(uint32_t i)
{
    return &pf_blocks[i / PF_BLOCK][i % PF_BLOCK];
}

static bool pf_equal(const struct pf_entry *e, uint64_t h, const char *func,
                     const char *file, uint32_t line)
{
    return e->hash == h && e->line == line && strcmp(e->func, func) == 0 &&
           strcmp(e->file, file) == 0;
}

/* Make room for one more entry in the index (held: pf_lock). */
static bool pf_index_grow(void)
{
    if ((pf_count + 1) * 2 <= pf_index_cap)
        return true;
    size_t cap = pf_index_cap ? pf_index_cap * 2 : 4096;
    uint32_t *v = calloc(cap, sizeof *v);
    if (!v)
        return false;
    for (uint32_t i = 0; i < pf_count; i++) {
        size_t k = pf_at(i)->hash & (cap - 1);
        while (v[k])
            k = (k + 1) & (cap - 1);
        v[k] = i + 1;
    }
    free(pf_index);
    pf_index = v;
    pf_index_cap = cap;
    return true;
}

static uint32_t pf_add(uint64_t h, const char *func, const char *file,
                       uint32_t line)
{
    uint32_t i = pf_count;
    if (i / PF_BLOCK >= PF_BLOCKS || !pf_index_grow())
        return UINT32_MAX;
    if (!pf_blocks[i / PF_BLOCK]) {
        pf_blocks[i / PF_BLOCK] = calloc(PF_BLOCK, sizeof(struct pf_entry));
        if (!pf_blocks[i / PF_BLOCK])
            return UINT32_MAX;
    }
    char *f1 = strdup(func), *f2 = strdup(file);
    if (!f1 || !f2) {
        free(f1);
        free(f2);
        return UINT32_MAX;
    }
    *pf_at(i) = (struct pf_entry){f1, f2, line, h};
    size_t k = h & (pf_index_cap - 1);
    while (pf_index[k])
        k = (k + 1) & (pf_index_cap - 1);
    pf_index[k] = i + 1;
    __atomic_store_n(&pf_count, i + 1, __ATOMIC_RELEASE);
    return i;
}

uint64_t pystack_intern(const char *func, const char *file, uint32_t line)
{
    if (!func)
        func = "";
    if (!file)
        file = "";
    uint64_t h = pf_hash(func, file, line);
    pthread_mutex_lock(&pf_lock);
    uint32_t found = UINT32_MAX;
    for (size_t k = pf_index_cap ? h & (pf_index_cap - 1) : 0;
         pf_index_cap && pf_index[k]; k = (k + 1) & (pf_index_cap - 1))
        if (pf_equal(pf_at(pf_index[k] - 1), h, func, file, line)) {
            found = pf_index[k] - 1;
            break;
        }
    if (found == UINT32_MAX)
        found = pf_add(h, func, file, line);
    pthread_mutex_unlock(&pf_lock);
    return found == UINT32_MAX ? 0 : PYSTACK_TAG | found;
}

bool pystack_lookup(uint64_t token, const char **func, const char **file,
                    uint32_t *line)
{
    if (!pystack_is_token(token))
        return false;
    uint64_t i = token & ~PYSTACK_TAG_MASK;
    if (i >= __atomic_load_n(&pf_count, __ATOMIC_ACQUIRE))
        return false;
    const struct pf_entry *e = pf_at((uint32_t)i);
    *func = e->func;
    *file = e->file;
    *line = e->line;
    return true;
}

bool pystack_file_is_stdlib(const char *file)
{
    if (!file || file[0] == '<')
        return true; /* <frozen ...>, <string> */
    if (strstr(file, "-packages/"))
        return false; /* site-packages, dist-packages: third-party code */
    return strstr(file, "/lib/python3.") != NULL ||
           strstr(file, "/lib/python2.") != NULL;
}
