/* platform.h: the few OS and CPU services simdrop needs, for POSIX and Windows: once, locks, threads, thread-local data, cache sizes, the floating-point environment. */
#ifndef SIMDROP_PLATFORM_H
#define SIMDROP_PLATFORM_H

#include <stddef.h>

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
typedef INIT_ONCE simdrop_once_t;
typedef SRWLOCK simdrop_mutex_t;
typedef CONDITION_VARIABLE simdrop_cond_t;
typedef HANDLE simdrop_thread_t;
#define SIMDROP_ONCE_INIT INIT_ONCE_STATIC_INIT
#define SIMDROP_MUTEX_INIT SRWLOCK_INIT
#define SIMDROP_COND_INIT CONDITION_VARIABLE_INIT
#else
#include <pthread.h>
typedef pthread_once_t simdrop_once_t;
typedef pthread_mutex_t simdrop_mutex_t;
typedef pthread_cond_t simdrop_cond_t;
typedef pthread_t simdrop_thread_t;
#define SIMDROP_ONCE_INIT PTHREAD_ONCE_INIT
#define SIMDROP_MUTEX_INIT PTHREAD_MUTEX_INITIALIZER
#define SIMDROP_COND_INIT PTHREAD_COND_INITIALIZER
#endif

#ifdef _MSC_VER
#define SIMDROP_THREAD_LOCAL __declspec(thread)
#else
#define SIMDROP_THREAD_LOCAL _Thread_local
#endif

/* Runs fn exactly once per `once`, whichever thread gets there first; the others wait. */
void simdrop_once(simdrop_once_t *once, void (*fn)(void));

void simdrop_mutex_lock(simdrop_mutex_t *m);
void simdrop_mutex_unlock(simdrop_mutex_t *m);
void simdrop_cond_wait(simdrop_cond_t *c, simdrop_mutex_t *m);
void simdrop_cond_broadcast(simdrop_cond_t *c);

/* Starts fn(arg) on a new thread; 0 on success. Threads are joined, never detached. */
int simdrop_thread_start(simdrop_thread_t *t, void (*fn)(void *), void *arg);
void simdrop_thread_join(simdrop_thread_t t);

/* Lets another thread run (while waiting for one that has the work in hand). */
void simdrop_yield(void);

/* Sizes of the last-level cache and of the one below it in bytes, 0 where the OS does not say. */
size_t simdrop_llc_bytes(void);
size_t simdrop_l2_bytes(void);

/* The calling thread's floating-point control state, everything that can change a result bit:
 * MXCSR on x86-64 (rounding mode, flush-to-zero, denormals-are-zero, exception masks: what
 * fesetround and the FTZ/DAZ intrinsics set; simdrop computes in SSE registers only), FPCR on
 * AArch64 (rounding mode, flush-to-zero, default NaN, alternative half precision), elsewhere the
 * C rounding mode. A thread's environment is its own: simdrop_fpenv_set applies a caller's to
 * the thread that runs part of its call. Status flags are not part of it. */
typedef struct simdrop_fpenv {
    unsigned long long bits;
} simdrop_fpenv;

simdrop_fpenv simdrop_fpenv_get(void);
void simdrop_fpenv_set(simdrop_fpenv e);

#endif
