/* kat_read.c: reads the records of tests/golden_v1.txt and tests/golden_values_v1.txt and expands each into the calls it implies. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kat.h"

const char *const kat_family_names[KAT_FAMILIES] = {"dropout", "groups", "alpha", "unscaled",
                                                    "bias_dropout_add", "granules", "mask",
                                                    "site_seed"};
const char *const kat_dtype_names[KAT_DTYPES] = {"f32", "f64", "bf16", "f16"};

unsigned kat_dtype_size(int dtype)
{
    return dtype == KAT_F64 ? 8 : dtype == KAT_F32 ? 4 : 2;
}

unsigned kat_dbias_size(int dtype)
{
    return dtype == KAT_F64 ? 8 : 4;
}

size_t kat_elements(const kat_call *c)
{
    return c->family == KAT_DROPOUT || c->family == KAT_MASK ? c->a : c->a * c->b;
}

/* The families with a mask bit per group of group_len elements. */
static int grouped(int family)
{
    return family == KAT_GROUPS || family == KAT_ALPHA || family == KAT_UNSCALED;
}

/* cols values; a granules backward writes one row of them per granule */
size_t kat_dbias_len(const kat_call *c)
{
    if (c->family == KAT_GRANULES && c->op != KAT_REDUCE)
        return (c->a + c->granule - 1) / c->granule * c->b;
    return c->b;
}

size_t kat_mask_bytes(const kat_call *c)
{
    if (c->family == KAT_SITE)
        return 0;
    const size_t bits = grouped(c->family) ? c->a : kat_elements(c);
    return (bits + 7) / 8;
}

/* ---- fields ------------------------------------------------------------------------------------ */

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "kat: out of memory\n");
        exit(2);
    }
    return p;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* `count` elements of `es` bytes, most significant digit first; '-' is the empty array, '?' as
 * an element's first digit marks a NaN of the machine's sign (the other digits are AArch64's
 * pattern). 0 on a malformed field. */
static int parse_array(const char *hex, size_t count, unsigned es, kat_array *out)
{
    out->n = count;
    out->es = es;
    out->bits = (uint64_t *)xcalloc(count + 1, sizeof(uint64_t));
    out->loose = (uint8_t *)xcalloc(count + 1, 1);
    if (!hex)
        return 0;
    if (count == 0)
        return !strcmp(hex, "-");
    if (strlen(hex) != count * 2 * es)
        return 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t v = 0;
        for (unsigned d = 0; d < 2 * es; d++) {
            const char c = hex[i * 2 * es + d];
            int h = hex_digit(c);
            if (d == 0 && c == '?') {
                out->loose[i] = 1;
                h = 7;
            }
            if (h < 0)
                return 0;
            v = v << 4 | (uint64_t)h;
        }
        out->bits[i] = v;
    }
    return 1;
}

static int any_loose(const kat_array *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->loose[i])
            return 1;
    return 0;
}

static void free_array(kat_array *a)
{
    free(a->bits), free(a->loose);
    a->bits = NULL, a->loose = NULL;
}

/* The elements of an array in memory, as the dtype stores them (native byte order). */
static void *to_memory(const kat_array *a)
{
    unsigned char *buf = (unsigned char *)xcalloc(a->n + 1, a->es);
    for (size_t i = 0; i < a->n; i++) {
        const uint64_t v = a->bits[i];
        if (a->es == 2) {
            const uint16_t w = (uint16_t)v;
            memcpy(buf + i * 2, &w, 2);
        } else if (a->es == 4) {
            const uint32_t w = (uint32_t)v;
            memcpy(buf + i * 4, &w, 4);
        } else {
            memcpy(buf + i * 8, &v, 8);
        }
    }
    return buf;
}

static int parse_mask(const char *hex, size_t bytes, uint8_t *out)
{
    if (!hex)
        return 0;
    if (bytes == 0)
        return !strcmp(hex, "-");
    if (strlen(hex) != 2 * bytes)
        return 0;
    for (size_t i = 0; i < bytes; i++) {
        const int h = hex_digit(hex[2 * i]), l = hex_digit(hex[2 * i + 1]);
        if (h < 0 || l < 0)
            return 0;
        out[i] = (uint8_t)(h << 4 | l);
    }
    return 1;
}

