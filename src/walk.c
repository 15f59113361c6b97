/* walk.c: runs a range of a job: reaches each generator block from where the last run left it, calls the path's kernels for whole rounds and for partial ones on scratch copies. */
#include <string.h>

#include "dispatch.h"
#include "job.h"

#define GROUP_CHUNK 4096   /* groups whose keep bits are made at a time (512 bytes) */
#define EXPAND_CHUNK 4096  /* elements whose group bits are expanded at a time (512 bytes) */
#define BIAS_ROUNDS 32     /* rounds per kernel call when the bias row is laid out (8 KiB) */
#define DBIAS_SPAN 4096    /* elements of dx summed while they are still in L1 */
#define WORDS_CHUNK 64     /* keep words realigned at a time for a bitmask read off a byte */
#define ROW_PREFETCH_BYTES 4096 /* inputs a large block's walk prefetches ahead, in rows */
#define ROW_HEAD_BYTES 512 /* of each such row where the rows kernel prefetches the rest */

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

static int bit_at(const uint8_t *bits, size_t i)
{
    return (bits[i / 8] >> (i % 8)) & 1;
}

/* ---- writing a bitmask bit by bit or word by word ---------------------------------------- */

/* `nbits` (0..7) bits of the byte at `p` are pending in `acc`. A call that starts mid-byte
 * keeps its kernels' words aligned by shifting them in here. */
typedef struct bitw {
    uint8_t *p;
    uint32_t acc;
    unsigned nbits;
} bitw;

static void bitw_put32(bitw *bw, uint32_t word)
{
    const uint64_t w = (uint64_t)bw->acc | (uint64_t)word << bw->nbits;
    simdrop_store_le32(bw->p, (uint32_t)w);
    bw->p += 4;
    bw->acc = (uint32_t)(w >> 32);
}

static void bitw_flush(const bitw *bw)
{
    if (bw->nbits)
        *bw->p = (uint8_t)bw->acc; /* the bits past the end are 0 */
}

/* `len` (at most 32) bits of `bits`, lowest first. */
static void bitw_put_bits(bitw *bw, uint32_t bits, unsigned len)
{
    uint64_t acc = bw->acc | (uint64_t)bits << bw->nbits;
    unsigned have = bw->nbits + len;
    for (; have >= 8; have -= 8, acc >>= 8)
        *bw->p++ = (uint8_t)acc;
    bw->acc = (uint32_t)acc & ((1u << have) - 1); /* the bits past `len` were garbage */
    bw->nbits = have;
}

/* Bits [pos, pos + len) of a bitmask (len <= 32) as a word, reading only the bytes that hold
 * them: the last ones may be the buffer's last. */
static uint32_t bits_word(const uint8_t *bits, uint64_t pos, unsigned len)
{
    const uint8_t *p = bits + pos / 8;
    const unsigned shift = (unsigned)(pos % 8), bytes = (shift + len + 7) / 8;
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    v >>= shift;
    return (uint32_t)(len == 32 ? v : v & ((UINT64_C(1) << len) - 1));
}

/* ---- runs ---------------------------------------------------------------------------------- */

/* A run of elements consecutive in memory and in the index space: a range of a contiguous job,
 * or one row of a block (job.h, "strided"). Its operands are pointers at its first element,
 * whose column in the bias row is `col` (a contiguous job's runs may cross row ends; a block's
 * row never does) and whose global index is `index`. */
typedef struct run {
    char *y;
    const char *x, *r;
    size_t col;
    uint64_t index;
} run;

/* Element k of a contiguous job as the start of a run. */
static run run_at(const simdrop_job *j, size_t k)
{
    const size_t es = simdrop_dtype_size(j->dt);
    run u;
    u.y = j->y ? (char *)j->y + k * es : NULL; /* NULL: the mask alone */
    u.x = j->x ? (const char *)j->x + k * es : NULL;
    u.r = j->resid ? (const char *)j->resid + k * es : NULL;
    u.col = j->cols ? k % j->cols : 0;
    u.index = j->offset + k;
    return u;
}

/* Row r of a strided job as a run. */
static run row_run(const simdrop_job *j, size_t r)
{
    const size_t es = simdrop_dtype_size(j->dt);
    run u;
    u.y = (char *)j->y + r * j->ldy * es;
    u.x = (const char *)j->x + r * j->ldx * es;
    u.r = j->resid ? (const char *)j->resid + r * j->ldy * es : NULL;
    u.col = 0;
    u.index = j->offset + (uint64_t)r * j->row_step;
    return u;
}

/* The bias of `len` elements from column `col` on as one run, in the kernels' type: a pointer
 * into the bias row when they do not cross a row's end and it has that type, else the row
 * repeated (and a 16-bit row widened) into tmp. */
static const void *bias_run(const simdrop_job *j, size_t col, size_t len, void *tmp)
{
    const size_t es = simdrop_dtype_size(j->bias_dt), ks = simdrop_bias_size(j->dt);
    const int widen = es != ks;
    if (col >= j->cols)
        col %= j->cols;
    if (col + len <= j->cols && !widen)
        return (const char *)j->bias + col * es;
    for (size_t i = 0; i < len; col = 0) {
        const size_t take = min_size(len - i, j->cols - col);
        if (widen)
            j->k->widen[j->dt]((float *)tmp + i, (const char *)j->bias + col * es, take);
        else
            memcpy((char *)tmp + i * ks, (const char *)j->bias + col * es, take * es);
        i += take;
    }
    return tmp;
}

/* The kernel operands of elements [i, i + len) of run u under `rule`. */
static simdrop_kargs operands(const simdrop_job *j, int rule, const run *u, size_t i, size_t len,
                              void *bias_tmp)
{
    const size_t es = simdrop_dtype_size(j->dt);
    simdrop_kargs a = {NULL, NULL, NULL, NULL, NULL, NULL, &j->c, j->nt};
    if (rule == RULE_NONE)
        return a;
    a.y = u->y + i * es;
    a.x = u->x + i * es;
    if (simdrop_rule_has_bias(rule))
        a.b = bias_run(j, u->col + i, len, bias_tmp);
    if (simdrop_rule_has_resid(rule))
        a.r = u->r + i * es;
    return a;
}

/* A whole round of scratch elements holding the `to - from` elements at src from element
 * `from` on, zeros around them: what a kernel reads for a partial round. */
static void scratch_round(unsigned char *s, const void *src, unsigned from, unsigned to, size_t es)
{
    memset(s, 0, from * es);
    memcpy(s + from * es, src, (to - from) * es);
    memset(s + to * es, 0, (SIMDROP_ROUND - to) * es);
}

/* ---- keep bits from the generator ---------------------------------------------------------- */

/* Where the generator stands in a range: its lanes make round `round` of generator block
 * `block` next. The runs of a range (a contiguous range, or a block's rows) go forward through
 * the index space, so a run later in the same block skips just the gap (the path's skip kernel)
 * instead of seeding the block again and skipping up to 127 rounds; a run that starts in the
 * round made last (rows of a block less than 32 elements apart share a round) goes back to
 * `back`, the lanes kept from before that partial round. */
typedef struct gen_cursor {
    int valid, has_back;
    uint64_t block;
    unsigned round;
    simdrop_lanes st, back;
} gen_cursor;

static void cursor_seek(const simdrop_job *j, gen_cursor *cur, uint64_t block, unsigned round)
{
    if (cur->valid && cur->block == block && cur->round <= round) {
        if (round > cur->round)
            j->k->skip(&cur->st, round - cur->round);
    } else if (cur->valid && cur->has_back && cur->block == block && cur->round == round + 1) {
        cur->st = cur->back;
    } else {
        j->k->seed(&cur->st, j->key, block);
        if (round)
            j->k->skip(&cur->st, round);
    }
    cur->valid = 1;
    cur->has_back = 0;
    cur->block = block;
    cur->round = round;
}

