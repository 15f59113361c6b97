/* mlp.c: the dropout notebook's network, 10 -> 40 -> 1 (Linear, ReLU, dropout, Linear), trained in
 * plain C on simdrop: MSE loss, SGD with momentum (PyTorch's rule), per-sample dropout masks
 * through the offset, backward from the 1-bit mask or by regenerating it.
 *
 *   mlp [--steps N] [--p P] [--seed S] [--regen]
 *       trains on a synthetic regression set and prints the loss every few steps; --regen keeps
 *       no mask and regenerates it in backward (the printed losses are identical either way).
 *   mlp --step FILE
 *       reads a batch, the weights and the dropout seed from FILE, runs the steps it asks for
 *       and prints the losses, the last step's gradients and the updated parameters (%.9g), for
 *       python/tests/test_examples.py to compare with PyTorch. FILE holds whitespace-separated
 *       numbers: B steps p seed offset lr momentum, then x (B*10), y (B), w1 (40*10, row-major
 *       as torch.nn.Linear.weight), b1 (40), w2 (40), b2 (1).
 *
 * Dropout index space: step t drops out the B x 40 hidden activations as elements
 * offset + t*B*40 .. of one seed's stream, sample s at offset + t*B*40 + s*40 (one call per
 * sample, to show the offset; one call over the batch gives the same bits). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simdrop.h>

enum { IN = 10, HID = 40, MAXB = 256 };

struct net {
    float w1[HID * IN], b1[HID], w2[HID], b2[1];
};

struct sgd {
    struct net buf;  /* momentum buffers, PyTorch's: buf = g on the first step, then m*buf + g */
    int started;
    float lr, momentum;
};

static void die(const char *what, int rc)
{
    fprintf(stderr, "mlp: %s: %s\n", what, rc ? simdrop_strerror(rc) : "failed");
    exit(1);
}

/* One training step on a batch: forward, MSE loss, backward into g, SGD update of n. */
static float step(struct net *n, struct sgd *opt, struct net *g, const float *x, const float *y,
                  int B, double p, uint64_t seed, uint64_t offset, int regen)
{
    float h[MAXB * HID], a[MAXB * HID], d[MAXB * HID], out[MAXB];
    uint8_t mask[MAXB * HID / 8] = {0}; /* initialised only to quiet -Wmaybe-uninitialized */
    float loss = 0.0f;

    for (int s = 0; s < B; s++) {
        for (int j = 0; j < HID; j++) {
            float acc = 0.0f;
            for (int i = 0; i < IN; i++)
                acc += n->w1[j * IN + i] * x[s * IN + i];
            h[s * HID + j] = acc + n->b1[j];
            a[s * HID + j] = h[s * HID + j] > 0.0f ? h[s * HID + j] : 0.0f;
        }
        /* Sample s: its own range of the index space, so its own mask. HID is a multiple of 8,
         * so the per-sample masks concatenate into the batch's mask. */
        int rc = simdrop_forward_f32(d + s * HID, regen ? NULL : mask + s * HID / 8, a + s * HID,
                                     HID, p, seed, offset + (uint64_t)s * HID);
        if (rc)
            die("forward", rc);
        float o = 0.0f;
        for (int j = 0; j < HID; j++)
            o += n->w2[j] * d[s * HID + j];
        out[s] = o + n->b2[0];
        const float e = out[s] - y[s];
        loss += e * e;
    }
    loss /= (float)B;

    float dout[MAXB], dd[MAXB * HID] = {0}, da[MAXB * HID];
    memset(g, 0, sizeof *g);
    for (int s = 0; s < B; s++) {
        dout[s] = 2.0f * (out[s] - y[s]) / (float)B;
        g->b2[0] += dout[s];
        for (int j = 0; j < HID; j++) {
            g->w2[j] += dout[s] * d[s * HID + j];
            dd[s * HID + j] = dout[s] * n->w2[j];
        }
    }
    /* Dropout backward for the whole batch in one call: from the mask, or regenerated. */
    int rc = regen ? simdrop_backward_regen_f32(da, dd, (size_t)B * HID, p, seed, offset)
                   : simdrop_backward_f32(da, dd, mask, (size_t)B * HID, p);
    if (rc)
        die("backward", rc);
    for (int s = 0; s < B; s++) {
        for (int j = 0; j < HID; j++) {
            const float dh = h[s * HID + j] > 0.0f ? da[s * HID + j] : 0.0f;
            g->b1[j] += dh;
            for (int i = 0; i < IN; i++)
                g->w1[j * IN + i] += dh * x[s * IN + i];
        }
    }

    /* SGD with momentum over every parameter, laid out as one float array. */
    float *pw = (float *)n, *pg = (float *)g, *pb = (float *)&opt->buf;
    const size_t count = sizeof(struct net) / sizeof(float);
    for (size_t k = 0; k < count; k++) {
        pb[k] = opt->started ? opt->momentum * pb[k] + pg[k] : pg[k];
        pw[k] = pw[k] - opt->lr * pb[k];
    }
    opt->started = 1;
    return loss;
}

