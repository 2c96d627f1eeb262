/* Unwinding a stopped live process with libdwfl (unwind.h). */
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unwind.h"

struct unwind {
    Dwfl *dwfl;
    pid_t pid;
    char exe[4096];
};

static char *unwind_debuginfo_path;

static const Dwfl_Callbacks unwind_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .debuginfo_path = &unwind_debuginfo_path,
};

struct unwind *unwind_open(pid_t pid, char *err, size_t errlen)
{
    struct unwind *u = calloc(1, sizeof *u);
    if (!u)
        abort();
    u->pid = pid;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, u->exe, sizeof u->exe - 1);
    u->exe[n > 0 ? n : 0] = '\0';
    u->dwfl = dwfl_begin(&unwind_callbacks);
    if (!u->dwfl) {
        snprintf(err, errlen, "libdwfl: %s", dwfl_errmsg(-1));
        free(u);
        return NULL;
    }
    int rc = dwfl_linux_proc_report(u->dwfl, pid);
    if (rc != 0 || dwfl_report_end(u->dwfl, NULL, NULL) != 0) {
        snprintf(err, errlen, "cannot read the memory map of process %d: %s",
                 (int)pid, rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
        unwind_close(u);
        return NULL;
    }
    /* the threads are ptrace-stopped already (stop.c) */
    rc = dwfl_linux_proc_attach(u->dwfl, pid, true);
    if (rc != 0) {
        snprintf(err, errlen, "cannot unwind process %d: %s", (int)pid,
                 rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
        unwind_close(u);
        return NULL;
    }
    return u;
}

void unwind_close(struct unwind *u)
{
    if (!u)
        return;
    dwfl_end(u->dwfl);
    free(u);
}

struct unwind_walk {
    uint64_t *pcs;
    size_t n, max;
};

static int unwind_frame_cb(Dwfl_Frame *state, void *arg)
{
    struct unwind_walk *w = arg;
    Dwarf_Addr pc;
    bool activation;
    if (!dwfl_frame_pc(state, &pc, &activation) || pc == 0)
        return DWARF_CB_ABORT;
    w->pcs[w->n++] = pc;
    return w->n < w->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

size_t unwind_thread(struct unwind *u, pid_t tid, uint64_t *pcs, size_t max)
{
    struct unwind_walk w = {pcs, 0, max};
    if (max)
        dwfl_getthread_frames(u->dwfl, tid, unwind_frame_cb, &w);
    return w.n; /* an unwind that stops early keeps what it found */
}

const char *unwind_function(struct unwind *u, uint64_t pc, bool is_return)
{
    Dwarf_Addr a = is_return && pc ? pc - 1 : pc;
    Dwfl_Module *m = dwfl_addrmodule(u->dwfl, a);
    return m ? dwfl_module_addrname(m, a) : NULL;
}

struct unwind_mod_ctx {
    unwind_module_fn fn;
    void *ctx;
};

static int unwind_module_cb(Dwfl_Module *mod, void **userdata, const char *name,
                            Dwarf_Addr start, void *arg)
{
    (void)userdata;
    struct unwind_mod_ctx *c = arg;
    Dwarf_Addr lo, hi;
    const char *mainfile;
    dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, &mainfile, NULL);
    const char *path = mainfile ? mainfile : name;
    if (!path || path[0] != '/')
        return DWARF_CB_OK; /* [vdso] and the like */
    struct trace_module_info m;
    memset(&m, 0, sizeof m);
    Dwarf_Addr bias = 0;
    if (dwfl_module_getelf(mod, &bias))
        m.base = bias;
    else
        m.base = start;
    m.lo = lo;
    m.hi = hi;
    const unsigned char *id;
    GElf_Addr vaddr;
    int len = dwfl_module_build_id(mod, &id, &vaddr);
    if (len > 0 && (size_t)len <= sizeof m.build_id) {
        memcpy(m.build_id, id, (size_t)len);
        m.build_id_len = (uint16_t)len;
    }
    m.path_len = (uint16_t)(strlen(path) + 1);
    c->fn(c->ctx, &m, path);
    return DWARF_CB_OK;
}

void unwind_modules(struct unwind *u, unwind_module_fn fn, void *ctx)
{
    struct unwind_mod_ctx c = {fn, ctx};
    dwfl_getmodules(u->dwfl, unwind_module_cb, &c, 0);
}

struct unwind_sym_ctx {
    const char *part, *name;
    uint64_t addr;
    bool found;
};

static int unwind_sym_cb(Dwfl_Module *mod, void **userdata, const char *mname,
                         Dwarf_Addr start, void *arg)
{
    (void)userdata;
    (void)start;
    struct unwind_sym_ctx *c = arg;
    if (c->part && (!mname || !strstr(mname, c->part)))
        return DWARF_CB_OK;
    int n = dwfl_module_getsymtab(mod);
    for (int i = 0; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        const char *s =
            dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
        if (s && sym.st_shndx != SHN_UNDEF && strcmp(s, c->name) == 0) {
            c->addr = addr;
            c->found = true;
            return DWARF_CB_ABORT;
        }
    }
    return DWARF_CB_OK;
}

bool unwind_symbol(struct unwind *u, const char *module_part, const char *name,
                   uint64_t *addr)
{
    struct unwind_sym_ctx c = {module_part, name, 0, false};
    dwfl_getmodules(u->dwfl, unwind_sym_cb, &c, 0);
    if (c.found)
        *addr = c.addr;
    return c.found;
}

struct unwind_exe_ctx {
    const char *exe;
    bool has;
};

static int unwind_exe_cb(Dwfl_Module *mod, void **userdata, const char *mname,
                         Dwarf_Addr start, void *arg)
{
    (void)userdata;
    (void)start;
    struct unwind_exe_ctx *c = arg;
    if (mname && strcmp(mname, c->exe) == 0) {
        c->has = dwfl_module_getsymtab(mod) > 0;
        return DWARF_CB_ABORT;
    }
    return DWARF_CB_OK;
}

bool unwind_exe_has_symbols(struct unwind *u)
{
    struct unwind_exe_ctx c = {u->exe, true};
    dwfl_getmodules(u->dwfl, unwind_exe_cb, &c, 0);
    return c.has;
}