/* Elements [from, to) of the next round (the heads and tails of runs that do not fill a round),
 * element `from` being element i of run u: the path's kernel runs the whole round on scratch
 * copies of the operands, and only the run's elements are copied out. One vector round and a
 * few short copies, where 32 scalar elements would cost ten times as much. */
static void gen_partial(const simdrop_job *j, int rule, gen_cursor *cur, unsigned from,
                        unsigned to, const run *u, size_t i, bitw *bw)
{
    const size_t es = simdrop_dtype_size(j->dt), len = to - from;
    _Alignas(64) unsigned char xs[SIMDROP_ROUND * 8], ys[SIMDROP_ROUND * 8], bs[SIMDROP_ROUND * 8],
        rs[SIMDROP_ROUND * 8], bias_tmp[SIMDROP_ROUND * 8];
    uint8_t word[4];
    cur->back = cur->st;
    cur->has_back = 1;
    cur->round++;
    if (rule == RULE_NONE) {
        j->k->mask(word, &cur->st, 1, j->threshold);
    } else {
        const simdrop_kargs at = operands(j, rule, u, i, len, bias_tmp);
        const simdrop_kargs a = {ys, xs, bs, rs, word, NULL, &j->c, 0};
        scratch_round(xs, at.x, from, to, es);
        if (simdrop_rule_has_bias(rule))
            scratch_round(bs, at.b, from, to, simdrop_bias_size(j->dt));
        if (simdrop_rule_has_resid(rule))
            scratch_round(rs, at.r, from, to, es);
        j->k->gen[rule][j->dt](&a, &cur->st, 1, j->threshold);
        memcpy(at.y, ys + from * es, len * es);
    }
    if (bw)
        bitw_put_bits(bw, simdrop_load_le32(word) >> from, (unsigned)len);
}

/* `rounds` whole rounds (at most a block) from element i of run u on. */
static void gen_rounds(const simdrop_job *j, int rule, gen_cursor *cur, const run *u, size_t i,
                       size_t rounds, bitw *bw)
{
    unsigned char bias_tmp[BIAS_ROUNDS * SIMDROP_ROUND * sizeof(double)];
    uint8_t words[4 * SIMDROP_ROUNDS_PER_BLOCK];
    uint8_t *out = bw ? (bw->nbits ? words : bw->p) : NULL;
    if (rule == RULE_NONE) {
        j->k->mask(out, &cur->st, rounds, j->threshold);
    } else {
        simdrop_kargs a = operands(j, rule, u, i, rounds * SIMDROP_ROUND, bias_tmp);
        a.mask_out = out;
        j->k->gen[rule][j->dt](&a, &cur->st, rounds, j->threshold);
    }
    cur->round += (unsigned)rounds;
    cur->has_back = 0;
    if (bw && bw->nbits)
        for (size_t w = 0; w < rounds; w++)
            bitw_put32(bw, simdrop_load_le32(words + 4 * w));
    else if (bw)
        bw->p += 4 * rounds;
}

/* gen2's and rows2's two runs are this many units (blocks, or one block's rows) apart: their
 * operands at least 64 KiB apart. Why: on the AMD Zen 5 VM, gen2 over 64K floats in L2 (a timing
 * loop of the kernel table's calls, 128 rounds a call) ran 0.079 ns an element with its runs in
 * neighbouring blocks (16 KiB apart), 0.068 with them 32 KiB apart and 0.049 from 48 KiB on, as
 * fast as one run of 1024 rounds in each half (0.046); gen alone, block after block, 0.062. On
 * the Intel Xeon VM of model 167 the distance made no difference (within 2%).
 * Either operand near its twin was enough to slow it (x 16 KiB and y 144 KiB apart, or the
 * reverse): two streams closer than L1's 48 KiB. */
#define PAIR_APART_BYTES 65536

static size_t pair_apart(size_t unit_bytes)
{
    return (PAIR_APART_BYTES + unit_bytes - 1) / unit_bytes;
}

#define PAIR_APART_MAX (PAIR_APART_BYTES / (SIMDROP_BLOCK * 2)) /* 16-bit dtypes' */

/* Generator blocks b .. b + 2h - 1, whole, from element i of run u on (rule != RULE_NONE), as
 * h pairs of blocks h apart (b + q with b + h + q) through gen2, so that a path whose generator
 * waits on its own latency overlaps the two. The keep words in block order, as gen_rounds
 * would store them: the first blocks' straight out, the second ones' after them. */
static void gen_block_pairs(const simdrop_job *j, int rule, simdrop_gen2_fn gen2, const run *u,
                            size_t i, uint64_t b, size_t h, bitw *bw)
{
    enum { WORD_BYTES = 4 * SIMDROP_ROUNDS_PER_BLOCK };
    unsigned char bias_tmp[2][BIAS_ROUNDS * SIMDROP_ROUND * sizeof(double)];
    uint8_t first[WORD_BYTES], second[PAIR_APART_MAX][WORD_BYTES];
    const int direct = bw && !bw->nbits; /* keep words straight into the mask */
    for (size_t q = 0; q < h; q++) {
        simdrop_lanes st[2];
        uint8_t *words[2] = {direct ? bw->p + q * WORD_BYTES : first,
                             direct ? bw->p + (h + q) * WORD_BYTES : second[q]};
        j->k->seed(&st[0], j->key, b + q);
        j->k->seed(&st[1], j->key, b + h + q);
        for (size_t done = 0; done < SIMDROP_ROUNDS_PER_BLOCK;) {
            const size_t left = SIMDROP_ROUNDS_PER_BLOCK - done;
            const size_t piece = simdrop_rule_has_bias(rule) ? min_size(left, BIAS_ROUNDS) : left;
            simdrop_kargs a[2];
            for (unsigned r = 0; r < 2; r++) {
                a[r] = operands(j, rule, u, i + (q + r * h) * SIMDROP_BLOCK + done * SIMDROP_ROUND,
                                piece * SIMDROP_ROUND, bias_tmp[r]);
                a[r].mask_out = bw ? words[r] + 4 * done : NULL;
            }
            gen2(a, st, piece, j->threshold);
            done += piece;
        }
        if (bw && !direct)
            for (size_t w = 0; w < SIMDROP_ROUNDS_PER_BLOCK; w++)
                bitw_put32(bw, simdrop_load_le32(first + 4 * w));
    }
    if (direct)
        bw->p += 2 * h * WORD_BYTES;
    else if (bw)
        for (size_t q = 0; q < h; q++)
            for (size_t w = 0; w < SIMDROP_ROUNDS_PER_BLOCK; w++)
                bitw_put32(bw, simdrop_load_le32(second[q] + 4 * w));
}

/* The `count` elements of run u with keep bits from the generator at the cursor: rule applied
 * to them (unless RULE_NONE) and the bits appended to bw (unless NULL). Each generator block is
 * reached from the cursor (cursor_seek), so a run costs the same wherever it starts; whole
 * blocks go to gen2 in pairs (gen_block_pairs). */
