/* The lock-order graph: edges recorded while events stream in, cycles
 * enumerated at the end with Johnson's algorithm (see lockgraph.h for
 * what is reported and what is not).
 *
 * Johnson's algorithm: take the graph's strongly connected components
 * (Tarjan); in each non-trivial one, for every node s in increasing
 * order, find the component of s in the subgraph of nodes >= s and walk
 * every elementary path from s back to s, "blocking" nodes that cannot
 * lead back until a cycle through them is found.  Each elementary cycle
 * is produced exactly once, rooted at its smallest node.  Both Tarjan
 * and the walk use explicit stacks: cycles of thousands of locks do not
 * touch the C stack. */
#include <stdlib.h>
#include <string.h>

#include "lockgraph.h"
#include "state.h"

struct lg_node {
    uint32_t obj, gen;
};

struct lg_edge {
    uint32_t from, to;
    uint32_t thread, thread2;        /* first thread; first other thread */
    uint32_t from_stack, to_stack;   /* first occurrence */
    uint32_t from_stack2, to_stack2; /* first occurrence by thread2 */
    uint32_t gate_off, gate_n;       /* locks held at every occurrence */
    uint8_t rd_acq_only, rd_held_only;
    uint64_t ts, count;
};

struct lockgraph {
    struct lg_node *nodes;
    size_t nnodes, nodes_cap;
    struct lg_edge *edges;
    size_t nedges, edges_cap;
    struct an_map edge_map; /* (from, to) -> edge */
    uint32_t *gates;
    size_t ngates, gates_cap;
};

struct lockgraph *lockgraph_new(void)
{
    struct lockgraph *g = calloc(1, sizeof *g);
    if (!g)
        abort();
    return g;
}

void lockgraph_free(struct lockgraph *g)
{
    if (!g)
        return;
    free(g->nodes);
    free(g->edges);
    free(g->gates);
    an_map_free(&g->edge_map);
    free(g);
}

size_t lockgraph_node_count(const struct lockgraph *g) { return g->nnodes; }
size_t lockgraph_edge_count(const struct lockgraph *g) { return g->nedges; }

uint32_t lockgraph_node(struct analyzer *a, uint32_t obj)
{
    struct an_obj *o = &a->objs[obj];
    if (o->node != AN_NONE)
        return o->node;
    struct lockgraph *g = a->graph;
    an_grow(&g->nodes, &g->nodes_cap, g->nnodes + 1, sizeof *g->nodes);
    g->nodes[g->nnodes].obj = obj;
    g->nodes[g->nnodes].gen = o->gen;
    o->node = (uint32_t)g->nnodes++;
    return o->node;
}

/* ---- recording ---- */

/* Is lock node `n` held exclusively by `thread` right now? */
static bool gate_held(struct analyzer *a, uint32_t thread, uint32_t n)
{
    const struct an_obj *o = &a->objs[a->graph->nodes[n].obj];
    return o->owner == thread && o->node == n;
}

static void edge_new(struct analyzer *a, uint32_t thread, size_t hi,
                     uint32_t to, uint32_t stack, bool write, uint64_t ts)
{
    struct lockgraph *g = a->graph;
    const struct an_thread *t = &a->threads[thread];
    const struct an_held *h = &t->held[hi];
    an_grow(&g->edges, &g->edges_cap, g->nedges + 1, sizeof *g->edges);
    struct lg_edge *e = &g->edges[g->nedges];
    memset(e, 0, sizeof *e);
    e->from = h->node;
    e->to = to;
    e->thread = thread;
    e->thread2 = AN_NONE;
    e->from_stack = h->stack;
    e->to_stack = stack;
    e->rd_acq_only = !write;
    e->rd_held_only = !h->write;
    e->ts = ts;
    e->count = 1;
    e->gate_off = (uint32_t)g->ngates;
    for (size_t j = 0; j < t->nheld; j++) {
        const struct an_held *o = &t->held[j];
        if (j == hi || !o->write || o->node == to || o->node == h->node)
            continue;
        an_grow(&g->gates, &g->gates_cap, g->ngates + 1, sizeof *g->gates);
        g->gates[g->ngates++] = o->node;
        e->gate_n++;
    }
    an_map_put(&g->edge_map, e->from, e->to, (uint32_t)g->nedges);
    g->nedges++;
}

