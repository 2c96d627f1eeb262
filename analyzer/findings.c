/* Findings: the table functions for findings.def, the list the analysis
 * modules report into (with deduplication: the same bug at the same
 * sites is one finding with a count), placeholder expansion for
 * messages, and freeing an analysis_result.
 *
 * Deduplication works on a key each reporter chooses (the sites of a
 * misuse, the site pattern of a lock cycle, the threads of a deadlock):
 * kind + key hash -> finding. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "excgroup.h"
#include "python.h"
#include "state.h"

/* ---- the table ---- */

static const struct {
    const char *name;
    enum finding_severity sev;
    enum finding_category cat;
    const char *why;
} finding_table[] = {
#define FINDING(id, name, sev, cat, why) {name, sev, cat, why},
#include "findings.def"
#undef FINDING
};

const char *finding_kind_name(enum finding_kind k)
{
    return (unsigned)k < FINDING_KIND_COUNT ? finding_table[k].name : "unknown";
}

enum finding_severity finding_kind_severity(enum finding_kind k)
{
    return (unsigned)k < FINDING_KIND_COUNT ? finding_table[k].sev : SEV_NOTE;
}

enum finding_category finding_kind_category(enum finding_kind k)
{
    return (unsigned)k < FINDING_KIND_COUNT ? finding_table[k].cat : CAT_MISUSE;
}

const char *finding_kind_why(enum finding_kind k)
{
    return (unsigned)k < FINDING_KIND_COUNT ? finding_table[k].why : "";
}

int finding_kind_from_name(const char *name)
{
    for (int k = 0; k < FINDING_KIND_COUNT; k++)
        if (strcmp(finding_table[k].name, name) == 0)
            return k;
    return -1;
}

const char *finding_severity_name(enum finding_severity s)
{
    switch (s) {
    case SEV_ERROR:
        return "error";
    case SEV_WARNING:
        return "warning";
    case SEV_NOTE:
        return "note";
    }
    return "note";
}

/* ---- placeholders ---- */

static void default_name(const struct finding *f, bool is_thread,
                         uint32_t index, char *buf, size_t len)
{
    if (is_thread) {
        snprintf(buf, len, "thread %" PRIu32, index);
        return;
    }
    if (index >= f->nobjects) {
        snprintf(buf, len, "?");
        return;
    }
    const struct finding_object *o = &f->objects[index];
    if (o->name[0])
        snprintf(buf, len, "%s", o->name);
    else
        snprintf(buf, len, "%s 0x%" PRIx64, o->kind, o->addr);
}

/* Parse "{thread:N}" / "{object:N}" at s; returns its length or 0. */
static size_t placeholder_parse(const char *s, bool *is_thread, uint32_t *index)
{
    const char *p;
    if (strncmp(s, "{thread:", 8) == 0) {
        *is_thread = true;
        p = s + 8;
    } else if (strncmp(s, "{object:", 8) == 0) {
        *is_thread = false;
        p = s + 8;
    } else {
        return 0;
    }
    char *end;
    unsigned long v = strtoul(p, &end, 10);
    if (end == p || *end != '}')
        return 0;
    *index = (uint32_t)v;
    return (size_t)(end + 1 - s);
}

size_t finding_message_format(const struct finding *f, const char *text,
                              finding_name_fn name, void *ctx, char *out,
                              size_t len)
{
    size_t n = 0;
    if (len == 0)
        return 0;
    for (const char *s = text; *s && n + 1 < len;) {
        bool is_thread;
        uint32_t index;
        size_t pl = *s == '{' ? placeholder_parse(s, &is_thread, &index) : 0;
        if (pl == 0) {
            out[n++] = *s++;
            continue;
        }
        char buf[256];
        buf[0] = '\0';
        if (name)
            name(ctx, f, is_thread, index, buf, sizeof buf);
        if (!buf[0])
            default_name(f, is_thread, index, buf, sizeof buf);
        for (const char *b = buf; *b && n + 1 < len;)
            out[n++] = *b++;
        s += pl;
    }
    out[n] = '\0';
    return n;
}

/* ---- results ---- */

void analysis_result_free(struct analysis_result *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->nfindings; i++)
        free(res->findings[i].stacks);
    free(res->findings);
    free(res->contention);
    for (size_t i = 0; i < res->nnotes; i++)
        free(res->notes[i]);
    free(res->notes);
    free(res->gil);
    excgroup_result_free(res);
    memset(res, 0, sizeof *res);
}

