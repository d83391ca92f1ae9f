// Views, joins, splits, indexing and padding.
#include "shim.hpp"

using namespace ctorch;

extern "C" {

int ct_reshape(ct_tensor t, const int64_t *shape, size_t ndim, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).reshape(ints(shape, ndim))); });
}
int ct_view(ct_tensor t, const int64_t *shape, size_t ndim, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).view(ints(shape, ndim))); });
}
int ct_permute(ct_tensor t, const int64_t *dims, size_t ndim, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).permute(ints(dims, ndim))); });
}
int ct_transpose(ct_tensor t, int64_t d0, int64_t d1, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).transpose(d0, d1)); });
}
int ct_squeeze(ct_tensor t, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).squeeze()); });
}
int ct_squeeze_dim(ct_tensor t, int64_t dim, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).squeeze(dim)); });
}
int ct_unsqueeze(ct_tensor t, int64_t dim, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).unsqueeze(dim)); });
}
int ct_flatten(ct_tensor t, int64_t start, int64_t end, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).flatten(start, end)); });
}
int ct_expand(ct_tensor t, const int64_t *shape, size_t ndim, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).expand(ints(shape, ndim))); });
}
int ct_repeat(ct_tensor t, const int64_t *repeats, size_t ndim, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).repeat(ints(repeats, ndim))); });
}
int ct_flip(ct_tensor t, const int64_t *dims, size_t ndim, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).flip(ints(dims, ndim))); });
}
int ct_roll(ct_tensor t, const int64_t *shifts, size_t nshifts, const int64_t *dims, size_t ndims, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).roll(ints(shifts, nshifts), ints(dims, ndims))); });
}
int ct_cat(const ct_tensor *ts, size_t n, int64_t dim, ct_tensor *out) {
  return guarded([&] { set_out(out, at::cat(tensors(ts, n), dim)); });
}
int ct_stack(const ct_tensor *ts, size_t n, int64_t dim, ct_tensor *out) {
  return guarded([&] { set_out(out, at::stack(tensors(ts, n), dim)); });
}
int ct_split(ct_tensor t, const int64_t *sizes, size_t nsizes, int64_t dim, ct_tensor **out, size_t *count) {
  return guarded([&] { set_list(ref(t).split_with_sizes(ints(sizes, nsizes), dim), out, count); });
}
int ct_chunk(ct_tensor t, int64_t chunks, int64_t dim, ct_tensor **out, size_t *count) {
  return guarded([&] { set_list(ref(t).chunk(chunks, dim), out, count); });
}
int ct_unbind(ct_tensor t, int64_t dim, ct_tensor **out, size_t *count) {
  return guarded([&] { set_list(ref(t).unbind(dim), out, count); });
}
int ct_narrow(ct_tensor t, int64_t dim, int64_t start, int64_t length, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).narrow(dim, start, length)); });
}
int ct_slice(ct_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).slice(dim, start, end, step)); });
}
int ct_select(ct_tensor t, int64_t dim, int64_t index, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).select(dim, index)); });
}
int ct_index_select(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).index_select(dim, ref(index))); });
}
int ct_gather(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).gather(dim, ref(index))); });
}
int ct_scatter(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor src, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).scatter(dim, ref(index), ref(src))); });
}
int ct_masked_fill(ct_tensor t, ct_tensor mask, double value, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).masked_fill(ref(mask), value)); });
}
int ct_masked_select(ct_tensor t, ct_tensor mask, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).masked_select(ref(mask))); });
}
int ct_where(ct_tensor cond, ct_tensor a, ct_tensor b, ct_tensor *out) {
  return guarded([&] { set_out(out, at::where(ref(cond), ref(a), ref(b))); });
}
int ct_pad(ct_tensor t, const int64_t *pad, size_t npad, int mode, double value, ct_tensor *out) {
  return guarded([&] {
    const char *name = nullptr;
    switch (mode) {
      case CT_PAD_CONSTANT: name = "constant"; break;
      case CT_PAD_REFLECT: name = "reflect"; break;
      case CT_PAD_REPLICATE: name = "replicate"; break;
      case CT_PAD_CIRCULAR: name = "circular"; break;
      default: TORCH_CHECK(false, "unknown padding mode ", mode);
    }
    c10::optional<double> fill = mode == CT_PAD_CONSTANT ? c10::optional<double>(value) : c10::nullopt;
    set_out(out, at::pad(ref(t), ints(pad, npad), name, fill));
  });
}
int ct_tril(ct_tensor t, int64_t diagonal, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).tril(diagonal)); });
}
int ct_triu(ct_tensor t, int64_t diagonal, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).triu(diagonal)); });
}
int ct_diagonal(ct_tensor t, int64_t offset, int64_t d0, int64_t d1, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).diagonal(offset, d0, d1)); });
}
int ct_nonzero(ct_tensor t, ct_tensor *out) {
  return guarded([&] { set_out(out, ref(t).nonzero()); });
}

}  // extern "C"
