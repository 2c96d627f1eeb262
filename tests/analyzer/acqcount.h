/* The example pass of HACKING.md's recipe (acqcount.c): lock
 * acquisitions per thread. */
#ifndef CTRACE_TESTS_ANALYZER_ACQCOUNT_H
#define CTRACE_TESTS_ANALYZER_ACQCOUNT_H

#include <stdint.h>

struct analyzer;
struct an_pass;

extern const struct an_pass acqcount_pass;

/* Acquisitions thread `thread` made so far. */
uint64_t acqcount_of(const struct analyzer *a, uint32_t thread);

#endif