static void edge_again(struct analyzer *a, struct lg_edge *e, uint32_t thread,
                       const struct an_held *h, uint32_t stack, bool write)
{
    struct lockgraph *g = a->graph;
    e->count++;
    if (thread != e->thread && e->thread2 == AN_NONE) {
        e->thread2 = thread;
        e->from_stack2 = h->stack;
        e->to_stack2 = stack;
    }
    if (write)
        e->rd_acq_only = 0;
    if (h->write)
        e->rd_held_only = 0;
    uint32_t *gs = g->gates + e->gate_off;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < e->gate_n; i++)
        if (gate_held(a, thread, gs[i]))
            gs[kept++] = gs[i];
    e->gate_n = kept;
}

void lockgraph_on_acquire(struct analyzer *a, uint32_t thread, uint32_t to,
                          uint32_t stack, bool write, uint64_t ts)
{
    struct lockgraph *g = a->graph;
    struct an_thread *t = &a->threads[thread];
    for (size_t i = 0; i < t->nheld; i++) {
        uint32_t from = t->held[i].node;
        if (from == to)
            continue;
        uint32_t ei = an_map_get(&g->edge_map, from, to);
        if (ei == AN_NONE)
            edge_new(a, thread, i, to, stack, write, ts);
        else
            edge_again(a, &g->edges[ei], thread, &t->held[i], stack, write);
    }
}

/* ---- cycle search ---- */

struct lg_frame {
    uint32_t v, pos;
    uint32_t edge; /* edge taken out of v (Johnson) */
    uint8_t found;
};

struct lg_list {
    uint32_t *v;
    size_t n, cap;
};

struct lg_search {
    struct analyzer *a;
    struct lockgraph *g;
    uint32_t n;
    uint32_t *off, *adj; /* CSR: out-edges of v are adj[off[v]..off[v+1]) */
    /* Tarjan */
    uint32_t *idx, *low, *seen, *comp;
    uint8_t *onstack;
    uint32_t *stk;
    size_t nstk;
    struct lg_frame *calls;
    uint32_t seen_stamp, next_index;
    uint32_t *allow, allow_stamp; /* nodes the current walk may visit */
    /* Johnson */
    uint8_t *blocked;
    struct lg_list *B;
    struct lg_frame *path;
    uint32_t *unblock_stk;
    uint32_t *cycle_edges;
    uint64_t looked, kept, max_kept, max_looked;
    bool stop;
    struct an_map judged; /* cycles already judged (shortest-cycle pass) */
    uint32_t *bfs_prev, *bfs_queue, bfs_stamp;
    uint32_t *bfs_seen;
    uint64_t bfs_work;
    uint8_t *covered; /* edge already on a judged cycle */
};

static void *lg_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

