// Elementwise arithmetic, comparisons, reductions, sorting and products.
#include "shim.hpp"

using namespace ctorch;

namespace {

at::Tensor binary(int op, const at::Tensor &a, const at::Tensor &b) {
  switch (op) {
    case CT_ADD: return at::add(a, b);
    case CT_SUB: return at::sub(a, b);
    case CT_MUL: return at::mul(a, b);
    case CT_DIV: return at::div(a, b);
    case CT_POW: return at::pow(a, b);
    case CT_MAXIMUM: return at::maximum(a, b);
    case CT_MINIMUM: return at::minimum(a, b);
    case CT_ATAN2: return at::atan2(a, b);
    case CT_REMAINDER: return at::remainder(a, b);
    case CT_EQ: return at::eq(a, b);
    case CT_NE: return at::ne(a, b);
    case CT_LT: return at::lt(a, b);
    case CT_LE: return at::le(a, b);
    case CT_GT: return at::gt(a, b);
    case CT_GE: return at::ge(a, b);
    case CT_LOGICAL_AND: return at::logical_and(a, b);
    case CT_LOGICAL_OR: return at::logical_or(a, b);
  }
  TORCH_CHECK(false, "unknown binary op ", op);
}

at::Tensor binary_scalar(int op, const at::Tensor &a, const at::Scalar &s) {
  switch (op) {
    case CT_ADD: return at::add(a, s);
    case CT_SUB: return at::sub(a, s);
    case CT_MUL: return at::mul(a, s);
    case CT_DIV: return at::div(a, s);
    case CT_POW: return at::pow(a, s);
    case CT_REMAINDER: return at::remainder(a, s);
    case CT_EQ: return at::eq(a, s);
    case CT_NE: return at::ne(a, s);
    case CT_LT: return at::lt(a, s);
    case CT_LE: return at::le(a, s);
    case CT_GT: return at::gt(a, s);
    case CT_GE: return at::ge(a, s);
    case CT_MAXIMUM: return at::clamp_min(a, s);
    case CT_MINIMUM: return at::clamp_max(a, s);
  }
  TORCH_CHECK(false, "binary op ", op, " has no scalar form");
}

at::Tensor unary(int op, const at::Tensor &a) {
  switch (op) {
    case CT_NEG: return at::neg(a);
    case CT_EXP: return at::exp(a);
    case CT_LOG: return at::log(a);
    case CT_SQRT: return at::sqrt(a);
    case CT_RSQRT: return at::rsqrt(a);
    case CT_ABS: return at::abs(a);
    case CT_SIN: return at::sin(a);
    case CT_COS: return at::cos(a);
    case CT_TAN: return at::tan(a);
    case CT_TANH: return at::tanh(a);
    case CT_SIGMOID: return at::sigmoid(a);
    case CT_RELU: return at::relu(a);
    case CT_SIGN: return at::sign(a);
    case CT_FLOOR: return at::floor(a);
    case CT_CEIL: return at::ceil(a);
    case CT_ROUND: return at::round(a);
    case CT_RECIPROCAL: return at::reciprocal(a);
    case CT_SQUARE: return at::square(a);
    case CT_ERF: return at::erf(a);
    case CT_LOG1P: return at::log1p(a);
    case CT_EXPM1: return at::expm1(a);
    case CT_LOG2: return at::log2(a);
    case CT_LOG10: return at::log10(a);
    case CT_ISNAN: return at::isnan(a);
    case CT_ISFINITE: return at::isfinite(a);
    case CT_LOGICAL_NOT: return at::logical_not(a);
    case CT_ACOS: return at::acos(a);
    case CT_ASIN: return at::asin(a);
    case CT_ATAN: return at::atan(a);
    case CT_TRUNC: return at::trunc(a);
  }
  TORCH_CHECK(false, "unknown unary op ", op);
}

/// A double as the scalar an integer tensor accepts when the value is whole (libtorch refuses to write a
/// floating-point scalar into an integer tensor in place).
at::Scalar scalar_for(const at::Tensor &t, double v) {
  if (at::isIntegralType(t.scalar_type(), /*includeBool=*/false) && v == static_cast<double>(static_cast<int64_t>(v)))
    return at::Scalar(static_cast<int64_t>(v));
  return at::Scalar(v);
}

c10::optional<at::Scalar> bound(const double *v) {
  if (v == nullptr) return c10::nullopt;
  return at::Scalar(*v);
}

at::OptionalIntArrayRef dims_or_all(const int64_t *dims, size_t n) {
  if (n == 0) return c10::nullopt;
  return ints(dims, n);
}

}  // namespace

