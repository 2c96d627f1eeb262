/* Every construct that makes GCC and clang call the ThreadSanitizer ABI
 * from C: plain, volatile, packed (unaligned) and 16-byte accesses,
 * atomics of every width and operation, fences, and copies.  The test
 * compiles it with -fsanitize=thread and links it with libctrace.so
 * alone: an entry point missing from the runtime is a link error. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef unsigned __int128 u128;

struct __attribute__((packed)) packed {
    char c;
    int i;
    long l;
    short s;
    u128 q;
};

volatile char vc;
volatile short vs;
volatile int vi;
volatile long vl;
volatile u128 vq;
char c;
short s;
int i;
long l;
u128 q, q2;
float f;
double d;
long double ld;
_Atomic char ac;
_Atomic short as;
_Atomic int ai;
_Atomic long al;
_Atomic u128 aq;
struct packed pk;
struct packed *pp = &pk;
char buf[256], buf2[256];

#define OPS(A, T)                                                              \
    atomic_store_explicit(&A, 1, memory_order_relaxed);                        \
    atomic_store_explicit(&A, 1, memory_order_release);                        \
    atomic_store_explicit(&A, 1, memory_order_seq_cst);                        \
    r += atomic_load_explicit(&A, memory_order_relaxed);                       \
    r += atomic_load_explicit(&A, memory_order_acquire);                       \
    r += atomic_load_explicit(&A, memory_order_seq_cst);                       \
    r += atomic_load_explicit(&A, memory_order_consume);                       \
    r += atomic_exchange_explicit(&A, 2, memory_order_acq_rel);                \
    r += atomic_fetch_add_explicit(&A, 1, memory_order_relaxed);               \
    r += atomic_fetch_sub(&A, 1);                                              \
    r += atomic_fetch_and(&A, 1);                                              \
    r += atomic_fetch_or(&A, 1);                                               \
    r += atomic_fetch_xor(&A, 1);                                              \
    {                                                                          \
        T e = 0;                                                               \
        r += atomic_compare_exchange_strong(&A, &e, 3);                        \
        r += atomic_compare_exchange_weak_explicit(                            \
            &A, &e, 4, memory_order_acquire, memory_order_relaxed);            \
    }                                                                          \
    r += __atomic_nand_fetch((T *)&A, 1, __ATOMIC_SEQ_CST);                    \
    r += __atomic_fetch_nand((T *)&A, 1, __ATOMIC_RELAXED);                    \
    r += __sync_val_compare_and_swap((T *)&A, 1, 2);                           \
    r += __sync_bool_compare_and_swap((T *)&A, 1, 2);                          \
    r += __sync_fetch_and_add((T *)&A, 1);                                     \
    r += __sync_add_and_fetch((T *)&A, 1);                                     \
    r += __sync_lock_test_and_set((T *)&A, 1);                                 \
    __sync_lock_release((T *)&A);

__attribute__((noinline)) long every_access(long n)
{
    long r = 0;
    c++, s++, i++, l++, q++, f++, d++, ld++;
    vc++, vs++, vi++, vl++, vq++;
    pp->c++, pp->i++, pp->l++, pp->s++, pp->q++;
    OPS(ac, char)
    OPS(as, short)
    OPS(ai, int)
    OPS(al, long)
    atomic_store(&aq, 1);
    r += (long)atomic_load(&aq);
    r += (long)atomic_exchange(&aq, 2);
    {
        u128 e = 0;
        r += atomic_compare_exchange_strong(&aq, &e, 5);
        r += atomic_compare_exchange_weak(&aq, &e, 5);
    }
    r += (long)atomic_fetch_add(&aq, 1);
    r += (long)__atomic_fetch_nand(&q2, 1, __ATOMIC_SEQ_CST);
    r += (long)__atomic_fetch_sub(&q2, 1, __ATOMIC_SEQ_CST);
    r += (long)__atomic_fetch_and(&q2, 1, __ATOMIC_SEQ_CST);
    r += (long)__atomic_fetch_or(&q2, 1, __ATOMIC_SEQ_CST);
    r += (long)__atomic_fetch_xor(&q2, 1, __ATOMIC_SEQ_CST);
    r += (long)__sync_val_compare_and_swap(&q2, 1, 2);
    atomic_thread_fence(memory_order_acquire);
    atomic_thread_fence(memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    atomic_signal_fence(memory_order_seq_cst);
    __sync_synchronize();
    memcpy(buf, buf2, (size_t)(n & 255));
    memset(buf, 1, (size_t)(n & 127));
    memmove(buf, buf + 1, (size_t)(n & 63));
    __builtin_memcpy(buf, buf2, 100);
    __builtin_memset(buf, 0, 200);
    return r;
}

struct three {
    char a[3];
};

__attribute__((noinline)) void copy_three(struct three *x, struct three *y)
{
    *x = *y;
}

__attribute__((noinline)) void zero(char *p, long n)
{
    for (long k = 0; k < n; k++)
        p[k] = 0;
}

int main(void)
{
    struct three x = {{1, 2, 3}}, y = {{4, 5, 6}};
    long r = every_access(100);
    copy_three(&x, &y);
    zero(buf, 64);
    printf("abi_all %ld %d\n", r, x.a[2]);
    return 0;
}