static void search_build(struct lg_search *s)
{
    struct lockgraph *g = s->g;
    uint32_t n = s->n = (uint32_t)g->nnodes;
    s->off = lg_calloc(n + 1, sizeof *s->off);
    s->adj = lg_calloc(g->nedges, sizeof *s->adj);
    for (size_t i = 0; i < g->nedges; i++)
        s->off[g->edges[i].from + 1]++;
    for (uint32_t v = 0; v < n; v++)
        s->off[v + 1] += s->off[v];
    uint32_t *fill = lg_calloc(n, sizeof *fill);
    for (size_t i = 0; i < g->nedges; i++) {
        uint32_t v = g->edges[i].from;
        s->adj[s->off[v] + fill[v]++] = (uint32_t)i;
    }
    free(fill);
    s->idx = lg_calloc(n, sizeof *s->idx);
    s->low = lg_calloc(n, sizeof *s->low);
    s->seen = lg_calloc(n, sizeof *s->seen);
    s->comp = lg_calloc(n, sizeof *s->comp);
    s->onstack = lg_calloc(n, 1);
    s->stk = lg_calloc(n, sizeof *s->stk);
    s->calls = lg_calloc(n, sizeof *s->calls);
    s->allow = lg_calloc(n, sizeof *s->allow);
    s->blocked = lg_calloc(n, 1);
    s->B = lg_calloc(n, sizeof *s->B);
    s->path = lg_calloc(n, sizeof *s->path);
    s->unblock_stk = lg_calloc(n, sizeof *s->unblock_stk);
    s->cycle_edges = lg_calloc(n, sizeof *s->cycle_edges);
    s->bfs_prev = lg_calloc(n, sizeof *s->bfs_prev);
    s->bfs_queue = lg_calloc(n, sizeof *s->bfs_queue);
    s->bfs_seen = lg_calloc(n, sizeof *s->bfs_seen);
    s->covered = lg_calloc(g->nedges, 1);
}

static void search_free(struct lg_search *s)
{
    free(s->off);
    free(s->adj);
    free(s->idx);
    free(s->low);
    free(s->seen);
    free(s->comp);
    free(s->onstack);
    free(s->stk);
    free(s->calls);
    free(s->allow);
    free(s->blocked);
    for (uint32_t v = 0; v < s->n; v++)
        free(s->B[v].v);
    free(s->B);
    free(s->path);
    free(s->unblock_stk);
    free(s->cycle_edges);
    free(s->bfs_prev);
    free(s->bfs_queue);
    free(s->bfs_seen);
    free(s->covered);
    an_map_free(&s->judged);
}

static inline uint32_t succ(const struct lg_search *s, uint32_t k)
{
    return s->g->edges[s->adj[k]].to;
}

/* Tarjan from `root` over allowed nodes (allow[v] == allow_stamp, or
 * every node when allow_stamp is 0) not yet seen in this pass.  Each
 * component found gets comp[v] = `tag` + its order; returns the number
 * of components found. */
static uint32_t tarjan_from(struct lg_search *s, uint32_t root, uint32_t tag)
{
    uint32_t ncomp = 0;
    size_t ncalls = 0;
    s->seen[root] = s->seen_stamp;
    s->idx[root] = s->low[root] = s->next_index++;
    s->stk[s->nstk++] = root;
    s->onstack[root] = 1;
    s->calls[ncalls++] = (struct lg_frame){root, s->off[root], 0, 0};
    while (ncalls) {
        struct lg_frame *f = &s->calls[ncalls - 1];
        uint32_t v = f->v;
        if (f->pos < s->off[v + 1]) {
            uint32_t w = succ(s, f->pos++);
            if (s->allow_stamp && s->allow[w] != s->allow_stamp)
                continue;
            if (s->seen[w] != s->seen_stamp) {
                s->seen[w] = s->seen_stamp;
                s->idx[w] = s->low[w] = s->next_index++;
                s->stk[s->nstk++] = w;
                s->onstack[w] = 1;
                s->calls[ncalls++] = (struct lg_frame){w, s->off[w], 0, 0};
            } else if (s->onstack[w] && s->idx[w] < s->low[v]) {
                s->low[v] = s->idx[w];
            }
            continue;
        }
        ncalls--;
        if (s->low[v] == s->idx[v]) {
            uint32_t w;
            do {
                w = s->stk[--s->nstk];
                s->onstack[w] = 0;
                s->comp[w] = tag + ncomp;
            } while (w != v);
            ncomp++;
        }
        if (ncalls) {
            uint32_t p = s->calls[ncalls - 1].v;
            if (s->low[v] < s->low[p])
                s->low[p] = s->low[v];
        }
    }
    return ncomp;
}

/* ---- judging and reporting one cycle ---- */

