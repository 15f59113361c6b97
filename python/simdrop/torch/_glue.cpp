// _glue.cpp: simdrop.torch's element and channel dropout of contiguous and channels-last tensors below the huge-page size in one call from Python into C++.
//
// Below a few hundred elements the time of a dropout is its glue, not its kernel: through
// Python and ctypes a forward is four calls into torch or the library (draw a seed, allocate,
// run the kernel, and a product or an autograd.Function), each with its own argument conversion,
// and nn.Dropout's forward + backward on 1 element ran 10% faster than simdrop's (1.3 us of
// 13 on the Intel Xeon VM). Here the whole forward is one call, the backward a C++ autograd node
// that calls the kernel, and neither leaves C++. The glue's cost does not end at a few hundred
// elements: under PyTorch 2.6 and Python 3.13 the Python route's autograd.Function took 27.6 us
// for 1024 float32 elements, forward + backward, where nn.Dropout took 27.0; so every size up to
// the one whose buffers get huge pages advised (the Python route's business) comes here, in
// the layouts convolution engines hand it: contiguous, channels_last and channels_last_3d (the
// Python route's plan() and strides cost channels-last calls 0.55x to 0.9x nn.Dropout2d's time).
//
// The results are those of the Python route bit for bit (python/tests/test_torch.py compares
// them): the same seed, drawn as _ops.draw_seed draws it from torch's default generator (one
// random_ over the 64-bit range), the same kernels (bound by address from the library that
// simdrop._lib loaded, so that a path forced through simdrop applies here too), and the same
// choice of mask: a call of more than _ops.REGEN_MAX elements that autograd records keeps the
// 1-bit mask, unless save_mask is false, and a smaller one none (the backward regenerates it).
// dropout() returns None for every call it does not take, and functional.dropout goes on in
// Python: it takes only what it can do exactly as the Python route does.
#include <Python.h>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/VariableTypeUtils.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <torch/csrc/autograd/python_cpp_function.h>
#include <torch/csrc/autograd/python_variable.h>
#include <torch/version.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

