/* A small streaming JSON emitter for the JSON and SARIF reports: keeps
 * track of commas and indentation, escapes strings properly (control
 * characters, quotes, invalid UTF-8), and nothing else. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "report_internal.h"

void jsonw_init(struct jsonw *w, FILE *out, bool pretty)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->pretty = pretty;
    w->first[0] = true;
}

static void jsonw_newline(struct jsonw *w)
{
    if (!w->pretty)
        return;
    fputc('\n', w->out);
    for (int i = 0; i < w->depth; i++)
        fputs("  ", w->out);
}

/* Before any value: the comma, the indentation and the key. */
static void jsonw_member(struct jsonw *w, const char *key)
{
    if (w->depth > 0) {
        if (!w->first[w->depth])
            fputc(',', w->out);
        jsonw_newline(w);
    }
    w->first[w->depth] = false;
    if (key) {
        jsonw_write_escaped(w->out, key);
        fputs(w->pretty ? ": " : ":", w->out);
    }
}

static void jsonw_open(struct jsonw *w, const char *key, char c)
{
    jsonw_member(w, key);
    fputc(c, w->out);
    if (w->depth + 1 < JSONW_MAX_DEPTH)
        w->depth++;
    w->first[w->depth] = true;
}

static void jsonw_close(struct jsonw *w, char c)
{
    bool empty = w->first[w->depth];
    if (w->depth > 0)
        w->depth--;
    if (!empty)
        jsonw_newline(w);
    fputc(c, w->out);
    if (w->depth == 0 && w->pretty)
        fputc('\n', w->out);
}

void jsonw_begin_object(struct jsonw *w, const char *key)
{
    jsonw_open(w, key, '{');
}

void jsonw_end_object(struct jsonw *w) { jsonw_close(w, '}'); }

void jsonw_begin_array(struct jsonw *w, const char *key)
{
    jsonw_open(w, key, '[');
}

void jsonw_end_array(struct jsonw *w) { jsonw_close(w, ']'); }

void jsonw_string(struct jsonw *w, const char *key, const char *v)
{
    jsonw_member(w, key);
    if (v)
        jsonw_write_escaped(w->out, v);
    else
        fputs("null", w->out);
}

void jsonw_int(struct jsonw *w, const char *key, int64_t v)
{
    jsonw_member(w, key);
    fprintf(w->out, "%" PRId64, v);
}

void jsonw_uint(struct jsonw *w, const char *key, uint64_t v)
{
    jsonw_member(w, key);
    fprintf(w->out, "%" PRIu64, v);
}

void jsonw_double(struct jsonw *w, const char *key, double v)
{
    jsonw_member(w, key);
    if (isfinite(v))
        fprintf(w->out, "%.6g", v);
    else
        fputs("null", w->out);
}

void jsonw_bool(struct jsonw *w, const char *key, bool v)
{
    jsonw_member(w, key);
    fputs(v ? "true" : "false", w->out);
}

void jsonw_null(struct jsonw *w, const char *key)
{
    jsonw_member(w, key);
    fputs("null", w->out);
}

void jsonw_hex(struct jsonw *w, const char *key, uint64_t v)
{
    jsonw_member(w, key);
    fprintf(w->out, "\"0x%" PRIx64 "\"", v);
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one
 * (overlong forms, surrogates and values past U+10FFFF are invalid). */
static size_t jsonw_utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

void jsonw_write_escaped(FILE *out, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', out);
    while (*s) {
        unsigned char c = *s;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            s++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n':
                fputs("\\n", out);
                break;
            case '\t':
                fputs("\\t", out);
                break;
            case '\r':
                fputs("\\r", out);
                break;
            case '\b':
                fputs("\\b", out);
                break;
            case '\f':
                fputs("\\f", out);
                break;
            default:
                fprintf(out, "\\u%04x", c);
                break;
            }
            s++;
        } else if (c < 0x80) {
            fputc(c, out);
            s++;
        } else {
            size_t n = jsonw_utf8_len(s);
            if (n == 0) {
                fputs("\\ufffd", out);
                s++;
            } else {
                fwrite(s, 1, n, out);
                s += n;
            }
        }
    }
    fputc('"', out);
}