static bool cycle_single_thread(const struct lg_search *s, size_t len)
{
    const struct lg_edge *e0 = &s->g->edges[s->cycle_edges[0]];
    for (size_t i = 0; i < len; i++) {
        const struct lg_edge *e = &s->g->edges[s->cycle_edges[i]];
        if (e->thread2 != AN_NONE || e->thread != e0->thread)
            return false;
    }
    return true;
}

static bool gate_in(const struct lockgraph *g, const struct lg_edge *e,
                    uint32_t n)
{
    for (uint32_t i = 0; i < e->gate_n; i++)
        if (g->gates[e->gate_off + i] == n)
            return true;
    return false;
}

static bool cycle_gated(const struct lg_search *s, size_t len)
{
    const struct lockgraph *g = s->g;
    const struct lg_edge *e0 = &g->edges[s->cycle_edges[0]];
    for (uint32_t i = 0; i < e0->gate_n; i++) {
        uint32_t gate = g->gates[e0->gate_off + i];
        size_t k = 1;
        while (k < len && gate_in(g, &g->edges[s->cycle_edges[k]], gate))
            k++;
        if (k == len)
            return true;
    }
    return false;
}

static bool cycle_readers_only(const struct lg_search *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        const struct lg_edge *in = &s->g->edges[s->cycle_edges[i]];
        const struct lg_edge *out = &s->g->edges[s->cycle_edges[(i + 1) % len]];
        if (in->rd_acq_only && out->rd_held_only)
            return true;
    }
    return false;
}

/* The thread shown for each edge: its first thread, except that a cycle
 * whose edges would all show one thread shows, for the first edge that
 * has one, the other thread that made it (with that thread's stacks). */
static void cycle_pick_threads(const struct lg_search *s, size_t len,
                               bool *use2)
{
    bool same = true;
    const struct lg_edge *e0 = &s->g->edges[s->cycle_edges[0]];
    for (size_t i = 0; i < len; i++) {
        use2[i] = false;
        if (s->g->edges[s->cycle_edges[i]].thread != e0->thread)
            same = false;
    }
    if (!same)
        return;
    for (size_t i = 0; i < len; i++)
        if (s->g->edges[s->cycle_edges[i]].thread2 != AN_NONE) {
            use2[i] = true;
            return;
        }
}

