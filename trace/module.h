/* Describing a loaded ELF object as a module-load payload
 * (struct trace_module_info): load bias, PT_LOAD address range and GNU
 * build-id, read from the loader's dl_phdr_info.  Used by the shim when
 * it records modules, and by tests that symbolize their own process.
 * Reads only the object's mapped headers: no allocation, no locks. */
#ifndef CTRACE_TRACE_MODULE_H
#define CTRACE_TRACE_MODULE_H

#include <link.h>

#include "format.h"

/* Fill base, lo, hi and the build-id of *m (zeroed first). */
void trace_module_describe(const struct dl_phdr_info *info,
                           struct trace_module_info *m);

#endif