static void gen_run(const simdrop_job *j, int rule, gen_cursor *cur, const run *u, size_t count,
                    bitw *bw)
{
    uint64_t index = u->index; /* no wrap before the end: the range checks */
    for (size_t i = 0; i < count;) {
        const unsigned start = (unsigned)(index % SIMDROP_BLOCK), head = start % SIMDROP_ROUND;
        if (rule != RULE_NONE && start == 0 && count - i >= 2 * SIMDROP_BLOCK) {
            const size_t h = min_size(pair_apart(SIMDROP_BLOCK * simdrop_dtype_size(j->dt)),
                                    (count - i) / (2 * SIMDROP_BLOCK));
            gen_block_pairs(j, rule, j->k->gen2[rule][j->dt], u, i, index / SIMDROP_BLOCK, h, bw);
            cur->valid = 0; /* the pairs seeded their own generators */
            i += 2 * h * SIMDROP_BLOCK;
            index += 2 * h * SIMDROP_BLOCK;
            continue;
        }
        const size_t take = min_size(count - i, SIMDROP_BLOCK - start);
        size_t done = 0;
        cursor_seek(j, cur, index / SIMDROP_BLOCK, start / SIMDROP_ROUND);
        if (head || take < SIMDROP_ROUND) {
            done = min_size(take, SIMDROP_ROUND - head);
            gen_partial(j, rule, cur, head, head + (unsigned)done, u, i, bw);
        }
        for (size_t rounds = (take - done) / SIMDROP_ROUND; rounds;) {
            const size_t piece = simdrop_rule_has_bias(rule) ? min_size(rounds, BIAS_ROUNDS) : rounds;
            gen_rounds(j, rule, cur, u, i + done, piece, bw);
            done += piece * SIMDROP_ROUND;
            rounds -= piece;
        }
        if (done < take)
            gen_partial(j, rule, cur, 0, (unsigned)(take - done), u, i + done, bw);
        i += take;
        index += take;
    }
}

/* Units [k0, k1) of a contiguous job with keep bits from the generator, the bits stored from
 * bit 0 of `mask` on (unless NULL). */
static void gen_range(const simdrop_job *j, int rule, size_t k0, size_t k1, uint8_t *mask)
{
    bitw bits = {mask, 0, 0};
    gen_cursor cur;
    const run u = run_at(j, k0);
    cur.valid = 0;
    gen_run(j, rule, &cur, &u, k1 - k0, mask ? &bits : NULL);
    if (mask)
        bitw_flush(&bits);
}

/* ---- keep bits from a bitmask -------------------------------------------------------------- */

/* The `count` elements of run u under rule (SCALE or AFFINE), element i's keep bit being bit
 * pos + i of `bits`. The kernel reads whole keep words: straight from the bitmask where the
 * position is on a byte, else realigned into a buffer here; the last partial round goes
 * through scratch copies. */
static inline __attribute__((always_inline)) void
bits_run(const simdrop_job *j, int rule, const run *u, size_t count,
                     const uint8_t *bits, uint64_t pos)
{
    const size_t es = simdrop_dtype_size(j->dt);
    uint8_t words[4 * WORDS_CHUNK];
    size_t i = 0;
    const int nt = j->nt && !simdrop_bits_bounce() ? SIMDROP_NT_ALIGNED : j->nt;
    for (size_t rounds = count / SIMDROP_ROUND; rounds;) {
        simdrop_kargs a = operands(j, rule, u, i, 0, NULL);
        a.nt = nt;
        size_t piece = rounds;
        if (pos % 8) {
            piece = min_size(rounds, WORDS_CHUNK);
            for (size_t w = 0; w < piece; w++)
                simdrop_store_le32(words + 4 * w, bits_word(bits, pos + SIMDROP_ROUND * w, 32));
            a.mask_in = words;
        } else {
            a.mask_in = bits + pos / 8;
        }
        j->k->bits[rule][j->dt](&a, piece);
        i += piece * SIMDROP_ROUND;
        pos += piece * SIMDROP_ROUND;
        rounds -= piece;
    }
    if (i < count) {
        _Alignas(64) unsigned char xs[SIMDROP_ROUND * 8], ys[SIMDROP_ROUND * 8];
        const unsigned len = (unsigned)(count - i);
        const simdrop_kargs at = operands(j, rule, u, i, len, NULL);
        simdrop_store_le32(words, bits_word(bits, pos, len));
        const simdrop_kargs a = {ys, xs, NULL, NULL, NULL, words, &j->c, 0};
        scratch_round(xs, at.x, 0, len, es);
        j->k->bits[rule][j->dt](&a, 1);
        memcpy(at.y, ys, len * es);
    }
}

/* ---- the rows of a block ------------------------------------------------------------------- */

/* rows2 takes a job's rows where its lanes skip at least this many rounds for each one they
 * make and the output stays in the caches (no non-temporal stores). On the AMD Zen 5 VM
 * (avx512bf16, f32 forward with mask, every shard of four, one pinned core, median of 11 against
 * single rows calls), rows of 32 (3 skipped a made round) went from 0.42x-0.44x to 0.61x-0.63x a
 * contiguous call at 64K elements and 0.46x-0.49x to 0.68x-0.69x at 1M, rows of 256 (2.25 to 3)
 * from 0.43x-0.51x to 0.64x-0.73x and 0.53x-0.62x to 0.65x-0.73x. Below 2, the first shards in
 * rows of 1024 (none skipped, or one a made round) ran the same at 64K and 5-10% slower at 1M:
 * the loop with two generators makes rounds no faster, and skipping is what it overlaps.
 * Streaming jobs are bound by memory; two blocks at once ran 5-12% slower at 16M. */
#define PAIR_SKIPPED 2

/* The operands of row r of a strided job from its first element on, keep words to mask_out. */
static simdrop_kargs row_kargs(const simdrop_job *j, size_t r, uint8_t *mask_out)
{
    const size_t es = simdrop_dtype_size(j->dt);
    return (simdrop_kargs){(char *)j->y + r * j->ldy * es, (const char *)j->x + r * j->ldx * es,
                           j->bias, j->resid ? (const char *)j->resid + r * j->ldy * es : NULL,
                           mask_out, NULL, &j->c, j->nt};
}

/* Rows r, r + 1, ... (before r1) of a strided job from the generator while each is whole rounds
 * of one generator block: the lanes skip the gap from the last row (or are seeded), and one
 * rows call makes every such row of the block, skipping the other columns between them. This
 * is most rows of a column shard whose widths and offsets are multiples of 32, as transformer
 * shapes are: a narrow row is dominated by fixed costs, which a call a row would pay each time,
 * so gen_run's general walk (partial rounds, block edges, unaligned mask bits) is left for the
 * other rows. Where the next blocks' rows have the same shape (the rows of a block span a whole
 * number of blocks) and the lanes are seeded afresh, the rows of two blocks go to rows2
 * together: each block's skipping then overlaps the other's, as gen2 overlaps two runs. As in
 * gen_block_pairs, the two are h blocks' rows apart, their operands at least PAIR_APART_BYTES
 * (on the AMD Zen 5 VM, shards three and four of four in rows of 1024 floats at 64K, 17-20%
 * faster than with neighbouring blocks; rows of 256 6%, of 32 2%). Returns the number of rows
 * made, 0 when row r is not one of these. */
