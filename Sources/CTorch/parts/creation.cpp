// Tensor factories and seedable random generators.
#include "shim.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>

using namespace ctorch;

namespace {
c10::optional<at::Generator> gen(ct_generator g) {
  if (g == nullptr) return c10::nullopt;
  return g->generator;
}
}  // namespace

extern "C" {

int ct_generator_new(uint64_t seed, ct_generator *out) {
  return guarded([&] {
    TORCH_CHECK(out != nullptr, "null output pointer");
    *out = new ct_generator_s{at::make_generator<at::CPUGeneratorImpl>(seed)};
  });
}

void ct_generator_free(ct_generator g) { delete g; }

int ct_generator_set_seed(ct_generator g, uint64_t seed) {
  return guarded([&] {
    TORCH_CHECK(g != nullptr, "null generator handle");
    std::lock_guard<std::mutex> lock(g->generator.mutex());
    g->generator.set_current_seed(seed);
  });
}

int ct_generator_get_state(ct_generator g, ct_tensor *out) {
  return guarded([&] {
    TORCH_CHECK(g != nullptr, "null generator handle");
    TORCH_CHECK(out != nullptr, "null output pointer");
    std::lock_guard<std::mutex> lock(g->generator.mutex());
    set_out(out, g->generator.get_state());
  });
}

int ct_generator_set_state(ct_generator g, ct_tensor state) {
  return guarded([&] {
    TORCH_CHECK(g != nullptr, "null generator handle");
    const at::Tensor &new_state = ref(state);
    std::lock_guard<std::mutex> lock(g->generator.mutex());
    g->generator.set_state(new_state);
  });
}

int ct_zeros(const int64_t *shape, size_t ndim, int dtype, int dev, int dev_index, ct_tensor *out) {
  return guarded([&] { set_out(out, at::zeros(ints(shape, ndim), options(dtype, dev, dev_index))); });
}

int ct_ones(const int64_t *shape, size_t ndim, int dtype, int dev, int dev_index, ct_tensor *out) {
  return guarded([&] { set_out(out, at::ones(ints(shape, ndim), options(dtype, dev, dev_index))); });
}

int ct_full(const int64_t *shape, size_t ndim, double value, int dtype, int dev, int dev_index, ct_tensor *out) {
  return guarded([&] { set_out(out, at::full(ints(shape, ndim), value, options(dtype, dev, dev_index))); });
}

int ct_empty(const int64_t *shape, size_t ndim, int dtype, int dev, int dev_index, ct_tensor *out) {
  return guarded([&] { set_out(out, at::empty(ints(shape, ndim), options(dtype, dev, dev_index))); });
}

int ct_eye(int64_t n, int dtype, int dev, int dev_index, ct_tensor *out) {
  return guarded([&] { set_out(out, at::eye(n, options(dtype, dev, dev_index))); });
}

int ct_arange(double start, double end, double step, int dtype, int dev, int dev_index, ct_tensor *out) {
  return guarded([&] { set_out(out, at::arange(start, end, step, options(dtype, dev, dev_index))); });
}

int ct_linspace(double start, double end, int64_t steps, int dtype, int dev, int dev_index, ct_tensor *out) {
  return guarded([&] { set_out(out, at::linspace(start, end, steps, options(dtype, dev, dev_index))); });
}

// Random numbers are drawn on the CPU generator and moved, so one seed gives the same values on every device.
int ct_randn(const int64_t *shape, size_t ndim, int dtype, int dev, int dev_index, ct_generator g, ct_tensor *out) {
  return guarded([&] {
    auto t = at::randn(ints(shape, ndim), gen(g), options(dtype, CT_CPU, 0));
    set_out(out, t.to(device(dev, dev_index)));
  });
}

int ct_rand(const int64_t *shape, size_t ndim, int dtype, int dev, int dev_index, ct_generator g, ct_tensor *out) {
  return guarded([&] {
    auto t = at::rand(ints(shape, ndim), gen(g), options(dtype, CT_CPU, 0));
    set_out(out, t.to(device(dev, dev_index)));
  });
}

int ct_randint(int64_t low, int64_t high, const int64_t *shape, size_t ndim, int dtype, int dev, int dev_index,
               ct_generator g, ct_tensor *out) {
  return guarded([&] {
    auto t = at::randint(low, high, ints(shape, ndim), gen(g), options(dtype, CT_CPU, 0));
    set_out(out, t.to(device(dev, dev_index)));
  });
}

int ct_randperm(int64_t n, int dev, int dev_index, ct_generator g, ct_tensor *out) {
  return guarded([&] {
    auto t = at::randperm(n, gen(g), options(CT_INT64, CT_CPU, 0));
    set_out(out, t.to(device(dev, dev_index)));
  });
}

int ct_normal_(ct_tensor t, double mean, double std, ct_generator g) {
  return guarded([&] {
    auto &x = ref(t);
    if (x.is_cpu()) {
      x.normal_(mean, std, gen(g));
    } else {
      c10::NoGradGuard no_grad;
      x.copy_(at::empty(x.sizes(), x.options().device(at::kCPU)).normal_(mean, std, gen(g)));
    }
  });
}

int ct_uniform_(ct_tensor t, double from, double to, ct_generator g) {
  return guarded([&] {
    auto &x = ref(t);
    if (x.is_cpu()) {
      x.uniform_(from, to, gen(g));
    } else {
      c10::NoGradGuard no_grad;
      x.copy_(at::empty(x.sizes(), x.options().device(at::kCPU)).uniform_(from, to, gen(g)));
    }
  });
}

int ct_bernoulli(ct_tensor probs, ct_generator g, ct_tensor *out) {
  return guarded([&] {
    auto p = ref(probs);
    set_out(out, at::bernoulli(p.to(at::kCPU), gen(g)).to(p.device()));
  });
}

}  // extern "C"
