/* test_dlclose.c: dlopen the shared library, run threaded calls, dlclose, again and again: no hang, no crash, no thread or mapping left behind; and exit without dlclose.
 *
 *   test_dlclose PATH-TO-libsimdrop.so [--rounds N]
 *
 * Does not link the library (a linked copy would keep it loaded): every entry point comes from
 * dlsym. Each round: 4 threads, a call of several MB (so the built-in pool starts its workers)
 * checked against the same call on one thread, a bias-gradient call on 16 threads (scratch
 * memory for the chunk sums), then dlclose, after which the workers must be gone (joined by the
 * library's destructor), the library unmapped, and a fork() must still work (the library's
 * fork handlers are unregistered with it). A child process that returns from main with the
 * library loaded and its pool parked must exit promptly. ASan and valgrind (.ci/sanitizers.sh)
 * check it for leaks. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long checks, failures;
#define CHECK(cond, ...)                                                               \
    do {                                                                               \
        checks++;                                                                      \
        if (!(cond)) {                                                                 \
            failures++;                                                                \
            fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__, #cond);          \
            fprintf(stderr, __VA_ARGS__);                                              \
            fputc('\n', stderr);                                                       \
        }                                                                              \
    } while (0)

typedef int (*set_threads_fn)(int);
typedef int (*forward_fn)(float *, uint8_t *, const float *, size_t, double, uint64_t, uint64_t);
typedef int (*bdab_fn)(float *, float *, const float *, size_t, size_t, double, uint64_t,
                       uint64_t);

static int task_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* 1 if /proc/self/maps has a mapping whose path ends in the library's file name, 0 if not,
 * -1 if it cannot be read. */
static int mapped(const char *path)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, f))
        found |= strstr(line, base) != NULL;
    fclose(f);
    return found;
}

static void *sym(void *lib, const char *name)
{
    void *p = dlsym(lib, name);
    if (!p) {
        fprintf(stderr, "dlsym(%s): %s\n", name, dlerror());
        exit(2);
    }
    return p;
}

enum { N = 1 << 22, ROWS = 512, COLS = 1024 }; /* N floats: 16 tasks of the 2 MiB cut-off */
static float x[N], want[N], y[N], dbias_want[COLS], dbias[COLS];

/* One round of threaded work on a freshly opened library; returns the handle. */
static void *use_library(const char *path, int round)
{
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen(%s): %s\n", path, dlerror());
        exit(2);
    }
    set_threads_fn set_threads;
    forward_fn forward;
    bdab_fn bdab;
    void *p = sym(lib, "simdrop_set_num_threads"); /* POSIX: data and code pointers agree */
    memcpy(&set_threads, &p, sizeof p);
    p = sym(lib, "simdrop_forward_f32");
    memcpy(&forward, &p, sizeof p);
    p = sym(lib, "simdrop_bias_dropout_add_backward_regen_f32");
    memcpy(&bdab, &p, sizeof p);
    CHECK(set_threads(1) == 0, "set_num_threads(1)");
    CHECK(forward(want, NULL, x, N, 0.3, 77, 5) == 0, "one thread");
    CHECK(bdab(want + N / 2, dbias_want, x, ROWS, COLS, 0.3, 78, 9) == 0, "dbias, one thread");
    CHECK(set_threads(16) == 0, "set_num_threads(16)");
    CHECK(forward(y, NULL, x, N, 0.3, 77, 5) == 0, "16 threads");
    CHECK(set_threads(4) == 0, "set_num_threads(4)");
    CHECK(bdab(y + N / 2, dbias, x, ROWS, COLS, 0.3, 78, 9) == 0, "dbias, four threads");
    CHECK(!memcmp(y, want, sizeof y) && !memcmp(dbias, dbias_want, sizeof dbias),
          "round %d: threaded results differ from one thread's", round);
    return lib;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_dlclose PATH-TO-libsimdrop.so [--rounds N]\n");
        return 2;
    }
    const char *path = argv[1];
    int rounds = 5;
    for (int i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--rounds"))
            rounds = atoi(argv[i + 1]);
#if defined(__SANITIZE_THREAD__)
#define TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSAN 1
#endif
#endif
#ifdef TSAN
    /* TSan cannot symbolize a library loaded a second time (its reports would be unreadable):
     * one round here; ASan, valgrind and the plain run do them all. */
    rounds = 1;
#endif
    for (size_t i = 0; i < N; i++)
        x[i] = (float)(i % 1000) * 0.25f - 100.0f;
    const int base_threads = task_count();
    CHECK(mapped(path) == 0 || mapped(path) == -1, "library mapped before dlopen");

    for (int r = 0; r < rounds; r++) {
        void *lib = use_library(path, r);
        const int during = task_count();
        CHECK(base_threads < 0 || during - base_threads >= 15, "round %d: %d threads with the "
              "pool started (%d before dlopen)", r, during, base_threads);
        CHECK(dlclose(lib) == 0, "dlclose: %s", dlerror());
        const int after = task_count();
        /* 15 workers gone; a little slack for threads of the tools (TSan's, an emulator's) */
        CHECK(base_threads < 0 || during - after >= 12, "round %d: %d threads after dlclose, %d "
              "with the pool: the workers were not joined", r, after, during);
        const int still = mapped(path);
        CHECK(still != 1, "round %d: the library is still mapped after dlclose", r);
        fflush(stdout);
        const pid_t pid = fork(); /* no fork handler of the unloaded library may run */
        if (pid == 0)
            _exit(0);
        int ws = 0;
        waitpid(pid, &ws, 0);
        CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "fork after dlclose: wait status 0x%x", ws);
        if (r == 0)
            printf("  round 0: threads %d before dlopen, %d with the pool, %d after dlclose; "
                   "mapped after dlclose: %s\n", base_threads, during, after,
                   still < 0 ? "unknown" : still ? "yes" : "no");
    }

    /* A child that leaves with the library loaded and its workers parked exits promptly. */
    fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
        const unsigned long before = failures;
        alarm(60);
        use_library(path, -1);
        exit(failures != before); /* no dlclose: the destructor runs at exit */
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int ws = 0;
    for (;;) {
        if (waitpid(pid, &ws, WNOHANG) == pid)
            break;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec > 90) {
            kill(pid, SIGKILL);
            waitpid(pid, &ws, 0);
            CHECK(0, "exit with the library loaded hung");
            break;
        }
        usleep(2000);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "exit with the library loaded: wait status 0x%x",
          ws);
    printf("  exit with the library loaded and 15 parked workers: %.3f s\n",
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    printf("test_dlclose: %d rounds of dlopen, threaded calls, dlclose\n", rounds);
    printf("test_dlclose: %lu checks, %lu passed, %lu failed\n", checks, checks - failures,
           failures);
    return failures ? 1 : 0;
}
