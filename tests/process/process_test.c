/* Helpers for the process tests (see process_test.h). */
#include "process_test.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *dir)
{
    char *parent = strdup(dir);
    *strrchr(parent, '/') = '\0';
    nftw(parent, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(parent);
}

void proc_run_traced(struct proc_run *r, const char *const argv[],
                     const char *input)
{
    memset(r, 0, sizeof *r);
    const char *dir = e2e_trace_dir();
    const char *full[64] = {"ctrace", "run", "--no-report", "-o", dir};
    size_t n = 5;
    for (size_t i = 0; argv[i] && n < 63; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    cr_assert_eq(e2e_run_env(&r->res, full, NULL, input, E2E_TIMEOUT_S), 0,
                 "cannot start %s", e2e_ctrace());
    cr_assert(!r->res.timed_out, "%s under ctrace timed out (deadlock?)",
              argv[0]);
    e2e_load_trace(&r->t, dir);
    remove_tree(dir);
}

void proc_run_free(struct proc_run *r)
{
    e2e_trace_free(&r->t);
    e2e_result_free(&r->res);
}

void proc_run_native(struct e2e_result *res, const char *const argv[],
                     const char *input)
{
    cr_assert_eq(e2e_run_env(res, argv, NULL, input, E2E_TIMEOUT_S), 0,
                 "cannot start %s", argv[0]);
    cr_assert(!res->timed_out, "%s timed out", argv[0]);
}

/* `text` without the lines that begin with `mask` (malloc'ed). */
static char *drop_lines(const char *text, const char *mask)
{
    char *out = malloc(strlen(text) + 1), *o = out;
    size_t mlen = mask ? strlen(mask) : 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (!mask || strncmp(p, mask, mlen) != 0) {
            memcpy(o, p, len);
            o += len;
        }
        p += len;
    }
    *o = '\0';
    return out;
}

void proc_assert_same(const char *what, const struct e2e_result *native,
                      const struct e2e_result *traced, const char *mask)
{
    cr_expect_eq(traced->status, native->status,
                 "%s: exit status %d under ctrace, %d without", what,
                 traced->status, native->status);
    char *a = drop_lines(native->out, mask), *b = drop_lines(traced->out, mask);
    cr_expect_str_eq(b, a, "%s: stdout differs under ctrace", what);
    free(a);
    free(b);
    a = drop_lines(native->err, mask);
    b = drop_lines(traced->err, mask);
    cr_expect_str_eq(b, a, "%s: stderr differs under ctrace", what);
    free(a);
    free(b);
}

uint64_t proc_out_value(const char *out, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
            return strtoull(p + klen + 1, NULL, 0);
    cr_assert_fail("no \"%s\" line in the output:\n%s", key, out);
    return 0;
}

uint32_t proc_out_role_pid(const char *out, const char *role)
{
    char key[64];
    snprintf(key, sizeof key, "%s pid=", role);
    size_t klen = strlen(key);
    for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (strncmp(p, key, klen) == 0)
            return (uint32_t)strtoul(p + klen, NULL, 10);
    return 0;
}

size_t proc_count(const struct e2e_trace *t, uint32_t type, uint32_t pid)
{
    return e2e_count(t, type, pid);
}

size_t proc_count_arg(const struct e2e_trace *t, uint32_t type, uint32_t pid,
                      uint32_t arg)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += t->ev[i].type == type && (!pid || t->ev[i].pid == pid) &&
             t->ev[i].arg == arg;
    return n;
}

const struct trace_event *proc_find(const struct e2e_trace *t, uint32_t type,
                                    uint32_t pid, size_t nth)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->ev[i].type == type && (!pid || t->ev[i].pid == pid) &&
            nth-- == 0)
            return &t->ev[i];
    return NULL;
}

int proc_image_index(const struct e2e_trace *t, uint32_t pid, uint32_t image)
{
    for (size_t i = 0; i < t->nprocs; i++)
        if (t->procs[i].pid == pid && t->procs[i].image == image)
            return (int)i;
    return -1;
}

bool proc_pcs_hit(const uint64_t *pcs, size_t n, uint64_t lo, uint64_t span)
{
    for (size_t i = 0; i < n; i++)
        if (pcs[i] >= lo && pcs[i] < lo + span)
            return true;
    return false;
}

const uint64_t *proc_signal_pcs(const struct trace_event *e,
                                const struct trace_signal_info **info)
{
    cr_assert_geq(e->payload_len, sizeof **info, "short signal payload");
    *info = e->payload;
    cr_assert_geq(
        e->payload_len, sizeof **info + (*info)->nframes * sizeof(uint64_t),
        "signal payload shorter than its %u frames", (*info)->nframes);
    return (const uint64_t *)((const char *)e->payload + sizeof **info);
}

static const uint64_t *pcs_after(const struct trace_event *e, size_t off,
                                 size_t nframes)
{
    off = (off + 7u) & ~(size_t)7u;
    cr_assert_geq(e->payload_len, off + nframes * sizeof(uint64_t),
                  "payload shorter than its %zu frames", nframes);
    return (const uint64_t *)((const char *)e->payload + off);
}

void proc_assert_decode(const struct trace_event *e, struct proc_assert *a)
{
    struct trace_assert_info info;
    cr_assert_geq(e->payload_len, sizeof info, "short assert payload");
    memcpy(&info, e->payload, sizeof info);
    const char *s = (const char *)e->payload + sizeof info;
    size_t strings = (size_t)info.expr_len + info.file_len + info.func_len;
    cr_assert_geq(e->payload_len, sizeof info + strings, "assert strings cut");
    a->line = info.line;
    a->expr = s;
    a->file = s + info.expr_len;
    a->func = s + info.expr_len + info.file_len;
    a->nframes = info.nframes;
    a->pcs = pcs_after(e, sizeof info + strings, info.nframes);
}

void proc_throw_decode(const struct trace_event *e, struct proc_throw *x)
{
    struct trace_throw_info info;
    cr_assert_geq(e->payload_len, sizeof info, "short throw payload");
    memcpy(&info, e->payload, sizeof info);
    const char *s = (const char *)e->payload + sizeof info;
    size_t strings = (size_t)info.type_len + info.what_len;
    cr_assert_geq(e->payload_len, sizeof info + strings, "throw strings cut");
    x->type = info.type_len ? s : "";
    x->what = info.what_len ? s + info.type_len : "";
    x->nframes = info.nframes;
    x->pcs = pcs_after(e, sizeof info + strings, info.nframes);
}
