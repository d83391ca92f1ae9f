// Linear algebra: what GANSpace (PCA), SeFa (eigenvectors) and FID (matrix square roots) need.
#include "shim.hpp"

using namespace ctorch;

extern "C" {

int ct_linalg_eigh(ct_tensor t, int upper, ct_tensor *values, ct_tensor *vectors) {
  return guarded([&] {
    auto [v, q] = at::linalg_eigh(ref(t), upper ? "U" : "L");
    set_out(values, v);
    set_out(vectors, q);
  });
}
int ct_linalg_svd(ct_tensor t, int full_matrices, ct_tensor *u, ct_tensor *s, ct_tensor *vh) {
  return guarded([&] {
    auto [uu, ss, vv] = at::linalg_svd(ref(t), full_matrices != 0);
    set_out(u, uu);
    set_out(s, ss);
    set_out(vh, vv);
  });
}
int ct_linalg_inv(ct_tensor t, ct_tensor *out) {
  return guarded([&] { set_out(out, at::linalg_inv(ref(t))); });
}
int ct_linalg_solve(ct_tensor a, ct_tensor b, ct_tensor *out) {
  return guarded([&] { set_out(out, at::linalg_solve(ref(a), ref(b))); });
}
int ct_linalg_det(ct_tensor t, ct_tensor *out) {
  return guarded([&] { set_out(out, at::linalg_det(ref(t))); });
}
int ct_linalg_cholesky(ct_tensor t, ct_tensor *out) {
  return guarded([&] { set_out(out, at::linalg_cholesky(ref(t))); });
}
int ct_linalg_qr(ct_tensor t, ct_tensor *q, ct_tensor *r) {
  return guarded([&] {
    auto [qq, rr] = at::linalg_qr(ref(t));
    set_out(q, qq);
    set_out(r, rr);
  });
}

}  // extern "C"