static size_t rows_whole_rounds(const simdrop_job *j, gen_cursor *cur, size_t r, size_t r1,
                                bitw *bw)
{
    const uint64_t index = j->offset + (uint64_t)r * j->row_step;
    const unsigned start = (unsigned)(index % SIMDROP_BLOCK);
    if (start % SIMDROP_ROUND || j->cols % SIMDROP_ROUND || start + j->cols > SIMDROP_BLOCK ||
        (bw && bw->nbits) ||
        (simdrop_rule_has_bias(j->rule) &&
         (j->cols > BIAS_ROUNDS * SIMDROP_ROUND || simdrop_dtype_size(j->bias_dt) != simdrop_bias_size(j->dt))))
        return 0;
    simdrop_rows g = {0, 1, j->cols / SIMDROP_ROUND, 0, j->ldx, j->ldy};
    if (j->row_step % SIMDROP_ROUND == 0) { /* the later rows in the block start on rounds too */
        g.rows = min_size(r1 - r, 1 + (SIMDROP_BLOCK - start - j->cols) / j->row_step);
        g.gap = g.rows > 1 ? (size_t)(j->row_step - j->cols) / SIMDROP_ROUND : 0;
    }
    const size_t words = g.rows * g.rounds, skipped = start / SIMDROP_ROUND + (g.rows - 1) * g.gap;
    const uint64_t block = index / SIMDROP_BLOCK, span = (uint64_t)g.rows * j->row_step;
    const int pair = !j->nt && skipped >= PAIR_SKIPPED * words && span % SIMDROP_BLOCK == 0 &&
                     r1 - r >= 2 * g.rows && !(cur->valid && cur->block == block);
    if (pair) { /* h pairs of blocks, each pair's rows h * g.rows rows apart */
        const size_t bytes = g.rows * (j->ldy > j->ldx ? j->ldy : j->ldx) * simdrop_dtype_size(j->dt);
        const size_t h = min_size(pair_apart(bytes), (r1 - r) / (2 * g.rows));
        g.lead = start / SIMDROP_ROUND;
        for (size_t q = 0; q < h; q++) {
            simdrop_kargs a[2];
            simdrop_lanes st[2];
            for (size_t t = 0; t < 2; t++) {
                const size_t k = q + t * h; /* the k-th block's rows from r on */
                a[t] = row_kargs(j, r + k * g.rows, bw ? bw->p + k * 4 * words : NULL);
                j->k->seed(&st[t], j->key, block + k * (span / SIMDROP_BLOCK));
            }
            j->k->rows2[j->rule][j->dt](a, st, &g, j->threshold);
        }
        cur->valid = 0; /* the pairs seeded their own generators */
        if (bw)
            bw->p += 2 * h * 4 * words;
        return 2 * h * g.rows;
    }
    const simdrop_kargs a = row_kargs(j, r, bw ? bw->p : NULL);
    cursor_seek(j, cur, block, start / SIMDROP_ROUND);
    j->k->rows[j->rule][j->dt](&a, &cur->st, &g, j->threshold);
    cur->round += (unsigned)(words + (g.rows - 1) * g.gap);
    if (bw)
        bw->p += 4 * words;
    return g.rows;
}

/* Rows ahead of the one being made, for a large block (its output far beyond the caches: nt).
 * The rows kernel's prefetch follows the rows 8 KiB ahead (16 KiB for the 16-bit dtypes:
 * rows_loop), and where every row is made by it (whole rounds, and y aligned for its
 * non-temporal stores on any path) the walk adds only the first ROW_HEAD_BYTES of each row
 * ahead, for rows wider than that: a call ends at each generator block, and the seek to the
 * next call's block passes with no loads of its own in flight. On the Intel Xeon VM (avx512bf16, 16M elements, column shard 1 of 4), rows of
 * 1024 ran forward with mask 3.2 -> 3.5 Gelem/s with the heads and the fused op 2.1 -> 2.35, as
 * fast as contiguous calls; prefetching whole rows as well cost rows of 32 and 1024 8-20%
 * (twice the prefetches, issued in bursts), and rows of 32 ran fastest with none from here.
 * Other rows go through the gen and bits kernels, whose prefetch stays within a row (past its
 * end, into other shards' columns), and the next row starts elsewhere, where the hardware
 * prefetchers start cold: the walk prefetches those rows whole. Rows [*next, upto) of the
 * inputs are prefetched, `bytes` of each, and *next moves on. */
static void prefetch_rows(const simdrop_job *j, size_t *next, size_t upto, size_t bytes)
{
    const size_t es = simdrop_dtype_size(j->dt);
    for (; *next < upto; ++*next) {
        const char *x = (const char *)j->x + *next * j->ldx * es;
        const char *r = j->resid ? (const char *)j->resid + *next * j->ldy * es : NULL;
        for (size_t o = 0; o < bytes; o += 64) {
            __builtin_prefetch(x + o, 0, 1);
            if (r)
                __builtin_prefetch(r + o, 0, 1);
        }
    }
}

/* Whether the rows kernel makes and prefetches every row of j, as above (kernel.h's
 * rows_prefetch). */
static int rows_kernel_makes_all(const simdrop_job *j)
{
    const size_t es = simdrop_dtype_size(j->dt);
    return j->k->rows_prefetch && !j->from_bits && j->offset % SIMDROP_ROUND == 0 &&
           j->cols % SIMDROP_ROUND == 0 && j->row_step % SIMDROP_ROUND == 0 &&
           (uintptr_t)j->y % 64 == 0 && j->ldy * es % 64 == 0;
}

/* How many rows prefetch_rows keeps ahead (ROW_PREFETCH_BYTES of each input, at least a row;
 * 0 for none), and in *bytes how much of each; by_rows: rows_range's walk, which hands the rows
 * kernel what it can. */
static size_t rows_ahead(const simdrop_job *j, int by_rows, size_t *bytes)
{
    const size_t row_bytes = j->cols * simdrop_dtype_size(j->dt);
    *bytes = row_bytes;
    if (j->nt && by_rows && rows_kernel_makes_all(j))
        *bytes = row_bytes > ROW_HEAD_BYTES ? ROW_HEAD_BYTES : 0;
    return j->nt && *bytes ? 1 + ROW_PREFETCH_BYTES / row_bytes : 0;
}

/* A contiguous job with a bias row narrower than a kernel call's run (BIAS_ROUNDS rounds) has
 * the walk lay the row out repeated for each call (bias_run): for the fused op in cache, a
 * memcpy of the call's bias per call, which cost rows of 128 to 768 columns 25-40% against rows
 * of 1024 (Intel Xeon VM, avx512bf16, 64K elements). Where its rows are whole rounds, it runs as
 * the rows of a block instead (gap 0): rows_whole_rounds hands each generator block's rows to
 * the rows kernel, which reads the row afresh at each row's start, and they run as fast as
 * rows of 1024. Rows that start mid-round would go a row at a time: they keep the copies. */
int simdrop_job_rows_repeat_bias(const simdrop_job *j)
{
    return j->kind == JOB_GEN && simdrop_rule_has_bias(j->rule) && j->rows > 1 &&
           j->cols % SIMDROP_ROUND == 0 && j->cols < BIAS_ROUNDS * SIMDROP_ROUND &&
           j->offset % SIMDROP_ROUND == 0 &&
           simdrop_dtype_size(j->bias_dt) == simdrop_bias_size(j->dt);
}

/* Rows [r0, r1) of a strided job: each row is one run, the generator carried from row to row.
 * r0 * cols is a multiple of 8 (simdrop_job_grain), so the range's mask bits start on a byte. */
static void rows_range(const simdrop_job *j, size_t r0, size_t r1)
{
    bitw bits = {j->mask_out ? j->mask_out + r0 * j->cols / 8 : NULL, 0, 0};
    bitw *bw = j->mask_out ? &bits : NULL;
    gen_cursor cur;
    size_t each;
    const size_t ahead = rows_ahead(j, 1, &each);
    size_t fetched = r0;
    cur.valid = 0;
    for (size_t r = r0; r < r1;) {
        /* (a large block's batch of rows is what its prefetch has covered) */
        const size_t upto = ahead ? min_size(r + ahead, r1) : r1;
        if (ahead)
            prefetch_rows(j, &fetched, min_size(r + 1 + ahead, r1), each);
        const size_t made = j->from_bits ? 0 : rows_whole_rounds(j, &cur, r, upto, bw);
        if (made) {
            r += made;
            continue;
        }
        const run u = row_run(j, r);
        if (j->from_bits)
            bits_run(j, j->rule, &u, j->cols, j->mask_in, (uint64_t)r * j->cols);
        else
            gen_run(j, j->rule, &cur, &u, j->cols, bw);
        r++;
    }
    if (bw)
        bitw_flush(bw);
}

/* ---- groups -------------------------------------------------------------------------------- */