/* The record's mask and its complement over `bits` bits (bits past the end stay 0). */
static void complement(kat_record *r, size_t bits)
{
    r->mask_inv = (uint8_t *)xcalloc(r->mask_bytes + 1, 1);
    for (size_t k = 0; k < bits; k++)
        r->mask_inv[k / 8] |= (uint8_t)((~r->mask[k / 8] >> (k % 8) & 1) << (k % 8));
}

/* key=value fields after the first two words of a golden_values_v1.txt line */
#define MAX_FIELDS 24
typedef struct fields {
    char *key[MAX_FIELDS], *val[MAX_FIELDS];
    int count;
} fields;

static const char *field(const fields *f, const char *key)
{
    for (int i = 0; i < f->count; i++)
        if (!strcmp(f->key[i], key))
            return f->val[i];
    return NULL;
}

static int field_u64(const fields *f, const char *key, int base, uint64_t *out)
{
    const char *v = field(f, key);
    char *end;
    if (!v || !*v)
        return 0;
    *out = strtoull(v, &end, base);
    return *end == 0;
}

static char *next_token(char **s)
{
    char *p = *s;
    while (*p == ' ' || *p == '\n' || *p == '\r')
        p++;
    if (!*p)
        return NULL;
    char *start = p;
    while (*p && *p != ' ' && *p != '\n' && *p != '\r')
        p++;
    if (*p)
        *p++ = 0;
    *s = p;
    return start;
}

static int fail(char *err, size_t size, const char *why)
{
    snprintf(err, size, "%s", why);
    return -1;
}

/* ---- golden_v1.txt: case <seed hex> <offset> <n> <p> <mask hex> -------------------------------- */

static int parse_mask_case(const char *line, kat_record *r, char *err, size_t err_size)
{
    uint64_t seed, offset, n;
    double p;
    char *hex = (char *)xcalloc(strlen(line) + 1, 1);
    if (sscanf(line, "case %" SCNx64 " %" SCNu64 " %" SCNu64 " %lf %s", &seed, &offset, &n, &p,
               hex) != 5) {
        free(hex);
        return fail(err, err_size, "not 'case SEED OFFSET N P MASK'");
    }
    r->family = KAT_MASK, r->dtype = KAT_F32;
    r->a = r->n = (size_t)n, r->b = 1;
    r->p = p, r->seed = seed, r->offset = offset;
    r->mask_bytes = (r->n + 7) / 8;
    r->mask = (uint8_t *)xcalloc(r->mask_bytes + 1, 1);
    const int ok = parse_mask(hex, r->mask_bytes, r->mask);
    free(hex);
    if (!ok)
        return fail(err, err_size, "the mask is not (n + 7) / 8 bytes of hex");
    complement(r, r->n);
    float *x = (float *)xcalloc(r->n + 1, sizeof(float)); /* forward's input: all 1 */
    for (size_t i = 0; i < r->n; i++)
        x[i] = 1.0f;
    r->x = x;
    return 1;
}

/* ---- golden_values_v1.txt: FAMILY DTYPE key=value ... ------------------------------------------ */

/* "site_seed - base=B name=HEX step=S key=K seed=SEED": y holds the answers {K, SEED}. */
static int parse_site(const fields *f, kat_record *r, char *err, size_t err_size)
{
    uint64_t key, seed;
    const char *name = field(f, "name");
    if (!name || !field_u64(f, "base", 16, &r->seed) || !field_u64(f, "step", 10, &r->offset) ||
        !field_u64(f, "key", 16, &key) || !field_u64(f, "seed", 16, &seed))
        return fail(err, err_size, "site_seed needs base, name, step, key and seed");
    const size_t len = strcmp(name, "-") ? strlen(name) : 0;
    r->site = (char *)xcalloc(len / 2 + 1, 1);
    for (size_t i = 0; i < len / 2; i++) {
        const int h = hex_digit(name[2 * i]), l = hex_digit(name[2 * i + 1]);
        if (h < 0 || l < 0 || len % 2 || (h << 4 | l) == 0)
            return fail(err, err_size, "site_seed's name is not hex bytes");
        r->site[i] = (char)(h << 4 | l);
    }
    r->family = KAT_SITE, r->dtype = KAT_F64;
    r->a = r->n = 2, r->b = 1;
    r->y.n = 2, r->y.es = 8;
    r->y.bits = (uint64_t *)xcalloc(2, sizeof(uint64_t));
    r->y.loose = (uint8_t *)xcalloc(2, 1);
    r->y.bits[0] = key, r->y.bits[1] = seed;
    return 1;
}