static int pair_cmp(const void *x, const void *y)
{
    const uint64_t *a = x, *b = y;
    if (a[0] != b[0])
        return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* What makes two cycles "the same bug": the set of distinct (site where
 * the held lock was taken, site where the next one is taken) pairs of
 * their edges.  The same code on other lock instances, or a longer walk
 * through locks taken in one loop at one site, gives the same set. */
static size_t cycle_key(const struct lg_search *s, size_t len, uint64_t *key)
{
    struct analyzer *a = s->a;
    const struct lg_edge *e0 = &s->g->edges[s->cycle_edges[0]];
    key[0] = a->procs[a->threads[e0->thread].proc].root;
    size_t max = len < 64 ? len : 64;
    uint64_t(*pairs)[2] = (uint64_t(*)[2])(key + 1);
    for (size_t k = 0; k < max; k++) {
        const struct lg_edge *e = &s->g->edges[s->cycle_edges[k]];
        pairs[k][0] = an_stack_top(a, e->from_stack);
        pairs[k][1] = an_stack_top(a, e->to_stack);
    }
    qsort(pairs, max, sizeof *pairs, pair_cmp);
    size_t n = 0;
    for (size_t k = 0; k < max; k++)
        if (n == 0 || pair_cmp(pairs[k], pairs[n - 1]) != 0) {
            pairs[n][0] = pairs[k][0];
            pairs[n][1] = pairs[k][1];
            n++;
        }
    return 1 + 2 * n;
}

#define LG_EDGES_SHOWN 32 /* stacks of at most this many edges per cycle */

static void cycle_message(struct analyzer *a, struct finding *f,
                          const size_t *obj_pos, const uint32_t *who,
                          size_t len)
{
    char *m = f->message;
    size_t cap = sizeof f->message, n = 0;
#define PUT(...)                                                               \
    do {                                                                       \
        if (n < cap)                                                           \
            n += (size_t)snprintf(m + n, cap - n, __VA_ARGS__);                \
    } while (0)
    PUT("lock order cycle ");
    /* objects past the finding's array all share its last position */
    size_t named = len < LG_EDGES_SHOWN ? len : LG_EDGES_SHOWN - 1;
    for (size_t i = 0; i < named; i++)
        PUT(AN_O " -> ", obj_pos[i]);
    if (named < len)
        PUT("... -> ");
    PUT(AN_O, obj_pos[0]);
    size_t before_detail = n;
    for (size_t i = 0; i < len; i++)
        PUT("%s" AN_T " takes " AN_O " while holding " AN_O, i ? "; " : ": ",
            who[i], obj_pos[(i + 1) % len], obj_pos[i]);
    if (n >= cap) {
        /* Too long for the details: the stacks carry them. */
        char tail[48];
        snprintf(tail, sizeof tail, " (%zu locks, see the stacks)", len);
        n = before_detail < cap - sizeof tail ? before_detail
                                              : cap - sizeof tail;
        snprintf(m + n, cap - n, "%s", tail);
    }
#undef PUT
    (void)a;
}

/* A cycle whose locks all took part in one real deadlock: that finding
 * already says everything (and more). */
static bool cycle_deadlocked(const struct lg_search *s, size_t len)
{
    const struct analyzer *a = s->a;
    for (size_t k = 0; k < a->findings.n; k++) {
        const struct finding *f = &a->findings.v[k];
        if (f->kind != FINDING_DEADLOCK)
            continue;
        size_t i = 0;
        for (; i < len; i++) {
            const struct lg_node *n =
                &s->g->nodes[s->g->edges[s->cycle_edges[i]].from];
            const struct an_obj *o = &a->objs[n->obj];
            size_t j = 0;
            while (j < f->nobjects && !(f->objects[j].addr == o->addr &&
                                        f->objects[j].proc == o->proc &&
                                        f->objects[j].generation == n->gen))
                j++;
            if (j == f->nobjects)
                break;
        }
        if (i == len)
            return true;
    }
    return false;
}

static void cycle_report(struct lg_search *s, size_t len)
{
    struct analyzer *a = s->a;
    struct lockgraph *g = s->g;
    if (cycle_deadlocked(s, len))
        return;
    uint64_t key[1 + 2 * 64];
    size_t nkey = cycle_key(s, len, key);
    const struct lg_edge *e0 = &g->edges[s->cycle_edges[0]];
    uint64_t ts = 0;
    for (size_t i = 0; i < len; i++)
        if (g->edges[s->cycle_edges[i]].ts > ts)
            ts = g->edges[s->cycle_edges[i]].ts;
    struct finding *f = an_report(a, FINDING_LOCK_ORDER_INVERSION,
                                  a->threads[e0->thread].proc, ts, key, nkey);
    if (!f)
        return;
    bool *use2 = lg_calloc(len, sizeof *use2);
    size_t *obj_pos = lg_calloc(len, sizeof *obj_pos);
    uint32_t *who = lg_calloc(len, sizeof *who);
    cycle_pick_threads(s, len, use2);
    for (size_t i = 0; i < len; i++) {
        const struct lg_edge *e = &g->edges[s->cycle_edges[i]];
        obj_pos[i] = an_finding_object(a, f, g->nodes[e->from].obj);
        who[i] = use2[i] ? e->thread2 : e->thread;
        an_finding_thread(f, who[i]);
    }
    for (size_t i = 0; i < len && i < LG_EDGES_SHOWN; i++) {
        const struct lg_edge *e = &g->edges[s->cycle_edges[i]];
        size_t next = obj_pos[(i + 1) % len];
        an_finding_stack(a, f, use2[i] ? e->to_stack2 : e->to_stack, who[i],
                         AN_T " takes " AN_O " while holding " AN_O, who[i],
                         next, obj_pos[i]);
        an_finding_stack(a, f, use2[i] ? e->from_stack2 : e->from_stack, who[i],
                         AN_T " took " AN_O " here", who[i], obj_pos[i]);
    }
    cycle_message(a, f, obj_pos, who, len);
    free(use2);
    free(obj_pos);
    free(who);
}

/* The same elementary cycle, whichever edge it was entered by. */
static uint64_t cycle_hash(const struct lg_search *s, size_t len)
{
    size_t best = 0;
    for (size_t i = 1; i < len; i++)
        if (s->cycle_edges[i] < s->cycle_edges[best])
            best = i;
    uint64_t h = 0x84222325cbf29ce4ull;
    for (size_t k = 0; k < len; k++) {
        h ^= s->cycle_edges[(best + k) % len];
        h *= 0x100000001b3ull;
        h ^= h >> 31;
    }
    return h;
}

static void cycle_found(struct lg_search *s, size_t len, bool remember)
{
    uint64_t h = cycle_hash(s, len);
    if (an_map_get(&s->judged, h, len) != AN_NONE)
        return;
    if (remember)
        an_map_put(&s->judged, h, len, 1);
    s->looked++;
    if (s->looked >= s->max_looked)
        s->stop = true;
    if (cycle_single_thread(s, len) || cycle_gated(s, len) ||
        cycle_readers_only(s, len))
        return;
    s->kept++;
    cycle_report(s, len);
    if (s->kept >= s->max_kept)
        s->stop = true;
}

/* ---- Johnson's walk ---- */

static void list_add(struct lg_list *l, uint32_t v)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == v)
            return;
    an_grow(&l->v, &l->cap, l->n + 1, sizeof *l->v);
    l->v[l->n++] = v;
}

