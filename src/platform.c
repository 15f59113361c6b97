/* platform.c: POSIX and Windows implementations of platform.h. */
#include <fenv.h>
#include <stdlib.h>

#include "platform.h"

/* A thread's entry, handed over on the heap: the two APIs want different function types. */
typedef struct thread_start {
    void (*fn)(void *);
    void *arg;
} thread_start;

static thread_start *thread_start_new(void (*fn)(void *), void *arg)
{
    thread_start *s = malloc(sizeof *s);
    if (s) {
        s->fn = fn;
        s->arg = arg;
    }
    return s;
}

#ifdef _WIN32

/* The function travels as a pointer to the function pointer: C has no conversion between
 * function and object pointers. */
static BOOL CALLBACK once_trampoline(PINIT_ONCE once, PVOID param, PVOID *context)
{
    (void)once;
    (void)context;
    (*(void (**)(void))param)();
    return TRUE;
}

void simdrop_once(simdrop_once_t *once, void (*fn)(void))
{
    InitOnceExecuteOnce(once, once_trampoline, &fn, NULL);
}

void simdrop_mutex_lock(simdrop_mutex_t *m)
{
    AcquireSRWLockExclusive(m);
}

void simdrop_mutex_unlock(simdrop_mutex_t *m)
{
    ReleaseSRWLockExclusive(m);
}

void simdrop_cond_wait(simdrop_cond_t *c, simdrop_mutex_t *m)
{
    SleepConditionVariableSRW(c, m, INFINITE, 0);
}

void simdrop_cond_broadcast(simdrop_cond_t *c)
{
    WakeAllConditionVariable(c);
}

static DWORD WINAPI thread_trampoline(LPVOID p)
{
    const thread_start s = *(thread_start *)p;
    free(p);
    s.fn(s.arg);
    return 0;
}

/* The pool's threads run this module's code until the process ends, and a DLL cannot join them
 * when it is unloaded (DllMain runs under the loader lock, which an exiting thread needs). So
 * before a thread starts, the module (the DLL, or the program it is linked into) is pinned:
 * FreeLibrary never unmaps it, and the threads end with the process. */
static void pin_module(void)
{
    static const char here = 0;
    HMODULE self;
    GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                       (LPCWSTR)(const void *)&here, &self);
}

int simdrop_thread_start(simdrop_thread_t *t, void (*fn)(void *), void *arg)
{
    thread_start *s = thread_start_new(fn, arg);
    if (!s)
        return -1;
    pin_module();
    *t = CreateThread(NULL, 0, thread_trampoline, s, 0, NULL);
    if (!*t) {
        free(s);
        return -1;
    }
    return 0;
}

void simdrop_thread_join(simdrop_thread_t t)
{
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
}

void simdrop_yield(void)
{
    SwitchToThread();
}

/* The largest cache of the given level the processor reports. */
static size_t cache_bytes(int level)
{
    DWORD len = 0;
    GetLogicalProcessorInformation(NULL, &len);
    SYSTEM_LOGICAL_PROCESSOR_INFORMATION *info = malloc(len ? len : 1);
    size_t best = 0;
    if (info && GetLogicalProcessorInformation(info, &len)) {
        for (DWORD i = 0; i < len / sizeof *info; i++)
            if (info[i].Relationship == RelationCache && info[i].Cache.Level == level &&
                info[i].Cache.Size > best)
                best = info[i].Cache.Size;
    }
    free(info);
    return best;
}

size_t simdrop_llc_bytes(void)
{
    const size_t l3 = cache_bytes(3);
    return l3 ? l3 : cache_bytes(2);
}

size_t simdrop_l2_bytes(void)
{
    return cache_bytes(2);
}

#else /* POSIX */

#include <sched.h>
#include <unistd.h>

void simdrop_once(simdrop_once_t *once, void (*fn)(void))
{
    pthread_once(once, fn);
}

void simdrop_mutex_lock(simdrop_mutex_t *m)
{
    pthread_mutex_lock(m);
}

void simdrop_mutex_unlock(simdrop_mutex_t *m)
{
    pthread_mutex_unlock(m);
}

void simdrop_cond_wait(simdrop_cond_t *c, simdrop_mutex_t *m)
{
    pthread_cond_wait(c, m);
}

void simdrop_cond_broadcast(simdrop_cond_t *c)
{
    pthread_cond_broadcast(c);
}

static void *thread_trampoline(void *p)
{
    const thread_start s = *(thread_start *)p;
    free(p);
    s.fn(s.arg);
    return NULL;
}

int simdrop_thread_start(simdrop_thread_t *t, void (*fn)(void *), void *arg)
{
    thread_start *s = thread_start_new(fn, arg);
    if (!s)
        return -1;
    if (pthread_create(t, NULL, thread_trampoline, s) != 0) {
        free(s);
        return -1;
    }
    return 0;
}

void simdrop_thread_join(simdrop_thread_t t)
{
    pthread_join(t, NULL);
}

void simdrop_yield(void)
{
    sched_yield();
}

static size_t sysconf_bytes(int name)
{
    const long v = sysconf(name);
    return v > 0 ? (size_t)v : 0;
}

size_t simdrop_llc_bytes(void)
{
#ifdef _SC_LEVEL3_CACHE_SIZE
    const size_t l3 = sysconf_bytes(_SC_LEVEL3_CACHE_SIZE);
    return l3 ? l3 : sysconf_bytes(_SC_LEVEL2_CACHE_SIZE);
#else
    return 0;
#endif
}

size_t simdrop_l2_bytes(void)
{
#ifdef _SC_LEVEL2_CACHE_SIZE
    return sysconf_bytes(_SC_LEVEL2_CACHE_SIZE);
#else
    return 0;
#endif
}

#endif

/* ---- the floating-point environment (both systems) ------------------------------------------ */

#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>

/* MXCSR less its six status flags (bits 0-5). */
simdrop_fpenv simdrop_fpenv_get(void)
{
    const simdrop_fpenv e = {_mm_getcsr() & ~0x3fu};
    return e;
}

void simdrop_fpenv_set(simdrop_fpenv e)
{
    _mm_setcsr((unsigned)e.bits | (_mm_getcsr() & 0x3fu));
}

#elif defined(__aarch64__) && defined(__GNUC__)

simdrop_fpenv simdrop_fpenv_get(void)
{
    unsigned long long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    const simdrop_fpenv e = {fpcr};
    return e;
}

void simdrop_fpenv_set(simdrop_fpenv e)
{
    __asm__ volatile("msr fpcr, %0" : : "r"(e.bits));
}

#else /* the C rounding mode: all the control these targets' C code has */

simdrop_fpenv simdrop_fpenv_get(void)
{
    const simdrop_fpenv e = {(unsigned long long)(unsigned)fegetround()};
    return e;
}

void simdrop_fpenv_set(simdrop_fpenv e)
{
    fesetround((int)(unsigned)e.bits);
}

#endif
