/* Stacks of a stopped live process, with elfutils' libdwfl as eu-stack
 * does it: the modules come from /proc/PID/maps, the registers of each
 * ptrace-stopped thread (stop.h) start an unwind that uses the modules'
 * CFI (.eh_frame, .debug_frame).  The pcs go to the analyzer's
 * symbolizer for file:line and inline frames (the same as `ctrace
 * report`), so this module only unwinds, names the functions frames are
 * in (attach classifies waits by them), lists the modules and finds
 * symbols (CPython's _PyRuntime). */
#ifndef CTRACE_ATTACH_UNWIND_H
#define CTRACE_ATTACH_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "format.h"

struct unwind;

/* Modules of pid, ready to unwind its ptrace-stopped threads.  NULL with
 * a message in err. */
struct unwind *unwind_open(pid_t pid, char *err, size_t errlen);
void unwind_close(struct unwind *u);

/* The stack of a stopped thread, innermost first: the first pc is where
 * it is, the others return addresses.  Returns the depth (0: none). */
size_t unwind_thread(struct unwind *u, pid_t tid, uint64_t *pcs, size_t max);

/* The symbol a pc lies in ("__lll_lock_wait"), NULL when none; a return
 * address is looked up at pc-1. */
const char *unwind_function(struct unwind *u, uint64_t pc, bool is_return);

/* Each ELF module: its trace_module_info (load bias, range, build id)
 * and its file. */
typedef void (*unwind_module_fn)(void *ctx, const struct trace_module_info *m,
                                 const char *path);
void unwind_modules(struct unwind *u, unwind_module_fn fn, void *ctx);

/* Address of a symbol (data or function) in the module whose file name
 * contains `module_part` (NULL: any module).  False when none has it. */
bool unwind_symbol(struct unwind *u, const char *module_part, const char *name,
                   uint64_t *addr);

/* Whether the main executable has a symbol table at all (a stripped
 * static binary has none: its stacks are bare addresses). */
bool unwind_exe_has_symbols(struct unwind *u);

#endif
