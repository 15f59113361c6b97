// _glue.cpp: simdrop.torch's element and channel dropout of tiny tensors in one call from Python into C++.
//
// Below a few hundred elements the time of a dropout is its glue, not its kernel: through
// Python and ctypes a forward is four calls into torch or the library (draw a seed, allocate,
// run the kernel, and a product or an autograd.Function), each with its own argument conversion,
// and nn.Dropout's forward + backward on 1 element ran 10% faster than simdrop's (1.3 us of
// 13 on the Intel Xeon VM). Here the whole forward is one call, the backward a C++ autograd node
// that calls the regenerating kernel, and neither leaves C++.
//
// The results are those of the Python route bit for bit (python/tests/test_torch.py compares
// them): the same seed, drawn as _ops.draw_seed draws it from torch's default generator (one
// random_ over the 64-bit range), the same kernels (bound by address from the library that
// simdrop._lib loaded, so that a path forced through simdrop applies here too), no mask kept
// (the Python route keeps none up to _ops.REGEN_MAX elements either: the backward regenerates).
// dropout() returns None for every call it does not take, and functional.dropout goes on in
// Python: it takes only what it can do exactly as the Python route does.
#include <Python.h>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/VariableTypeUtils.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <torch/csrc/autograd/python_variable.h>
#include <torch/version.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

namespace {

// simdrop_forward_<t>, simdrop_backward_regen_<t> and their _groups_ forms (include/simdrop.h),
// pointers as void *.
using forward_fn = int (*)(void *y, void *mask, const void *x, size_t n, double p, uint64_t seed,
                           uint64_t offset);
using regen_fn = int (*)(void *dx, const void *dy, size_t n, double p, uint64_t seed,
                         uint64_t offset);
using groups_forward_fn = int (*)(void *y, void *mask, const void *x, size_t groups,
                                  size_t group_len, double p, uint64_t seed, uint64_t offset);
using groups_regen_fn = int (*)(void *dx, const void *dy, size_t groups, size_t group_len, double p,
                                uint64_t seed, uint64_t offset);

struct Kernels {
    forward_fn forward = nullptr;
    regen_fn regen = nullptr;
    groups_forward_fn groups_forward = nullptr;
    groups_regen_fn groups_regen = nullptr;
    const char *dtype = nullptr;  // for errors: "f32", ...
};

// One call: what its forward ran and its backward runs again. group_len 0: element dropout;
// else channel dropout, one keep decision per group_len consecutive elements.
struct Call {
    double p;
    uint64_t seed;
    int dtype;
    size_t group_len;
};

enum { F32, F64, BF16, F16, DTYPES };
Kernels kernels[DTYPES];
PyTypeObject *tensor_type;  // torch.Tensor: subclasses go the Python way (__torch_function__)
int64_t max_elements;       // the largest call taken (_ops.REGEN_MAX)

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

// The forward of c on n elements (out may be x: in place), keeping no mask.
void run_forward(const Call &c, void *out, const void *x, size_t n) {
    const Kernels &k = kernels[c.dtype];
    check(c.group_len ? k.groups_forward(out, nullptr, x, n / c.group_len, c.group_len, c.p, c.seed, 0)
                      : k.forward(out, nullptr, x, n, c.p, c.seed, 0),
          c.group_len ? "forward_groups" : "forward", c);
}

at::Tensor regen_backward(const at::Tensor &grad, const Call &c);

// The backward of a dropout is the same dropout of the gradient, by regeneration: linear in the
// gradient and its own adjoint, so this node is also the backward of its own output (create_graph).
struct SimdropDropoutBackward : torch::autograd::Node {
    Call call;

    explicit SimdropDropoutBackward(const Call &c) : call(c) {}