extern "C" {

int ct_binary(int op, ct_tensor a, ct_tensor b, ct_tensor *out) {
  return guarded([&] { set_out(out, binary(op, ref(a), ref(b))); });
}
int ct_binary_scalar(int op, ct_tensor a, double s, ct_tensor *out) {
  return guarded([&] { set_out(out, binary_scalar(op, ref(a), s)); });
}
int ct_rbinary_scalar(int op, double s, ct_tensor a, ct_tensor *out) {
  return guarded([&] {
    const auto &x = ref(a);
    switch (op) {
      case CT_ADD: set_out(out, at::add(x, s)); break;
      case CT_SUB: set_out(out, at::rsub(x, s)); break;
      case CT_MUL: set_out(out, at::mul(x, s)); break;
      case CT_DIV: set_out(out, at::mul(at::reciprocal(x), s)); break;
      case CT_POW: set_out(out, at::pow(s, x)); break;
      default: TORCH_CHECK(false, "binary op ", op, " has no reversed scalar form");
    }
  });
}
int ct_unary(int op, ct_tensor a, ct_tensor *out) {
  return guarded([&] { set_out(out, unary(op, ref(a))); });
}
int ct_clamp(ct_tensor a, const double *min, const double *max, ct_tensor *out) {
  return guarded([&] { set_out(out, at::clamp(ref(a), bound(min), bound(max))); });
}

int ct_add_(ct_tensor t, ct_tensor other, double alpha) {
  return guarded([&] { ref(t).add_(ref(other), scalar_for(ref(t), alpha)); });
}
int ct_mul_(ct_tensor t, ct_tensor other) {
  return guarded([&] { ref(t).mul_(ref(other)); });
}
int ct_div_(ct_tensor t, ct_tensor other) {
  return guarded([&] { ref(t).div_(ref(other)); });
}
int ct_add_scalar_(ct_tensor t, double s) {
  return guarded([&] { ref(t).add_(scalar_for(ref(t), s)); });
}
int ct_mul_scalar_(ct_tensor t, double s) {
  return guarded([&] { ref(t).mul_(scalar_for(ref(t), s)); });
}
int ct_addcmul_(ct_tensor t, ct_tensor a, ct_tensor b, double value) {
  return guarded([&] { ref(t).addcmul_(ref(a), ref(b), value); });
}
int ct_addcdiv_(ct_tensor t, ct_tensor a, ct_tensor b, double value) {
  return guarded([&] { ref(t).addcdiv_(ref(a), ref(b), value); });
}
int ct_lerp_(ct_tensor t, ct_tensor end, double weight) {
  return guarded([&] { ref(t).lerp_(ref(end), weight); });
}
int ct_copy_(ct_tensor t, ct_tensor src) {
  return guarded([&] { ref(t).copy_(ref(src)); });
}
int ct_zero_(ct_tensor t) {
  return guarded([&] { ref(t).zero_(); });
}
int ct_fill_(ct_tensor t, double value) {
  return guarded([&] { ref(t).fill_(scalar_for(ref(t), value)); });
}
int ct_clamp_(ct_tensor t, const double *min, const double *max) {
  return guarded([&] { ref(t).clamp_(bound(min), bound(max)); });
}
int ct_sqrt_(ct_tensor t) {
  return guarded([&] { ref(t).sqrt_(); });
}

int ct_reduce(int op, ct_tensor t, const int64_t *dims, size_t ndims, int keepdim, ct_tensor *out) {
  return guarded([&] {
    const auto &x = ref(t);
    bool keep = keepdim != 0;
    auto all_dims = [&] {
      std::vector<int64_t> d(x.dim());
      for (int64_t i = 0; i < x.dim(); ++i) d[i] = i;
      return d;
    };
    std::vector<int64_t> d = ndims == 0 ? all_dims() : std::vector<int64_t>(dims, dims + ndims);
    switch (op) {
      case CT_SUM: set_out(out, at::sum(x, dims_or_all(dims, ndims), keep)); break;
      case CT_MEAN: set_out(out, at::mean(x, dims_or_all(dims, ndims), keep)); break;
      case CT_AMAX: set_out(out, at::amax(x, d, keep)); break;
      case CT_AMIN: set_out(out, at::amin(x, d, keep)); break;
      case CT_LOGSUMEXP: set_out(out, at::logsumexp(x, d, keep)); break;
      case CT_PROD:
      case CT_ALL:
      case CT_ANY: {
        at::Tensor r = x;
        if (ndims == 0 && !keep) {
          r = op == CT_PROD ? at::prod(x) : op == CT_ALL ? at::all(x) : at::any(x);
        } else {
          std::sort(d.begin(), d.end(), std::greater<int64_t>());
          for (auto dim : d) r = op == CT_PROD ? at::prod(r, dim, keep) : op == CT_ALL ? at::all(r, dim, keep) : at::any(r, dim, keep);
        }
        set_out(out, r);
        break;
      }
      default: TORCH_CHECK(false, "unknown reduction ", op);
    }
  });
}

int ct_var(ct_tensor t, const int64_t *dims, size_t ndims, double correction, int keepdim, ct_tensor *out) {
  return guarded([&] {
    set_out(out, at::var(ref(t), dims_or_all(dims, ndims), at::Scalar(correction), keepdim != 0));
  });
}
int ct_std(ct_tensor t, const int64_t *dims, size_t ndims, double correction, int keepdim, ct_tensor *out) {
  return guarded([&] {
    set_out(out, at::std(ref(t), dims_or_all(dims, ndims), at::Scalar(correction), keepdim != 0));
  });
}
int ct_norm(ct_tensor t, double p, const int64_t *dims, size_t ndims, int keepdim, ct_tensor *out) {
  return guarded([&] {
    set_out(out, at::linalg_vector_norm(ref(t), p, dims_or_all(dims, ndims), keepdim != 0));
  });
}
int ct_argmax(ct_tensor t, int64_t dim, int keepdim, ct_tensor *out) {
  return guarded([&] { set_out(out, at::argmax(ref(t), dim, keepdim != 0)); });
}
int ct_argmin(ct_tensor t, int64_t dim, int keepdim, ct_tensor *out) {
  return guarded([&] { set_out(out, at::argmin(ref(t), dim, keepdim != 0)); });
}
int ct_max_dim(ct_tensor t, int64_t dim, int keepdim, ct_tensor *values, ct_tensor *indices) {
  return guarded([&] {
    auto [v, i] = at::max(ref(t), dim, keepdim != 0);
    set_out(values, v);
    set_out(indices, i);
  });
}
int ct_min_dim(ct_tensor t, int64_t dim, int keepdim, ct_tensor *values, ct_tensor *indices) {
  return guarded([&] {
    auto [v, i] = at::min(ref(t), dim, keepdim != 0);
    set_out(values, v);
    set_out(indices, i);
  });
}
int ct_topk(ct_tensor t, int64_t k, int64_t dim, int largest, int sorted, ct_tensor *values, ct_tensor *indices) {
  return guarded([&] {
    auto [v, i] = at::topk(ref(t), k, dim, largest != 0, sorted != 0);
    set_out(values, v);
    set_out(indices, i);
  });
}
int ct_sort(ct_tensor t, int64_t dim, int descending, ct_tensor *values, ct_tensor *indices) {
  return guarded([&] {
    auto [v, i] = at::sort(ref(t), dim, descending != 0);
    set_out(values, v);
    set_out(indices, i);
  });
}
int ct_cumsum(ct_tensor t, int64_t dim, ct_tensor *out) {
  return guarded([&] { set_out(out, at::cumsum(ref(t), dim)); });
}
int ct_allclose(ct_tensor a, ct_tensor b, double rtol, double atol, int *out) {
  return guarded([&] { *out = at::allclose(ref(a), ref(b), rtol, atol) ? 1 : 0; });
}

int ct_matmul(ct_tensor a, ct_tensor b, ct_tensor *out) {
  return guarded([&] { set_out(out, at::matmul(ref(a), ref(b))); });
}
int ct_bmm(ct_tensor a, ct_tensor b, ct_tensor *out) {
  return guarded([&] { set_out(out, at::bmm(ref(a), ref(b))); });
}
int ct_einsum(const char *equation, const ct_tensor *ts, size_t n, ct_tensor *out) {
  return guarded([&] {
    TORCH_CHECK(equation != nullptr, "null einsum equation");
    set_out(out, at::einsum(equation, tensors(ts, n)));
  });
}
int ct_outer(ct_tensor a, ct_tensor b, ct_tensor *out) {
  return guarded([&] { set_out(out, at::outer(ref(a), ref(b))); });
}

}  // extern "C"
