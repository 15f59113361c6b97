/* walk.c: runs a range of a job: seeds each block, does partial rounds by the scalar rules, calls the path's kernels for whole rounds. */
#include <string.h>

#include "job.h"

#define GROUP_CHUNK 4096   /* groups whose keep bits are made at a time (512 bytes) */
#define EXPAND_CHUNK 4096  /* elements whose group bits are expanded at a time (512 bytes) */
#define BIAS_ROUNDS 32     /* rounds per kernel call when the bias row is laid out (8 KiB) */
#define DBIAS_SPAN 4096    /* elements of dx summed while they are still in L1 */

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

static void bitw_put_bit(bitw *bw, uint32_t bit)
{
    bw->acc |= bit << bw->nbits;
    if (++bw->nbits == 8) {
        *bw->p++ = (uint8_t)bw->acc;
        bw->acc = 0;
        bw->nbits = 0;
    }
}

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

/* ---- operands ------------------------------------------------------------------------------ */

/* The bias of elements k .. k + len - 1 as one run: a pointer into the bias row when the run
 * does not cross a row's end, else the row repeated into tmp. */
static const void *bias_run(const simdrop_job *j, size_t k, size_t len, void *tmp)
{
    const size_t es = simdrop_dtype_size(j->dt);
    size_t col = k % j->cols;
    if (col + len <= j->cols)
        return (const char *)j->bias + col * es;
    for (size_t i = 0; i < len; col = 0) {
        const size_t take = min_size(len - i, j->cols - col);
        memcpy((char *)tmp + i * es, (const char *)j->bias + col * es, take * es);
        i += take;
    }
    return tmp;
}

/* The kernel operands of elements k .. k + len - 1 under `rule`. */
static simdrop_kargs operands_at(const simdrop_job *j, int rule, size_t k, size_t len,
                                 void *bias_tmp)
{
    const size_t es = simdrop_dtype_size(j->dt);
    simdrop_kargs a = {NULL, NULL, NULL, NULL, NULL, NULL, &j->c, j->nt};
    if (rule == RULE_NONE)
        return a;
    a.y = (char *)j->y + k * es;
    a.x = (const char *)j->x + k * es;
    if (simdrop_rule_has_bias(rule))
        a.b = bias_run(j, k, len, bias_tmp);
    if (simdrop_rule_has_resid(rule))
        a.r = (const char *)j->resid + k * es;
    return a;
}

/* ---- keep bits from the generator ---------------------------------------------------------- */

/* Elements [from, to) of the next round, one at a time with the scalar rules: the heads and
 * tails of a call or block that do not fill a round. Element `from` is unit k of the job. */
static void gen_partial(const simdrop_job *j, int rule, simdrop_lanes *st, unsigned from,
                        unsigned to, size_t k, bitw *bw)
{
    uint32_t out[SIMDROP_LANES];
    unsigned char bias_tmp[SIMDROP_ROUND * sizeof(double)];
    const simdrop_kargs a = operands_at(j, rule, k, to - from, bias_tmp);
    simdrop_round(st, out);
    for (unsigned q = from; q < to; q++) {
        const int keep = simdrop_round_bits16(out, q) >= j->threshold;
        if (rule != RULE_NONE)
            simdrop_value(rule, j->dt, a.y, a.x, a.b, a.r, q - from, keep, a.c);
        if (bw)
            bitw_put_bit(bw, (uint32_t)keep);
    }
}

/* `rounds` whole rounds (at most a block) from unit k on. */
static void gen_rounds(const simdrop_job *j, int rule, simdrop_lanes *st, size_t k,
                       size_t rounds, bitw *bw)
{
    unsigned char bias_tmp[BIAS_ROUNDS * SIMDROP_ROUND * sizeof(double)];
    uint8_t words[4 * SIMDROP_ROUNDS_PER_BLOCK];
    uint8_t *out = bw ? (bw->nbits ? words : bw->p) : NULL;
    if (rule == RULE_NONE) {
        j->k->mask(out, st, rounds, j->threshold);
    } else {
        simdrop_kargs a = operands_at(j, rule, k, rounds * SIMDROP_ROUND, bias_tmp);
        a.mask_out = out;
        j->k->gen[rule][j->dt](&a, st, rounds, j->threshold);
    }
    if (bw && bw->nbits)
        for (size_t i = 0; i < rounds; i++)
            bitw_put32(bw, simdrop_load_le32(words + 4 * i));
    else if (bw)
        bw->p += 4 * rounds;
}

