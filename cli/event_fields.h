/* The fields of an event beyond its header (time, pid, tid, name, obj,
 * arg, site): what a plain arg means for some events and what a payload
 * holds.  They are decoded here, once, for every writer: `ctrace dump`
 * (text and JSON) and `ctrace export --format=ctf`.
 *
 * A writer hands in a sink, one callback per kind of value; the decoder
 * calls it with each field's key ("path", "child_pid", ...) in a fixed
 * order per event type.  Payload bytes come from the trace: every length
 * is checked against the payload's size before it is used, and strings
 * are handed out with their bound (they may lack a NUL). */
#ifndef CTRACE_CLI_EVENT_FIELDS_H
#define CTRACE_CLI_EVENT_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "pyframes.h"
#include "reader.h"

struct event_fields_sink {
    /* At most `max` bytes of s; it stops earlier at a NUL. */
    void (*str)(void *ctx, const char *key, const char *s, size_t max);
    void (*uint)(void *ctx, const char *key, uint64_t v);
    void (*sint)(void *ctx, const char *key, int64_t v);
    void (*hex)(void *ctx, const char *key, uint64_t v);
    /* Program counters, n >= 1. */
    void (*frames)(void *ctx, const char *key, const uint64_t *pcs, size_t n);
    /* Python frames (py-frames), innermost first; n may be 0. */
    void (*pyframes)(void *ctx, const char *key,
                     const struct trace_pyframe_view *fr, size_t n);
};

/* Fields that name what a plain arg means (fork: child_pid, ...). */
void event_fields_arg(const struct event_fields_sink *s, void *ctx,
                      const struct trace_event *ev);

/* Fields decoded from the event's payload, if it has one. */
void event_fields_payload(const struct event_fields_sink *s, void *ctx,
                          const struct trace_event *ev);

#endif
