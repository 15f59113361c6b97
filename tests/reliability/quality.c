/* quality.c: writes simdrop's mask bits (or raw generator outputs) to stdout for external batteries. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include "portable.h"

#include "rel_common.h"

static const char usage[] =
    "usage: quality [options] > stream.bin\n"
    "  --seed S               mask seed (default 0)\n"
    "  --offset O             first element index (default 0)\n"
    "  --bytes N              bytes to write; 0 = until the reader closes the pipe (default 0)\n"
    "  --p P                  drop probability (default 0.5: one fair bit per element)\n"
    "  --raw                  the generator's 32-bit outputs instead of mask bits: from the round\n"
    "                         holding O, 16 lanes per round in lane order (spec.h), little-endian\n"
    "  --interleave-seeds K   32-bit word w of seeds S, S+1, .., S+K-1, then word w+1: lines up\n"
    "                         the same elements of neighbouring seeds\n"
    "  --interleave-blocks K  word w of blocks b, b+1, .., b+K-1 (b from O, rounded down to a\n"
    "                         block), then word w+1, then the next K blocks: lines up the same\n"
    "                         positions of neighbouring blocks\n"
    "Mask bytes are the library's own (simdrop_mask, element k = bit k%8 of byte k/8), produced in\n"
    "chunks whose offsets continue one another, so the stream is one long tensor's mask.\n"
    "On exit it prints the bytes written to stderr; a closed pipe is a normal end.\n";

#define CHUNK_WORDS (1u << 15) /* 32-bit words per write: 1 Mi elements of mask */

static unsigned long long written;

/* Writes one chunk; returns 0 when the reader has gone (or the --bytes budget is spent). */
static int emit(const void *buf, size_t bytes, unsigned long long limit)
{
    if (limit && written + bytes > limit)
        bytes = (size_t)(limit - written);
    const size_t done = fwrite(buf, 1, bytes, stdout);
    written += done;
    if (done < bytes) {
        if (errno != EPIPE)
            perror("quality: write");
        return 0;
    }
    return !limit || written < limit;
}

/* The raw xoshiro128++ outputs of the lanes, round after round, reseeding at each block. */
static void raw_stream(uint64_t seed, uint64_t offset, unsigned long long limit)
{
    static uint32_t words[CHUNK_WORDS];
    const uint64_t key = simdrop_seed_key(seed);
    uint64_t block = offset / SIMDROP_BLOCK;
    unsigned round = (unsigned)(offset % SIMDROP_BLOCK / SIMDROP_ROUND);
    simdrop_lanes st;
    uint32_t out[SIMDROP_LANES];
    simdrop_seed_block(&st, key, block);
    for (unsigned r = 0; r < round; r++)
        simdrop_round(&st, out);
    for (;;) {
        for (size_t w = 0; w < CHUNK_WORDS; w += SIMDROP_LANES) {
            if (round == SIMDROP_ROUNDS_PER_BLOCK) {
                simdrop_seed_block(&st, key, ++block);
                round = 0;
            }
            simdrop_round(&st, out);
            round++;
            for (unsigned lane = 0; lane < SIMDROP_LANES; lane++)
                simdrop_store_le32((uint8_t *)&words[w + lane], out[lane]);
        }
        if (!emit(words, sizeof words, limit))
            return;
    }
}

/* The masks of seeds seed .. seed+k-1 from the same offset, written word-interleaved; k == 1
 * is the plain mask stream. */
static void mask_stream(uint64_t seed, uint64_t offset, double p, unsigned k,
                        unsigned long long limit)
{
    const size_t per_stream = CHUNK_WORDS / k; /* words of each stream per chunk */
    uint8_t *masks = malloc((size_t)k * per_stream * 4), *out = malloc(CHUNK_WORDS * 4);
    if (!masks || !out) {
        fprintf(stderr, "quality: out of memory\n");
        exit(2);
    }
    for (uint64_t chunk = 0;; chunk++) {
        for (unsigned j = 0; j < k; j++) {
            const int status = simdrop_mask(masks + j * per_stream * 4, per_stream * 32, p,
                                            seed + j, offset + chunk * per_stream * 32);
            if (status) {
                fprintf(stderr, "quality: simdrop_mask: %s\n", simdrop_strerror(status));
                exit(2);
            }
        }
        for (size_t w = 0; w < per_stream; w++)
            for (unsigned j = 0; j < k; j++)
                memcpy(out + (w * k + j) * 4, masks + (j * per_stream + w) * 4, 4);
        if (!emit(out, per_stream * k * 4, limit))
            break;
    }
    free(masks);
    free(out);
}

/* Consecutive blocks interleaved: each group of k blocks is k streams of one block each. */
static void block_stream(uint64_t seed, uint64_t offset, double p, unsigned k,
                         unsigned long long limit)
{
    const size_t words = SIMDROP_BLOCK / 32;
    uint8_t *masks = malloc(k * SIMDROP_BLOCK / 8), *out = malloc(k * SIMDROP_BLOCK / 8);
    uint64_t first = offset / SIMDROP_BLOCK * SIMDROP_BLOCK;
    for (;; first += (uint64_t)k * SIMDROP_BLOCK) {
        if (simdrop_mask(masks, (size_t)k * SIMDROP_BLOCK, p, seed, first)) {
            fprintf(stderr, "quality: simdrop_mask failed (offset past 2^64?)\n");
            exit(2);
        }
        for (size_t w = 0; w < words; w++)
            for (unsigned j = 0; j < k; j++)
                memcpy(out + (w * k + j) * 4, masks + (j * words + w) * 4, 4);
        if (!emit(out, k * SIMDROP_BLOCK / 8, limit))
            break;
    }
    free(masks);
    free(out);
}

int main(int argc, char **argv)
{
    uint64_t seed = 0, offset = 0;
    unsigned long long limit = 0;
    double p = 0.5;
    unsigned seeds = 0, blocks = 0;
    int raw = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--raw")) {
            raw = 1;
            continue;
        }
        if (!strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        if (!v || strncmp(a, "--", 2)) {
            fputs(usage, stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--seed"))
            seed = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--offset"))
            offset = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--bytes"))
            limit = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--p"))
            p = strtod(v, NULL);
        else if (!strcmp(a, "--interleave-seeds"))
            seeds = (unsigned)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--interleave-blocks"))
            blocks = (unsigned)strtoul(v, NULL, 0);
        else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (seeds > 1024 || blocks > 1024) {
        fputs("quality: at most 1024 interleaved streams\n", stderr);
        return 2;
    }
    /* A battery that has read enough closes the pipe: that is the normal end, not a crash. */
    test_ignore_sigpipe();
    test_stdout_binary();
    if (raw)
        raw_stream(seed, offset, limit);
    else if (blocks > 1)
        block_stream(seed, offset, p, blocks, limit);
    else
        mask_stream(seed, offset, p, seeds > 1 ? seeds : 1, limit);
    fflush(stdout);
    fprintf(stderr, "quality: wrote %llu bytes\n", written);
    return 0;
}