/* A bitmask written 64 bits at a time. */
typedef struct bitrun {
    uint8_t *p;
    uint64_t word;
    unsigned used;
} bitrun;

static void bitrun_store(bitrun *b)
{
    simdrop_store_le64(b->p, b->word);
    b->p += 8;
}

/* Appends `run` copies of one bit (fill is 0 or all ones). */
static void bitrun_append(bitrun *b, uint64_t fill, size_t run)
{
    while (run) {
        const unsigned take = (unsigned)min_size(run, 64 - b->used);
        b->word |= (take == 64 ? fill : fill & ((UINT64_C(1) << take) - 1)) << b->used;
        b->used += take;
        run -= take;
        if (b->used == 64) {
            bitrun_store(b);
            for (b->word = fill; run >= 64; run -= 64) /* whole words of a long group */
                bitrun_store(b);
            b->word = 0;
            b->used = 0;
        }
    }
}

/* Writes the pending bits of b (bitrun_store writes whole words). */
static void bitrun_flush(const bitrun *b)
{
    for (unsigned k = 0; k * 8 < b->used; k++)
        b->p[k] = (uint8_t)(b->word >> (8 * k));
}

/* Appends the low `nbits` (< 64) bits of v. */
static void bitrun_put(bitrun *b, uint64_t v, unsigned nbits)
{
    b->word |= v << b->used;
    b->used += nbits;
    if (b->used >= 64) { /* v straddles the word: its high bits start the next */
        bitrun_store(b);
        b->used -= 64;
        b->word = b->used ? v >> (nbits - b->used) : 0;
    }
}

/* Group bits spread over their elements a table lookup at a time: `per` groups (8, 4 or 2, so
 * that a byte of group bits is whole lookups) of len_g elements, per * len_g <= 56 bits, from a
 * table of 2^per entries (groups_range builds it). */
typedef struct spread_table {
    unsigned per;
    uint64_t bits[256];
} spread_table;

/* Appends the element bits of the 8 * `bytes` groups of len_g elements whose keep bits are the
 * bytes at gbits, `per` of them at a time through the table. Why not bitrun_put: its branch on
 * a full word (taken every other byte at len_g 4, every seventh group at 9) and the loop around
 * it cost as much as the kernel that then applies the bits (callgrind: 1.8 instructions an
 * element at len_g 4; group_len 9 and 16 ran the f32 forward at 0.43x and 0.59x of element
 * dropout on the Intel Xeon VM, 64K elements). This writer has no branch: it stores its whole
 * word every time and moves on by the whole bytes in it, so under 8 bits stay pending and the
 * next lookup's (up to 56) always fit. It writes up to 8 bytes past the last bit, which its
 * callers' buffers leave room for. */
static inline __attribute__((always_inline)) void
bitrun_put_spread_by(bitrun *b, const uint8_t *gbits, size_t bytes, unsigned len_g,
                     const uint64_t *table, const unsigned per)
{
    simdrop_store_le64(b->p, b->word); /* down to the pending bits of a partial byte */
    uint8_t *p = b->p + b->used / 8;
    uint64_t word = b->word >> (b->used & ~7u);
    unsigned used = b->used % 8;
    if (used == 0 && per * len_g % 8 == 0) {
        /* Whole bytes a lookup from a byte boundary (len_g up to 8, and 10, 12, 14, 16, 20,
         * 24, 28; a run of groups that starts on a byte, the usual case): each lookup is its
         * bytes, stored, with no shift between one and the next. The general loop's chain
         * through `used` and `word` (its shifts by cl) took 5 cycles a lookup, a quarter of
         * group_len 4's forward at 64K. */
        const unsigned step = per * len_g / 8;
        for (size_t k = 0; k < bytes; k++)
            for (unsigned shift = 0; shift < 8; shift += per, p += step)
                simdrop_store_le64(p, table[(gbits[k] >> shift) & ((1u << per) - 1)]);
        b->p = p;
        b->word = 0;
        b->used = 0;
        return;
    }
    for (size_t k = 0; k < bytes; k++)
        for (unsigned shift = 0; shift < 8; shift += per) {
            word |= table[(gbits[k] >> shift) & ((1u << per) - 1)] << used;
            simdrop_store_le64(p, word);
            used += per * len_g;
            p += used / 8;
            word >>= used & ~7u;
            used %= 8;
        }
    b->p = p;
    b->word = word;
    b->used = used;
}

/* (per a constant in each, so that the byte's lookups unroll: a loop over a variable `per` cost
 * group_len 4 and 7 15% against the byte-at-a-time loop) */
static void bitrun_put_spread(bitrun *b, const uint8_t *gbits, size_t bytes, unsigned len_g,
                              const spread_table *t)
{
    if (t->per == 8)
        bitrun_put_spread_by(b, gbits, bytes, len_g, t->bits, 8);
    else if (t->per == 4)
        bitrun_put_spread_by(b, gbits, bytes, len_g, t->bits, 4);
    else
        bitrun_put_spread_by(b, gbits, bytes, len_g, t->bits, 2);
}

/* The element bits of elements [e, e + len) of groups starting at g0, group g's keep bit being
 * bit g - g0 of `gbits`: each group's bit repeated group_len times. Groups shorter than a word
 * take a few integer operations each (one or, a store every 64 bits), or go a byte of group
 * bits at a time through `spread` (when given); long ones are runs of whole words, so large
 * group_len costs what element backward costs. Writes up to 8 bytes past the last bit. */
static void expand_groups(uint8_t *ebits, const uint8_t *gbits, size_t g0, size_t len_g, size_t e,
                          size_t len, const spread_table *spread)
{
    bitrun b = {ebits, 0, 0};
    size_t g = e / len_g;
    size_t run = min_size(len_g - (e - g * len_g), len); /* the first group may start earlier */
    bitrun_append(&b, 0 - (uint64_t)bit_at(gbits, g - g0), run);
    size_t left = len - run;
    const uint64_t ones = len_g < 64 ? (UINT64_C(1) << len_g) - 1 : 0;
    g++;
    if (spread) { /* single groups up to a byte of group bits, then whole bytes */
        for (; (g - g0) % 8 && left >= len_g; g++, left -= len_g)
            bitrun_put(&b, (0 - (uint64_t)bit_at(gbits, g - g0)) & ones, (unsigned)len_g);
        const size_t bytes = left / (8 * len_g);
        bitrun_put_spread(&b, gbits + (g - g0) / 8, bytes, (unsigned)len_g, spread);
        g += 8 * bytes;
        left -= 8 * bytes * len_g;
    }
    for (; len_g < 64 && left >= len_g; g++, left -= len_g)
        bitrun_put(&b, (0 - (uint64_t)bit_at(gbits, g - g0)) & ones, (unsigned)len_g);
    if (len_g % 64 == 0 && b.used == 0) /* whole words a group (8x8 maps and up): plain stores */
        for (; left >= len_g; g++, left -= len_g) {
            const uint64_t fill = 0 - (uint64_t)bit_at(gbits, g - g0);
            for (size_t w = 0; w < len_g / 64; w++, b.p += 8)
                simdrop_store_le64(b.p, fill);
        }
    for (; left; g++, left -= run) {
        run = min_size(len_g, left);
        bitrun_append(&b, 0 - (uint64_t)bit_at(gbits, g - g0), run);
    }
    bitrun_flush(&b);
}

/* The elements of groups [g0, g1), group g's keep bit being bit g - g0 of `gbits`: the group
 * bits are expanded over their elements, then the rule runs from the expanded bits. A long
 * group becomes a run of 0x00 or 0xff bytes, so large group_len costs what element backward
 * costs. `spread` as expand_groups takes it. */
