/* Recording of blocking acquisitions, shared by every lock family
 * (see acquire.h).  RUNS INSIDE THE TRACED PROGRAM: see shim.h. */
#include "acquire.h"

#include <errno.h>

/* A robust mutex whose owner died is acquired all the same. */
static inline bool acquired(int err) { return err == 0 || err == EOWNERDEAD; }

static int record_outcome(struct trace_thread_writer *w,
                          const struct shim_acquire_spec *spec, void *obj,
                          uint64_t site, int rc, uint32_t how)
{
    int err = shim_result_error(spec->style, rc);
    if (acquired(err))
        shim_event_acquire(w, spec->ev_acquire, obj, site, how);
    else
        shim_event(w, spec->ev_fail, obj, site, (uint32_t)err);
    return rc;
}

/* After a first non-blocking attempt that returned `rc`. */
static int acquire_after(struct trace_thread_writer *w,
                         const struct shim_acquire_spec *spec, void *obj,
                         uint64_t site, const struct shim_block_call *block,
                         int rc, int saved_errno)
{
    uint32_t how = block->timed ? TRACE_ACQ_TIMED : TRACE_ACQ_LOCK;
    int err = shim_result_error(spec->style, rc);
    if (err == spec->busy) {
        shim_event(w, spec->ev_wait, obj, site,
                   block->timed ? TRACE_WAIT_TIMED : 0);
        errno = saved_errno;
        rc = block->fn(obj, block->a, block->b);
        how |= TRACE_ACQ_CONTENDED;
    } else if (!acquired(err)) {
        /* Any other error: let the blocking call give the program the
         * answer it would have had without us. */
        errno = saved_errno;
        rc = block->fn(obj, block->a, block->b);
    }
    return record_outcome(w, spec, obj, site, rc, how);
}

int shim_acquire(struct trace_thread_writer *w,
                 const struct shim_acquire_spec *spec, void *obj, uint64_t site,
                 const struct shim_block_call *block)
{
    int saved = errno;
    int rc = spec->try_fn(obj);
    return acquire_after(w, spec, obj, site, block, rc, saved);
}

int shim_acquire_after_try(struct trace_thread_writer *w,
                           const struct shim_acquire_spec *spec, void *obj,
                           uint64_t site, const struct shim_block_call *block,
                           int rc)
{
    /* pthread-style callers only: the trylock left errno alone. */
    return acquire_after(w, spec, obj, site, block, rc, errno);
}

int shim_try_result(struct trace_thread_writer *w,
                    const struct shim_acquire_spec *spec, void *obj,
                    uint64_t site, int rc)
{
    return record_outcome(w, spec, obj, site, rc, TRACE_ACQ_TRY);
}