static void unblock(struct lg_search *s, uint32_t u)
{
    size_t n = 0;
    s->unblock_stk[n++] = u;
    s->blocked[u] = 0;
    while (n) {
        uint32_t v = s->unblock_stk[--n];
        struct lg_list *b = &s->B[v];
        for (size_t i = 0; i < b->n; i++) {
            uint32_t w = b->v[i];
            if (s->blocked[w]) {
                s->blocked[w] = 0;
                s->unblock_stk[n++] = w;
            }
        }
        b->n = 0;
    }
}

static inline bool walk_allowed(const struct lg_search *s, uint32_t v)
{
    return s->allow[v] == s->allow_stamp;
}

static void circuits_from(struct lg_search *s, uint32_t root)
{
    size_t depth = 0;
    s->path[depth++] = (struct lg_frame){root, s->off[root], AN_NONE, 0};
    s->blocked[root] = 1;
    while (depth && !s->stop) {
        struct lg_frame *f = &s->path[depth - 1];
        uint32_t v = f->v;
        if (f->pos < s->off[v + 1]) {
            uint32_t k = f->pos++;
            uint32_t w = succ(s, k);
            if (!walk_allowed(s, w))
                continue;
            f->edge = s->adj[k];
            if (w == root) {
                for (size_t i = 0; i < depth; i++)
                    s->cycle_edges[i] = s->path[i].edge;
                cycle_found(s, depth, false);
                f->found = 1;
            } else if (!s->blocked[w]) {
                s->blocked[w] = 1;
                s->path[depth++] = (struct lg_frame){w, s->off[w], AN_NONE, 0};
            }
            continue;
        }
        bool found = f->found;
        if (found) {
            unblock(s, v);
        } else {
            for (uint32_t k = s->off[v]; k < s->off[v + 1]; k++)
                if (walk_allowed(s, succ(s, k)))
                    list_add(&s->B[succ(s, k)], v);
        }
        depth--;
        if (depth && found)
            s->path[depth - 1].found = 1;
    }
}

/* ---- shortest cycle through every edge ----
 * Johnson's walk may spend its whole budget on the exponentially many
 * long cycles of a thread that holds many locks at once before it
 * reaches a short one; so first, for every edge u -> v of a component,
 * the shortest path back v ~> u (breadth first) closes the shortest
 * cycle through that edge.  These are judged first; Johnson then skips
 * them. */