static void groups_apply(const simdrop_job *j, const uint8_t *gbits, size_t g0, size_t g1,
                         const spread_table *spread)
{
    uint8_t ebits[EXPAND_CHUNK / 8 + 8];
    for (size_t e = g0 * j->group_len, end = g1 * j->group_len; e < end;) {
        const size_t len = min_size(EXPAND_CHUNK, end - e);
        expand_groups(ebits, gbits, g0, j->group_len, e, len, spread);
        const run u = run_at(j, e);
        bits_run(j, j->rule, &u, len, ebits, 0);
        e += len;
    }
}

/* Groups [g0, g1) (g0 a multiple of 8, so their bits start on a byte): keep bits from
 * mask_in, or from the generator (stored to mask_out too). */
static void groups_range(const simdrop_job *j, size_t g0, size_t g1)
{
    uint8_t scratch[GROUP_CHUNK / 8];
    /* Groups of up to 28 elements: `per` group bits at a time become up to 56 element bits
     * through a table (2^per entries, each from the one for its upper per - 1 bits), where
     * there are enough groups to pay for it. (Longer groups, one a lookup, ran no faster than
     * bitrun_put.) */
    spread_table table;
    const spread_table *spread = NULL;
    if (j->group_len <= 28 && g1 - g0 >= 128) {
        const uint64_t ones = (UINT64_C(1) << j->group_len) - 1;
        table.per = 8;
        while (table.per * j->group_len > 56)
            table.per /= 2;
        table.bits[0] = 0;
        for (unsigned v = 1; v < 1u << table.per; v++)
            table.bits[v] = table.bits[v >> 1] << j->group_len | (v & 1 ? ones : 0);
        spread = &table;
    }
    for (size_t ga = g0; ga < g1;) {
        const size_t gb = ga + min_size(GROUP_CHUNK, g1 - ga);
        if (j->from_bits) {
            groups_apply(j, j->mask_in + ga / 8, ga, gb, spread);
        } else {
            uint8_t *bits = j->mask_out ? j->mask_out + ga / 8 : scratch;
            gen_range(j, RULE_NONE, ga, gb, bits);
            groups_apply(j, bits, ga, gb, spread);
        }
        ga = gb;
    }
}

/* ---- channels-last groups ---------------------------------------------------------------------
 * Sample s of a JOB_NHWC job is spatial x channels elements, element (i, c) kept by group
 * s * channels + c: each spatial position reads the sample's row of channel bits. Up to
 * NHWC_WINDOW channels, the row repeated back to back is the element bits of the whole sample
 * (a tile, read from any phase), so the kernels run over runs of EXPAND_CHUNK elements whatever
 * the channel count; wider rows go by windows of NHWC_WINDOW channels, one run per position. */

#define NHWC_WINDOW 4096 /* channels whose bits one row buffer holds (512 bytes) */

/* Bits [0, len) of src to bits [0, len) of dst, the bits past len in dst's last byte 0: whole
 * bytes, then the last one's bits (what the two copies below do where their bits start on a
 * byte, the usual case). */
static void bits_copy_bytes(uint8_t *dst, const uint8_t *src, size_t len)
{
    memcpy(dst, src, len / 8);
    if (len % 8)
        dst[len / 8] = (uint8_t)(src[len / 8] & ((1u << (len % 8)) - 1));
}

/* Bits [from, from + len) of src to bits [0, len) of dst, the bits past len in dst's last byte
 * 0. Reads no byte of src that holds none of the bits. */
static void bits_copy_in(uint8_t *dst, const uint8_t *src, size_t from, size_t len)
{
    const uint8_t *s = src + from / 8;
    const unsigned sh = (unsigned)(from % 8);
    if (!sh) {
        bits_copy_bytes(dst, s, len);
        return;
    }
    const size_t last = (sh + len - 1) / 8; /* s's last byte with one of the bits */
    for (size_t i = 0; i * 8 < len; i++)
        dst[i] = (uint8_t)(s[i] >> sh | (sh && i < last ? (unsigned)s[i + 1] << (8 - sh) : 0u));
    if (len % 8)
        dst[len / 8] &= (uint8_t)((1u << (len % 8)) - 1);
}

/* Bits [0, len) of src to bits [to, to + len) of dst: the bits below `to` in its first byte are
 * kept (this range wrote them: a range starts on a byte), those past the end in its last byte
 * are 0 (a later row, or nothing, comes there). */
static void bits_copy_out(uint8_t *dst, size_t to, const uint8_t *src, size_t len)
{
    uint8_t *d = dst + to / 8;
    unsigned nbits = (unsigned)(to % 8);
    if (!nbits) {
        bits_copy_bytes(d, src, len);
        return;
    }
    unsigned acc = nbits ? d[0] & ((1u << nbits) - 1) : 0;
    for (size_t i = 0; i * 8 < len; i++) {
        const unsigned take = len - 8 * i < 8 ? (unsigned)(len - 8 * i) : 8;
        acc |= (src[i] & ((1u << take) - 1)) << nbits;
        for (nbits += take; nbits >= 8; nbits -= 8, acc >>= 8)
            *d++ = (uint8_t)acc;
    }
    if (nbits)
        *d = (uint8_t)acc;
}

/* A row of under 32 bits as a piece of as many whole copies of it as fit in 63 bits: the row
 * times `spread` = 1 + 2^len + 2^2len + ... (the partial products do not overlap), `bits` long. */
typedef struct row_piece {
    uint64_t spread;
    unsigned bits;
} row_piece;

static row_piece row_piece_of(size_t len)
{
    row_piece r = {0, 0};
    for (; len < 32 && r.bits + len <= 63; r.bits += (unsigned)len)
        r.spread |= UINT64_C(1) << r.bits;
    return r;
}

/* Appends `total` bits to b: the `len` bits at bit `from` of src repeated (src readable 8 bytes
 * past them), in puts of up to 63 bits: a row under 32 bits a piece a put (`piece`:
 * row_piece_of(len)), a longer one 56 bits of the row a put. Why so few puts: each put's variable
 * shifts and chain through the pending word are the cost (32-bit puts ran channels-last forwards
 * at 100 and 255 channels 15-25% slower, and a copy of the row and a put a position 3x slower at
 * 4 positions x 3 channels, on the Intel Xeon VM); inlined, as a call a sample cost small
 * samples 20-50%. */
static inline __attribute__((always_inline)) void
repeat_bits(bitrun *b, const uint8_t *src, size_t from, size_t len, size_t total, row_piece piece)
{
    if (len < 32) {
        const uint64_t copies = bits_word(src, from, (unsigned)len) * piece.spread;
        if (total <= piece.bits) { /* a small sample: one put */
            bitrun_put(b, copies & (UINT64_MAX >> (64 - total)), (unsigned)total);
            return;
        }
        for (size_t done = 0; done < total; done += piece.bits) {
            const unsigned take = (unsigned)min_size(piece.bits, total - done);
            bitrun_put(b, copies & (UINT64_MAX >> (64 - take)), take);
        }
        return;
    }
    for (size_t done = 0; done < total;)
        for (size_t q = 0; q < len && done < total; q += 56) {
            const unsigned take = (unsigned)min_size(min_size(56, len - q), total - done);
            const uint8_t *p = src + (from + q) / 8;
            const uint64_t v = (simdrop_load_le32(p) | (uint64_t)simdrop_load_le32(p + 4) << 32) >>
                               ((from + q) % 8);
            bitrun_put(b, v & (UINT64_MAX >> (64 - take)), take);
            done += take;
        }
}

/* Bytes [0, total) of dst: the row of row_bytes bytes at `row` repeated, 8 bytes a copy; each
 * copy writes up to 7 bytes past its row (the next copy overwrites them) and reads up to 7 past
 * the row, so both buffers have 8 bytes to spare. Why bytes: where a channel row is whole bytes
 * (channels a multiple of 8), every copy of it in a tile starts on a byte, and a plain copy
 * replaces repeat_bits' puts, whose variable shifts and chain through the pending word cost as
 * much as the kernel (a channels-last forward at 4 positions of 48 channels: 0.28 -> 0.16 ns an
 * element on the Intel Xeon VM; f32 element dropout 0.10). */