namespace {

// simdrop_forward_<t>, simdrop_backward_<t>, simdrop_backward_regen_<t> and their _groups_
// forms (include/simdrop.h), pointers as void *.
using forward_fn = int (*)(void *y, void *mask, const void *x, size_t n, double p, uint64_t seed,
                           uint64_t offset);
using backward_fn = int (*)(void *dx, const void *dy, const void *mask, size_t n, double p);
using regen_fn = int (*)(void *dx, const void *dy, size_t n, double p, uint64_t seed,
                         uint64_t offset);
using groups_forward_fn = int (*)(void *y, void *mask, const void *x, size_t groups,
                                  size_t group_len, double p, uint64_t seed, uint64_t offset);
using groups_backward_fn = int (*)(void *dx, const void *dy, const void *mask, size_t groups,
                                   size_t group_len, double p);
using groups_regen_fn = int (*)(void *dx, const void *dy, size_t groups, size_t group_len, double p,
                                uint64_t seed, uint64_t offset);
using nhwc_forward_fn = int (*)(void *y, void *mask, const void *x, size_t samples, size_t spatial,
                                size_t channels, double p, uint64_t seed, uint64_t offset);
using nhwc_backward_fn = int (*)(void *dx, const void *dy, const void *mask, size_t samples,
                                 size_t spatial, size_t channels, double p);
using nhwc_regen_fn = int (*)(void *dx, const void *dy, size_t samples, size_t spatial,
                              size_t channels, double p, uint64_t seed, uint64_t offset);

struct Kernels {
    forward_fn forward = nullptr;
    backward_fn backward = nullptr;
    regen_fn regen = nullptr;
    groups_forward_fn groups_forward = nullptr;
    groups_backward_fn groups_backward = nullptr;
    groups_regen_fn groups_regen = nullptr;
    nhwc_forward_fn nhwc_forward = nullptr;
    nhwc_backward_fn nhwc_backward = nullptr;
    nhwc_regen_fn nhwc_regen = nullptr;
    const char *dtype = nullptr;  // for errors: "f32", ...
};

// One call: what its forward ran and its backward runs again. group_len 0: element dropout;
// else channel dropout, one keep decision per group_len elements of a (sample, channel): those
// consecutive in memory, or with `channels` > 0 interleaved with the other channels
// (channels-last: the NHWC functions). format: the memory layout the kernels ran in, element
// dropout's taken in memory order, as the Python route does. mask: the forward's keep bits (one
// per element or group), which the backward reads; undefined where the backward regenerates them.
struct Call {
    double p;
    uint64_t seed;
    int dtype;
    size_t group_len;
    size_t channels;
    at::MemoryFormat format;
    at::Tensor mask;
};

enum { F32, F64, BF16, F16, DTYPES };
Kernels kernels[DTYPES];
PyTypeObject *tensor_type;  // torch.Tensor: subclasses go the Python way (__torch_function__)
int64_t max_elements;       // the largest call taken (below the huge-page size: _ops.GLUE_MAX)
int64_t regen_max;          // the largest call recorded without a mask (_ops.REGEN_MAX)

int dtype_index(at::ScalarType t) {
    switch (t) {
    case at::kFloat: return F32;
    case at::kDouble: return F64;
    case at::kBFloat16: return BF16;
    case at::kHalf: return F16;
    default: return -1;
    }
}

// _ops.draw_seed(None): one draw of torch's default CPU generator over the full 64-bit range,
// into a 0-d buffer reused by each thread.
uint64_t draw_seed() {
    thread_local at::Tensor buffer = at::empty({}, at::kLong);
    buffer.random_(std::numeric_limits<int64_t>::min(), c10::optional<int64_t>(),
                   c10::optional<at::Generator>());
    return static_cast<uint64_t>(*buffer.data_ptr<int64_t>());
}

// what: the C function's name between "simdrop_" and the dtype ("forward", "forward_groups", ...)
void check(int status, const char *what, const Call &c) {
    TORCH_CHECK(status == 0, "simdrop_", what, "_", kernels[c.dtype].dtype, " failed with status ",
                status);
}

// The GIL let go for a scope (a kernel call of microseconds), taken back on the way out,
// exceptions included: other Python threads run meanwhile, as under the ctypes call of the
// Python route and torch's own operators.
struct GilReleased {
    PyThreadState *state;
    explicit GilReleased(bool release) : state(release ? PyEval_SaveThread() : nullptr) {}
    ~GilReleased() {
        if (state)
            PyEval_RestoreThread(state);
    }
    GilReleased(const GilReleased &) = delete;
    GilReleased &operator=(const GilReleased &) = delete;
};

// The forward of c on n elements (out may be x: in place), its keep bits to c.mask if defined;
// a call above regen_max elements lets the GIL go (below, taking it back costs more than the call).
void run_forward(const Call &c, void *out, const void *x, size_t n) {
    const Kernels &k = kernels[c.dtype];
    GilReleased unlocked(n > static_cast<size_t>(regen_max));
    void *mask = c.mask.defined() ? c.mask.data_ptr() : nullptr;
    const size_t gl = c.group_len, ch = c.channels;
    if (ch)
        check(k.nhwc_forward(out, mask, x, n / (gl * ch), gl, ch, c.p, c.seed, 0), "forward_groups_nhwc", c);
    else
        check(gl ? k.groups_forward(out, mask, x, n / gl, gl, c.p, c.seed, 0)
                 : k.forward(out, mask, x, n, c.p, c.seed, 0),
              gl ? "forward_groups" : "forward", c);
}

at::Tensor dropout_backward(const at::Tensor &grad, const Call &c);

// The backward of a dropout is the same dropout of the gradient (from the mask, or by
// regeneration): linear in the gradient and its own adjoint, so this node is also the backward
// of its own output (create_graph).
struct SimdropDropoutBackward : torch::autograd::Node {
    Call call;

