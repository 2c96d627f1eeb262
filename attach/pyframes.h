/* CPython 3.11's own frames, read from a stopped interpreter's memory:
 * for every thread its Python stack (function, file, line) and the
 * threading.Lock objects it holds inside `with` blocks.  See pyframes.c
 * for the structures walked and how each is checked before it is
 * trusted; any check that fails leaves the process without Python frames
 * and says why (snap_proc.py_error), never a wrong frame. */
#ifndef CTRACE_ATTACH_PYFRAMES_H
#define CTRACE_ATTACH_PYFRAMES_H

#include <stdint.h>

#include "snapshot.h"

struct unwind;

/* Fill the Python frames of process s->procs[pi]'s threads when it runs
 * CPython 3.11 (nothing otherwise). */
void pyframes_read(struct snapshot *s, uint32_t pi, struct unwind *u);

#endif
