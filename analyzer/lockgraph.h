/* The lock-order graph and its cycles: lock-order-inversion findings
 * (docs/analysis.md, "Lock order").
 *
 * A node is one lock identity: (process image, address, generation);
 * pthread_*_init and *_destroy start a new generation, so a lock that is
 * destroyed and re-created at the same address is a new node.  An edge
 * A -> B means "some thread acquired B, with a call that can block, while
 * holding A"; it keeps the stacks of its first occurrence (where A was
 * taken, where B was taken), which threads made it, the locks held
 * exclusively at every one of its occurrences (its gate candidates), and
 * whether A was only ever held, and B only ever taken, for reading.
 *
 * Edges come from every lock held (not only the last one taken), so a
 * thread holding 1000 locks adds up to 1000 edges; held sets are
 * growable arrays with no limit.  A successful trylock adds no edge (it
 * cannot block, so it cannot close a deadlock); the lock it took is held
 * like any other and edges leave from it.  Timed locks do add edges.
 *
 * At the end every elementary cycle is enumerated (Johnson's algorithm,
 * per strongly connected component) and reported unless
 *  - one thread made every edge of it (a thread cannot deadlock with
 *    itself through ordering alone),
 *  - a gate lock G was held exclusively at every occurrence of every edge
 *    (the cycle can never be entered by two threads at once),
 *  - at some lock of the cycle, the edge into it only ever took it for
 *    reading and the edge out of it only ever held it for reading
 *    (readers do not block readers).
 * Cycles with the same site pattern (the same code, other lock
 * instances) are one finding with a count.  At most
 * analyzer_options.max_lock_cycles distinct cycles are reported and the
 * search looks at no more than 100 times that many; a note says so when
 * a cap was reached.
 */
#ifndef CTRACE_ANALYZER_LOCKGRAPH_H
#define CTRACE_ANALYZER_LOCKGRAPH_H

#include <stdbool.h>
#include <stdint.h>

struct analyzer;
struct lockgraph;

struct lockgraph *lockgraph_new(void);
void lockgraph_free(struct lockgraph *g);

/* The node of object `obj` in its current generation (made on first
 * use). */
uint32_t lockgraph_node(struct analyzer *a, uint32_t obj);

/* Thread `thread` takes lock node `to` (blocking call, `write` side) at
 * `stack`, `ts`: add an edge from every lock it holds. */
void lockgraph_on_acquire(struct analyzer *a, uint32_t thread, uint32_t to,
                          uint32_t stack, bool write, uint64_t ts);

/* Enumerate cycles and report them (analyzer_finish). */
void lockgraph_report_cycles(struct analyzer *a);

/* Figures for tests and the bench. */
size_t lockgraph_node_count(const struct lockgraph *g);
size_t lockgraph_edge_count(const struct lockgraph *g);

#endif