    explicit SimdropDropoutBackward(const Call &c) : call(c) {}

    torch::autograd::variable_list apply(torch::autograd::variable_list &&grads) override {
        if (!grads[0].defined() || !should_compute_output(0))
            return {at::Tensor()};
        return {dropout_backward(grads[0], call)};
    }
    std::string name() const override { return "SimdropDropoutBackward"; }
};

// out gets `input`'s autograd history through a new SimdropDropoutBackward, where grad mode is
// on and input requires grad.
void record(at::Tensor &out, const at::Tensor &input, const Call &c) {
    if (!at::GradMode::is_enabled() || !input.requires_grad())
        return;
    auto node = std::make_shared<SimdropDropoutBackward>(c);
    node->set_next_edges(torch::autograd::collect_next_edges(input));
    torch::autograd::set_history(out, node);
}

at::Tensor dropout_backward(const at::Tensor &grad, const Call &c) {
    const Kernels &k = kernels[c.dtype];
    at::Tensor g = grad.contiguous(c.format);  // (the layout the forward ran in)
    if (reinterpret_cast<uintptr_t>(g.data_ptr()) & (g.element_size() - 1))
        g = g.clone();  // (memory of an odd address, torch.frombuffer's: the kernels need alignment)
    at::Tensor dx = at::empty_like(g);
    const size_t n = static_cast<size_t>(g.numel()), gl = c.group_len, ch = c.channels;
    void *d = dx.data_ptr(), *dy = g.data_ptr();
    int status;
    if (ch) {
        status = c.mask.defined() ? k.nhwc_backward(d, dy, c.mask.data_ptr(), n / (gl * ch), gl, ch, c.p)
                                  : k.nhwc_regen(d, dy, n / (gl * ch), gl, ch, c.p, c.seed, 0);
        check(status, c.mask.defined() ? "backward_groups_nhwc" : "backward_groups_nhwc_regen", c);
    } else if (c.mask.defined()) {
        const void *m = c.mask.data_ptr();
        status = gl ? k.groups_backward(d, dy, m, n / gl, gl, c.p) : k.backward(d, dy, m, n, c.p);
        check(status, gl ? "backward_groups" : "backward", c);
    } else {
        status = gl ? k.groups_regen(d, dy, n / gl, gl, c.p, c.seed, 0) : k.regen(d, dy, n, c.p, c.seed, 0);
        check(status, gl ? "backward_groups_regen" : "backward_regen", c);
    }
    record(dx, grad, c);
    return dx;
}

PyObject *bind(PyObject *, PyObject *const *args, Py_ssize_t nargs) {
    // bind(torch.Tensor, max_elements, regen_max, (forward, backward, regen, groups forward,
    // groups backward, groups regen, their nhwc forms) addresses for f32, f64, bf16, f16)
    static const char *names[DTYPES] = {"f32", "f64", "bf16", "f16"};
    constexpr int per_dtype = 9;
    if (nargs != 3 + per_dtype * DTYPES || !PyType_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "bind(torch.Tensor, max_elements, regen_max, 36 function addresses)");
        return nullptr;
    }
    tensor_type = reinterpret_cast<PyTypeObject *>(args[0]);
    max_elements = PyLong_AsLongLong(args[1]);
    regen_max = PyLong_AsLongLong(args[2]);
    for (int d = 0; d < DTYPES; d++) {
        PyObject *const *a = args + 3 + per_dtype * d;
        kernels[d].forward = reinterpret_cast<forward_fn>(PyLong_AsVoidPtr(a[0]));
        kernels[d].backward = reinterpret_cast<backward_fn>(PyLong_AsVoidPtr(a[1]));
        kernels[d].regen = reinterpret_cast<regen_fn>(PyLong_AsVoidPtr(a[2]));
        kernels[d].groups_forward = reinterpret_cast<groups_forward_fn>(PyLong_AsVoidPtr(a[3]));
        kernels[d].groups_backward = reinterpret_cast<groups_backward_fn>(PyLong_AsVoidPtr(a[4]));
        kernels[d].groups_regen = reinterpret_cast<groups_regen_fn>(PyLong_AsVoidPtr(a[5]));
        kernels[d].nhwc_forward = reinterpret_cast<nhwc_forward_fn>(PyLong_AsVoidPtr(a[6]));
        kernels[d].nhwc_backward = reinterpret_cast<nhwc_backward_fn>(PyLong_AsVoidPtr(a[7]));
        kernels[d].nhwc_regen = reinterpret_cast<nhwc_regen_fn>(PyLong_AsVoidPtr(a[8]));
        kernels[d].dtype = names[d];
    }
    if (PyErr_Occurred())
        return nullptr;
    for (const Kernels &k : kernels)
        if (!k.forward || !k.backward || !k.regen || !k.groups_forward || !k.groups_backward ||
            !k.groups_regen || !k.nhwc_forward || !k.nhwc_backward || !k.nhwc_regen) {
            PyErr_SetString(PyExc_ValueError, "bind: a function address is 0");
            return nullptr;
        }
    Py_RETURN_NONE;
}