/* "granules DTYPE rows= cols= granule= p= seed= offset= dout= mask= dx= partials= dbias=" */
static int parse_granules(const fields *f, kat_record *r, char *err, size_t err_size)
{
    uint64_t g;
    if (!field_u64(f, "granule", 10, &g) || g == 0)
        return fail(err, err_size, "granules needs granule > 0");
    r->granule = (size_t)g;
    const unsigned es = kat_dtype_size(r->dtype), dbes = kat_dbias_size(r->dtype);
    const size_t granules = (r->a + r->granule - 1) / r->granule;
    kat_array dout;
    memset(&dout, 0, sizeof dout);
    r->mask_bytes = (r->n + 7) / 8;
    r->mask = (uint8_t *)xcalloc(r->mask_bytes + 1, 1);
    int ok = parse_array(field(f, "dout"), r->n, es, &dout) &
             parse_mask(field(f, "mask"), r->mask_bytes, r->mask) &
             parse_array(field(f, "dx"), r->n, es, &r->dx) &
             parse_array(field(f, "partials"), granules * r->b, dbes, &r->partials) &
             parse_array(field(f, "dbias"), r->b, dbes, &r->dbias);
    ok = ok && !any_loose(&dout) && !any_loose(&r->partials);
    if (ok) {
        r->dout = to_memory(&dout);
        r->partials_in = to_memory(&r->partials);
        complement(r, r->n);
    }
    free_array(&dout);
    return ok ? 1 : fail(err, err_size, "a malformed granules field");
}