/* Blocks b and b + 1, whole, from unit k on (rule != RULE_NONE): both generators at once
 * (gen2), so that a path whose generator waits on its own latency overlaps the two. Block b's
 * keep words come first, as in two gen_rounds calls. */
static void gen_block_pair(const simdrop_job *j, int rule, simdrop_gen2_fn gen2, size_t k,
                           uint64_t b, bitw *bw)
{
    unsigned char bias_tmp[2][BIAS_ROUNDS * SIMDROP_ROUND * sizeof(double)];
    uint8_t words[2][4 * SIMDROP_ROUNDS_PER_BLOCK];
    const int direct = bw && !bw->nbits; /* keep words straight into the mask */
    simdrop_lanes st[2];
    simdrop_seed_block(&st[0], j->key, b);
    simdrop_seed_block(&st[1], j->key, b + 1);
    for (size_t done = 0; done < SIMDROP_ROUNDS_PER_BLOCK;) {
        const size_t left = SIMDROP_ROUNDS_PER_BLOCK - done;
        const size_t piece = simdrop_rule_has_bias(rule) ? min_size(left, BIAS_ROUNDS) : left;
        simdrop_kargs a[2];
        for (unsigned q = 0; q < 2; q++) {
            a[q] = operands_at(j, rule, k + q * SIMDROP_BLOCK + done * SIMDROP_ROUND,
                               piece * SIMDROP_ROUND, bias_tmp[q]);
            a[q].mask_out = !bw ? NULL
                            : (direct ? bw->p + q * sizeof words[q] : words[q]) + 4 * done;
        }
        gen2(a, st, piece, j->threshold);
        done += piece;
    }
    if (direct)
        bw->p += sizeof words;
    else if (bw)
        for (unsigned q = 0; q < 2; q++)
            for (size_t i = 0; i < SIMDROP_ROUNDS_PER_BLOCK; i++)
                bitw_put32(bw, simdrop_load_le32(words[q] + 4 * i));
}

/* Units [k0, k1) with keep bits from the generator: rule applied to the elements (unless
 * RULE_NONE) and the bits stored from bit 0 of `mask` on (unless NULL). Each block is seeded
 * from (seed, block) and skipped forward to the first round needed, so a range costs the same
 * wherever it starts (at most 127 skipped rounds); two whole blocks in a row go to gen2. */
static void gen_range(const simdrop_job *j, int rule, size_t k0, size_t k1, uint8_t *mask)
{
    bitw bits = {mask, 0, 0};
    bitw *bw = mask ? &bits : NULL;
    simdrop_lanes st;
    for (size_t k = k0; k < k1;) {
        const uint64_t index = j->offset + k; /* no wrap: offset + n <= 2^64 and k < n */
        const unsigned start = (unsigned)(index % SIMDROP_BLOCK);
        if (rule != RULE_NONE && start == 0 && k1 - k >= 2 * SIMDROP_BLOCK) {
            gen_block_pair(j, rule, j->k->gen2[rule][j->dt], k, index / SIMDROP_BLOCK, bw);
            k += 2 * SIMDROP_BLOCK;
            continue;
        }
        const size_t count = min_size(k1 - k, SIMDROP_BLOCK - start);
        size_t done = 0;

        simdrop_seed_block(&st, j->key, index / SIMDROP_BLOCK);
        if (start >= SIMDROP_ROUND)
            j->k->skip(&st, start / SIMDROP_ROUND);
        const unsigned head = start % SIMDROP_ROUND;
        if (head) {
            done = min_size(count, SIMDROP_ROUND - head);
            gen_partial(j, rule, &st, head, head + (unsigned)done, k, bw);
        }
        for (size_t rounds = (count - done) / SIMDROP_ROUND; rounds;) {
            const size_t piece = simdrop_rule_has_bias(rule) ? min_size(rounds, BIAS_ROUNDS) : rounds;
            gen_rounds(j, rule, &st, k + done, piece, bw);
            done += piece * SIMDROP_ROUND;
            rounds -= piece;
        }
        if (done < count)
            gen_partial(j, rule, &st, 0, (unsigned)(count - done), k + done, bw);
        k += count;
    }
    if (bw)
        bitw_flush(bw);
}

