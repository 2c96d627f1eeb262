/* The instrumented half of the mixed-build test: a counter that two
 * threads bump without a lock. */
void mixed_bump(void);
long mixed_value(void);

static long shared_count;

void mixed_bump(void) { shared_count += 1; /* RACE */ }

long mixed_value(void) { return shared_count; }