/* ---- reporting into the analyzer's list ---- */

static uint64_t key_hash(enum finding_kind kind, const uint64_t *key,
                         size_t nkey)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)kind;
    for (size_t i = 0; i < nkey; i++) {
        h ^= key[i] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
    }
    return h;
}

struct finding *an_report_find(struct analyzer *a, enum finding_kind kind,
                               const uint64_t *key, size_t nkey)
{
    uint32_t i = an_map_get(&a->findings.by_key, key_hash(kind, key, nkey),
                            (uint64_t)kind);
    return i == AN_NONE ? NULL : &a->findings.v[i];
}

struct finding *an_report(struct analyzer *a, enum finding_kind kind,
                          uint32_t proc, uint64_t ts, const uint64_t *key,
                          size_t nkey)
{
    struct an_findings *fl = &a->findings;
    uint64_t h = key_hash(kind, key, nkey);
    uint32_t i = an_map_get(&fl->by_key, h, (uint64_t)kind);
    if (i != AN_NONE) {
        fl->v[i].count++;
        return NULL;
    }
    an_grow(&fl->v, &fl->cap, fl->n + 1, sizeof *fl->v);
    struct finding *f = &fl->v[fl->n];
    memset(f, 0, sizeof *f);
    an_map_put(&fl->by_key, h, (uint64_t)kind, (uint32_t)fl->n);
    fl->n++;
    f->kind = kind;
    f->severity = finding_kind_severity(kind);
    f->count = 1;
    f->ts_ns = ts;
    f->proc = proc;
    struct an_proc *p = proc < a->nprocs ? &a->procs[proc] : NULL;
    f->pid = p ? p->pid : 0;
    return f;
}

void an_finding_message(struct finding *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
}

size_t an_finding_thread(struct finding *f, uint32_t thread)
{
    for (size_t i = 0; i < f->nthreads; i++)
        if (f->threads[i] == thread)
            return i;
    size_t max = sizeof f->threads / sizeof f->threads[0];
    if (f->nthreads == max)
        return max - 1;
    f->threads[f->nthreads] = thread;
    return f->nthreads++;
}

size_t an_finding_object(struct analyzer *a, struct finding *f, uint32_t obj)
{
    const struct an_obj *o = &a->objs[obj];
    for (size_t i = 0; i < f->nobjects; i++)
        if (f->objects[i].addr == o->addr && f->objects[i].proc == o->proc &&
            f->objects[i].generation == o->gen)
            return i;
    size_t max = sizeof f->objects / sizeof f->objects[0];
    if (f->nobjects == max)
        return max - 1;
    struct finding_object *fo = &f->objects[f->nobjects];
    memset(fo, 0, sizeof *fo);
    fo->addr = o->addr;
    fo->proc = o->proc;
    fo->generation = o->gen;
    snprintf(fo->kind, sizeof fo->kind, "%s", an_obj_kind_name(o->kind));
    fo->create_pc = o->create_pc;
    python_object_decorate(a, obj, fo);
    return f->nobjects++;
}

void an_finding_stack(struct analyzer *a, struct finding *f, uint32_t stack,
                      uint32_t thread, const char *fmt, ...)
{
    struct finding_stack *s =
        realloc(f->stacks, (f->nstacks + 1) * sizeof *f->stacks);
    if (!s)
        abort();
    f->stacks = s;
    struct finding_stack *st = &s[f->nstacks++];
    memset(st, 0, sizeof *st);
    st->thread = thread;
    st->proc = thread < a->nthreads ? a->threads[thread].proc : f->proc;
    uint32_t depth = 0;
    const uint64_t *pcs = an_stack_pcs(a, stack, &depth);
    if (depth > STACK_MAX_FRAMES)
        depth = STACK_MAX_FRAMES;
    if (depth)
        memcpy(st->pcs, pcs, depth * sizeof *pcs);
    st->depth = depth;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->label, sizeof st->label, fmt, ap);
    va_end(ap);
}

void an_note(struct analyzer *a, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    an_grow(&a->notes, &a->notes_cap, a->nnotes + 1, sizeof *a->notes);
    a->notes[a->nnotes] = strdup(buf);
    if (!a->notes[a->nnotes])
        abort();
    a->nnotes++;
}