// The layout of x's memory among those this route takes: contiguous, or a 4-D or 5-D tensor
// dense in channels_last or channels_last_3d order (what Tensor.is_contiguous(memory_format)
// says); false for any other.
bool layout_taken(const at::Tensor &x, at::MemoryFormat *format) {
    *format = at::MemoryFormat::Contiguous;
    if (x.is_contiguous())
        return true;
    *format = x.dim() == 4 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::ChannelsLast3d;
    return (x.dim() == 4 || x.dim() == 5) && x.is_contiguous(*format);
}

// dropout(x, p, inplace, group_len, save_mask) -> Tensor or None: functional.dropout (group_len
// 0) or dropout1d/2d/3d (group_len: the elements of one (sample, channel)) after their checks of
// p and training, without a generator, site or block. Taken: an exact torch.Tensor on the CPU,
// contiguous or channels-last (layout_taken; channel dropout then of a batched input, one group
// per (sample, channel)), of a simdrop dtype, 1 to max_elements elements, no lazy negation or
// conjugation, no forward-mode gradient; in place, not a view, an inference tensor or a leaf
// that autograd would refuse (the Python route raises PyTorch's errors for those). In place
// under autograd is what PyTorch's generated code does for its own in-place ops: the node takes
// x's old history as its input, then becomes x's history.
PyObject *dropout(PyObject *, PyObject *const *args, Py_ssize_t nargs) {
    HANDLE_TH_ERRORS
    if (nargs != 5 || Py_TYPE(args[0]) != tensor_type || !PyFloat_Check(args[1]) ||
        !PyLong_Check(args[3])) {
        Py_RETURN_NONE;
    }
    const at::Tensor &x = THPVariable_Unpack(args[0]);
    const bool inplace = args[2] == Py_True;
    const int64_t n = x.numel(), group_len = PyLong_AsLongLong(args[3]);
    Call c = {PyFloat_AS_DOUBLE(args[1]), 0, dtype_index(x.scalar_type()),
              static_cast<size_t>(group_len), 0, at::MemoryFormat::Contiguous, at::Tensor()};
    if (c.dtype < 0 || n < 1 || n > max_elements || group_len < 0 ||
        (group_len && n % group_len) || !x.is_cpu() || x.layout() != at::kStrided ||
        !layout_taken(x, &c.format) || x.is_neg() || x.is_conj() || x._fw_grad(0).defined() ||
        (reinterpret_cast<uintptr_t>(x.data_ptr()) & (x.element_size() - 1))) {
        PyErr_Clear();  // (a group_len beyond long long: not a call this takes)
        Py_RETURN_NONE;
    }
    if (group_len && c.format != at::MemoryFormat::Contiguous) {  // NHWC: samples x spatial x channels
        c.channels = static_cast<size_t>(x.size(1));
        if (x.size(0) * x.size(1) * group_len != n)  // (not one group per (sample, channel))
            Py_RETURN_NONE;
    }
    const bool grad = at::GradMode::is_enabled() && x.requires_grad();
    if (inplace && (x.is_inference() || x.is_view() || (grad && x.is_leaf()))) {
        Py_RETURN_NONE;
    }
    const int save_mask = PyObject_IsTrue(args[4]);
    if (save_mask < 0)
        return nullptr;
    c.seed = draw_seed();
    if (grad && n > regen_max && save_mask)  // (as _run's Spec.want_mask)
        c.mask = at::empty({((group_len ? n / group_len : n) + 7) / 8}, at::kByte);
    if (inplace) {
        std::shared_ptr<SimdropDropoutBackward> node;
        if (grad) {
            node = std::make_shared<SimdropDropoutBackward>(c);
            node->set_next_edges(torch::autograd::collect_next_edges(x));
        }
        run_forward(c, x.data_ptr(), x.data_ptr(), static_cast<size_t>(n));
        torch::autograd::increment_version(x);  // as every in-place op of PyTorch does
        if (node) {
            at::Tensor written = x;
            torch::autograd::rebase_history(written, node);
        }
        Py_INCREF(args[0]);
        return args[0];
    }
    at::Tensor y = at::empty_like(x);  // (x's strides, as the Python route's empty_like)
    run_forward(c, y.data_ptr(), x.data_ptr(), static_cast<size_t>(n));
    record(y, x, c);
    return THPVariable_Wrap(std::move(y));
    END_HANDLE_TH_ERRORS
}

