/* What the three report writers share and nobody else needs: naming
 * threads and objects the way a person would, expanding a recorded stack
 * into symbolized frames, the order findings are shown in, and a small
 * JSON emitter (for the JSON and SARIF writers).  Implemented in
 * report.c and report_jsonw.c. */
#ifndef CTRACE_ANALYZER_REPORT_INTERNAL_H
#define CTRACE_ANALYZER_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "finding.h"
#include "report.h"
#include "symbols.h"

/* Most frames a recorded stack expands to (inline frames included). */
#define REPORT_MAX_FRAMES (STACK_MAX_FRAMES * 4)

/* "T2 'worker-1' (tid 1234, pid 99)"; "T? (thread #n)" when unknown. */
void report_thread_label(const struct report_input *in, uint32_t thread,
                         char *buf, size_t len);
/* Just "T2 'worker-1'". */
void report_thread_short(const struct report_input *in, uint32_t thread,
                         char *buf, size_t len);
const struct trace_thread *report_thread(const struct report_input *in,
                                         uint32_t thread);
const struct trace_process *report_process(const struct report_input *in,
                                           uint32_t proc);
/* pid of a process image, 0 when unknown. */
uint32_t report_pid(const struct report_input *in, uint32_t proc);

/* How a person names an object: its own name if the analysis gave one,
 * else its global symbol ("table_lock"), else its creation site ("mutex
 * created at db.c:88"), else "mutex 0x7f...". */
void report_object_name(const struct report_input *in,
                        const struct finding_object *o, char *buf, size_t len);

/* A finding's message or stack label with its placeholders
 * ("{thread:N}", "{object:J}") replaced by names as above. */
void report_finding_text(const struct report_input *in, const struct finding *f,
                         const char *text, char *buf, size_t len);

/* Replace control characters by '?' (terminal output of strings the
 * traced program chose). */
void report_sanitize(char *s);

/* The heading of a finding's stack: "LABEL (tid 12, pid 10)" when the
 * label names its thread, else "LABEL - T1 'w' (tid 12, pid 10)", or
 * "stack of T1 'w' (...)" without a label.  Control characters are
 * replaced. */
void report_stack_title(const struct report_input *in, const struct finding *f,
                        const struct finding_stack *st, char *buf, size_t len);

/* Symbolize a whole stack: frames innermost first, inline frames
 * expanded.  Every recorded pc is a return address.  Returns the count. */
size_t report_stack_frames(const struct report_input *in,
                           const struct finding_stack *st,
                           struct sym_frame *out, size_t max);
/* The frames of one recorded pc (a return address), innermost first. */
int report_pc_frames(const struct report_input *in, uint32_t proc, uint64_t pc,
                     struct sym_frame *out, int max);

/* The one frame that sums up a pc (a call site, a creation site): the
 * innermost of its inline chain in the program's own code. */
void report_pc_frame(const struct report_input *in, uint32_t proc, uint64_t pc,
                     struct sym_frame *out);

/* A source path as shown in the text report: relative to the current
 * directory when under it, else its basename.  Returns buf. */
const char *report_display_path(const char *path, char *buf, size_t len);

/* Whether a frame is the program's own code: not in a system library,
 * not in ctrace, not inlined from a compiler or C++ library header. */
bool report_frame_in_program(const struct sym_frame *f);

/* Index of the first frame of the program's own code (the "top program
 * frame"); 0 when there is none. */
size_t report_top_frame(const struct sym_frame *f, size_t n);

/* Findings in display order: by severity (error first), then kind, then
 * the order the analysis gave.  Returns a malloc'ed index array. */
size_t *report_finding_order(const struct analysis_result *res);

/* Human durations: "850 ns", "12.0 us", "3.40 ms", "1.25 s". */
void report_format_duration(uint64_t ns, char *buf, size_t len);

/* Category names for the summary line and JSON: "deadlock", "race",
 * "lock-order", "misuse", "fork". */
const char *report_category_name(enum finding_category c);

/* ---- pieces of the JSON writer (report_json.c) shared with
 * excgroup_report.c: a frame, a thread reference, an object reference,
 * each as member `key` (NULL inside an array) ---- */
struct jsonw;
void json_frame(struct jsonw *w, const char *key, const struct sym_frame *f);
void json_thread_ref(struct jsonw *w, const struct report_input *in,
                     const char *key, uint32_t thread);
void json_object_ref(struct jsonw *w, const struct report_input *in,
                     const char *key, const struct finding_object *o);

/* ---- the JSON emitter (report_jsonw.c) ---- */

#define JSONW_MAX_DEPTH 32

struct jsonw {
    FILE *out;
    int depth;
    bool first[JSONW_MAX_DEPTH]; /* nothing written yet at this depth */
    bool pretty;
};

void jsonw_init(struct jsonw *w, FILE *out, bool pretty);
/* `key` names the member inside an object; NULL inside an array. */
void jsonw_begin_object(struct jsonw *w, const char *key);
void jsonw_end_object(struct jsonw *w);
void jsonw_begin_array(struct jsonw *w, const char *key);
void jsonw_end_array(struct jsonw *w);
void jsonw_string(struct jsonw *w, const char *key,
                  const char *v); /* NULL: null */
void jsonw_int(struct jsonw *w, const char *key, int64_t v);
void jsonw_uint(struct jsonw *w, const char *key, uint64_t v);
void jsonw_double(struct jsonw *w, const char *key, double v);
void jsonw_bool(struct jsonw *w, const char *key, bool v);
void jsonw_null(struct jsonw *w, const char *key);
void jsonw_hex(struct jsonw *w, const char *key, uint64_t v); /* "0x1a2b" */
/* Write s as a JSON string literal: escapes quotes, backslashes and
 * control characters, passes valid UTF-8 through, replaces invalid
 * bytes with U+FFFD. */
void jsonw_write_escaped(FILE *out, const char *s);

#endif
