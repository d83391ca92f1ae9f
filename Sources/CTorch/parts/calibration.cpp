// Calibration for benchmarks: libtorch's own cost of an op with no binding in between, so that the
// per-call overhead of the Swift and Python bindings can be told apart from the work of the op itself.
#include "shim.hpp"

#include <chrono>

using namespace ctorch;

extern "C" {

int ct_time_native_add(int64_t iterations, double *ns_per_op) {
  return guarded([&] {
    TORCH_CHECK(iterations > 0 && ns_per_op != nullptr, "bad calibration arguments");
    auto a = at::ones({1, 1});
    auto b = at::ones({1, 1});
    for (int i = 0; i < 1000; ++i) (void)at::add(a, b);
    auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < iterations; ++i) (void)at::add(a, b);
    std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
    *ns_per_op = elapsed.count() / static_cast<double>(iterations);
  });
}

}  // extern "C"
