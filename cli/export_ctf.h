/* `ctrace export --format=ctf`: a trace written as a Common Trace Format
 * 1.8 trace (the format of LTTng), which babeltrace2 and Trace Compass
 * read.  The module owns the output directory's layout: `metadata` (TSDL
 * text) and one binary stream file, `stream`.  It streams: the memory is
 * one packet, never the trace. */
#ifndef CTRACE_CLI_EXPORT_CTF_H
#define CTRACE_CLI_EXPORT_CTF_H

#include "reader.h"

/* Default output directory when -o is not given. */
#define EXPORT_CTF_DEFAULT_DIR "ctrace.ctf"

/* Write every event r gives into the directory `out_dir`, which is
 * created (its parent must exist) or must be empty.  Errors are printed
 * with the prefix "ctrace export: ".  Returns 0; 1 when the trace is
 * corrupt (what can be read is written) or the output cannot be
 * written, or is refused (not an empty directory). */
int export_ctf_write(struct trace_reader *r, const char *out_dir);

#endif
