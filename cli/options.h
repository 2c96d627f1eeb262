/* Option parsing shared by the ctrace subcommands.
 *
 * A command describes its options once, in a table of `struct opt_def`;
 * the same table parses the command line (`--stack-depth=8`,
 * `--stack-depth 8`, `-o DIR`, `-oDIR`, `--`), parses CTRACE_OPTIONS
 * (`key=value` pairs separated by spaces, commas or colons, like
 * TSAN_OPTIONS and like the shim reads them; the key is the long name
 * with '-' written '_': `stack_depth=8 no_report=1`), and prints the
 * option list for --help.  The command line wins over CTRACE_OPTIONS: parse
 * the environment first, then argv, into the same struct.
 *
 * Errors are printed here ("ctrace run: unknown option '--foo'"); callers
 * exit with OPTIONS_EXIT_USAGE.
 */
#ifndef CTRACE_CLI_OPTIONS_H
#define CTRACE_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* What separates CTRACE_OPTIONS pairs (preload/init.c agrees). */
#define OPTIONS_ENV_SEPARATORS " \t\n,:"

/* Exit status for usage errors (bad or unknown options), like getopt
 * users and the shell builtins. */
#define OPTIONS_EXIT_USAGE 2

enum opt_kind {
    OPT_FLAG,   /* bool field; no argument on the command line */
    OPT_INT,    /* int field; a decimal number in [min, max] */
    OPT_STRING, /* const char * field; points into argv or the env copy */
};

struct opt_def {
    const char *name; /* long name, "stack-depth" */
    char short_name;  /* 'o', or 0 */
    enum opt_kind kind;
    size_t offset;        /* offsetof the field in the options struct */
    int min, max;         /* OPT_INT: range accepted */
    bool in_env;          /* also accepted in CTRACE_OPTIONS */
    const char *arg_name; /* "N", "DIR"; NULL for flags */
    const char *help;
};

/* What options_parse_argv() found. */
enum opt_result {
    OPT_OK = 0,    /* options parsed; *next is the first operand */
    OPT_HELP = 1,  /* --help or -h was given */
    OPT_ERROR = -1 /* message printed */
};

/* Parse argv[1..] (argv[0] is the command name) up to the first operand
 * or "--".  Parsing stops at the first operand so that a traced
 * program's own options are left alone.  `defs` ends with a zeroed
 * entry. */
enum opt_result options_parse_argv(const struct opt_def *defs, void *target,
                                   const char *cmd, int argc, char **argv,
                                   int *next);

/* Called for CTRACE_OPTIONS tokens whose key no table entry knows (they
 * are meant for the shim or a newer ctrace); `token` is "key=value". */
typedef void options_unknown_fn(const char *token, void *arg);

/* Warn on stderr when the key of CTRACE_OPTIONS token "key=value" is
 * read by no ctrace command and not by libctrace.so either (a typo:
 * sanitizers warn the same way), naming the keys that exist. */
void options_warn_unknown_env(const char *token);

/* Parse a CTRACE_OPTIONS value.  String values point into a private copy
 * that lives until exit.  Returns 0, or -1 with a message printed. */
int options_parse_env(const struct opt_def *defs, void *target,
                      const char *value, options_unknown_fn *unknown,
                      void *arg);

/* A command that takes options anywhere around at most one operand (a
 * trace directory): CTRACE_OPTIONS first (other commands' keys ignored,
 * keys nobody knows warned about), then argv.  *operand is the operand,
 * or left NULL.  OPT_ERROR means a message was printed. */
enum opt_result options_parse_operand(const struct opt_def *defs, void *target,
                                      const char *cmd, int argc, char **argv,
                                      const char **operand);

/* The option list, one per line, for --help. */
void options_print_help(const struct opt_def *defs, FILE *out);

/* The CTRACE_OPTIONS key of an option ("stack_depth"), in buf. */
const char *options_env_key(const struct opt_def *def, char *buf, size_t size);

#endif