/* splitmix64: deterministic data and initial weights without libc's rand(). */
static uint64_t rng_state = 42;
static double uniform(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static void init(struct net *n)  /* torch.nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
{
    for (int k = 0; k < HID * IN; k++)
        n->w1[k] = (float)((2 * uniform() - 1) / sqrt(IN));
    for (int k = 0; k < HID; k++)
        n->b1[k] = (float)((2 * uniform() - 1) / sqrt(IN));
    for (int k = 0; k < HID; k++)
        n->w2[k] = (float)((2 * uniform() - 1) / sqrt(HID));
    n->b2[0] = (float)((2 * uniform() - 1) / sqrt(HID));
}

static float eval_loss(const struct net *n, const float *x, const float *y, int count)
{
    double total = 0;
    for (int s = 0; s < count; s++) {
        float o = n->b2[0];
        for (int j = 0; j < HID; j++) {
            float acc = 0.0f;
            for (int i = 0; i < IN; i++)
                acc += n->w1[j * IN + i] * x[s * IN + i];
            acc += n->b1[j];
            o += n->w2[j] * (acc > 0.0f ? acc : 0.0f);  /* eval: dropout is the identity */
        }
        total += (double)(o - y[s]) * (o - y[s]);
    }
    return (float)(total / count);
}

static int train(int steps, double p, uint64_t seed, int regen)
{
    enum { N = 256, B = 16 };
    static float x[N * IN], y[N];
    for (int s = 0; s < N; s++) {  /* y = sin(x0 + 2 x1) + 0.5 x2 x3 - 0.3 x9: a smooth target */
        for (int i = 0; i < IN; i++)
            x[s * IN + i] = (float)(2 * uniform() - 1);
        const float *v = x + s * IN;
        y[s] = sinf(v[0] + 2 * v[1]) + 0.5f * v[2] * v[3] - 0.3f * v[9];
    }
    struct net n, g;
    struct sgd opt = {.lr = 0.03f, .momentum = 0.9f};
    init(&n);
    printf("mlp: 10-40-1, ReLU, dropout p = %g (%s), MSE, SGD lr 0.03 momentum 0.9, batch %d, "
           "seed %" PRIu64 ", simdrop %s on %s\n", p,
           regen ? "mask regenerated in backward" : "1-bit mask saved", B, seed,
           simdrop_version(), simdrop_isa());
    printf("step  train-loss  eval-loss\n");
    printf("%4d  %10s  %9.5f\n", 0, "-", eval_loss(&n, x, y, N));
    uint64_t offset = 0;
    float sum = 0.0f;
    int since = 0; /* steps in sum: a tenth of the run, or the last ones up to `steps` */
    const int every = steps / 10 ? steps / 10 : 1;
    for (int t = 1; t <= steps; t++) {
        const int first = ((t - 1) * B) % N;
        sum += step(&n, &opt, &g, x + first * IN, y + first, B, p, seed, offset, regen);
        since++;
        offset += (uint64_t)B * HID;  /* the next step's activations: the next range of indices */
        if (t % every == 0 || t == steps) {
            printf("%4d  %10.5f  %9.5f\n", t, sum / (float)since, eval_loss(&n, x, y, N));
            sum = 0.0f;
            since = 0;
        }
    }
    return 0;
}

static void print_array(const char *name, const float *v, int count)
{
    printf("%s", name);
    for (int k = 0; k < count; k++)
        printf(" %.9g", v[k]);
    putchar('\n');
}

static int step_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    int B, steps;
    double p, lr, momentum;
    uint64_t seed, offset;
    static float x[MAXB * IN], y[MAXB];
    struct net n, g;
    int ok = fscanf(f, "%d %d %lf %" SCNu64 " %" SCNu64 " %lf %lf", &B, &steps, &p, &seed, &offset,
                    &lr, &momentum) == 7 && B > 0 && B <= MAXB && steps > 0;
    for (int k = 0; ok && k < B * IN; k++)
        ok = fscanf(f, "%f", &x[k]) == 1;
    for (int k = 0; ok && k < B; k++)
        ok = fscanf(f, "%f", &y[k]) == 1;
    float *pw = (float *)&n;
    for (size_t k = 0; ok && k < sizeof n / sizeof(float); k++)
        ok = fscanf(f, "%f", &pw[k]) == 1;
    fclose(f);
    if (!ok) {
        fprintf(stderr, "mlp: %s: malformed (see the usage in mlp.c)\n", path);
        return 1;
    }
    struct net g_regen, n_regen = n;
    struct sgd opt = {.lr = (float)lr, .momentum = (float)momentum}, opt_regen = opt;
    printf("losses");
    for (int t = 0; t < steps; t++) {
        const uint64_t off = offset + (uint64_t)t * B * HID;
        printf(" %.9g", step(&n, &opt, &g, x, y, B, p, seed, off, 0));
        step(&n_regen, &opt_regen, &g_regen, x, y, B, p, seed, off, 1);
    }
    putchar('\n');
    print_array("grad_w1", g.w1, HID * IN);
    print_array("grad_b1", g.b1, HID);
    print_array("grad_w2", g.w2, HID);
    print_array("grad_b2", g.b2, 1);
    print_array("w1", n.w1, HID * IN);
    print_array("b1", n.b1, HID);
    print_array("w2", n.w2, HID);
    print_array("b2", n.b2, 1);
    printf("regen_equal %d\n", !memcmp(&n, &n_regen, sizeof n) && !memcmp(&g, &g_regen, sizeof g));
    return 0;
}

int main(int argc, char **argv)
{
    int steps = 300, regen = 0;
    double p = 0.5;
    uint64_t seed = 7;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--step") && i + 1 < argc)
            return step_file(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--p") && i + 1 < argc)
            p = atof(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--regen"))
            regen = 1;
        else {
            fprintf(stderr, "usage: mlp [--steps N] [--p P] [--seed S] [--regen] | mlp --step FILE\n");
            return 2;
        }
    }
    if (steps < 1) {
        fprintf(stderr, "mlp: --steps must be >= 1\n");
        return 2;
    }
    return train(steps, p, seed, regen);
}
