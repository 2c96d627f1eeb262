/* Decoding the payload of a py-frames event (struct trace_pyframes_info
 * then frames, trace/format.h): the one decoder the analyzer, the viewer
 * and `ctrace dump` share.  It trusts nothing: a frame whose lengths run
 * past the payload, or whose names are not NUL-terminated, ends the list.
 *
 * Python issue (docs/python.md). */
#ifndef CTRACE_TRACE_PYFRAMES_H
#define CTRACE_TRACE_PYFRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format.h"

/* One decoded frame; the strings point into the payload. */
struct trace_pyframe_view {
    uint32_t line;
    const char *func;
    const char *file;
};

/* Decode up to `max` frames of a py-frames payload into out[], innermost
 * first.  Returns how many. */
static inline size_t trace_pyframes_decode(const void *payload, uint32_t len,
                                           struct trace_pyframe_view *out,
                                           size_t max)
{
    struct trace_pyframes_info info;
    if (!payload || len < sizeof info)
        return 0;
    memcpy(&info, payload, sizeof info);
    const char *p = (const char *)payload + sizeof info;
    size_t left = len - sizeof info, n = 0;
    while (n < info.nframes && n < max &&
           left >= sizeof(struct trace_pyframe)) {
        struct trace_pyframe fr;
        memcpy(&fr, p, sizeof fr);
        p += sizeof fr;
        left -= sizeof fr;
        size_t need = (size_t)fr.func_len + fr.file_len;
        if (!fr.func_len || !fr.file_len || need > left ||
            p[fr.func_len - 1] != '\0' || p[need - 1] != '\0')
            break;
        out[n].line = fr.line;
        out[n].func = p;
        out[n].file = p + fr.func_len;
        n++;
        p += need;
        left -= need;
    }
    return n;
}

#endif