#define LG_BFS_BUDGET 50000000ull /* edge visits for the whole pass */

static size_t shortest_back(struct lg_search *s, uint32_t v, uint32_t u)
{
    uint32_t stamp = ++s->bfs_stamp;
    size_t head = 0, tail = 0;
    s->bfs_queue[tail++] = v;
    s->bfs_seen[v] = stamp;
    s->bfs_prev[v] = AN_NONE;
    while (head < tail) {
        uint32_t x = s->bfs_queue[head++];
        if (x == u)
            break;
        for (uint32_t k = s->off[x]; k < s->off[x + 1]; k++) {
            uint32_t w = succ(s, k);
            s->bfs_work++;
            if (!walk_allowed(s, w) || s->bfs_seen[w] == stamp)
                continue;
            s->bfs_seen[w] = stamp;
            s->bfs_prev[w] = s->adj[k]; /* the edge that reached w */
            s->bfs_queue[tail++] = w;
        }
    }
    if (s->bfs_seen[u] != stamp)
        return 0;
    size_t len = 0;
    for (uint32_t x = u; x != v; x = s->g->edges[s->bfs_prev[x]].from)
        len++;
    /* cycle_edges: [u->v] then the path v ~> u in order */
    size_t i = len;
    for (uint32_t x = u; x != v; x = s->g->edges[s->bfs_prev[x]].from)
        s->cycle_edges[i--] = s->bfs_prev[x];
    return len + 1;
}

static void shortest_cycles(struct lg_search *s, const uint32_t *nodes,
                            size_t m)
{
    s->allow_stamp++;
    for (size_t i = 0; i < m; i++)
        s->allow[nodes[i]] = s->allow_stamp;
    for (size_t i = 0; i < m && !s->stop; i++) {
        uint32_t u = nodes[i];
        for (uint32_t k = s->off[u]; k < s->off[u + 1] && !s->stop; k++) {
            uint32_t v = succ(s, k);
            if (!walk_allowed(s, v) || s->covered[s->adj[k]] ||
                s->bfs_work > LG_BFS_BUDGET)
                continue;
            size_t len = shortest_back(s, v, u);
            if (len < 2)
                continue;
            s->cycle_edges[0] = s->adj[k];
            for (size_t e = 0; e < len; e++)
                s->covered[s->cycle_edges[e]] = 1;
            cycle_found(s, len, true);
        }
    }
}

/* Johnson over one strongly connected component: walk the cycles
 * through its smallest node, remove that node, split what remains into
 * components again and go on with each.  A component that falls apart
 * into trivial ones (one long cycle, once cut) costs one Tarjan pass. */
struct lg_work {
    uint32_t *nodes;
    size_t m;
};

