/* What the benchmarks share: where the built binaries are, a scratch
 * directory, medians, and a trace's size on disk.  Benchmarks print
 * figures; they are not tests. */
#ifndef CTRACE_BENCH_BENCHLIB_H
#define CTRACE_BENCH_BENCHLIB_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* The directory of the running benchmark binary (build/bench), so that
 * ../cli/ctrace and the workloads next to it can be found.  `name` goes
 * into error messages. */
void bench_self_dir(const char *name, char *dir, size_t size);

/* A new directory under $TMPDIR (or /tmp) in `buf`; exits on failure. */
void bench_tmpdir(const char *name, char *buf, size_t size);

struct rusage;

/* Run argv[0] (a path) with argv, its stdout captured into out (cut to
 * cap - 1 bytes); exits with a message naming `name` unless it exits 0.
 * Returns the wall time in ns; *ru (may be NULL) gets its resource use. */
double bench_run(const char *name, char *const argv[], char *out, size_t cap,
                 struct rusage *ru);

/* The number printed after `key` in out; exits naming `name` if absent. */
double bench_value(const char *name, const char *out, const char *key);

/* The median of v[0..n) (v is sorted in place). */
double bench_median(double *v, int n);

/* Bytes on disk of a trace's process files (p*.ctrace: seq.map holds no
 * events). */
uint64_t bench_trace_bytes(const char *dir);

#endif