static int parse_values(char *line, kat_record *r, char *err, size_t err_size)
{
    fields f;
    f.count = 0;
    char *rest = line;
    const char *family = next_token(&rest), *dtype = next_token(&rest);
    for (char *tok; f.count < MAX_FIELDS && (tok = next_token(&rest)); f.count++) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return fail(err, err_size, "a field without '='");
        *eq = 0;
        f.key[f.count] = tok, f.val[f.count] = eq + 1;
    }
    if (family && !strcmp(family, kat_family_names[KAT_SITE]))
        return parse_site(&f, r, err, err_size);
    r->family = r->dtype = -1;
    for (int i = 0; i < KAT_MASK; i++)
        if (family && !strcmp(family, kat_family_names[i]))
            r->family = i;
    for (int i = 0; i < KAT_DTYPES; i++)
        if (dtype && !strcmp(dtype, kat_dtype_names[i]))
            r->dtype = i;
    if (r->family < 0 || r->dtype < 0)
        return fail(err, err_size, "unknown family or dtype");

    uint64_t a = 0, b = 1;
    const char *pstr = field(&f, "p");
    char *pend = NULL;
    r->p = pstr ? strtod(pstr, &pend) : 0.0;
    int ok = pstr && *pend == 0 && field_u64(&f, "seed", 16, &r->seed) &&
             field_u64(&f, "offset", 10, &r->offset);
    if (r->family == KAT_DROPOUT)
        ok = ok && field_u64(&f, "n", 10, &a);
    else if (r->family != KAT_BDA && r->family != KAT_GRANULES)
        ok = ok && field_u64(&f, "groups", 10, &a) && field_u64(&f, "group_len", 10, &b);
    else
        ok = ok && field_u64(&f, "rows", 10, &a) && field_u64(&f, "cols", 10, &b);
    if (!ok)
        return fail(err, err_size, "bad p, seed, offset or shape");
    r->a = (size_t)a, r->b = (size_t)b, r->n = (size_t)(a * b);
    if (r->family == KAT_GRANULES)
        return parse_granules(&f, r, err, err_size);

    const unsigned es = kat_dtype_size(r->dtype), dbes = kat_dbias_size(r->dtype);
    const size_t bits = r->family == KAT_BDA ? r->n : r->a;
    kat_array x, bias, residual, dout;
    memset(&bias, 0, sizeof bias), memset(&residual, 0, sizeof residual);
    memset(&dout, 0, sizeof dout);
    r->mask_bytes = (bits + 7) / 8;
    r->mask = (uint8_t *)xcalloc(r->mask_bytes + 1, 1);
    ok = parse_array(field(&f, "x"), r->n, es, &x) & parse_array(field(&f, "y"), r->n, es, &r->y) &
         parse_mask(field(&f, "mask"), r->mask_bytes, r->mask);
    /* dropout, groups and unscaled: backward with dy = x gives dx = y (MASK_SPEC 4.6: the same
     * product); alpha and the fused op write their dx */
    const int dx_is_y = r->family == KAT_DROPOUT || r->family == KAT_GROUPS ||
                        r->family == KAT_UNSCALED;
    ok &= parse_array(field(&f, dx_is_y ? "y" : "dx"), r->n, es, &r->dx);
    ok &= parse_array(field(&f, "dx_inv"), r->n, es, &r->dx_inv);
    if (r->family == KAT_BDA) {
        const char *bias_s = field(&f, "bias"), *res_s = field(&f, "residual");
        ok &= bias_s && res_s;
        if (bias_s && strcmp(bias_s, "null"))
            ok &= parse_array(bias_s, r->b, es, &bias);
        if (res_s && strcmp(res_s, "null"))
            ok &= parse_array(res_s, r->n, es, &residual);
        ok &= parse_array(field(&f, "dout"), r->n, es, &dout);
        ok &= parse_array(field(&f, "dbias"), r->b, dbes, &r->dbias);
        ok &= parse_array(field(&f, "dbias_inv"), r->b, dbes, &r->dbias_inv);
    }
    const int loose_input = ok && (any_loose(&x) || (bias.bits && any_loose(&bias)) ||
                                   (residual.bits && any_loose(&residual)) ||
                                   (dout.bits && any_loose(&dout)));
    if (ok) {
        r->x = to_memory(&x);
        r->bias = bias.bits ? to_memory(&bias) : NULL;
        r->residual = residual.bits ? to_memory(&residual) : NULL;
        r->dout = dout.bits ? to_memory(&dout) : NULL;
        complement(r, bits);
    }
    free_array(&x), free_array(&bias), free_array(&residual), free_array(&dout);
    if (!ok)
        return fail(err, err_size, "a malformed array or mask field");
    if (loose_input)
        return fail(err, err_size, "'?' in an input");
    return 1;
}

int kat_parse(const char *line, unsigned line_no, kat_record *r, char *err, size_t err_size)
{
    memset(r, 0, sizeof *r);
    r->line = line_no;
    if (err_size)
        err[0] = 0;
    if (line[0] == '#' || line[0] == '\n' || line[0] == 0)
        return 0;
    if (!strncmp(line, "case ", 5))
        return parse_mask_case(line, r, err, err_size);
    char *copy = (char *)xcalloc(strlen(line) + 1, 1);
    memcpy(copy, line, strlen(line));
    const int status = parse_values(copy, r, err, err_size);
    free(copy);
    return status;
}

void kat_record_free(kat_record *r)
{
    free(r->x), free(r->bias), free(r->residual), free(r->dout);
    free(r->mask), free(r->mask_inv), free(r->site), free(r->partials_in);
    free_array(&r->partials);
    free_array(&r->y), free_array(&r->dx), free_array(&r->dx_inv);
    free_array(&r->dbias), free_array(&r->dbias_inv);
    memset(r, 0, sizeof *r);
}

/* ---- the calls of a record ------------------------------------------------------------------- */

static kat_call base_call(const kat_record *r, const char *what, int op)
{
    kat_call c;
    memset(&c, 0, sizeof c);
    c.what = what;
    c.family = r->family, c.op = op, c.dtype = r->dtype;
    c.a = r->a, c.b = r->b;
    c.p = r->p, c.seed = r->seed, c.offset = r->offset;
    c.granule = r->granule, c.site = r->site;
    c.x = (r->family == KAT_BDA || r->family == KAT_GRANULES) && op != KAT_FORWARD ? r->dout : r->x;
    if (r->family == KAT_BDA && op == KAT_FORWARD)
        c.bias = r->bias, c.residual = r->residual;
    return c;
}