static int comp_node_cmp(const void *x, const void *y, void *arg)
{
    const uint32_t *comp = arg;
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    if (comp[a] != comp[b])
        return comp[a] < comp[b] ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* Split nodes[1..m) into components, pushing the non-trivial ones. */
static void johnson_split(struct lg_search *s, const uint32_t *nodes, size_t m,
                          struct lg_work **work, size_t *nwork,
                          size_t *work_cap)
{
    if (m < 3)
        return;
    s->allow_stamp++;
    for (size_t i = 1; i < m; i++)
        s->allow[nodes[i]] = s->allow_stamp;
    s->seen_stamp++;
    s->nstk = 0;
    uint32_t tag = 0;
    for (size_t i = 1; i < m; i++)
        if (s->seen[nodes[i]] != s->seen_stamp)
            tag += tarjan_from(s, nodes[i], tag);
    uint32_t *rest = lg_calloc(m - 1, sizeof *rest);
    memcpy(rest, nodes + 1, (m - 1) * sizeof *rest);
    qsort_r(rest, m - 1, sizeof *rest, comp_node_cmp, s->comp);
    for (size_t i = 0; i < m - 1;) {
        size_t j = i;
        while (j < m - 1 && s->comp[rest[j]] == s->comp[rest[i]])
            j++;
        if (j - i >= 2) {
            an_grow(work, work_cap, *nwork + 1, sizeof **work);
            uint32_t *part = lg_calloc(j - i, sizeof *part);
            memcpy(part, rest + i, (j - i) * sizeof *part);
            (*work)[(*nwork)++] = (struct lg_work){part, j - i};
        }
        i = j;
    }
    free(rest);
}

static void johnson_component(struct lg_search *s, const uint32_t *nodes,
                              size_t m)
{
    struct lg_work *work = NULL;
    size_t nwork = 0, work_cap = 0;
    an_grow(&work, &work_cap, 1, sizeof *work);
    work[0].nodes = lg_calloc(m, sizeof *work[0].nodes);
    memcpy(work[0].nodes, nodes, m * sizeof *nodes);
    work[0].m = m;
    nwork = 1;
    while (nwork) {
        struct lg_work w = work[--nwork];
        if (!s->stop) {
            /* nodes are sorted within a part: w.nodes[0] is the root */
            s->allow_stamp++;
            for (size_t i = 0; i < w.m; i++) {
                s->allow[w.nodes[i]] = s->allow_stamp;
                s->blocked[w.nodes[i]] = 0;
                s->B[w.nodes[i]].n = 0;
            }
            circuits_from(s, w.nodes[0]);
            if (!s->stop)
                johnson_split(s, w.nodes, w.m, &work, &nwork, &work_cap);
        }
        free(w.nodes);
    }
    free(work);
}

static int u32_cmp(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

void lockgraph_report_cycles(struct analyzer *a)
{
    struct lockgraph *g = a->graph;
    if (g->nedges == 0)
        return;
    struct lg_search s;
    memset(&s, 0, sizeof s);
    s.a = a;
    s.g = g;
    s.max_kept = a->opt.max_lock_cycles ? a->opt.max_lock_cycles : 1000;
    s.max_looked = s.max_kept * 100;
    search_build(&s);
    /* Components of the whole graph. */
    s.seen_stamp = 1;
    uint32_t ncomp = 0;
    for (uint32_t v = 0; v < s.n; v++)
        if (s.seen[v] != s.seen_stamp)
            ncomp += tarjan_from(&s, v, ncomp);
    /* Nodes grouped by component, each group sorted. */
    uint32_t *count = lg_calloc(ncomp + 1, sizeof *count);
    for (uint32_t v = 0; v < s.n; v++)
        count[s.comp[v] + 1]++;
    for (uint32_t c = 0; c < ncomp; c++)
        count[c + 1] += count[c];
    uint32_t *byc = lg_calloc(s.n, sizeof *byc);
    uint32_t *fill = lg_calloc(ncomp, sizeof *fill);
    for (uint32_t v = 0; v < s.n; v++)
        byc[count[s.comp[v]] + fill[s.comp[v]]++] = v;
    for (uint32_t c = 0; c < ncomp && !s.stop; c++) {
        size_t m = count[c + 1] - count[c];
        if (m < 2)
            continue;
        qsort(byc + count[c], m, sizeof *byc, u32_cmp);
        shortest_cycles(&s, byc + count[c], m);
    }
    for (uint32_t c = 0; c < ncomp && !s.stop; c++) {
        size_t m = count[c + 1] - count[c];
        if (m >= 2)
            johnson_component(&s, byc + count[c], m);
    }
    a->lock_cycles = s.looked;
    a->lock_cycles_kept = s.kept;
    if (s.stop) {
        a->lock_cycles_truncated = true;
        an_note(a,
                "lock-order cycle search stopped after %llu cycles (%llu "
                "reported as deadlock risks); raise max_lock_cycles to see "
                "more",
                (unsigned long long)s.looked, (unsigned long long)s.kept);
    }
    free(count);
    free(byc);
    free(fill);
    search_free(&s);
}