static void repeat_bytes(uint8_t *dst, const uint8_t *row, size_t row_bytes, size_t total)
{
    for (size_t done = 0; done < total; done += row_bytes)
        for (size_t w = 0; w < row_bytes && done + w < total; w += 8)
            memcpy(dst + done + w, row + w, 8);
}

/* Keep bits of groups [g, g + len) (len <= GROUP_CHUNK) to bits [0, len) of `bits`: from
 * mask_in, or from the generator (and then stored to mask_out too). */
static void nhwc_keep_bits(const simdrop_job *j, size_t g, size_t len, uint8_t *bits)
{
    if (j->from_bits) {
        bits_copy_in(bits, j->mask_in, g, len);
        return;
    }
    gen_range(j, RULE_NONE, g, g + len, bits);
    if (j->mask_out)
        bits_copy_out(j->mask_out, g, bits, len);
}

/* Samples [s0, s1) (s0 a multiple of 8, so their bits start on a byte). */
static void nhwc_range(const simdrop_job *j, size_t s0, size_t s1)
{
    const size_t ch = j->channels, len_s = j->spatial * ch; /* elements of a sample */
    if (ch > NHWC_WINDOW) {
        uint8_t row[NHWC_WINDOW / 8 + 8];
        for (size_t s = s0; s < s1; s++)
            for (size_t c0 = 0; c0 < ch; c0 += NHWC_WINDOW) {
                const size_t w = min_size(NHWC_WINDOW, ch - c0);
                nhwc_keep_bits(j, s * ch + c0, w, row);
                for (size_t i = 0; i < j->spatial; i++) {
                    const run u = run_at(j, s * len_s + i * ch + c0);
                    bits_run(j, j->rule, &u, w, row, 0);
                }
            }
        return;
    }
    /* The keep bits of as many whole samples as GROUP_CHUNK holds are made at once: one row at
     * a time would seed and skip the generator for every few bits. */
    uint8_t gbits[GROUP_CHUNK / 8 + 8];
    uint8_t tile[(NHWC_WINDOW + EXPAND_CHUNK) / 8 + 8];
    const size_t batch = GROUP_CHUNK / ch, tile_len = min_size(ch + EXPAND_CHUNK, len_s);
    /* Samples of at most half a chunk: the element bits of as many as EXPAND_CHUNK holds, back to
     * back, then one kernel run over them all (a run per small sample would cost its setup and
     * partial rounds each time: 1.25x in cache at 4 x 64 elements a sample). */
    const size_t together = len_s <= EXPAND_CHUNK / 2 ? EXPAND_CHUNK / len_s : 1;
    /* Element bits from the channel rows: rows of whole bytes copied as bytes, except in samples
     * under 64 elements, where one product makes a whole sample (repeat_bits); other rows by
     * repeat_bits' puts. */
    const int by_bytes = ch % 8 == 0 && len_s >= 64;
    const row_piece piece = row_piece_of(ch);
    for (size_t sa = s0; sa < s1; sa += batch) {
        const size_t sb = min_size(s1, sa + batch);
        nhwc_keep_bits(j, sa * ch, (sb - sa) * ch, gbits);
        for (size_t s = sa; together > 1 && s < sb; s += together) {
            const size_t end = min_size(sb, s + together);
            if (by_bytes) {
                for (size_t t = s; t < end; t++)
                    repeat_bytes(tile + (t - s) * len_s / 8, gbits + (t - sa) * ch / 8, ch / 8,
                                 len_s / 8);
            } else {
                bitrun b = {tile, 0, 0};
                for (size_t t = s; t < end; t++)
                    repeat_bits(&b, gbits, (t - sa) * ch, ch, len_s, piece);
                bitrun_flush(&b);
            }
            const run u = run_at(j, s * len_s);
            bits_run(j, j->rule, &u, (end - s) * len_s, tile, 0);
        }
        for (size_t s = sa; together == 1 && s < sb; s++) {
            if (by_bytes) {
                repeat_bytes(tile, gbits + (s - sa) * ch / 8, ch / 8, tile_len / 8);
            } else {
                bitrun b = {tile, 0, 0};
                repeat_bits(&b, gbits, (s - sa) * ch, ch, tile_len, piece);
                bitrun_flush(&b);
            }
            /* element k of the sample's run of len_s reads tile bit k % ch: a run from e starts
             * at tile bit e % ch and ends by ch - 1 + EXPAND_CHUNK <= tile_len */
            for (size_t e = 0; e < len_s; e += EXPAND_CHUNK) {
                const run u = run_at(j, s * len_s + e);
                bits_run(j, j->rule, &u, min_size(EXPAND_CHUNK, len_s - e), tile, e % ch);
            }
        }
    }
}

/* ---- the bias gradient --------------------------------------------------------------------- */

/* Rows of chunk c (MASK_SPEC.md section 4.5): the first rows % 16 chunks get one row more. */
static void chunk_rows(const simdrop_job *j, size_t c, size_t *r0, size_t *r1)
{
    const size_t q = j->rows / SIMDROP_DBIAS_CHUNKS, rem = j->rows % SIMDROP_DBIAS_CHUNKS;
    *r0 = c * q + min_size(c, rem);
    *r1 = *r0 + q + (c < rem);
}

static size_t acc_size(const simdrop_job *j)
{
    return j->dt == DT_F64 ? sizeof(double) : sizeof(float);
}

static int acc_dtype(const simdrop_job *j)
{
    return j->dt == DT_F64 ? DT_F64 : DT_F32;
}

/* A NaN sum becomes the canonical NaN: which NaN operand an addition returns is not the same on
 * every CPU and compiler (values.h). */
static void canonical_sums(const simdrop_job *j, void *sums, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (j->dt == DT_F64) {
            double *d = (double *)sums + i;
            if (*d != *d)
                *d = simdrop_u2d(SIMDROP_F64_NAN);
        } else {
            float *f = (float *)sums + i;
            if (*f != *f)
                *f = simdrop_u2f(SIMDROP_F32_NAN);
        }
    }
}

/* dx of rows [r0, r1), keep bits from mask_in or the generator (at the cursor), and, unless acc
 * is NULL, their column sums added to acc in row order. A contiguous job's rows are made a span
 * at a time, summed while the span is still in L1; a block's one row at a time. */
static void dbias_rows(const simdrop_job *j, gen_cursor *cur, size_t r0, size_t r1, char *acc)
{
    const size_t es = simdrop_dtype_size(j->dt), as = acc_size(j);
    if (j->strided) { /* (no rows_ahead prefetch: a job with sums has no non-temporal stores) */
        for (size_t r = r0; r < r1; r++) {
            const run u = row_run(j, r);
            if (j->from_bits)
                bits_run(j, RULE_SCALE, &u, j->cols, j->mask_in, (uint64_t)r * j->cols);
            else
                gen_run(j, RULE_SCALE, cur, &u, j->cols, NULL);
            if (acc)
                j->k->accumulate[j->dt](acc, (const char *)j->y + r * j->ldy * es, j->cols);
        }
        return;
    }
    const size_t end = r1 * j->cols;
    for (size_t e = r0 * j->cols; e < end;) {
        const size_t len = min_size(DBIAS_SPAN, end - e);
        const run u = run_at(j, e);
        if (j->from_bits)
            bits_run(j, RULE_SCALE, &u, len, j->mask_in, e);
        else
            gen_run(j, RULE_SCALE, cur, &u, len, NULL);
        for (size_t i = e; acc && i < e + len;) {
            const size_t col = i % j->cols, take = min_size(j->cols - col, e + len - i);
            j->k->accumulate[j->dt](acc + col * as, (const char *)j->y + i * es, take);
            i += take;
        }
        e += len;
    }
}

