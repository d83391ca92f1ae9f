// Errors, conversions, tensor lifecycle and metadata, bytes in and out.
#include "shim.hpp"

#include <sstream>

namespace ctorch {

static thread_local std::string last_error;

void set_error(const std::string &message) { last_error = message; }

at::ScalarType scalar_type(int code) {
  switch (code) {
    case CT_FLOAT32: return at::kFloat;
    case CT_FLOAT64: return at::kDouble;
    case CT_FLOAT16: return at::kHalf;
    case CT_BFLOAT16: return at::kBFloat16;
    case CT_INT64: return at::kLong;
    case CT_INT32: return at::kInt;
    case CT_UINT8: return at::kByte;
    case CT_BOOL: return at::kBool;
    case CT_INT8: return at::kChar;
    case CT_INT16: return at::kShort;
  }
  TORCH_CHECK(false, "unknown dtype code ", code);
}

int dtype_code(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return CT_FLOAT32;
    case at::kDouble: return CT_FLOAT64;
    case at::kHalf: return CT_FLOAT16;
    case at::kBFloat16: return CT_BFLOAT16;
    case at::kLong: return CT_INT64;
    case at::kInt: return CT_INT32;
    case at::kByte: return CT_UINT8;
    case at::kBool: return CT_BOOL;
    case at::kChar: return CT_INT8;
    case at::kShort: return CT_INT16;
    default: break;
  }
  TORCH_CHECK(false, "dtype ", t, " is not supported by StyleGANKit");
}

at::Device device(int type, int index) {
  if (type == CT_CPU) return at::Device(at::kCPU);
  TORCH_CHECK(type == CT_CUDA, "unknown device type code ", type);
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
}

at::TensorOptions options(int dtype, int dev, int dev_index) {
  return at::TensorOptions().dtype(scalar_type(dtype)).device(device(dev, dev_index));
}

int copy_string(const std::string &s, char *buf, size_t cap) {
  if (buf == nullptr || cap < s.size() + 1) return static_cast<int>(s.size()) + 1;
  std::memcpy(buf, s.c_str(), s.size() + 1);
  return 0;
}

void set_list(const std::vector<at::Tensor> &v, ct_tensor **out, size_t *count) {
  TORCH_CHECK(out != nullptr && count != nullptr, "null list output");
  auto *list = static_cast<ct_tensor *>(std::malloc(sizeof(ct_tensor) * (v.empty() ? 1 : v.size())));
  TORCH_CHECK(list != nullptr, "out of memory");
  for (size_t i = 0; i < v.size(); ++i) list[i] = wrap(v[i]);
  *out = list;
  *count = v.size();
}

}  // namespace ctorch

using namespace ctorch;

extern "C" {

const char *ct_last_error(void) { return last_error.c_str(); }

void ct_tensor_free(ct_tensor t) { delete t; }
void ct_list_free(ct_tensor *list) { std::free(list); }

int ct_tensor_shallow_copy(ct_tensor t, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t)); });
}

int64_t ct_dim(ct_tensor t) { return t ? t->tensor.dim() : -1; }
int64_t ct_numel(ct_tensor t) { return t ? t->tensor.numel() : -1; }
int ct_defined(ct_tensor t) { return t && t->tensor.defined() ? 1 : 0; }

int ct_sizes(ct_tensor t, int64_t *out, size_t cap) {
  return guarded([&] {
    auto s = ref(t).sizes();
    TORCH_CHECK(cap >= s.size(), "size buffer too small");
    std::copy(s.begin(), s.end(), out);
  });
}

int ct_strides(ct_tensor t, int64_t *out, size_t cap) {
  return guarded([&] {
    auto s = ref(t).strides();
    TORCH_CHECK(cap >= s.size(), "stride buffer too small");
    std::copy(s.begin(), s.end(), out);
  });
}

int ct_dtype(ct_tensor t) {
  int code = -1;
  guarded([&] { code = dtype_code(ref(t).scalar_type()); });
  return code;
}

