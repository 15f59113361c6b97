/* test_dll.c: Windows: the DLL loaded and freed at run time, and process exit with the pool's threads.
 *
 *   test_dll DLL-NAME [--rounds N]      (DLL-NAME in the working directory, e.g. libsimdrop-1.dll)
 *
 * The counterpart of dlopen/dlclose on Windows, where a DLL cannot join threads while it is
 * unloaded (DllMain holds the loader lock an exiting thread needs), so simdrop pins its module
 * once the built-in pool has started a thread (src/platform.c):
 * 1. a DLL whose pool never started a thread unloads on FreeLibrary;
 * 2. once the pool has threads, FreeLibrary leaves the DLL loaded and working: 3-thread calls
 *    give the 1-thread bits before and after it, and after loading it again;
 * 3. process exit never hangs: N fresh processes each return from main while four threads are
 *    inside threaded calls (ExitProcess kills them wherever they are; a pool destructor taking
 *    the pool's lock at DLL_PROCESS_DETACH hung about one exit in twenty), and this process
 *    itself ends with the pool's workers parked. */
#include "portable.h"

#include "common.h"

#ifndef _WIN32
int main(void)
{
    TEST_SKIP("test_dll is the Windows counterpart of dlopen/dlclose (LoadLibrary/FreeLibrary)");
}
#else

#define N ((size_t)4 << 20) /* 32 MiB read and written: the pool splits it (256 KiB a task) */
#define CALLERS 4

typedef int (*forward_fn)(float *, uint8_t *, const float *, size_t, double, uint64_t, uint64_t);
typedef int (*threads_fn)(int);

typedef struct api {
    HMODULE dll;
    forward_fn forward;
    threads_fn set_threads;
} api;

static char dll_path[MAX_PATH];
static const char *dll_name;

/* Casts go through void (*)(void), the function pointer type GCC lets convert to any other. */
static int load(api *a)
{
    a->dll = LoadLibraryA(dll_path);
    if (!a->dll) {
        fprintf(stderr, "LoadLibrary(%s): error %lu\n", dll_path, (unsigned long)GetLastError());
        exit(2);
    }
    a->forward = (forward_fn)(void (*)(void))GetProcAddress(a->dll, "simdrop_forward_f32");
    a->set_threads = (threads_fn)(void (*)(void))GetProcAddress(a->dll, "simdrop_set_num_threads");
    if (!a->forward || !a->set_threads) {
        fprintf(stderr, "%s does not export the API\n", dll_path);
        exit(2);
    }
    return 1;
}

static void unloads_without_threads(const float *x, float *y)
{
    api a;
    load(&a);
    CHECK(a.set_threads(1) == 0, "set_num_threads(1)");
    CHECK(a.forward(y, NULL, x, N, 0.3, 5, 77) == 0, "one-thread call");
    FreeLibrary(a.dll);
    CHECK(!GetModuleHandleA(dll_name), "%s stayed loaded although its pool started no thread",
          dll_name);
}

static void pinned_with_threads(const float *x, float *y1, float *y3)
{
    api a, b;
    load(&a);
    CHECK(a.set_threads(1) == 0 && a.forward(y1, NULL, x, N, 0.3, 5, 77) == 0, "one thread");
    CHECK(a.set_threads(3) == 0 && a.forward(y3, NULL, x, N, 0.3, 5, 77) == 0, "three threads");
    CHECK(!memcmp(y1, y3, N * sizeof(float)), "3 threads differ from 1");
    FreeLibrary(a.dll);
    CHECK(GetModuleHandleA(dll_name) == a.dll, "%s was unloaded while its pool had threads",
          dll_name);
    memset(y3, 0, N * sizeof(float));
    load(&b);
    CHECK(b.dll == a.dll, "loading again gave another module");
    CHECK(b.forward(y3, NULL, x, N, 0.3, 5, 77) == 0, "three threads after FreeLibrary");
    CHECK(!memcmp(y1, y3, N * sizeof(float)), "3 threads after FreeLibrary differ from 1");
    FreeLibrary(b.dll);
}

/* ---- 3. exit while threads are in calls -------------------------------------------------------- */

typedef struct caller {
    api *a;
    const float *x;
    float *y;
} caller;

static unsigned __stdcall keep_calling(void *arg)
{
    const caller *c = arg;
    for (uint64_t k = 0;; k++)
        c->a->forward(c->y, NULL, c->x, N / 8, 0.5, k, 0);
    return 0;
}

/* A fresh process: CALLERS threads in threaded calls, then main returns after `ms`. */
static int exit_busy(int ms)
{
    static api a;
    static caller c[CALLERS];
    load(&a);
    a.set_threads(4);
    float *x = calloc(N / 8, sizeof(float));
    for (int t = 0; t < CALLERS; t++) {
        c[t] = (caller){&a, x, malloc(N / 8 * sizeof(float))};
        if (!c[t].y || !_beginthreadex(NULL, 0, keep_calling, &c[t], 0, NULL))
            return 2;
    }
    Sleep((DWORD)ms);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_dll DLL-NAME [--rounds N]\n");
        return 2;
    }
    dll_name = argv[1];
    snprintf(dll_path, sizeof dll_path, ".\\%s", dll_name); /* the working directory's, only */
    if (argc >= 4 && !strcmp(argv[argc - 2], "--exit-busy"))
        return exit_busy(atoi(argv[argc - 1]));

    const char *small = getenv("SIMDROP_TEST_SMALL");
    size_t rounds = small && *small && strcmp(small, "0") ? 8 : 24;
    for (int i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--rounds"))
            rounds = strtoul(argv[i + 1], NULL, 0);

    float *x = malloc(N * sizeof(float)), *y1 = malloc(N * sizeof(float));
    float *y3 = malloc(N * sizeof(float));
    if (!x || !y1 || !y3)
        return 2;
    for (size_t i = 0; i < N; i++)
        x[i] = (float)i - 1e6f;
    unloads_without_threads(x, y1);
    pinned_with_threads(x, y1, y3);
    printf("test_dll: %s unloads without threads, stays loaded and working with them\n",
           dll_name);

    for (size_t k = 0; k < rounds; k++) {
        char ms[16];
        snprintf(ms, sizeof ms, "%d", (int)(k % 8) * 3 + 5);
        const char *const extra[] = {"--exit-busy", ms, NULL};
        const int status = test_spawn_self(argc, argv, extra, 30000);
        CHECK(status == 0, "exit %zu, %s ms into threaded calls: %s (%d)", k, ms,
              status == TEST_SPAWN_TIMEOUT ? "hung, killed after 30 s" : "exit status", status);
    }
    printf("test_dll: %zu processes exited in the middle of threaded calls\n", rounds);
    free(x), free(y1), free(y3);
    return test_finish("test_dll"); /* with the pool's workers parked: a hang is meson's timeout */
}
#endif
