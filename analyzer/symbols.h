/* Symbolization: recorded pcs -> function, file:line:column, inline chain.
 *
 * This module owns turning the raw addresses of a trace into frames a
 * person can read.  It knows, per process image (the reader's process
 * index), the ELF modules that image had loaded (from its module-load
 * events: path, load bias, address range, build id) and reads their
 * symbols and DWARF offline with elfutils' libdwfl.  One libdwfl session
 * is kept per distinct file, shared by every process image that mapped
 * it, and every answer is cached per (module, address).
 *
 * It never fails a lookup: a missing file, a file without debug info, a
 * pc outside every known module, or a file whose build id differs from
 * the recorded one all degrade to `module+0xoffset` (or the bare pc).
 *
 * Strings in a struct sym_frame belong to the symbolizer and live until
 * sym_free().
 */
#ifndef CTRACE_ANALYZER_SYMBOLS_H
#define CTRACE_ANALYZER_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"

struct trace_event;

/* One frame.  A pc inside inlined code gives several frames, innermost
 * first: all but the last have `inlined` set. */
struct sym_frame {
    uint64_t pc;              /* the pc as recorded (never pc-1) */
    const char *function;     /* demangled; NULL when unknown */
    const char *file;         /* source path as in DWARF; NULL when unknown */
    int line;                 /* 0 when unknown */
    int column;               /* 0 when unknown */
    const char *module;       /* module path; NULL when no module covers pc */
    const char *module_short; /* its basename ("libc.so.6") */
    const char *lib;          /* short library label for system and ctrace
                                 modules ("libc", "ctrace"), else NULL */
    uint64_t offset;          /* pc - load bias of the module */
    bool inlined;             /* inlined into the next frame */
    bool in_system;           /* libc, libpthread, ld.so, libstdc++,
                                 sanitizer runtimes, ... */
    bool in_ctrace;           /* ctrace's own libctrace.so */
    bool binary_changed;      /* the file's build id is not the recorded one */
};

/* Most frames one pc can expand to (inline depth + 1). */
#define SYM_MAX_INLINE 16

struct symbolizer;

struct symbolizer *sym_new(void);
void sym_free(struct symbolizer *s);

/* Tell the symbolizer that process image `proc` had module `m` loaded
 * from `path` (the payload's own path when NULL).  Adding the same
 * module twice is harmless. */
void sym_add_module(struct symbolizer *s, uint32_t proc,
                    const struct trace_module_info *m, const char *path);

/* Feed any trace event: module-load events are recorded, the rest are
 * ignored.  `exe` names the process's executable, used when the
 * recorded path is empty (the main program as dl_iterate_phdr sees it). */
void sym_add_event(struct symbolizer *s, const struct trace_event *ev,
                   const char *exe);

/* Read every module-load event of a trace directory.  Returns 0, or -1
 * with a message in err (the trace could not be opened). */
int sym_load_trace(struct symbolizer *s, const char *dir, char *err,
                   size_t errlen);

/* Frames for `pc` in process image `proc`, innermost first, at most
 * `max` (>= 1).  `is_return_address`: the pc was pushed by a call, so the
 * source line is looked up at pc-1 (the call instruction).  Always
 * returns >= 1. */
int sym_lookup(struct symbolizer *s, uint32_t proc, uint64_t pc,
               bool is_return_address, struct sym_frame *out, int max);

/* Name of the data symbol (a global or static variable) covering `addr`
 * in process image `proc`: "table_lock", or "locks+64" inside an array
 * or struct.  Returns false when no symbol covers it (heap, stack). */
bool sym_lookup_data(struct symbolizer *s, uint32_t proc, uint64_t addr,
                     char *buf, size_t len);

/* Demangle a C++ symbol; returns `name` itself when it is not mangled.
 * The result is owned by the symbolizer. */
const char *sym_demangle(struct symbolizer *s, const char *name);

/* Write a frame as "func (file.c:42)" / "module+0x1234": the compact
 * form used by the text report, suppressions and SARIF messages.  File
 * names are shortened to their basename when `short_file`. */
void sym_frame_format(const struct sym_frame *f, bool short_file, char *buf,
                      size_t len);

#endif
