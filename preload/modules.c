/* Loaded ELF objects, for offline symbolization: at image start (and in
 * every forked child) every object is recorded with its load bias, address
 * range, GNU build-id and path; dlopen and dlclose record the changes.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h.  dl_iterate_phdr takes the
 * loader's lock, so this never runs from a signal handler. */
#include "module.h"
#include "shim.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>

struct module_walk {
    struct trace_thread_writer *w;
};

static int record_one(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct module_walk *walk = data;
    struct {
        struct trace_module_info m;
        char path[512];
    } rec;
    memset(&rec, 0, sizeof rec);
    trace_module_describe(info, &rec.m);
    const char *name = info->dlpi_name;
    if (!name || !*name) /* the main program: its path is in the header */
        name = shim_proc.hdr ? shim_proc.hdr->exe : "";
    size_t len = strnlen(name, sizeof rec.path - 1);
    memcpy(rec.path, name, len);
    rec.m.path_len = (uint16_t)(len + 1);
    shim_event_payload(walk->w, TRACE_EV_MODULE_LOAD, NULL, 0, &rec,
                       (uint32_t)(sizeof rec.m + len + 1));
    return 0;
}

void shim_modules_record(struct trace_thread_writer *w)
{
    struct module_walk walk = {w};
    shim_enter();
    dl_iterate_phdr(record_one, &walk);
    shim_leave();
}

static uint64_t handle_base(void *handle)
{
    struct link_map *lm = NULL;
    if (!handle || dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm)
        return UINT64_MAX;
    return lm->l_addr;
}

/* A dlopen may bring dependencies along: record every object again (the
 * symbolizer keeps one module per load base; dlopen is rare). */
SHIM_EXPORT void *dlopen(const char *file, int mode)
{
    SHIM_REAL(dlopen);
    void *h = real(file, mode);
    struct trace_thread_writer *w = shim_writer();
    if (!w || !h || shim_tls.in_signal)
        return h;
    int saved = errno;
    shim_modules_record(w);
    errno = saved;
    return h;
}

SHIM_EXPORT int dlclose(void *handle)
{
    SHIM_REAL(dlclose);
    struct trace_thread_writer *w = shim_writer();
    uint64_t base = w ? handle_base(handle) : UINT64_MAX;
    int rc = real(handle);
    if (w && rc == 0 && base != UINT64_MAX) {
        int saved = errno;
        /* Still mapped after a dlclose when other handles keep it. */
        shim_event(w, TRACE_EV_MODULE_UNLOAD, (void *)(uintptr_t)base, 0, 0);
        errno = saved;
    }
    return rc;
}
