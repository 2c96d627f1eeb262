/* A small JSON reader for the race tests: parses `ctrace report
 * --format=json` output into a tree the checks can walk.  Strict enough
 * to fail on malformed output, no more (numbers as doubles, \u escapes
 * kept as '?'). */
#ifndef CTRACE_TESTS_RACES_JSON_H
#define CTRACE_TESTS_RACES_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json {
    enum json_type type;
    double num;     /* JSON_NUM, JSON_BOOL (0/1) */
    char *str;      /* JSON_STR */
    size_t n;       /* JSON_ARR, JSON_OBJ: members */
    struct json *v; /* members */
    char **keys;    /* JSON_OBJ: member names */
};

/* Parse text; NULL when it is not one JSON value. */
struct json *json_parse(const char *text);
void json_free(struct json *j);

/* Member of an object (NULL when absent or not an object). */
const struct json *json_get(const struct json *j, const char *key);
/* Element of an array (NULL when out of range). */
const struct json *json_at(const struct json *j, size_t i);
size_t json_len(const struct json *j);
/* A string member's text, or NULL. */
const char *json_str(const struct json *j, const char *key);
/* A number member, or `dflt`. */
double json_num(const struct json *j, const char *key, double dflt);

#endif
