// upfirdn2d as one autograd function whose backward is the same function (flipped filter, up and down swapped,
// StyleGAN2-ADA's padding formula), so gradients of any order stay depthwise FIR filters. libtorch's own
// double backward of a depthwise convolution (R1 and path-length regularisation differentiate through every
// blur twice) is many times slower than the filter itself.
#include "shim.hpp"

#include <torch/csrc/autograd/custom_function.h>

#include <array>

using namespace ctorch;

namespace {

using Pad = std::array<int64_t, 4>;  // x0, x1, y0, y1; negative values crop

at::Tensor depthwise(const at::Tensor &x, const at::Tensor &k, int64_t stride, int64_t pad_y, int64_t pad_x) {
  const std::vector<int64_t> s{stride, stride}, p{pad_y, pad_x}, d{1, 1};
  return at::conv2d(x, k, std::optional<at::Tensor>(), s, p, d, x.size(1));
}

at::Tensor depthwise_transposed(const at::Tensor &x, const at::Tensor &k, int64_t stride, int64_t pad_y,
                                int64_t pad_x) {
  const std::vector<int64_t> s{stride, stride}, p{pad_y, pad_x}, op{0, 0}, d{1, 1};
  return at::conv_transpose2d(x, k, std::optional<at::Tensor>(), s, p, op, x.size(1), d);
}

at::Tensor pad_or_crop(const at::Tensor &x, const Pad &p) {
  auto out = at::constant_pad_nd(x, {std::max<int64_t>(p[0], 0), std::max<int64_t>(p[1], 0),
                                     std::max<int64_t>(p[2], 0), std::max<int64_t>(p[3], 0)});
  const int64_t h = out.size(2), w = out.size(3);
  return out.slice(2, std::max<int64_t>(-p[2], 0), h - std::max<int64_t>(-p[3], 0))
      .slice(3, std::max<int64_t>(-p[0], 0), w - std::max<int64_t>(-p[1], 0));
}

/// Zero insertion by `up`, pad, convolution with the filter, keep every `down`-th sample; one group per channel
/// (oneDNN vectorises across channels in NHWC memory). Zero insertion is a depthwise transposed convolution of
/// stride `up`, so no zeros are materialised.
at::Tensor upfirdn(const at::Tensor &x, const at::Tensor &filter, int64_t up, int64_t down, const Pad &pad) {
  const int64_t c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t kh = filter.size(0), kw = filter.size(1);
  auto taps = filter.to(x.options()).reshape({1, 1, kh, kw}).expand({c, 1, kh, kw});
  if (up == 1) {
    // conv2d correlates, so the filter is flipped to convolve.
    auto k = taps.flip({2, 3});
    if (pad[0] == pad[1] && pad[2] == pad[3] && pad[0] >= 0 && pad[2] >= 0) {
      return depthwise(x, k, down, pad[2], pad[0]);
    }
    return depthwise(pad_or_crop(x, pad), k, down, 0, 0);
  }
  // Output row o of upfirdn is row o + kh - 1 - y0 of the full transposed output ((H - 1) up + kh rows).
  const int64_t out_h = h * up + pad[2] + pad[3] - kh + 1, out_w = w * up + pad[0] + pad[1] - kw + 1;
  const int64_t start_y = kh - 1 - pad[2], start_x = kw - 1 - pad[0];
  const int64_t full_h = (h - 1) * up + kh, full_w = (w - 1) * up + kw;
  at::Tensor out;
  if (start_y == start_x && start_y >= 0 && out_h == full_h - 2 * start_y && out_w == full_w - 2 * start_x) {
    out = depthwise_transposed(x, taps, up, start_y, start_x);
  } else {
    out = depthwise_transposed(x, taps, up, 0, 0);
    out = pad_or_crop(out, {-start_x, out_w + start_x - full_w, -start_y, out_h + start_y - full_h});
  }
  if (down > 1) out = out.slice(2, 0, out.size(2), down).slice(3, 0, out.size(3), down);
  return out;
}

struct UpFirDn2d : public torch::autograd::Function<UpFirDn2d> {
  static at::Tensor forward(torch::autograd::AutogradContext *ctx, const at::Tensor &x, const at::Tensor &filter,
                            int64_t up, int64_t down, std::vector<int64_t> pad) {
    auto y = upfirdn(x, filter, up, down, {pad[0], pad[1], pad[2], pad[3]});
    ctx->saved_data["filter"] = filter;
    ctx->saved_data["up"] = up;
    ctx->saved_data["down"] = down;
    ctx->saved_data["pad"] = pad;
    ctx->saved_data["in"] = std::vector<int64_t>{x.size(2), x.size(3)};
    ctx->saved_data["out"] = std::vector<int64_t>{y.size(2), y.size(3)};
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::variable_list grads) {
    const auto filter = ctx->saved_data["filter"].toTensor();
    const int64_t up = ctx->saved_data["up"].toInt(), down = ctx->saved_data["down"].toInt();
    const auto pad = ctx->saved_data["pad"].toIntVector();
    const auto in = ctx->saved_data["in"].toIntVector(), out = ctx->saved_data["out"].toIntVector();
    const int64_t kh = filter.size(0), kw = filter.size(1);
    // StyleGAN2-ADA's upfirdn2d backward: the adjoint of (zero-insert, pad, convolve, subsample).
    std::vector<int64_t> p{kw - pad[0] - 1, in[1] * up - out[1] * down + pad[0] - up + 1,
                           kh - pad[2] - 1, in[0] * up - out[0] * down + pad[2] - up + 1};
    auto dx = UpFirDn2d::apply(grads[0], filter.flip({0, 1}), down, up, p);
    return {dx, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

int ct_upfirdn2d(ct_tensor x, ct_tensor filter, int64_t up, int64_t down, const int64_t pad[4], ct_tensor *out) {
  return guarded([&] {
    TORCH_CHECK(ref(x).dim() == 4, "upfirdn2d: expected input [N, C, H, W], got ", ref(x).sizes());
    TORCH_CHECK(ref(filter).dim() == 2, "upfirdn2d: expected filter [kh, kw], got ", ref(filter).sizes());
    TORCH_CHECK(up >= 1 && down >= 1, "upfirdn2d: up and down must be at least 1, got ", up, " and ", down);
    TORCH_CHECK(!ref(filter).requires_grad(), "upfirdn2d: the filter is fixed and takes no gradient");
    set_out(out, UpFirDn2d::apply(ref(x), ref(filter), up, down, std::vector<int64_t>{pad[0], pad[1], pad[2], pad[3]}));
  });
}
