/* portable.h: the POSIX services simdrop's tests use, on POSIX and on Windows.
 *
 * A test includes this first (after its feature macros) instead of <pthread.h>, <sys/mman.h>,
 * <sys/wait.h>, <unistd.h>, <dlfcn.h>. On POSIX that is all it does: it includes those headers.
 * On Windows it provides the same names, on the Win32 API, for the subset the tests use:
 *   threads   pthread_t, pthread_create (attributes NULL), pthread_join,
 *             pthread_barrier_t with _init (attributes NULL), _wait and _destroy
 *   time      clock_gettime(CLOCK_MONOTONIC, ...) from QueryPerformanceCounter
 *   memory    mmap of anonymous private pages, munmap of a whole mapping, mprotect
 *             (VirtualAlloc, VirtualFree, VirtualProtect: PROT_NONE is PAGE_NOACCESS)
 *   env       setenv and unsetenv (_putenv_s; Windows has no empty variable: "" unsets)
 *   libraries dlopen, dlsym, dlclose, dlerror (LoadLibrary, GetProcAddress, FreeLibrary)
 * and, on both, what has no POSIX name:
 *   test_aligned_alloc / test_aligned_free   (aligned_alloc/free; _aligned_malloc/_aligned_free)
 *   test_stdout_binary()                     stdout writes bytes as they are (no \n -> \r\n)
 *   test_ignore_sigpipe()                    a closed pipe is an error, not a signal
 *   TEST_SKIP(reason)                        prints why and exits 77, meson's "skipped"
 * Windows has no fork(): a test that needs a fresh process runs itself again with
 * test_spawn_self() (Windows only) and finds its work in its arguments.
 * The names are macros for portable_* functions, so nothing clashes with a system library. */
#ifndef SIMDROP_TEST_PORTABLE_H
#define SIMDROP_TEST_PORTABLE_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define TEST_SKIP(...)                                                                     \
    do {                                                                                   \
        printf("SKIP: ");                                                                  \
        printf(__VA_ARGS__);                                                               \
        printf("\n");                                                                      \
        exit(77);                                                                          \
    } while (0)

#ifndef _WIN32

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static inline void *test_aligned_alloc(size_t alignment, size_t size)
{
    return aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}

static inline void test_aligned_free(void *p)
{
    free(p);
}

static inline void test_stdout_binary(void)
{
}

static inline void test_ignore_sigpipe(void)
{
    signal(SIGPIPE, SIG_IGN);
}

#else /* Windows */

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <malloc.h>
#include <process.h>
#include <string.h>
#include <windows.h>

static inline void *test_aligned_alloc(size_t alignment, size_t size)
{
    return _aligned_malloc(size ? size : 1, alignment);
}

static inline void test_aligned_free(void *p)
{
    _aligned_free(p);
}

static inline void test_stdout_binary(void)
{
    fflush(stdout);
    _setmode(_fileno(stdout), _O_BINARY);
}

static inline void test_ignore_sigpipe(void)
{
}

/* ---- threads ---------------------------------------------------------------------------- */

typedef struct portable_thread_rec {
    HANDLE handle;
    void *(*fn)(void *);
    void *arg, *result;
} *portable_thread;

static unsigned __stdcall portable_thread_main(void *p)
{
    portable_thread t = (portable_thread)p;
    t->result = t->fn(t->arg);
    return 0;
}

static inline int portable_thread_create(portable_thread *t, const void *attr,
                                         void *(*fn)(void *), void *arg)
{
    if (attr)
        return EINVAL; /* not needed by any test */
    portable_thread rec = (portable_thread)calloc(1, sizeof *rec);
    if (!rec)
        return EAGAIN;
    rec->fn = fn;
    rec->arg = arg;
    rec->handle = (HANDLE)_beginthreadex(NULL, 0, portable_thread_main, rec, 0, NULL);
    if (!rec->handle) {
        free(rec);
        return EAGAIN;
    }
    *t = rec;
    return 0;
}

