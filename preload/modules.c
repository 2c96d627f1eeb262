/* Loaded ELF objects, for offline symbolization: at image start (and in
 * every forked child) every object is recorded with its load bias, address
 * range, GNU build-id and path; dlopen and dlclose record the changes.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h.  dl_iterate_phdr takes the
 * loader's lock, so this never runs from a signal handler. */
#include "shim.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>

struct module_walk {
    struct trace_thread_writer *w;
};

static void note_build_id(const struct dl_phdr_info *info, const ElfW(Phdr) *ph,
                          struct trace_module_info *m)
{
    const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
    const char *end = p + ph->p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
        const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
        const char *name = p + sizeof *n;
        const char *desc = name + ((n->n_namesz + 3) & ~3u);
        if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
            memcmp(name, "GNU", 4) == 0) {
            size_t len = n->n_descsz < sizeof m->build_id ? n->n_descsz
                                                           : sizeof m->build_id;
            memcpy(m->build_id, desc, len);
            m->build_id_len = (uint16_t)len;
            return;
        }
        p = desc + ((n->n_descsz + 3) & ~3u);
    }
}

static void fill_ranges(const struct dl_phdr_info *info,
                        struct trace_module_info *m)
{
    m->lo = UINT64_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            uint64_t lo = info->dlpi_addr + ph->p_vaddr;
            uint64_t hi = lo + ph->p_memsz;
            if (lo < m->lo)
                m->lo = lo;
            if (hi > m->hi)
                m->hi = hi;
        } else if (ph->p_type == PT_NOTE && !m->build_id_len) {
            note_build_id(info, ph, m);
        }
    }
    if (m->lo == UINT64_MAX)
        m->lo = 0;
}

static int record_one(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct module_walk *walk = data;
    struct {
        struct trace_module_info m;
        char path[512];
    } rec;
    memset(&rec, 0, sizeof rec);
    rec.m.base = info->dlpi_addr;
    fill_ranges(info, &rec.m);
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