    torch::autograd::variable_list apply(torch::autograd::variable_list &&grads) override {
        if (!grads[0].defined() || !should_compute_output(0))
            return {at::Tensor()};
        return {regen_backward(grads[0], call)};
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

at::Tensor regen_backward(const at::Tensor &grad, const Call &c) {
    const Kernels &k = kernels[c.dtype];
    at::Tensor g = grad.contiguous();
    if (reinterpret_cast<uintptr_t>(g.data_ptr()) & (g.element_size() - 1))
        g = g.clone();  // (memory of an odd address, torch.frombuffer's: the kernels need alignment)
    at::Tensor dx = at::empty_like(g);
    const size_t n = static_cast<size_t>(g.numel());
    check(c.group_len ? k.groups_regen(dx.data_ptr(), g.data_ptr(), n / c.group_len, c.group_len, c.p, c.seed, 0)
                      : k.regen(dx.data_ptr(), g.data_ptr(), n, c.p, c.seed, 0),
          c.group_len ? "backward_groups_regen" : "backward_regen", c);
    record(dx, grad, c);
    return dx;
}

PyObject *bind(PyObject *, PyObject *const *args, Py_ssize_t nargs) {
    // bind(torch.Tensor, max_elements, (forward, regen, groups forward, groups regen) addresses
    // for f32, f64, bf16, f16)
    static const char *names[DTYPES] = {"f32", "f64", "bf16", "f16"};
    if (nargs != 2 + 4 * DTYPES || !PyType_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "bind(torch.Tensor, max_elements, 16 function addresses)");
        return nullptr;
    }
    tensor_type = reinterpret_cast<PyTypeObject *>(args[0]);
    max_elements = PyLong_AsLongLong(args[1]);
    for (int d = 0; d < DTYPES; d++) {
        PyObject *const *a = args + 2 + 4 * d;
        kernels[d].forward = reinterpret_cast<forward_fn>(PyLong_AsVoidPtr(a[0]));
        kernels[d].regen = reinterpret_cast<regen_fn>(PyLong_AsVoidPtr(a[1]));
        kernels[d].groups_forward = reinterpret_cast<groups_forward_fn>(PyLong_AsVoidPtr(a[2]));
        kernels[d].groups_regen = reinterpret_cast<groups_regen_fn>(PyLong_AsVoidPtr(a[3]));
        kernels[d].dtype = names[d];
    }
    if (PyErr_Occurred())
        return nullptr;
    for (const Kernels &k : kernels)
        if (!k.forward || !k.regen || !k.groups_forward || !k.groups_regen) {
            PyErr_SetString(PyExc_ValueError, "bind: a function address is 0");
            return nullptr;
        }
    Py_RETURN_NONE;
}

// dropout(x, p, inplace, group_len) -> Tensor or None: functional.dropout (group_len 0) or
// dropout1d/2d/3d (group_len: the elements of one (sample, channel)) after their checks of p and
// training, without a generator, site or block. Taken: an exact torch.Tensor on the CPU, dense
// and contiguous, of a simdrop dtype, 1 to max_elements elements, no lazy negation or
// conjugation, no forward-mode gradient; in place, not a view, an inference tensor or a leaf
// that autograd would refuse (the Python route raises PyTorch's errors for those). In place
// under autograd is what PyTorch's generated code does for its own in-place ops: the node takes
// x's old history as its input, then becomes x's history.
PyObject *dropout(PyObject *, PyObject *const *args, Py_ssize_t nargs) {
    HANDLE_TH_ERRORS
    if (nargs != 4 || Py_TYPE(args[0]) != tensor_type || !PyFloat_Check(args[1]) ||
        !PyLong_Check(args[3])) {
        Py_RETURN_NONE;
    }
    const at::Tensor &x = THPVariable_Unpack(args[0]);
    const bool inplace = args[2] == Py_True;
    const int64_t n = x.numel(), group_len = PyLong_AsLongLong(args[3]);
    Call c = {PyFloat_AS_DOUBLE(args[1]), 0, dtype_index(x.scalar_type()),
              static_cast<size_t>(group_len)};
    if (c.dtype < 0 || n < 1 || n > max_elements || group_len < 0 ||
        (group_len && n % group_len) || !x.is_cpu() || x.layout() != at::kStrided ||
        !x.is_contiguous() || x.is_neg() || x.is_conj() || x._fw_grad(0).defined() ||
        (reinterpret_cast<uintptr_t>(x.data_ptr()) & (x.element_size() - 1))) {
        PyErr_Clear();  // (a group_len beyond long long: not a call this takes)
        Py_RETURN_NONE;
    }
    const bool grad = at::GradMode::is_enabled() && x.requires_grad();
    if (inplace && (x.is_inference() || x.is_view() || (grad && x.is_leaf()))) {
        Py_RETURN_NONE;
    }
    c.seed = draw_seed();
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

PyObject *torch_version(PyObject *, PyObject *) {
    // The torch this module was compiled against: _ops.py uses it only with that torch.
    return PyUnicode_FromFormat("%d.%d", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR);
}

PyMethodDef methods[] = {
    {"bind", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(bind)), METH_FASTCALL,
     "bind(torch.Tensor, max_elements, *addresses): the library's kernels, once"},
    {"dropout", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(dropout)),
     METH_FASTCALL, "dropout(x, p, inplace, group_len): the result, or None where the Python route runs it"},
    {"torch_version", torch_version, METH_NOARGS, "the torch version compiled against, 'MAJOR.MINOR'"},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef module = {PyModuleDef_HEAD_INIT, "_glue", "simdrop.torch's C++ route for tiny dropout calls",
                      -1, methods, nullptr, nullptr, nullptr, nullptr};

}  // namespace

PyMODINIT_FUNC PyInit__glue(void) { return PyModule_Create(&module); }
