/* The trace reader: the one way everything outside the shim reads a trace.
 *
 * It owns opening a trace directory, validating every file, chunk and
 * record (never trusting the bytes: a truncated or corrupt trace gives an
 * error naming the file and offset, never a crash), decoding records into
 * `struct trace_event`, and merging all threads of all processes into one
 * stream whose order is consistent with happens-before: per thread,
 * program order; across threads, clock order, except that for every
 * object an event with a smaller sequence number always comes first.
 *
 * It can also follow a trace that is still being written (live mode):
 * trace_reader_poll() picks up new processes, threads, chunks and records.
 */
#ifndef CTRACE_TRACE_READER_H
#define CTRACE_TRACE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"

/* One decoded event.  Pointers stay valid until the next call to
 * trace_reader_next() on the same reader. */
struct trace_event {
    uint64_t ts_ns; /* ns since the trace's start: its earliest
                       process start or event */
    uint64_t clock; /* raw clock value (ticks or ns, see clock_kind) */
    uint32_t type;  /* enum trace_event_type */
    uint32_t arg;
    uint32_t seq; /* low 32 bits of the object sequence (TF_SEQ) */
    uint32_t pid;
    uint32_t tid;
    uint32_t proc;              /* index into trace_reader_process() */
    uint32_t thread;            /* index into trace_reader_thread() */
    uint64_t obj;               /* object address (TF_OBJ), else 0 */
    uint64_t site;              /* caller's return address, 0 if none */
    const uint64_t *site_stack; /* deeper stack of the site, or NULL */
    uint32_t site_depth;        /* frames in site_stack */
    uint32_t payload_len;
    const void *payload; /* TF_PAYLOAD events, else NULL */
};

/* A process image (one file). */
struct trace_process {
    uint32_t pid;
    uint32_t ppid;
    uint32_t image; /* 0 first image of the pid, +1 per exec */
    uint32_t flags; /* TRACE_FILE_* */
    int parent;     /* index of the parent image, -1 if outside */
    int exec_from;  /* index of the image this one exec'd from, or -1 */
    uint32_t exit_status;
    bool exited; /* exit status known */
    const char *exe;
    const char *cmdline; /* argv joined with spaces */
    const char *path;    /* the file */
    uint64_t lost_events;
    uint64_t start_ns, end_ns;
};

/* A thread of a process image. */
struct trace_thread {
    uint32_t proc; /* index of its process */
    uint32_t tid;
    uint32_t serial;
    char name[64]; /* latest name known when the thread list was
                      built; "" if none */
    uint64_t events;
    uint64_t lost_events;
    uint64_t first_ns, last_ns;
};

struct trace_reader;

/* Error text: "FILE: offset N: what is wrong". */
struct trace_error {
    char msg[512];
};

/* Open a trace directory.  NULL and err filled when it is not a
 * readable trace (missing, not a directory, no process files, bad
 * magic/version, truncated header). */
struct trace_reader *trace_reader_open(const char *dir,
                                       struct trace_error *err);
void trace_reader_close(struct trace_reader *r);

/* Next event in merged order.  Returns 1 with *ev filled, 0 at the end
 * (in live mode: for now), -1 on a corrupt trace with err filled (the
 * reader stops at the first corruption of a file but keeps what came
 * before; trace_reader_next() may then be called again to go on with
 * the other threads). */
int trace_reader_next(struct trace_reader *r, struct trace_event *ev,
                      struct trace_error *err);

/* The first damage known so far without reading events -- a corrupt
 * chunk area, a file in the directory that is not a process file, and
 * (unless in live mode) a truncated file -- as trace_reader_next() does
 * or will report it: for viewers, which read threads alone
 * (trace_thread_reader_*) and would never see those.  false when none. */
bool trace_reader_damage(const struct trace_reader *r, struct trace_error *err);

/* Live mode: look again for new files, chunks and records.  Returns the
 * number of new records found, -1 with err on failure. */
int trace_reader_poll(struct trace_reader *r, struct trace_error *err);

/* The lists; pointers stay valid until the next trace_reader_poll(). */
size_t trace_reader_process_count(const struct trace_reader *r);
const struct trace_process *trace_reader_process(const struct trace_reader *r,
                                                 size_t i);
size_t trace_reader_thread_count(const struct trace_reader *r);
const struct trace_thread *trace_reader_thread(const struct trace_reader *r,
                                               size_t i);

/* Total events lost as recorded by the shim (all files). */
uint64_t trace_reader_lost_events(const struct trace_reader *r);

/* The event table. */
const char *trace_event_name(uint32_t type); /* "mutex-acquire" or NULL */
uint32_t trace_event_flags(uint32_t type);   /* TF_* or 0 */
uint32_t trace_event_family(uint32_t type);  /* TRACE_FAM_*; META if unknown */
int trace_event_from_name(const char *name); /* type, or -1 */

/* true when sequence a comes before b (32-bit serial arithmetic). */
static inline bool trace_seq_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

/* ---- one thread alone (viewers) ----
 * A thread's own events in program order, read apart from the merged
 * stream (which it never disturbs), starting near a point in time: at
 * the latest chunk that begins at or before from_ns, so events before
 * from_ns may come first (callers skip them by ts_ns).  The cost of the
 * seek is at most one chunk.  In live mode it goes on after
 * trace_reader_poll() like the merged stream.  `thread` is a reader
 * thread index; NULL when there is no such thread. */
struct trace_thread_reader;
struct trace_thread_reader *trace_thread_reader_open(struct trace_reader *r,
                                                     size_t thread,
                                                     uint64_t from_ns);
/* 1 with *ev filled (valid until the next call), 0 at the end (for now),
 * -1 on corruption with err filled (the rest of the thread is skipped). */
int trace_thread_reader_next(struct trace_thread_reader *tr,
                             struct trace_event *ev, struct trace_error *err);
void trace_thread_reader_close(struct trace_thread_reader *tr);
/* Free its slot tables (about 90 KiB) until the next read, which
 * rebuilds them from the current chunk: for live viewers that keep a
 * reader per thread. */
void trace_thread_reader_park(struct trace_thread_reader *tr);

/* Work done so far, counted in steps (comparisons, probes, visits), for
 * tests that check how the reader grows with a trace without timing it. */
struct trace_reader_work {
    uint64_t link_steps; /* linking images: parents and exec'd images */
    uint64_t gate_steps; /* holding first events until their creation */
};
void trace_reader_work(const struct trace_reader *r,
                       struct trace_reader_work *w);

/* CLOCK_REALTIME, in ns since the epoch, at ts_ns 0 (0 if unknown). */
uint64_t trace_reader_start_real_ns(const struct trace_reader *r);

/* This moment in the trace's ts_ns time base (live mode: how long ago
 * the latest event happened is now - its ts_ns). */
uint64_t trace_reader_now_ns(const struct trace_reader *r);

#endif