/* golden_v1.txt: simdrop_mask's bits, and forward's mask (of x = 1). Dropout, group and alpha
 * dropout and dropout without rescaling: forward (with the mask, and in place without it),
 * backward with the golden mask (also in place) and with its complement, backward_regen; dy = x.
 * The fused op: forward out of place, out == x, out == residual; backward with dbias, in place
 * without it, with the complemented mask; backward_regen. */
size_t kat_calls(const kat_record *r, kat_call *calls)
{
    size_t k = 0;
    kat_call c;
    if (r->family == KAT_MASK) {
        c = base_call(r, "simdrop_mask", KAT_MASK_ONLY);
        c.want_mask = r->mask;
        calls[k++] = c;
        c = base_call(r, "forward f32 mask (x = 1)", KAT_FORWARD);
        c.family = KAT_DROPOUT;
        c.write_mask = 1, c.want_mask = r->mask;
        calls[k++] = c;
        return k;
    }
    if (r->family == KAT_SITE) {
        c = base_call(r, "simdrop_site_key and simdrop_site_seed", KAT_SITE_SEED);
        c.want_y = &r->y;
        calls[k++] = c;
        return k;
    }
    if (r->family == KAT_GRANULES) {
        /* the block of all rows: backward with the golden mask and by regeneration, then the
         * reduction of the golden partial sums */
        c = base_call(r, "block backward dx and partials (golden mask)", KAT_BACKWARD);
        c.mask_in = r->mask, c.want_y = &r->dx;
        c.write_dbias = 1, c.want_dbias = &r->partials;
        calls[k++] = c;
        c = base_call(r, "block backward_regen dx and partials", KAT_REGEN);
        c.want_y = &r->dx;
        c.write_dbias = 1, c.want_dbias = &r->partials;
        calls[k++] = c;
        c = base_call(r, "simdrop_dbias_reduce of the partials", KAT_REDUCE);
        c.x = r->partials_in, c.write_dbias = 1, c.want_dbias = &r->dbias;
        calls[k++] = c;
        return k;
    }
    const int bda = r->family == KAT_BDA;
    c = base_call(r, bda ? "forward out" : "forward y", KAT_FORWARD);
    c.write_mask = 1, c.want_y = &r->y, c.want_mask = r->mask;
    calls[k++] = c;
    c = base_call(r, bda ? "forward in place (out == x, no mask)"
                         : "forward in place (y == x, no mask)", KAT_FORWARD);
    c.alias = KAT_OUT_IS_X, c.want_y = &r->y;
    calls[k++] = c;
    if (bda && r->residual) {
        c = base_call(r, "forward in place (out == residual)", KAT_FORWARD);
        c.alias = KAT_OUT_IS_RESIDUAL, c.want_y = &r->y;
        calls[k++] = c;
    }
    c = base_call(r, bda ? "backward dx and dbias (golden mask)"
                         : "backward dx (dy = x, golden mask)", KAT_BACKWARD);
    c.mask_in = r->mask, c.want_y = &r->dx;
    if (bda)
        c.write_dbias = 1, c.want_dbias = &r->dbias;
    calls[k++] = c;
    c = base_call(r, bda ? "backward in place (dx == dout, dbias NULL)"
                         : "backward in place (dx == dy)", KAT_BACKWARD);
    c.mask_in = r->mask, c.alias = KAT_OUT_IS_X, c.want_y = &r->dx;
    calls[k++] = c;
    c = base_call(r, "backward with the complemented mask", KAT_BACKWARD);
    c.mask_in = r->mask_inv, c.want_y = &r->dx_inv;
    if (bda)
        c.write_dbias = 1, c.want_dbias = &r->dbias_inv;
    calls[k++] = c;
    c = base_call(r, "backward_regen", KAT_REGEN);
    c.want_y = &r->dx;
    if (bda)
        c.write_dbias = 1, c.want_dbias = &r->dbias;
    calls[k++] = c;
    return k;
}
