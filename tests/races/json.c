/* The race tests' JSON reader (see json.h): recursive descent. */
#include "json.h"

#include <stdlib.h>
#include <string.h>

struct jp {
    const char *s;
    bool bad;
};

static void ws(struct jp *p)
{
    while (*p->s == ' ' || *p->s == '\n' || *p->s == '\t' || *p->s == '\r')
        p->s++;
}

static bool parse_value(struct jp *p, struct json *out);

static char *parse_string(struct jp *p)
{
    if (*p->s != '"')
        return NULL;
    p->s++;
    size_t cap = 16, n = 0;
    char *buf = malloc(cap);
    while (*p->s && *p->s != '"') {
        char c = *p->s++;
        if (c == '\\') {
            char e = *p->s++;
            switch (e) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'u':
                for (int i = 0; i < 4 && *p->s; i++)
                    p->s++;
                c = '?';
                break;
            case '\0':
                free(buf);
                return NULL;
            default:
                c = e;
                break;
            }
        }
        if (n + 2 > cap)
            buf = realloc(buf, cap *= 2);
        buf[n++] = c;
    }
    if (*p->s != '"') {
        free(buf);
        return NULL;
    }
    p->s++;
    buf[n] = '\0';
    return buf;
}

static bool parse_members(struct jp *p, struct json *out, bool object)
{
    char close = object ? '}' : ']';
    p->s++;
    ws(p);
    if (*p->s == close) {
        p->s++;
        return true;
    }
    for (;;) {
        ws(p);
        char *key = NULL;
        if (object) {
            key = parse_string(p);
            ws(p);
            if (!key || *p->s != ':') {
                free(key);
                return false;
            }
            p->s++;
        }
        out->v = realloc(out->v, (out->n + 1) * sizeof *out->v);
        if (object)
            out->keys = realloc(out->keys, (out->n + 1) * sizeof *out->keys);
        memset(&out->v[out->n], 0, sizeof out->v[out->n]);
        if (object)
            out->keys[out->n] = key;
        out->n++;
        if (!parse_value(p, &out->v[out->n - 1]))
            return false;
        ws(p);
        if (*p->s == ',') {
            p->s++;
            continue;
        }
        if (*p->s == close) {
            p->s++;
            return true;
        }
        return false;
    }
}

static bool parse_value(struct jp *p, struct json *out)
{
    ws(p);
    char c = *p->s;
    if (c == '{' || c == '[') {
        out->type = c == '{' ? JSON_OBJ : JSON_ARR;
        return parse_members(p, out, c == '{');
    }
    if (c == '"') {
        out->type = JSON_STR;
        out->str = parse_string(p);
        return out->str != NULL;
    }
    if (strncmp(p->s, "null", 4) == 0) {
        out->type = JSON_NULL;
        p->s += 4;
        return true;
    }
    if (strncmp(p->s, "true", 4) == 0 || strncmp(p->s, "false", 5) == 0) {
        out->type = JSON_BOOL;
        out->num = c == 't';
        p->s += c == 't' ? 4 : 5;
        return true;
    }
    char *end;
    out->type = JSON_NUM;
    out->num = strtod(p->s, &end);
    if (end == p->s)
        return false;
    p->s = end;
    return true;
}

struct json *json_parse(const char *text)
{
    struct jp p = {text, false};
    struct json *j = calloc(1, sizeof *j);
    if (!parse_value(&p, j)) {
        json_free(j);
        return NULL;
    }
    ws(&p);
    if (*p.s) {
        json_free(j);
        return NULL;
    }
    return j;
}

static void json_clear(struct json *j)
{
    for (size_t i = 0; i < j->n; i++) {
        json_clear(&j->v[i]);
        if (j->keys)
            free(j->keys[i]);
    }
    free(j->v);
    free(j->keys);
    free(j->str);
}

void json_free(struct json *j)
{
    if (!j)
        return;
    json_clear(j);
    free(j);
}

const struct json *json_get(const struct json *j, const char *key)
{
    if (!j || j->type != JSON_OBJ)
        return NULL;
    for (size_t i = 0; i < j->n; i++)
        if (strcmp(j->keys[i], key) == 0)
            return &j->v[i];
    return NULL;
}

const struct json *json_at(const struct json *j, size_t i)
{
    if (!j || j->type != JSON_ARR || i >= j->n)
        return NULL;
    return &j->v[i];
}

size_t json_len(const struct json *j)
{
    return j && (j->type == JSON_ARR || j->type == JSON_OBJ) ? j->n : 0;
}

const char *json_str(const struct json *j, const char *key)
{
    const struct json *m = json_get(j, key);
    return m && m->type == JSON_STR ? m->str : NULL;
}

double json_num(const struct json *j, const char *key, double dflt)
{
    const struct json *m = json_get(j, key);
    return m && m->type == JSON_NUM ? m->num : dflt;
}