/* ---- keep bits from a bitmask -------------------------------------------------------------- */

/* Elements [k0, k1) under rule (SCALE or AFFINE), element k's keep bit being bit k - base of
 * `bits`. Whole rounds go to the kernel once the bit index is byte-aligned. */
static void bits_range(const simdrop_job *j, int rule, size_t k0, size_t k1, const uint8_t *bits,
                       size_t base)
{
    const simdrop_kargs all = operands_at(j, rule, 0, 0, NULL);
    size_t k = k0;
    for (; k < k1 && (k - base) % 8; k++)
        simdrop_value(rule, j->dt, all.y, all.x, NULL, NULL, k, bit_at(bits, k - base), &j->c);
    const size_t rounds = (k1 - k) / SIMDROP_ROUND;
    if (rounds) {
        simdrop_kargs a = operands_at(j, rule, k, 0, NULL);
        a.mask_in = bits + (k - base) / 8;
        j->k->bits[rule][j->dt](&a, rounds);
        k += rounds * SIMDROP_ROUND;
    }
    for (; k < k1; k++)
        simdrop_value(rule, j->dt, all.y, all.x, NULL, NULL, k, bit_at(bits, k - base), &j->c);
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

/* The element bits of elements [e, e + len) of groups starting at g0, group g's keep bit being
 * bit g - g0 of `gbits`: each group's bit repeated group_len times. Groups shorter than a word
 * take a few integer operations each (one or, a store every 64 bits), or eight at a time through
 * `spread` (the table of a group bit byte's element bits, when given); long ones are runs of
 * whole words, so large group_len costs what element backward costs. */
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

static void expand_groups(uint8_t *ebits, const uint8_t *gbits, size_t g0, size_t len_g, size_t e,
                          size_t len, const uint64_t *spread)
{
    bitrun b = {ebits, 0, 0};
    size_t g = e / len_g;
    size_t run = min_size(len_g - (e - g * len_g), len); /* the first group may start earlier */
    bitrun_append(&b, 0 - (uint64_t)bit_at(gbits, g - g0), run);
    size_t left = len - run;
    const uint64_t ones = len_g < 64 ? (UINT64_C(1) << len_g) - 1 : 0;
    for (g++; len_g < 64 && left >= len_g; g++, left -= len_g) {
        if (spread && (g - g0) % 8 == 0 && left >= 8 * len_g) { /* 8 groups from one table entry */
            bitrun_put(&b, spread[gbits[(g - g0) / 8]], (unsigned)(8 * len_g));
            g += 7;
            left -= 7 * len_g;
            continue;
        }
        bitrun_put(&b, (0 - (uint64_t)bit_at(gbits, g - g0)) & ones, (unsigned)len_g);
    }
    for (; left; g++, left -= run) {
        run = min_size(len_g, left);
        bitrun_append(&b, 0 - (uint64_t)bit_at(gbits, g - g0), run);
    }
    for (unsigned k = 0; k * 8 < b.used; k++)
        b.p[k] = (uint8_t)(b.word >> (8 * k));
}

/* The elements of groups [g0, g1), group g's keep bit being bit g - g0 of `gbits`: the group
 * bits are expanded over their elements, then the rule runs from the expanded bits. A long
 * group becomes a run of 0x00 or 0xff bytes, so large group_len costs what element backward
 * costs. */
static void groups_apply(const simdrop_job *j, const uint8_t *gbits, size_t g0, size_t g1)
{
    uint8_t ebits[EXPAND_CHUNK / 8];
    /* Groups of up to 7 elements: a byte of group bits becomes up to 56 element bits through a
     * table (built once per chunk of groups, 256 entries), instead of eight runs one by one. */
    uint64_t spread[256];
    const int short_groups = j->group_len < 8 && g1 - g0 >= 256;
    for (unsigned v = 0; short_groups && v < 256; v++) {
        spread[v] = 0;
        for (unsigned bit = 0; bit < 8; bit++)
            if (v >> bit & 1)
                spread[v] |= ((UINT64_C(1) << j->group_len) - 1) << (bit * j->group_len);
    }
    for (size_t e = g0 * j->group_len, end = g1 * j->group_len; e < end;) {
        const size_t len = min_size(EXPAND_CHUNK, end - e);
        expand_groups(ebits, gbits, g0, j->group_len, e, len, short_groups ? spread : NULL);
        bits_range(j, j->rule, e, e + len, ebits, e);
        e += len;
    }
}

/* Groups [g0, g1) (g0 a multiple of 8, so their bits start on a byte): keep bits from
 * mask_in, or from the generator (stored to mask_out too). */
static void groups_range(const simdrop_job *j, size_t g0, size_t g1)
{
    uint8_t scratch[GROUP_CHUNK / 8];
    for (size_t ga = g0; ga < g1;) {
        const size_t gb = ga + min_size(GROUP_CHUNK, g1 - ga);
        if (j->from_bits) {
            groups_apply(j, j->mask_in + ga / 8, ga, gb);
        } else {
            uint8_t *bits = j->mask_out ? j->mask_out + ga / 8 : scratch;
            gen_range(j, RULE_NONE, ga, gb, bits);
            groups_apply(j, bits, ga, gb);
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

/* Bits [from, from + len) of src to bits [0, len) of dst, the bits past len in dst's last byte
 * 0. Reads no byte of src that holds none of the bits. */
static void bits_copy_in(uint8_t *dst, const uint8_t *src, size_t from, size_t len)
{
    const uint8_t *s = src + from / 8;
    const unsigned sh = (unsigned)(from % 8);
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

/* Writes the pending bits of b (bitrun_store writes whole words). */
static void bitrun_flush(const bitrun *b)
{
    for (unsigned k = 0; k * 8 < b->used; k++)
        b->p[k] = (uint8_t)(b->word >> (8 * k));
}

/* Appends `total` bits to b: the `len` bits of src (readable 4 bytes past them) repeated. Rows
 * of up to 32 bits are first repeated into one piece of up to 63, so every append carries at
 * least 32 bits. */
static void repeat_bits(bitrun *b, const uint8_t *src, size_t len, size_t total)
{
    if (len <= 32) {
        const uint64_t row = simdrop_load_le32(src) & (UINT64_MAX >> (64 - len));
        uint64_t piece = 0;
        unsigned plen = 0;
        for (; plen < 32; plen += (unsigned)len)
            piece |= row << plen;
        for (size_t done = 0; done < total; done += plen) {
            const unsigned take = (unsigned)min_size(plen, total - done);
            bitrun_put(b, piece & (UINT64_MAX >> (64 - take)), take);
        }
    } else {
        for (size_t done = 0; done < total;)
            for (size_t q = 0; q < len && done < total; q += 32) {
                const unsigned take = (unsigned)min_size(min_size(32, len - q), total - done);
                bitrun_put(b, simdrop_load_le32(src + q / 8) & (UINT64_MAX >> (64 - take)), take);
                done += take;
            }
    }
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
    uint8_t row[NHWC_WINDOW / 8 + 8];
    if (ch > NHWC_WINDOW) {
        for (size_t s = s0; s < s1; s++)
            for (size_t c0 = 0; c0 < ch; c0 += NHWC_WINDOW) {
                const size_t w = min_size(NHWC_WINDOW, ch - c0);
                nhwc_keep_bits(j, s * ch + c0, w, row);
                for (size_t i = 0; i < j->spatial; i++) {
                    const size_t k = s * len_s + i * ch + c0;
                    bits_range(j, j->rule, k, k + w, row, k);
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
    for (size_t sa = s0; sa < s1; sa += batch) {
        const size_t sb = min_size(s1, sa + batch);
        nhwc_keep_bits(j, sa * ch, (sb - sa) * ch, gbits);
        for (size_t s = sa; together > 1 && s < sb; s += together) {
            const size_t end = min_size(sb, s + together);
            bitrun b = {tile, 0, 0};
            for (size_t t = s; t < end; t++) {
                bits_copy_in(row, gbits, (t - sa) * ch, ch);
                repeat_bits(&b, row, ch, len_s);
            }
            bitrun_flush(&b);
            bits_range(j, j->rule, s * len_s, end * len_s, tile, s * len_s);
        }
        for (size_t s = sa; together == 1 && s < sb; s++) {
            bits_copy_in(row, gbits, (s - sa) * ch, ch);
            bitrun b = {tile, 0, 0};
            repeat_bits(&b, row, ch, tile_len);
            bitrun_flush(&b);
            /* element k of the sample's run of len_s reads tile bit k % ch: a run from e starts
             * at tile bit e % ch and ends by ch - 1 + EXPAND_CHUNK <= tile_len */
            for (size_t e = 0; e < len_s; e += EXPAND_CHUNK) {
                const size_t k = s * len_s + e;
                bits_range(j, j->rule, k, k + min_size(EXPAND_CHUNK, len_s - e), tile, k - e % ch);
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

/* Chunks [c0, c1): dx of their rows, and each chunk's column sums in row order, from +0. With
 * one slot (the job runs as one range) every chunk after the first is folded at once, which
 * is the same order as folding all slots in finish. */
static void dbias_range(const simdrop_job *j, size_t c0, size_t c1)
{
    const int dt_acc = j->dt == DT_F64 ? DT_F64 : DT_F32;
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
        const size_t end = r1 * j->cols;
        for (size_t e = r0 * j->cols; e < end;) {
            const size_t len = min_size(DBIAS_SPAN, end - e);
            if (j->from_bits)
                bits_range(j, RULE_SCALE, e, e + len, j->mask_in, 0);
            else
                gen_range(j, RULE_SCALE, e, e + len, NULL);
            for (size_t i = e; acc && i < e + len;) {
                const size_t col = i % j->cols, take = min_size(j->cols - col, e + len - i);
                j->k->accumulate[j->dt](acc + col * acc_size(j),
                                        (const char *)j->y + i * simdrop_dtype_size(j->dt), take);
                i += take;
            }
            e += len;
        }
        if (acc && c > 0 && j->progressive)
            j->k->accumulate[dt_acc](j->dbias, acc, j->cols);
    }
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
    case JOB_DBIAS: return 1;
    default: return 8; /* whole mask bytes */
    }
}

void simdrop_job_run(const simdrop_job *j, size_t u0, size_t u1)
{
    const size_t es = simdrop_dtype_size(j->dt);
    switch (j->kind) {
    case JOB_GEN: gen_range(j, j->rule, u0, u1, j->mask_out ? j->mask_out + u0 / 8 : NULL); break;
    case JOB_BITS: bits_range(j, j->rule, u0, u1, j->mask_in, 0); break;
    case JOB_GROUPS: groups_range(j, u0, u1); break;
    case JOB_NHWC: nhwc_range(j, u0, u1); break;
    case JOB_COPY:
        if (j->y != j->x)
            memcpy((char *)j->y + u0 * es, (const char *)j->x + u0 * es, (u1 - u0) * es);
        break;
    case JOB_DBIAS: dbias_range(j, u0, u1); break;
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
    const int dt_acc = j->dt == DT_F64 ? DT_F64 : DT_F32;
    for (size_t c = 1; !j->progressive && c < SIMDROP_DBIAS_CHUNKS; c++) {
        size_t r0, r1;
        chunk_rows(j, c, &r0, &r1);
        if (r0 < r1)
            j->k->accumulate[dt_acc](j->dbias, (char *)j->slots + (c - 1) * j->cols * acc_size(j),
                                     j->cols);
    }
    /* A NaN sum becomes the canonical NaN: which NaN operand an addition returns is not the
     * same on every CPU and compiler (values.h). */
    for (size_t i = 0; i < j->cols; i++) {
        if (j->dt == DT_F64) {
            double *d = (double *)j->dbias + i;
            if (*d != *d)
                *d = simdrop_u2d(SIMDROP_F64_NAN);
        } else {
            float *f = (float *)j->dbias + i;
            if (*f != *f)
                *f = simdrop_u2f(SIMDROP_F32_NAN);
        }
    }
}
