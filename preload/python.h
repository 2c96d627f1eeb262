/* Python support in the shim (python.c, docs/python.md): the innermost
 * Python frames of a sync event made from Python code, recorded as a
 * py-frames event just before the event they belong to.
 *
 * RUNS INSIDE THE TRACED PROGRAM: see shim.h.  Frames are only read by
 * the thread that holds the GIL, from its own thread state, never in a
 * signal handler; anywhere else nothing is recorded and the event keeps
 * its C frames only. */
#ifndef CTRACE_PRELOAD_PYTHON_H
#define CTRACE_PRELOAD_PYTHON_H

#include "shim.h"

/* Non-zero once CPython was found in this image and frames can be read. */
extern int shim_py_active;

void shim_python_frames_slow(struct trace_thread_writer *w, const void *obj,
                             uint64_t site);

/* Record the calling thread's Python frames for its next event on `obj`
 * (NULL: its next fork or thread-create), when it holds the GIL.  One
 * load and a branch in programs that are not Python. */
static inline void shim_python_frames(struct trace_thread_writer *w,
                                      const void *obj, uint64_t site)
{
    if (SHIM_UNLIKELY(shim_py_active))
        shim_python_frames_slow(w, obj, site);
}

#endif