static inline int portable_thread_join(portable_thread t, void **result)
{
    WaitForSingleObject(t->handle, INFINITE);
    CloseHandle(t->handle);
    if (result)
        *result = t->result;
    free(t);
    return 0;
}

typedef struct portable_barrier {
    SRWLOCK lock;
    CONDITION_VARIABLE all_in;
    unsigned count, waiting, generation;
} portable_barrier;

static inline int portable_barrier_init(portable_barrier *b, const void *attr, unsigned count)
{
    if (attr || !count)
        return EINVAL;
    InitializeSRWLock(&b->lock);
    InitializeConditionVariable(&b->all_in);
    b->count = count;
    b->waiting = 0;
    b->generation = 0;
    return 0;
}

/* Like pthread_barrier_wait: the last thread in returns PTHREAD_BARRIER_SERIAL_THREAD. */
#define PTHREAD_BARRIER_SERIAL_THREAD (-1)
static inline int portable_barrier_wait(portable_barrier *b)
{
    AcquireSRWLockExclusive(&b->lock);
    const unsigned generation = b->generation;
    int last = 0;
    if (++b->waiting == b->count) {
        b->waiting = 0;
        b->generation++;
        last = 1;
        WakeAllConditionVariable(&b->all_in);
    } else {
        while (generation == b->generation)
            SleepConditionVariableSRW(&b->all_in, &b->lock, INFINITE, 0);
    }
    ReleaseSRWLockExclusive(&b->lock);
    return last ? PTHREAD_BARRIER_SERIAL_THREAD : 0;
}

static inline int portable_barrier_destroy(portable_barrier *b)
{
    (void)b;
    return 0;
}

#define pthread_t portable_thread
#define pthread_create portable_thread_create
#define pthread_join portable_thread_join
#define pthread_barrier_t portable_barrier
#define pthread_barrier_init portable_barrier_init
#define pthread_barrier_wait portable_barrier_wait
#define pthread_barrier_destroy portable_barrier_destroy

/* ---- time ------------------------------------------------------------------------------- */

#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC 1
#endif

static inline int portable_clock_gettime(int clock, struct timespec *ts)
{
    (void)clock; /* CLOCK_MONOTONIC is the only one the tests use */
    LARGE_INTEGER count, freq;
    QueryPerformanceCounter(&count);
    QueryPerformanceFrequency(&freq);
    ts->tv_sec = (time_t)(count.QuadPart / freq.QuadPart);
    ts->tv_nsec = (long)(count.QuadPart % freq.QuadPart * 1000000000 / freq.QuadPart);
    return 0;
}

#define clock_gettime portable_clock_gettime

/* ---- pages ------------------------------------------------------------------------------ */

#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define MAP_ANON MAP_ANONYMOUS
#define MAP_FAILED ((void *)-1)

static inline DWORD portable_page_protection(int prot)
{
    return prot & PROT_WRITE ? PAGE_READWRITE : prot & PROT_READ ? PAGE_READONLY : PAGE_NOACCESS;
}

/* Anonymous private mappings only (fd -1), which is all the tests map. */
static inline void *portable_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
    (void)addr, (void)off;
    if (fd != -1 || !(flags & MAP_ANONYMOUS))
        return MAP_FAILED;
    void *p = VirtualAlloc(NULL, len, MEM_RESERVE | MEM_COMMIT, portable_page_protection(prot));
    return p ? p : MAP_FAILED;
}

/* The whole mapping, as mmap returned it (VirtualFree releases only whole reservations). */
static inline int portable_munmap(void *addr, size_t len)
{
    (void)len;
    return VirtualFree(addr, 0, MEM_RELEASE) ? 0 : -1;
}

static inline int portable_mprotect(void *addr, size_t len, int prot)
{
    DWORD old;
    return VirtualProtect(addr, len, portable_page_protection(prot), &old) ? 0 : -1;
}

#define mmap portable_mmap
#define munmap portable_munmap
#define mprotect portable_mprotect

