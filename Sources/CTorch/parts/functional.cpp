// Neural-network functions: convolutions, normalisations, pooling, resampling, activations, attention, losses.
#include "shim.hpp"

using namespace ctorch;

namespace {

at::IntArrayRef pair(const int64_t *p) {
  TORCH_CHECK(p != nullptr, "null size pair");
  return at::IntArrayRef(p, 2);
}

int64_t reduction(int r) {
  switch (r) {
    case CT_REDUCE_NONE: return at::Reduction::None;
    case CT_REDUCE_MEAN: return at::Reduction::Mean;
    case CT_REDUCE_SUM: return at::Reduction::Sum;
  }
  TORCH_CHECK(false, "unknown reduction ", r);
}

}  // namespace

extern "C" {

int ct_conv2d(ct_tensor x, ct_tensor w, ct_tensor bias, const int64_t stride[2], const int64_t padding[2],
              const int64_t dilation[2], int64_t groups, ct_tensor *out) {
  return guarded([&] {
    set_out(out, at::conv2d(ref(x), ref(w), opt(bias), pair(stride), pair(padding), pair(dilation), groups));
  });
}

int ct_conv_transpose2d(ct_tensor x, ct_tensor w, ct_tensor bias, const int64_t stride[2], const int64_t padding[2],
                        const int64_t output_padding[2], const int64_t dilation[2], int64_t groups, ct_tensor *out) {
  return guarded([&] {
    set_out(out, at::conv_transpose2d(ref(x), ref(w), opt(bias), pair(stride), pair(padding), pair(output_padding),
                                      groups, pair(dilation)));
  });
}

int ct_linear(ct_tensor x, ct_tensor w, ct_tensor bias, ct_tensor *out) {
  return guarded([&] { set_out(out, at::linear(ref(x), ref(w), opt(bias))); });
}

int ct_batch_norm(ct_tensor x, ct_tensor weight, ct_tensor bias, ct_tensor running_mean, ct_tensor running_var,
                  int training, double momentum, double eps, ct_tensor *out) {
  return guarded([&] {
    set_out(out, at::batch_norm(ref(x), opt(weight), opt(bias), opt(running_mean), opt(running_var), training != 0,
                                momentum, eps, true));
  });
}

int ct_instance_norm(ct_tensor x, ct_tensor weight, ct_tensor bias, ct_tensor running_mean, ct_tensor running_var,
                     int use_input_stats, double momentum, double eps, ct_tensor *out) {
  return guarded([&] {
    set_out(out, at::instance_norm(ref(x), opt(weight), opt(bias), opt(running_mean), opt(running_var),
                                   use_input_stats != 0, momentum, eps, true));
  });
}

int ct_layer_norm(ct_tensor x, const int64_t *shape, size_t ndim, ct_tensor weight, ct_tensor bias, double eps,
                  ct_tensor *out) {
  return guarded([&] { set_out(out, at::layer_norm(ref(x), ints(shape, ndim), opt(weight), opt(bias), eps, true)); });
}

int ct_group_norm(ct_tensor x, int64_t groups, ct_tensor weight, ct_tensor bias, double eps, ct_tensor *out) {
  return guarded([&] { set_out(out, at::group_norm(ref(x), groups, opt(weight), opt(bias), eps, true)); });
}

int ct_avg_pool2d(ct_tensor x, const int64_t kernel[2], const int64_t stride[2], const int64_t padding[2],
                  int ceil_mode, int count_include_pad, ct_tensor *out) {
  return guarded([&] {
    set_out(out, at::avg_pool2d(ref(x), pair(kernel), pair(stride), pair(padding), ceil_mode != 0,
                                count_include_pad != 0));
  });
}

int ct_max_pool2d(ct_tensor x, const int64_t kernel[2], const int64_t stride[2], const int64_t padding[2],
                  const int64_t dilation[2], int ceil_mode, ct_tensor *out) {
  return guarded([&] {
    set_out(out, at::max_pool2d(ref(x), pair(kernel), pair(stride), pair(padding), pair(dilation), ceil_mode != 0));
  });
}

int ct_adaptive_avg_pool2d(ct_tensor x, const int64_t size[2], ct_tensor *out) {
  return guarded([&] { set_out(out, at::adaptive_avg_pool2d(ref(x), pair(size))); });
}

int ct_adaptive_max_pool2d(ct_tensor x, const int64_t size[2], ct_tensor *out) {
  return guarded([&] { set_out(out, std::get<0>(at::adaptive_max_pool2d(ref(x), pair(size)))); });
}

int ct_interpolate(ct_tensor x, const int64_t *size, const double *scale, size_t n, int mode, int align_corners,
                   int antialias, ct_tensor *out) {
  return guarded([&] {
    const auto &input = ref(x);
    TORCH_CHECK(input.dim() == 4, "interpolate expects a 4-D [N, C, H, W] input, got ", input.dim(), " dims");
    TORCH_CHECK(n == 2, "interpolate takes 2 sizes or scales for a 4-D input, got ", n);
    TORCH_CHECK((size == nullptr) != (scale == nullptr), "interpolate takes either a size or a scale factor");
    at::OptionalIntArrayRef osize = size ? at::OptionalIntArrayRef(at::IntArrayRef(size, 2)) : c10::nullopt;
    std::optional<at::ArrayRef<double>> scales =
        scale ? std::optional<at::ArrayRef<double>>(at::ArrayRef<double>(scale, 2)) : std::nullopt;
    bool corners = align_corners == 1;
    bool linear = mode == CT_INTERP_BILINEAR || mode == CT_INTERP_BICUBIC;
    TORCH_CHECK(linear || align_corners < 0, "align_corners only applies to bilinear and bicubic");
    TORCH_CHECK(!antialias || linear, "antialias only applies to bilinear and bicubic");
    switch (mode) {
      case CT_INTERP_NEAREST: set_out(out, at::upsample_nearest2d(input, osize, scales)); break;
      case CT_INTERP_NEAREST_EXACT: set_out(out, at::_upsample_nearest_exact2d(input, osize, scales)); break;
      case CT_INTERP_BILINEAR:
        set_out(out, antialias ? at::_upsample_bilinear2d_aa(input, osize, corners, scales)
                               : at::upsample_bilinear2d(input, osize, corners, scales));
        break;
      case CT_INTERP_BICUBIC:
        set_out(out, antialias ? at::_upsample_bicubic2d_aa(input, osize, corners, scales)
                               : at::upsample_bicubic2d(input, osize, corners, scales));
        break;
      case CT_INTERP_AREA: {
        int64_t oh = size ? size[0] : static_cast<int64_t>(std::floor(input.size(2) * scale[0]));
        int64_t ow = size ? size[1] : static_cast<int64_t>(std::floor(input.size(3) * scale[1]));
        set_out(out, at::adaptive_avg_pool2d(input, {oh, ow}));
        break;
      }
      default: TORCH_CHECK(false, "unknown interpolation mode ", mode);
    }
  });
}

int ct_leaky_relu(ct_tensor x, double slope, ct_tensor *out) {
  return guarded([&] { set_out(out, at::leaky_relu(ref(x), slope)); });
}
int ct_leaky_relu_(ct_tensor x, double slope) {
  return guarded([&] { at::Tensor t = ref(x); at::leaky_relu_(t, slope); });
}
int ct_prelu(ct_tensor x, ct_tensor weight, ct_tensor *out) {
  return guarded([&] { set_out(out, at::prelu(ref(x), ref(weight))); });
}
int ct_gelu(ct_tensor x, int tanh_approximation, ct_tensor *out) {
  return guarded([&] { set_out(out, at::gelu(ref(x), tanh_approximation ? "tanh" : "none")); });
}
int ct_softplus(ct_tensor x, double beta, double threshold, ct_tensor *out) {
  return guarded([&] { set_out(out, at::softplus(ref(x), beta, threshold)); });
}
int ct_softmax(ct_tensor x, int64_t dim, ct_tensor *out) {
  return guarded([&] { set_out(out, at::softmax(ref(x), dim)); });
}
int ct_log_softmax(ct_tensor x, int64_t dim, ct_tensor *out) {
  return guarded([&] { set_out(out, at::log_softmax(ref(x), dim)); });
}
int ct_dropout(ct_tensor x, double p, int train, ct_tensor *out) {
  return guarded([&] { set_out(out, at::dropout(ref(x), p, train != 0)); });
}

int ct_scaled_dot_product_attention(ct_tensor q, ct_tensor k, ct_tensor v, ct_tensor mask, double dropout,
                                    int is_causal, const double *scale, ct_tensor *out) {
  return guarded([&] {
    c10::optional<double> s = scale ? c10::optional<double>(*scale) : c10::nullopt;
    set_out(out, at::scaled_dot_product_attention(ref(q), ref(k), ref(v), opt(mask), dropout, is_causal != 0, s));
  });
}

int ct_cosine_similarity(ct_tensor a, ct_tensor b, int64_t dim, double eps, ct_tensor *out) {
  return guarded([&] { set_out(out, at::cosine_similarity(ref(a), ref(b), dim, eps)); });
}

int ct_normalize(ct_tensor x, double p, int64_t dim, double eps, ct_tensor *out) {
  return guarded([&] {
    // As torch.nn.functional.normalize: x / max(||x||_p, eps) along dim.
    const auto &t = ref(x);
    auto n = at::linalg_vector_norm(t, p, at::IntArrayRef{dim}, true).clamp_min(eps);
    set_out(out, t / n.expand_as(t));
  });
}

int ct_mse_loss(ct_tensor a, ct_tensor b, int r, ct_tensor *out) {
  return guarded([&] { set_out(out, at::mse_loss(ref(a), ref(b), reduction(r))); });
}
int ct_l1_loss(ct_tensor a, ct_tensor b, int r, ct_tensor *out) {
  return guarded([&] { set_out(out, at::l1_loss(ref(a), ref(b), reduction(r))); });
}
int ct_smooth_l1_loss(ct_tensor a, ct_tensor b, int r, double beta, ct_tensor *out) {
  return guarded([&] { set_out(out, at::smooth_l1_loss(ref(a), ref(b), reduction(r), beta)); });
}
int ct_cross_entropy(ct_tensor logits, ct_tensor target, ct_tensor weight, int r, int64_t ignore_index,
                     double label_smoothing, ct_tensor *out) {
  return guarded([&] {
    set_out(out, at::cross_entropy_loss(ref(logits), ref(target), opt(weight), reduction(r), ignore_index,
                                        label_smoothing));
  });
}
int ct_pixel_shuffle(ct_tensor x, int64_t factor, ct_tensor *out) {
  return guarded([&] { set_out(out, at::pixel_shuffle(ref(x), factor)); });
}
int ct_embedding(ct_tensor weight, ct_tensor indices, ct_tensor *out) {
  return guarded([&] { set_out(out, at::embedding(ref(weight), ref(indices))); });
}

}  // extern "C"