// saved_mask(grad_fn) -> Tensor or None: the keep bits a SimdropDropoutBackward node holds for
// its backward, None where it regenerates them (for the tests: what a call keeps).
PyObject *saved_mask(PyObject *, PyObject *fn) {
    HANDLE_TH_ERRORS
    // A node of a type torch has no Python class for is wrapped as a "CppFunction", a
    // THPCppFunction (which THPCppFunction_Check does not accept in torch 1.13)
    std::shared_ptr<SimdropDropoutBackward> node;
    if (std::strcmp(Py_TYPE(fn)->tp_name, "CppFunction") == 0)
        node = std::dynamic_pointer_cast<SimdropDropoutBackward>(
            reinterpret_cast<torch::autograd::THPCppFunction *>(fn)->cdata);
    if (!node) {
        PyErr_SetString(PyExc_TypeError, "saved_mask: not a SimdropDropoutBackward node");
        return nullptr;
    }
    if (!node->call.mask.defined())
        Py_RETURN_NONE;
    return THPVariable_Wrap(node->call.mask);
    END_HANDLE_TH_ERRORS
}

PyObject *torch_version(PyObject *, PyObject *) {
    // The torch this module was compiled against: _ops.py uses it only with that torch.
    return PyUnicode_FromFormat("%d.%d", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR);
}

PyMethodDef methods[] = {
    {"bind", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(bind)), METH_FASTCALL,
     "bind(torch.Tensor, max_elements, *addresses): the library's kernels, once"},
    {"dropout", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(dropout)),
     METH_FASTCALL, "dropout(x, p, inplace, group_len, save_mask): the result, or None where the Python route runs it"},
    {"saved_mask", saved_mask, METH_O, "saved_mask(grad_fn): the mask a SimdropDropoutBackward keeps, or None"},
    {"torch_version", torch_version, METH_NOARGS, "the torch version compiled against, 'MAJOR.MINOR'"},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef module = {PyModuleDef_HEAD_INIT, "_glue", "simdrop.torch's C++ route for dropout calls below the huge-page size",
                      -1, methods, nullptr, nullptr, nullptr, nullptr};

}  // namespace

PyMODINIT_FUNC PyInit__glue(void) { return PyModule_Create(&module); }
