/* Helpers for the reader tests: traces built in-process with the real
 * writer, traces crafted byte by byte (to control every clock, sequence
 * number and slot, and to break them on purpose), and a loader that
 * keeps going after errors so a test can look at both.
 */
#ifndef CTRACE_TESTS_RT_H
#define CTRACE_TESTS_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"
#include "writer.h"

/* A fresh, empty trace directory for this test. */
char *rt_dir(void);

/* ---- traces written with the writer ---- */

/* Open a process image in dir; fails the test if the writer cannot. */
void rt_proc_open(struct trace_proc_writer *pw, const char *dir, uint32_t pid,
                  uint32_t ppid, uint32_t flags, uint32_t kind);
/* A thread writer with the process's next serial. */
struct trace_thread_writer *rt_thread(struct trace_proc_writer *pw,
                                      uint32_t tid);
/* Wait until the clock has moved on, so that the next event is stamped
 * strictly later than every event before it. */
void rt_tick(uint32_t kind);
/* The clock kinds worth testing on this machine (TSC when usable). */
uint32_t rt_kind_best(void);

/* ---- reading everything ---- */

struct rt_trace {
    struct trace_event *ev; /* payload/site_stack copied */
    size_t n;
    char **err; /* messages of trace_reader_next() == -1 */
    size_t nerr;
    struct trace_process *procs;
    size_t nprocs;
    struct trace_thread *threads;
    size_t nthreads;
    uint64_t lost;
    bool opened;
    char open_err[512];
};

/* Open and read a whole trace (never fails the test by itself). */
void rt_load(struct rt_trace *t, const char *dir);
/* Read what a reader still has to give into t (appending). */
void rt_drain(struct rt_trace *t, struct trace_reader *r);
void rt_free(struct rt_trace *t);
/* Events of one reader thread index, in order: count, and the i-th. */
size_t rt_thread_count(const struct rt_trace *t, uint32_t thread);
const struct trace_event *rt_thread_event(const struct rt_trace *t,
                                          uint32_t thread, size_t i);
/* The reader thread index of (pid, serial), or -1. */
int rt_find_thread(const struct rt_trace *t, uint32_t pid, uint32_t serial);
/* Check that every event is well formed (types, payload bounds). */
void rt_check_sane(const struct rt_trace *t);

/* ---- traces crafted byte by byte ---- */

struct craft_file {
    uint8_t *buf;
    size_t len, cap;
};

struct craft_chunk {
    struct craft_file *f;
    size_t off; /* of the chunk header */
    uint32_t size;
    uint32_t n;     /* words written */
    uint64_t clock; /* clock of the latest record */
};

/* A header page; kind TRACE_CLOCK_MONOTONIC makes clock == ns. */
void craft_header(struct craft_file *f, uint32_t pid, uint32_t ppid,
                  uint32_t image, uint32_t flags, uint32_t kind,
                  uint64_t start_clock);
struct trace_file_header *craft_hdr(struct craft_file *f);
/* Append a chunk (size bytes) and make it the one records go to. */
void craft_chunk(struct craft_file *f, struct craft_chunk *c, uint32_t size,
                 uint32_t tid, uint32_t serial, uint32_t index,
                 uint64_t base_clock);
struct trace_chunk_header *craft_chunk_hdr(struct craft_chunk *c);
/* Append `size` bytes of `byte` (zero: space reserved, never written). */
void craft_fill(struct craft_file *f, size_t size, uint8_t byte);
/* Records; each one counts in the chunk's `used`. */
/* One record word; a full record's two words; a short record. */
void craft_word(struct craft_chunk *c, uint64_t w);
void craft_raw(struct craft_chunk *c, uint64_t w0, uint64_t w1);
void craft_short(struct craft_chunk *c, uint32_t type, unsigned obj_slot,
                 unsigned site_slot, uint64_t clock);
void craft_objdef(struct craft_chunk *c, unsigned slot, uint64_t addr);
void craft_sitedef(struct craft_chunk *c, unsigned slot, uint64_t pc);
void craft_time(struct craft_chunk *c, uint64_t clock);
void craft_event(struct craft_chunk *c, uint32_t type, unsigned obj_slot,
                 unsigned site_slot, uint32_t seq, uint32_t arg,
                 uint64_t clock);
void craft_payload(struct craft_chunk *c, uint32_t type, unsigned obj_slot,
                   uint64_t clock, const void *data, uint32_t len);
/* Write the file as dir/name with file_end = its length. */
void craft_write(struct craft_file *f, const char *dir, const char *name);
void craft_free(struct craft_file *f);

/* Copy a file, keeping only its first `len` bytes. */
void rt_copy_file(const char *from, const char *to, size_t len);
/* Read a whole file into memory. */
uint8_t *rt_slurp(const char *path, size_t *len);
void rt_spit(const char *path, const void *buf, size_t len);

#endif
