/* Python frames as stack entries (docs/python.md).
 *
 * A recorded stack is a list of u64 pcs.  A Python frame (function, file,
 * line) joins such a list as a token: a u64 that can never be a pc (it is
 * not a canonical address) and that names one entry of a table of
 * distinct frames.  So a sync event made from Python has one stack, its
 * Python frames first and its C frames after, and every piece of ctrace
 * that carries stacks (interning, findings, copies for the live monitor)
 * carries Python frames unchanged; the symbolizer turns a token back into
 * a frame (symbols.c), which is how the report and the viewer show them.
 *
 * The table is one per process, shared by every analyzer in it, and only
 * grows (memory is bounded by the distinct frames of the traces read).
 * Interning takes a lock; looking up a token does not, so a viewer thread
 * may symbolize while an analyzer interns. */
#ifndef CTRACE_ANALYZER_PYSTACK_H
#define CTRACE_ANALYZER_PYSTACK_H

#include <stdbool.h>
#include <stdint.h>

#define PYSTACK_TAG 0xcf00000000000000ull
#define PYSTACK_TAG_MASK 0xff00000000000000ull

static inline bool pystack_is_token(uint64_t pc)
{
    return (pc & PYSTACK_TAG_MASK) == PYSTACK_TAG;
}

/* The token of a frame (0 when the table is full or out of memory). */
uint64_t pystack_intern(const char *func, const char *file, uint32_t line);

/* The frame a token names; false for anything else.  The strings live as
 * long as the process. */
bool pystack_lookup(uint64_t token, const char **func, const char **file,
                    uint32_t *line);

/* Whether a file is the Python standard library's or the interpreter's
 * own ("<frozen importlib._bootstrap>"), rather than the program's. */
bool pystack_file_is_stdlib(const char *file);

#endif
