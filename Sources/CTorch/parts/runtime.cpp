// Version checks, threads, CPU features, CUDA discovery and global seeding.
#include "shim.hpp"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/cpu/Utils.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <cpuid.h>
#include <climits>
#include <dlfcn.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace ctorch;

extern "C" {

const char *ct_built_for_version(void) { return CTORCH_BUILT_FOR_TORCH; }

int ct_runtime_version(char *buf, size_t cap) {
  int rc = 0;
  int status = guarded([&] {
    // show_config() is answered by the loaded libtorch_cpu, so it reports the library, not our headers.
    std::string config = at::show_config();
    const std::string key = "TORCH_VERSION=";
    auto pos = config.find(key);
    TORCH_CHECK(pos != std::string::npos, "the loaded libtorch does not report TORCH_VERSION");
    auto end = config.find_first_of(", \n", pos + key.size());
    rc = copy_string(config.substr(pos + key.size(), end - pos - key.size()), buf, cap);
  });
  return status == 0 ? rc : -1;
}

int ct_show_config(char *buf, size_t cap) {
  int rc = 0;
  int status = guarded([&] { rc = copy_string(at::show_config(), buf, cap); });
  return status == 0 ? rc : -1;
}

int ct_compiled_cxx11_abi(void) { return _GLIBCXX_USE_CXX11_ABI; }

int ct_load_cuda(void) {
  std::string path = std::string(CTORCH_TORCH_LIB_DIR) + "/libtorch_cuda.so";
  if (access(path.c_str(), F_OK) != 0) return 0;
  // Loading it registers the CUDA kernels and hooks with the dispatcher.
  if (dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
    const char *why = dlerror();
    set_error(why ? why : "dlopen of libtorch_cuda.so failed");
    return -1;
  }
  return 1;
}

void ct_set_num_threads(int n) {
  if (n > 0) at::set_num_threads(n);
}

int ct_keep_freed_memory(void) {
#if defined(__GLIBC__)
  // glibc serves blocks above its mmap threshold (at most 32 MiB) with a fresh mmap and unmaps them on free, so
  // each large activation costs a page fault per 4 KiB; keeping them in the heap lets the next tensor reuse them.
  if (mallopt(M_MMAP_MAX, 0) != 1 || mallopt(M_TRIM_THRESHOLD, INT_MAX) != 1) return -1;
#endif
  return 0;
}

int ct_get_num_threads(void) { return at::get_num_threads(); }

int ct_cpu_capability(char *buf, size_t cap) {
  int rc = 0;
  int status = guarded([&] {
    auto config = at::show_config();
    const std::string key = "CPU capability usage: ";
    auto pos = config.find(key);
    std::string value = "unknown";
    if (pos != std::string::npos) {
      auto end = config.find('\n', pos);
      value = config.substr(pos + key.size(), end - pos - key.size());
    }
    rc = copy_string(value, buf, cap);
  });
  return status == 0 ? rc : -1;
}

int ct_cpu_has(const char *feature) {
  // Leaf 7 sub-leaf 0: EBX and EDX carry the AVX-512 and AMX bits; sub-leaf 1 EAX carries AVX512_BF16.
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  std::string f = feature ? feature : "";
  if (f == "avx512f") return (b >> 16) & 1;
  if (f == "avx512bw") return (b >> 30) & 1;
  if (f == "avx512vl") return (b >> 31) & 1;
  if (f == "avx512_vnni") return (c >> 11) & 1;
  if (f == "amx_bf16") return (d >> 22) & 1;
  if (f == "amx_tile") return (d >> 24) & 1;
  if (f == "amx_int8") return (d >> 25) & 1;
  if (f == "avx512_bf16") {
    unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
    if (!__get_cpuid_count(7, 1, &a1, &b1, &c1, &d1)) return 0;
    return (a1 >> 5) & 1;
  }
  return 0;
}

int ct_cuda_device_count(void) {
  int n = 0;
  guarded([&] {
    const auto &hooks = at::detail::getCUDAHooks();
    n = hooks.hasCUDA() ? static_cast<int>(hooks.deviceCount()) : 0;
  });
  return n;
}

int ct_cuda_device_name(int index, char *buf, size_t cap) {
  // The driver API answers this without CUDA runtime headers: cuInit, cuDeviceGet, cuDeviceGetName.
  void *driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (driver == nullptr) {
    set_error("libcuda.so.1 is not available");
    return -1;
  }
  using init_fn = int (*)(unsigned);
  using get_fn = int (*)(int *, int);
  using name_fn = int (*)(char *, int, int);
  auto init = reinterpret_cast<init_fn>(dlsym(driver, "cuInit"));
  auto get = reinterpret_cast<get_fn>(dlsym(driver, "cuDeviceGet"));
  auto name = reinterpret_cast<name_fn>(dlsym(driver, "cuDeviceGetName"));
  int dev = 0;
  if (!init || !get || !name || init(0) != 0 || get(&dev, index) != 0 || cap == 0 ||
      name(buf, static_cast<int>(cap), dev) != 0) {
    set_error("the CUDA driver could not name device " + std::to_string(index));
    return -1;
  }
  return 0;
}

void ct_manual_seed(uint64_t seed) {
  guarded([&] { at::manual_seed(seed); });
}

}  // extern "C"