int ct_device(ct_tensor t, int *type, int *index) {
  return guarded([&] {
    auto d = ref(t).device();
    TORCH_CHECK(d.is_cpu() || d.is_cuda(), "unsupported device ", d);
    *type = d.is_cpu() ? CT_CPU : CT_CUDA;
    *index = d.is_cpu() ? 0 : d.index();
  });
}

int ct_is_contiguous(ct_tensor t) { return t && t->tensor.is_contiguous() ? 1 : 0; }
int ct_is_channels_last(ct_tensor t) {
  return t && t->tensor.dim() == 4 && t->tensor.is_contiguous(at::MemoryFormat::ChannelsLast) ? 1 : 0;
}

int ct_to_string(ct_tensor t, char *buf, size_t cap) {
  int rc = 0;
  int status = guarded([&] {
    std::ostringstream s;
    s << ref(t);
    rc = copy_string(s.str(), buf, cap);
  });
  return status == 0 ? rc : -1;
}

int ct_from_bytes(const void *data, size_t nbytes, const int64_t *shape, size_t ndim, int dtype, ct_tensor *out) {
  return guarded([&] {
    auto t = at::empty(ints(shape, ndim), options(dtype, CT_CPU, 0));
    TORCH_CHECK(static_cast<size_t>(t.nbytes()) == nbytes, "byte count ", nbytes, " does not match shape ",
                t.sizes(), " of ", t.scalar_type(), " (", t.nbytes(), " bytes)");
    TORCH_CHECK(data != nullptr || nbytes == 0, "null data pointer");
    if (nbytes > 0) std::memcpy(t.data_ptr(), data, nbytes);
    set_out(out, t);
  });
}

int ct_copy_to_bytes(ct_tensor t, void *data, size_t nbytes) {
  return guarded([&] {
    auto c = ref(t).detach().to(at::kCPU).contiguous();
    TORCH_CHECK(static_cast<size_t>(c.nbytes()) == nbytes, "buffer of ", nbytes, " bytes for a tensor of ",
                c.nbytes(), " bytes");
    if (nbytes > 0) std::memcpy(data, c.data_ptr(), nbytes);
  });
}

int ct_item_double(ct_tensor t, double *out) {
  return guarded([&] { *out = ref(t).item<double>(); });
}

int ct_item_int64(ct_tensor t, int64_t *out) {
  return guarded([&] { *out = ref(t).item<int64_t>(); });
}

int ct_scalar_double(double v, int dtype, ct_tensor *out) {
  return guarded([&] { set_out(out, at::scalar_tensor(v, options(dtype, CT_CPU, 0))); });
}

int ct_scalar_int64(int64_t v, int dtype, ct_tensor *out) {
  return guarded([&] { set_out(out, at::scalar_tensor(at::Scalar(v), options(dtype, CT_CPU, 0))); });
}

int ct_to(ct_tensor t, int device_type, int device_index, int dtype, int copy, ct_tensor *out) {
  return guarded([&] {
    set_out(out, ref(t).to(device(device_type, device_index), scalar_type(dtype), false, copy != 0));
  });
}

int ct_contiguous(ct_tensor t, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).contiguous()); });
}

int ct_contiguous_channels_last(ct_tensor t, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).contiguous(at::MemoryFormat::ChannelsLast)); });
}

int ct_clone(ct_tensor t, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).clone()); });
}

int ct_detach(ct_tensor t, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).detach()); });
}

int ct_set_data(ct_tensor t, ct_tensor data) {
  return guarded([&] { ref(t).set_data(ref(data)); });
}

int ct_as_strided(ct_tensor t, const int64_t *size, size_t nsize, const int64_t *stride, size_t nstride,
                  int64_t offset, ct_tensor *out) {
  return guarded([&] {
    TORCH_CHECK(nsize == nstride, "as_strided: ", nsize, " sizes but ", nstride, " strides");
    set_out(out, ref(t).as_strided(ints(size, nsize), ints(stride, nstride), offset));
  });
}

}  // extern "C"
