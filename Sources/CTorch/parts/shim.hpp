// Internal to the shim: handle layout, the exception guard, and conversions between C codes and ATen types.
#pragma once

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "ctorch.h"

struct ct_tensor_s {
  at::Tensor tensor;
};
struct ct_generator_s {
  at::Generator generator;
};

namespace ctorch {

void set_error(const std::string &message);

/// Runs `body`, turning every C++ exception into -1 plus a thread-local message; 0 on success.
template <class F>
int guarded(F &&body) noexcept {
  try {
    body();
    return 0;
  } catch (const c10::Error &e) {
    set_error(e.what_without_backtrace());
  } catch (const std::exception &e) {
    set_error(e.what());
  } catch (...) {
    set_error("unknown C++ exception in libtorch");
  }
  return -1;
}

inline ct_tensor wrap(at::Tensor t) { return new ct_tensor_s{std::move(t)}; }

/// The tensor behind a handle; a null handle is an error, never a crash.
inline const at::Tensor &ref(ct_tensor t) {
  TORCH_CHECK(t != nullptr, "null tensor handle");
  return t->tensor;
}
inline c10::optional<at::Tensor> opt(ct_tensor t) {
  if (t == nullptr) return c10::nullopt;
  return t->tensor;
}
inline at::IntArrayRef ints(const int64_t *p, size_t n) {
  TORCH_CHECK(p != nullptr || n == 0, "null shape pointer");
  return at::IntArrayRef(p, n);
}
inline std::vector<at::Tensor> tensors(const ct_tensor *ts, size_t n) {
  TORCH_CHECK(ts != nullptr || n == 0, "null tensor list");
  std::vector<at::Tensor> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) v.push_back(ref(ts[i]));
  return v;
}
inline void set_out(ct_tensor *out, at::Tensor t) {
  TORCH_CHECK(out != nullptr, "null output pointer");
  *out = wrap(std::move(t));
}
void set_list(const std::vector<at::Tensor> &v, ct_tensor **out, size_t *count);

at::ScalarType scalar_type(int code);
int dtype_code(at::ScalarType t);
at::Device device(int type, int index);
at::TensorOptions options(int dtype, int dev, int dev_index);
int copy_string(const std::string &s, char *buf, size_t cap);

}  // namespace ctorch