/* ---- environment -------------------------------------------------------------------------- */

static inline int portable_setenv(const char *name, const char *value, int overwrite)
{
    if (!overwrite && getenv(name))
        return 0;
    return _putenv_s(name, value) ? -1 : 0;
}

static inline int portable_unsetenv(const char *name)
{
    return _putenv_s(name, "") ? -1 : 0;
}

#define setenv portable_setenv
#define unsetenv portable_unsetenv

/* ---- shared libraries ----------------------------------------------------------------------- */

#define RTLD_LAZY 1
#define RTLD_NOW 2
#define RTLD_LOCAL 0
#define RTLD_GLOBAL 0

static inline char *portable_dl_error(void)
{
    static char message[80];
    return message;
}

static inline void *portable_dlopen(const char *path, int flags)
{
    (void)flags;
    HMODULE h = LoadLibraryA(path);
    if (!h)
        snprintf(portable_dl_error(), 80, "LoadLibrary(%.40s): error %lu", path,
                 (unsigned long)GetLastError());
    return (void *)h;
}

/* The C standard has no conversion from an object pointer to a function pointer; POSIX dlsym
 * relies on it, and so does this (through memcpy, which -Wpedantic accepts). */
static inline void *portable_dlsym(void *lib, const char *name)
{
    FARPROC f = GetProcAddress((HMODULE)lib, name);
    void *p;
    if (!f)
        snprintf(portable_dl_error(), 80, "%.60s not found", name);
    memcpy(&p, &f, sizeof p);
    return p;
}

static inline int portable_dlclose(void *lib)
{
    return FreeLibrary((HMODULE)lib) ? 0 : -1;
}

static inline char *portable_dlerror(void)
{
    return portable_dl_error()[0] ? portable_dl_error() : NULL;
}

#define dlopen portable_dlopen
#define dlsym portable_dlsym
#define dlclose portable_dlclose
#define dlerror portable_dlerror

/* ---- processes ------------------------------------------------------------------------------ */

/* Runs this program again with its own arguments argv[1..argc) and then `extra` (a NULL-ended
 * list), waits up to timeout_ms (INFINITE: no limit) and returns its exit status: -1 if it could
 * not be started, -2 if it was still running at the timeout (it is then terminated). The child
 * inherits the environment. Windows' stand-in for fork() when a test needs a fresh process. */
#define TEST_SPAWN_TIMEOUT (-2)
static inline int test_spawn_self(int argc, char **argv, const char *const *extra,
                                  DWORD timeout_ms)
{
    char exe[MAX_PATH], cmd[8192];
    const DWORD exe_len = GetModuleFileNameA(NULL, exe, sizeof exe);
    if (!exe_len || exe_len >= sizeof exe)
        return -1;
    /* Each argument quoted for the C runtime's parser (the tests' arguments hold no quotes). */
    size_t len = (size_t)snprintf(cmd, sizeof cmd, "\"%s\"", exe);
    for (int i = 1; i < argc && len < sizeof cmd; i++)
        len += (size_t)snprintf(cmd + len, sizeof cmd - len, " \"%s\"", argv[i]);
    for (size_t i = 0; extra[i] && len < sizeof cmd; i++)
        len += (size_t)snprintf(cmd + len, sizeof cmd - len, " \"%s\"", extra[i]);
    if (len >= sizeof cmd)
        return -1;
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    fflush(NULL);
    if (!CreateProcessA(exe, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
        return -1;
    DWORD code = (DWORD)-1;
    if (WaitForSingleObject(pi.hProcess, timeout_ms) == WAIT_TIMEOUT) {
        TerminateProcess(pi.hProcess, 1);
        WaitForSingleObject(pi.hProcess, INFINITE);
        code = (DWORD)TEST_SPAWN_TIMEOUT;
    } else {
        GetExitCodeProcess(pi.hProcess, &code);
    }
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return (int)code;
}

#endif /* _WIN32 */

#endif
