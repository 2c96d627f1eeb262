/* Module descriptions from dl_phdr_info (see module.h). */
#include "module.h"

#include <elf.h>
#include <string.h>

static void note_build_id(const struct dl_phdr_info *info,
                          const ElfW(Phdr) * ph, struct trace_module_info *m)
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

void trace_module_describe(const struct dl_phdr_info *info,
                           struct trace_module_info *m)
{
    memset(m, 0, sizeof *m);
    m->base = info->dlpi_addr;
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