/* Chunks [c0, c1): dx of their rows, and each chunk's column sums in row order, from +0. With
 * one slot (the job runs as one range) every chunk after the first is folded at once, which
 * is the same order as folding all slots in finish. */
static void dbias_range(const simdrop_job *j, size_t c0, size_t c1)
{
    gen_cursor cur;
    cur.valid = 0;
    for (size_t c = c0; c < c1; c++) {
        size_t r0, r1;
        chunk_rows(j, c, &r0, &r1);
        if (r0 == r1)
            continue; /* adding +0 changes no sum (none is -0): an empty chunk is skipped */
        char *acc = NULL;
        if (j->dbias) {
            acc = c == 0 ? j->dbias : (char *)j->slots + (j->progressive ? 0 : c - 1) * j->cols * acc_size(j);
            memset(acc, 0, j->cols * acc_size(j)); /* all-zero bytes are +0.0 */
        }
        dbias_rows(j, &cur, r0, r1, acc);
        if (acc && c > 0 && j->progressive)
            j->k->accumulate[acc_dtype(j)](j->dbias, acc, j->cols);
    }
}

/* Granules [g0, g1) of a block's bias gradient (MASK_SPEC.md section 4.7): dx of their rows,
 * and each granule's column sums, from +0 in row order, into its own row of dbias. */
static void partials_range(const simdrop_job *j, size_t g0, size_t g1)
{
    gen_cursor cur;
    cur.valid = 0;
    for (size_t g = g0; g < g1; g++) {
        char *acc = j->dbias ? (char *)j->dbias + g * j->cols * acc_size(j) : NULL;
        if (acc)
            memset(acc, 0, j->cols * acc_size(j));
        dbias_rows(j, &cur, g * j->granule, min_size((g + 1) * j->granule, j->rows), acc);
        if (acc)
            canonical_sums(j, acc, j->cols);
    }
}

/* Columns [c0, c1) of simdrop_dbias_reduce (MASK_SPEC.md section 4.7): from +0, each granule's
 * partial sums added in granule order. */
static void reduce_range(const simdrop_job *j, size_t c0, size_t c1)
{
    const size_t as = acc_size(j);
    char *sums = (char *)j->dbias + c0 * as;
    memset(sums, 0, (c1 - c0) * as);
    for (size_t g = 0; g < j->rows; g++)
        j->k->accumulate[acc_dtype(j)](sums, (const char *)j->x + (g * j->cols + c0) * as, c1 - c0);
    canonical_sums(j, sums, c1 - c0);
}

/* ---- byte conversions ---------------------------------------------------------------------- */

/* 64-bit SWAR in portable code: a handful of integer operations per 8 elements already runs at
 * memory speed, so they need no per-ISA kernels. */
#define BYTES_01 0x0101010101010101u

static void to_bytes_range(const simdrop_job *j, size_t u0, size_t u1)
{
    uint8_t *bytes = j->y;
    const uint8_t *mask = j->mask_in;
    size_t i = u0;
    for (; i + 8 <= u1; i += 8) {
        /* Byte j of the product is the mask byte; keep only bit j in byte j, then map a nonzero
         * byte (at most 0x80) to 1 by carrying it into bit 7. */
        const uint64_t spread = (mask[i / 8] * BYTES_01) & 0x8040201008040201u;
        const uint64_t ones = ((spread + 0x7f7f7f7f7f7f7f7fu) >> 7) & BYTES_01;
        for (unsigned b = 0; b < 8; b++)
            bytes[i + b] = (uint8_t)(ones >> (8 * b));
    }
    for (; i < u1; i++)
        bytes[i] = (uint8_t)bit_at(mask, i);
}

static void from_bytes_range(const simdrop_job *j, size_t u0, size_t u1)
{
    const uint8_t *bytes = j->x;
    uint8_t *mask = j->mask_out;
    size_t i = u0;
    for (; i + 8 <= u1; i += 8) {
        uint64_t v = 0;
        for (unsigned b = 0; b < 8; b++)
            v |= (uint64_t)bytes[i + b] << (8 * b);
        /* Bit 7 of each byte: set iff the byte is nonzero (low 7 bits carried in, or bit 7). */
        const uint64_t nonzero = (((v & 0x7f7f7f7f7f7f7f7fu) + 0x7f7f7f7f7f7f7f7fu) | v) >> 7;
        /* Gather bit 0 of byte j into bit 56 + j; no two partial products meet in that byte. */
        mask[i / 8] = (uint8_t)(((nonzero & BYTES_01) * 0x0102040810204080u) >> 56);
    }
    if (i < u1) {
        uint8_t last = 0;
        for (size_t k = i; k < u1; k++)
            last |= (uint8_t)((bytes[k] != 0) << (k % 8));
        mask[i / 8] = last; /* only the call's last range ends mid-byte: bits past n are 0 */
    }
}

/* ---- entry ----------------------------------------------------------------------------------- */

size_t simdrop_job_grain(const simdrop_job *j)
{
    switch (j->kind) {
    case JOB_GEN:
    case JOB_BITS:
    case JOB_COPY: return SIMDROP_ROUND; /* whole rounds and mask bytes per task */
    case JOB_DBIAS:
    case JOB_PARTIALS: return 1;
    case JOB_ROWS: /* rows whose mask bits start on a byte: 8 / gcd(cols, 8) of them */
        return j->mask_out ? 8 >> (j->cols % 8 == 0 ? 3 : j->cols % 4 == 0 ? 2 : j->cols % 2 == 0) : 1;
    case JOB_REDUCE: return 16; /* columns: a cache line of floats */
    default: return 8; /* whole mask bytes */
    }
}

void simdrop_job_run(const simdrop_job *j, size_t u0, size_t u1)
{
    const size_t es = simdrop_dtype_size(j->dt);
    switch (j->kind) {
    case JOB_GEN: gen_range(j, j->rule, u0, u1, j->mask_out ? j->mask_out + u0 / 8 : NULL); break;
    case JOB_BITS: {
        const run u = run_at(j, u0);
        bits_run(j, j->rule, &u, u1 - u0, j->mask_in, u0);
        break;
    }
    case JOB_GROUPS: groups_range(j, u0, u1); break;
    case JOB_NHWC: nhwc_range(j, u0, u1); break;
    case JOB_COPY:
        if (j->y != j->x)
            memcpy((char *)j->y + u0 * es, (const char *)j->x + u0 * es, (u1 - u0) * es);
        break;
    case JOB_DBIAS: dbias_range(j, u0, u1); break;
    case JOB_ROWS: rows_range(j, u0, u1); break;
    case JOB_PARTIALS: partials_range(j, u0, u1); break;
    case JOB_REDUCE: reduce_range(j, u0, u1); break;
    case JOB_TO_BYTES: to_bytes_range(j, u0, u1); break;
    case JOB_FROM_BYTES: from_bytes_range(j, u0, u1); break;
    }
    if (j->nt && j->k)
        j->k->fence(); /* the range's non-temporal stores land before anyone reads them */
}

void simdrop_job_finish(const simdrop_job *j)
{
    if (j->kind != JOB_DBIAS || !j->dbias)
        return;
    for (size_t c = 1; !j->progressive && c < SIMDROP_DBIAS_CHUNKS; c++) {
        size_t r0, r1;
        chunk_rows(j, c, &r0, &r1);
        if (r0 < r1)
            j->k->accumulate[acc_dtype(j)](j->dbias, (char *)j->slots + (c - 1) * j->cols * acc_size(j),
                                     j->cols);
    }
    canonical_sums(j, j->dbias, j->cols);
}
