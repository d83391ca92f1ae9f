// Autograd: gradients, backward, torch.autograd.grad (higher order), grad mode and inference mode.
#include "shim.hpp"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/variable.h>

struct ct_guard_s {
  c10::InferenceMode mode;
};

using namespace ctorch;

extern "C" {

int ct_requires_grad(ct_tensor t) { return t && t->tensor.requires_grad() ? 1 : 0; }

int ct_set_requires_grad(ct_tensor t, int flag) {
  return guarded([&] { ref(t).requires_grad_(flag != 0); });
}

int ct_is_leaf(ct_tensor t) { return t && t->tensor.is_leaf() ? 1 : 0; }

int ct_retain_grad(ct_tensor t) {
  return guarded([&] { ref(t).retain_grad(); });
}

int ct_grad(ct_tensor t, ct_tensor *out) {
  return guarded([&] {
    TORCH_CHECK(out != nullptr, "null output pointer");
    const auto &g = ref(t).grad();
    *out = g.defined() ? wrap(g) : nullptr;
  });
}

int ct_set_grad(ct_tensor t, ct_tensor grad) {
  return guarded([&] { ref(t).mutable_grad() = grad ? ref(grad) : at::Tensor(); });
}

int ct_backward(ct_tensor t, ct_tensor grad, int retain_graph, int create_graph) {
  return guarded([&] {
    const auto &x = ref(t);
    TORCH_CHECK(x.requires_grad(), "backward: the tensor does not require grad and has no grad_fn");
    c10::optional<bool> retain = retain_graph ? c10::optional<bool>(true) : c10::nullopt;
    x.backward(grad ? ref(grad) : at::Tensor(), retain, create_graph != 0);
  });
}

int ct_autograd_grad(const ct_tensor *outputs, size_t noutputs, const ct_tensor *inputs, size_t ninputs,
                     const ct_tensor *grad_outputs, size_t ngrad_outputs, int retain_graph, int create_graph,
                     int allow_unused, ct_tensor *out) {
  return guarded([&] {
    TORCH_CHECK(out != nullptr, "null output pointer");
    TORCH_CHECK(ngrad_outputs == 0 || ngrad_outputs == noutputs, "gradients: ", ngrad_outputs,
                " grad outputs for ", noutputs, " outputs");
    c10::optional<bool> retain = retain_graph ? c10::optional<bool>(true) : c10::nullopt;
    auto grads = torch::autograd::grad(tensors(outputs, noutputs), tensors(inputs, ninputs),
                                       tensors(grad_outputs, ngrad_outputs), retain, create_graph != 0,
                                       allow_unused != 0);
    for (size_t i = 0; i < ninputs; ++i) out[i] = grads[i].defined() ? wrap(grads[i]) : nullptr;
  });
}

int ct_grad_enabled(void) { return c10::GradMode::is_enabled() ? 1 : 0; }
void ct_set_grad_enabled(int flag) { c10::GradMode::set_enabled(flag != 0); }

int ct_inference_mode_enter(ct_guard *out) {
  return guarded([&] {
    TORCH_CHECK(out != nullptr, "null output pointer");
    *out = new ct_guard_s{};
  });
}

void ct_inference_mode_exit(ct_guard g) { delete g; }

}  // extern "C"
