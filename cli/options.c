/* Option parsing shared by the ctrace subcommands (see options.h).
 *
 * One table drives three things: the command line, CTRACE_OPTIONS and the
 * --help text, so an option is added in one place.  Values are stored
 * through the table's offsets into the caller's options struct. */
#include "options.h"
#include "format.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Where a value came from, for error messages. */
struct opt_source {
    const char *cmd; /* "ctrace run", or "ctrace: CTRACE_OPTIONS" */
    bool env;
};

static void *opt_field(const struct opt_def *def, void *target)
{
    return (char *)target + def->offset;
}

const char *options_env_key(const struct opt_def *def, char *buf, size_t size)
{
    snprintf(buf, size, "%s", def->name);
    for (char *p = buf; *p; p++)
        if (*p == '-')
            *p = '_';
    return buf;
}

/* How an option is spelled in messages from this source. */
static const char *opt_spelling(const struct opt_def *def,
                                const struct opt_source *src, char *buf,
                                size_t size)
{
    if (src->env)
        return options_env_key(def, buf, size);
    snprintf(buf, size, "--%s", def->name);
    return buf;
}

static int opt_parse_int(const struct opt_def *def,
                         const struct opt_source *src, const char *value,
                         int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (*value == '\0' || *end != '\0' || errno != 0 || v < def->min ||
        v > def->max) {
        char name[64];
        fprintf(stderr, "%s: %s needs a number from %d to %d, not '%s'\n",
                src->cmd, opt_spelling(def, src, name, sizeof name), def->min,
                def->max, value);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int opt_parse_bool(const struct opt_def *def,
                          const struct opt_source *src, const char *value,
                          bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", NULL};
    static const char *const no[] = {"0", "false", "no", NULL};
    for (int i = 0; yes[i]; i++) {
        if (strcmp(value, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(value, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    char name[64];
    fprintf(stderr, "%s: %s takes 1 or 0, not '%s'\n", src->cmd,
            opt_spelling(def, src, name, sizeof name), value);
    return -1;
}

/* Store `value` (NULL for a flag given without one) into the field. */
static int opt_set(const struct opt_def *def, void *target,
                   const struct opt_source *src, const char *value)
{
    void *field = opt_field(def, target);
    switch (def->kind) {
    case OPT_FLAG:
        if (!value) {
            *(bool *)field = true;
            return 0;
        }
        return opt_parse_bool(def, src, value, field);
    case OPT_INT:
        return opt_parse_int(def, src, value, field);
    case OPT_STRING:
        *(const char **)field = value;
        return 0;
    }
    return -1;
}

static const struct opt_def *opt_find_long(const struct opt_def *defs,
                                           const char *name, size_t len)
{
    for (const struct opt_def *d = defs; d->name; d++)
        if (strlen(d->name) == len && strncmp(d->name, name, len) == 0)
            return d;
    return NULL;
}

static const struct opt_def *opt_find_short(const struct opt_def *defs, char c)
{
    for (const struct opt_def *d = defs; d->name; d++)
        if (d->short_name && d->short_name == c)
            return d;
    return NULL;
}

static enum opt_result opt_unknown(const char *cmd, const char *arg)
{
    fprintf(stderr, "%s: unknown option '%s'\nTry '%s --help'.\n", cmd, arg,
            cmd);
    return OPT_ERROR;
}

static enum opt_result opt_missing_value(const char *cmd, const char *arg,
                                         const struct opt_def *def)
{
    fprintf(stderr, "%s: option '%s' needs a value (%s)\n", cmd, arg,
            def->arg_name ? def->arg_name : "VALUE");
    return OPT_ERROR;
}

/* One option word argv[*i] ("--name[=value]"); may consume argv[*i+1]. */
static enum opt_result opt_parse_long(const struct opt_def *defs, void *target,
                                      const struct opt_source *src, int argc,
                                      char **argv, int *i)
{
    const char *arg = argv[*i];
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const struct opt_def *def = opt_find_long(defs, name, len);
    if (!def)
        return opt_unknown(src->cmd, arg);
    const char *value = eq ? eq + 1 : NULL;
    if (def->kind == OPT_FLAG) {
        if (value) {
            fprintf(stderr, "%s: option '--%s' takes no value\n", src->cmd,
                    def->name);
            return OPT_ERROR;
        }
    } else if (!value) {
        if (*i + 1 >= argc)
            return opt_missing_value(src->cmd, arg, def);
        value = argv[++*i];
    }
    return opt_set(def, target, src, value) == 0 ? OPT_OK : OPT_ERROR;
}

/* One short option word ("-o DIR", "-oDIR", "-q"). */
static enum opt_result opt_parse_short(const struct opt_def *defs, void *target,
                                       const struct opt_source *src, int argc,
                                       char **argv, int *i)
{
    const char *arg = argv[*i];
    const struct opt_def *def = opt_find_short(defs, arg[1]);
    if (!def || (def->kind == OPT_FLAG && arg[2] != '\0'))
        return opt_unknown(src->cmd, arg);
    const char *value = NULL;
    if (def->kind != OPT_FLAG) {
        if (arg[2] != '\0')
            value = arg + 2;
        else if (*i + 1 < argc)
            value = argv[++*i];
        else
            return opt_missing_value(src->cmd, arg, def);
    }
    return opt_set(def, target, src, value) == 0 ? OPT_OK : OPT_ERROR;
}

enum opt_result options_parse_argv(const struct opt_def *defs, void *target,
                                   const char *cmd, int argc, char **argv,
                                   int *next)
{
    const struct opt_source src = {cmd, false};
    int i = 1;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0')
            break; /* the first operand */
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return OPT_HELP;
        enum opt_result r =
            arg[1] == '-' ? opt_parse_long(defs, target, &src, argc, argv, &i)
                          : opt_parse_short(defs, target, &src, argc, argv, &i);
        if (r != OPT_OK)
            return r;
    }
    *next = i;
    return OPT_OK;
}

static const struct opt_def *opt_find_env(const struct opt_def *defs,
                                          const char *key)
{
    char buf[64];
    for (const struct opt_def *d = defs; d->name; d++)
        if (d->in_env && strcmp(options_env_key(d, buf, sizeof buf), key) == 0)
            return d;
    return NULL;
}

/* One CTRACE_OPTIONS token, "key=value" or a bare flag "key". */
static int opt_parse_env_token(const struct opt_def *defs, void *target,
                               char *token, options_unknown_fn *unknown,
                               void *arg)
{
    static const struct opt_source src = {"ctrace: CTRACE_OPTIONS", true};
    char *eq = strchr(token, '=');
    char key[64];
    size_t len = eq ? (size_t)(eq - token) : strlen(token);
    snprintf(key, sizeof key, "%.*s", (int)len, token);
    for (char *p = key; *p; p++)
        if (*p == '-')
            *p = '_';
    const struct opt_def *def =
        len < sizeof key ? opt_find_env(defs, key) : NULL;
    if (!def) {
        if (unknown)
            unknown(token, arg);
        return 0;
    }
    if (!eq && def->kind != OPT_FLAG) {
        fprintf(stderr, "%s: '%s' needs a value (%s=%s)\n", src.cmd, token, key,
                def->arg_name ? def->arg_name : "VALUE");
        return -1;
    }
    return opt_set(def, target, &src, eq ? eq + 1 : NULL);
}

/* String options point into a copy of the value: every copy stays
 * reachable from this list until exit. */
struct options_env_copy {
    struct options_env_copy *next;
    char text[];
};

static struct options_env_copy *options_env_copies;

static char *options_env_keep(const char *value)
{
    size_t len = strlen(value);
    struct options_env_copy *c = malloc(sizeof *c + len + 1);
    if (!c)
        return NULL;
    memcpy(c->text, value, len + 1);
    c->next = options_env_copies;
    options_env_copies = c;
    return c->text;
}

int options_parse_env(const struct opt_def *defs, void *target,
                      const char *value, options_unknown_fn *unknown, void *arg)
{
    if (!value)
        return 0;
    char *copy = options_env_keep(value);
    if (!copy)
        return -1;
    char *save = NULL;
    for (char *tok = strtok_r(copy, OPTIONS_ENV_SEPARATORS, &save); tok;
         tok = strtok_r(NULL, OPTIONS_ENV_SEPARATORS, &save))
        if (opt_parse_env_token(defs, target, tok, unknown, arg) != 0)
            return -1;
    return 0;
}

void options_print_help(const struct opt_def *defs, FILE *out)
{
    for (const struct opt_def *d = defs; d->name; d++) {
        char left[64], shortname[8] = "    ";
        if (d->short_name)
            snprintf(shortname, sizeof shortname, "-%c, ", d->short_name);
        int n =
            snprintf(left, sizeof left, "%s--%s%s%s", shortname, d->name,
                     d->arg_name ? "=" : "", d->arg_name ? d->arg_name : "");
        fprintf(out, "  %-24s %s\n", n > 0 ? left : "", d->help);
    }
    fprintf(out, "  %-24s %s\n", "-h, --help", "show this help");
}

/* Every CTRACE_OPTIONS key something reads (format.h says why one list
 * serves the commands and the shim). */
static const char *const options_known_env_keys[] = {TRACE_OPTIONS_KEYS, NULL};

void options_warn_unknown_env(const char *token)
{
    size_t len = strcspn(token, "=");
    for (const char *const *k = options_known_env_keys; *k; k++)
        if (strlen(*k) == len && strncmp(*k, token, len) == 0)
            return;
    fprintf(stderr,
            "ctrace: CTRACE_OPTIONS: unknown key '%.*s', ignored "
            "(known keys:",
            (int)len, token);
    for (const char *const *k = options_known_env_keys; *k; k++)
        fprintf(stderr, " %s", *k);
    fprintf(stderr, ")\n");
}

static void options_unknown_warn(const char *token, void *arg)
{
    (void)arg;
    options_warn_unknown_env(token);
}

enum opt_result options_parse_operand(const struct opt_def *defs, void *target,
                                      const char *cmd, int argc, char **argv,
                                      const char **operand)
{
    if (options_parse_env(defs, target, getenv(TRACE_OPTIONS_ENV),
                          options_unknown_warn, NULL) != 0)
        return OPT_ERROR;
    for (int base = 0;;) {
        int next;
        enum opt_result r = options_parse_argv(defs, target, cmd, argc - base,
                                               argv + base, &next);
        if (r != OPT_OK)
            return r;
        next += base;
        if (next >= argc)
            return OPT_OK;
        if (*operand) {
            fprintf(stderr,
                    "%s: more than one trace directory ('%s', '%s')\n"
                    "Try '%s --help'.\n",
                    cmd, *operand, argv[next], cmd);
            return OPT_ERROR;
        }
        /* the operand, then options again: argv[next] plays argv[0] */
        *operand = argv[next];
        base = next;
    }
}
