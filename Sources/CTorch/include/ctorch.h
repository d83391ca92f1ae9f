/*
 * ctorch.h: the plain C face of the libtorch shim.
 *
 * Conventions
 *  - Opaque handles, explicit free: every ct_tensor returned through an out-parameter is owned by the caller
 *    and released with ct_tensor_free.
 *  - Every entry point that can fail returns 0 on success and -1 on failure; the message (without a C++
 *    backtrace) is then in ct_last_error(), a thread-local slot valid until the next failing call.
 *  - Optional tensors are NULL; lists are (pointer, count) pairs.
 *  - Functions that write a string into (buf, cap) return 0 when it fit, or the capacity it needs (> 0).
 *  - No C++ exception ever crosses this boundary.
 */
#ifndef CTORCH_H
#define CTORCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_tensor_s *ct_tensor;
typedef struct ct_generator_s *ct_generator;
typedef struct ct_guard_s *ct_guard;

/* dtypes, stable codes shared with the Swift layer */
enum {
  CT_FLOAT32 = 0, CT_FLOAT64 = 1, CT_FLOAT16 = 2, CT_BFLOAT16 = 3,
  CT_INT64 = 4, CT_INT32 = 5, CT_UINT8 = 6, CT_BOOL = 7, CT_INT8 = 8, CT_INT16 = 9
};
/* device types */
enum { CT_CPU = 0, CT_CUDA = 1 };
/* reductions for losses */
enum { CT_REDUCE_NONE = 0, CT_REDUCE_MEAN = 1, CT_REDUCE_SUM = 2 };
/* padding modes */
enum { CT_PAD_CONSTANT = 0, CT_PAD_REFLECT = 1, CT_PAD_REPLICATE = 2, CT_PAD_CIRCULAR = 3 };
/* interpolation modes */
enum { CT_INTERP_NEAREST = 0, CT_INTERP_BILINEAR = 1, CT_INTERP_BICUBIC = 2, CT_INTERP_AREA = 3,
       CT_INTERP_NEAREST_EXACT = 4 };

/* ---- errors and runtime (runtime.cpp) ---- */
const char *ct_last_error(void);
const char *ct_built_for_version(void);   /* the torch version the shim was compiled against */
int ct_runtime_version(char *buf, size_t cap);   /* TORCH_VERSION of the loaded libtorch */
int ct_show_config(char *buf, size_t cap);       /* at::show_config() */
int ct_compiled_cxx11_abi(void);
int ct_load_cuda(void);  /* dlopen libtorch_cuda.so if present: 1 loaded, 0 absent, -1 failed */
void ct_set_num_threads(int n);
/* Keep freed heap memory in the process (glibc: no mmap per block, no trimming) so large tensors reuse pages
   instead of faulting them in on every allocation. 0 on success or where there is nothing to tune. */
int ct_keep_freed_memory(void);
int ct_get_num_threads(void);
int ct_cpu_capability(char *buf, size_t cap);    /* e.g. "AVX512" */
int ct_cpu_has(const char *feature);             /* 1/0 from the CPU's own cpuid, e.g. "avx512f", "amx_bf16" */
int ct_cuda_device_count(void);
int ct_cuda_device_name(int index, char *buf, size_t cap);
void ct_manual_seed(uint64_t seed);
/* calibration (calibration.cpp): ns per at::add of two 1x1 tensors called from C++ directly */
int ct_time_native_add(int64_t iterations, double *ns_per_op);

/* ---- tensor lifecycle and metadata (core.cpp) ---- */
void ct_tensor_free(ct_tensor t);
int ct_tensor_shallow_copy(ct_tensor t, ct_tensor *out);   /* new handle, same tensor */
int64_t ct_dim(ct_tensor t);
int ct_sizes(ct_tensor t, int64_t *out, size_t cap);
int ct_strides(ct_tensor t, int64_t *out, size_t cap);
int64_t ct_numel(ct_tensor t);
int ct_dtype(ct_tensor t);
int ct_device(ct_tensor t, int *type, int *index);
int ct_is_contiguous(ct_tensor t);
int ct_is_channels_last(ct_tensor t);             /* 4-D tensor laid out NHWC in memory */
int ct_defined(ct_tensor t);
int ct_to_string(ct_tensor t, char *buf, size_t cap);

int ct_from_bytes(const void *data, size_t nbytes, const int64_t *shape, size_t ndim, int dtype, ct_tensor *out);
int ct_copy_to_bytes(ct_tensor t, void *data, size_t nbytes);  /* contiguous row-major copy, any device */
int ct_item_double(ct_tensor t, double *out);
int ct_item_int64(ct_tensor t, int64_t *out);
int ct_scalar_double(double v, int dtype, ct_tensor *out);
int ct_scalar_int64(int64_t v, int dtype, ct_tensor *out);

int ct_to(ct_tensor t, int device_type, int device_index, int dtype, int copy, ct_tensor *out);
int ct_contiguous(ct_tensor t, ct_tensor *out);
int ct_contiguous_channels_last(ct_tensor t, ct_tensor *out);  /* same values, NHWC memory (4-D only) */
int ct_clone(ct_tensor t, ct_tensor *out);
int ct_detach(ct_tensor t, ct_tensor *out);
int ct_set_data(ct_tensor t, ct_tensor data);       /* t.set_data(data): same variable, new storage */
int ct_as_strided(ct_tensor t, const int64_t *size, size_t nsize, const int64_t *stride, size_t nstride,
                  int64_t offset, ct_tensor *out);

/* ---- creation and randomness (creation.cpp) ---- */
int ct_generator_new(uint64_t seed, ct_generator *out);
void ct_generator_free(ct_generator g);
int ct_generator_set_seed(ct_generator g, uint64_t seed);
/* the generator's whole state as a uint8 tensor (torch.Generator.get_state/set_state) */
int ct_generator_get_state(ct_generator g, ct_tensor *out);
int ct_generator_set_state(ct_generator g, ct_tensor state);

int ct_zeros(const int64_t *shape, size_t ndim, int dtype, int dev, int dev_index, ct_tensor *out);
int ct_ones(const int64_t *shape, size_t ndim, int dtype, int dev, int dev_index, ct_tensor *out);
int ct_full(const int64_t *shape, size_t ndim, double value, int dtype, int dev, int dev_index, ct_tensor *out);
int ct_empty(const int64_t *shape, size_t ndim, int dtype, int dev, int dev_index, ct_tensor *out);
int ct_eye(int64_t n, int dtype, int dev, int dev_index, ct_tensor *out);
int ct_arange(double start, double end, double step, int dtype, int dev, int dev_index, ct_tensor *out);
int ct_linspace(double start, double end, int64_t steps, int dtype, int dev, int dev_index, ct_tensor *out);
/* generator may be NULL (the default generator) */
int ct_randn(const int64_t *shape, size_t ndim, int dtype, int dev, int dev_index, ct_generator g, ct_tensor *out);
int ct_rand(const int64_t *shape, size_t ndim, int dtype, int dev, int dev_index, ct_generator g, ct_tensor *out);
int ct_randint(int64_t low, int64_t high, const int64_t *shape, size_t ndim, int dtype, int dev, int dev_index,
               ct_generator g, ct_tensor *out);
int ct_randperm(int64_t n, int dev, int dev_index, ct_generator g, ct_tensor *out);
int ct_normal_(ct_tensor t, double mean, double std, ct_generator g);
int ct_uniform_(ct_tensor t, double from, double to, ct_generator g);
int ct_bernoulli(ct_tensor probs, ct_generator g, ct_tensor *out);

/* ---- shape and indexing (shape.cpp) ---- */
int ct_reshape(ct_tensor t, const int64_t *shape, size_t ndim, ct_tensor *out);
int ct_view(ct_tensor t, const int64_t *shape, size_t ndim, ct_tensor *out);
int ct_permute(ct_tensor t, const int64_t *dims, size_t ndim, ct_tensor *out);
int ct_transpose(ct_tensor t, int64_t d0, int64_t d1, ct_tensor *out);
int ct_squeeze(ct_tensor t, ct_tensor *out);
int ct_squeeze_dim(ct_tensor t, int64_t dim, ct_tensor *out);
int ct_unsqueeze(ct_tensor t, int64_t dim, ct_tensor *out);
int ct_flatten(ct_tensor t, int64_t start, int64_t end, ct_tensor *out);
int ct_expand(ct_tensor t, const int64_t *shape, size_t ndim, ct_tensor *out);
int ct_repeat(ct_tensor t, const int64_t *repeats, size_t ndim, ct_tensor *out);
int ct_flip(ct_tensor t, const int64_t *dims, size_t ndim, ct_tensor *out);
int ct_roll(ct_tensor t, const int64_t *shifts, size_t nshifts, const int64_t *dims, size_t ndims, ct_tensor *out);
int ct_cat(const ct_tensor *ts, size_t n, int64_t dim, ct_tensor *out);
int ct_stack(const ct_tensor *ts, size_t n, int64_t dim, ct_tensor *out);
/* split/chunk/unbind: *out is a malloc'd array of *count handles, released with ct_list_free (handles are the caller's) */
int ct_split(ct_tensor t, const int64_t *sizes, size_t nsizes, int64_t dim, ct_tensor **out, size_t *count);
int ct_chunk(ct_tensor t, int64_t chunks, int64_t dim, ct_tensor **out, size_t *count);
int ct_unbind(ct_tensor t, int64_t dim, ct_tensor **out, size_t *count);
void ct_list_free(ct_tensor *list);
int ct_narrow(ct_tensor t, int64_t dim, int64_t start, int64_t length, ct_tensor *out);
int ct_slice(ct_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step, ct_tensor *out);
int ct_select(ct_tensor t, int64_t dim, int64_t index, ct_tensor *out);
int ct_index_select(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor *out);
int ct_gather(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor *out);
int ct_scatter(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor src, ct_tensor *out);
int ct_masked_fill(ct_tensor t, ct_tensor mask, double value, ct_tensor *out);
int ct_masked_select(ct_tensor t, ct_tensor mask, ct_tensor *out);
int ct_where(ct_tensor cond, ct_tensor a, ct_tensor b, ct_tensor *out);
int ct_pad(ct_tensor t, const int64_t *pad, size_t npad, int mode, double value, ct_tensor *out);
int ct_tril(ct_tensor t, int64_t diagonal, ct_tensor *out);
int ct_triu(ct_tensor t, int64_t diagonal, ct_tensor *out);
int ct_diagonal(ct_tensor t, int64_t offset, int64_t d0, int64_t d1, ct_tensor *out);
int ct_nonzero(ct_tensor t, ct_tensor *out);

/* ---- math (math.cpp) ---- */
enum {
  CT_ADD = 0, CT_SUB, CT_MUL, CT_DIV, CT_POW, CT_MAXIMUM, CT_MINIMUM, CT_ATAN2, CT_REMAINDER,
  CT_EQ, CT_NE, CT_LT, CT_LE, CT_GT, CT_GE, CT_LOGICAL_AND, CT_LOGICAL_OR
};
int ct_binary(int op, ct_tensor a, ct_tensor b, ct_tensor *out);
int ct_binary_scalar(int op, ct_tensor a, double s, ct_tensor *out);
int ct_rbinary_scalar(int op, double s, ct_tensor a, ct_tensor *out);   /* s op a */
enum {
  CT_NEG = 0, CT_EXP, CT_LOG, CT_SQRT, CT_RSQRT, CT_ABS, CT_SIN, CT_COS, CT_TAN, CT_TANH, CT_SIGMOID, CT_RELU,
  CT_SIGN, CT_FLOOR, CT_CEIL, CT_ROUND, CT_RECIPROCAL, CT_SQUARE, CT_ERF, CT_LOG1P, CT_EXPM1, CT_LOG2, CT_LOG10,
  CT_ISNAN, CT_ISFINITE, CT_LOGICAL_NOT, CT_ACOS, CT_ASIN, CT_ATAN, CT_TRUNC
};
int ct_unary(int op, ct_tensor a, ct_tensor *out);
int ct_clamp(ct_tensor a, const double *min, const double *max, ct_tensor *out);   /* either bound may be NULL */

/* in place, for optimisers and buffers (autograd-aware) */
int ct_add_(ct_tensor t, ct_tensor other, double alpha);
int ct_mul_(ct_tensor t, ct_tensor other);
int ct_div_(ct_tensor t, ct_tensor other);
int ct_add_scalar_(ct_tensor t, double s);
int ct_mul_scalar_(ct_tensor t, double s);
int ct_addcmul_(ct_tensor t, ct_tensor a, ct_tensor b, double value);
int ct_addcdiv_(ct_tensor t, ct_tensor a, ct_tensor b, double value);
int ct_lerp_(ct_tensor t, ct_tensor end, double weight);
int ct_copy_(ct_tensor t, ct_tensor src);
int ct_zero_(ct_tensor t);
int ct_fill_(ct_tensor t, double value);
int ct_clamp_(ct_tensor t, const double *min, const double *max);
int ct_sqrt_(ct_tensor t);

/* reductions; dims NULL/0 = all dims */
enum { CT_SUM = 0, CT_MEAN, CT_PROD, CT_AMAX, CT_AMIN, CT_LOGSUMEXP, CT_ALL, CT_ANY };
int ct_reduce(int op, ct_tensor t, const int64_t *dims, size_t ndims, int keepdim, ct_tensor *out);
int ct_var(ct_tensor t, const int64_t *dims, size_t ndims, double correction, int keepdim, ct_tensor *out);
int ct_std(ct_tensor t, const int64_t *dims, size_t ndims, double correction, int keepdim, ct_tensor *out);
int ct_norm(ct_tensor t, double p, const int64_t *dims, size_t ndims, int keepdim, ct_tensor *out);
int ct_argmax(ct_tensor t, int64_t dim, int keepdim, ct_tensor *out);
int ct_argmin(ct_tensor t, int64_t dim, int keepdim, ct_tensor *out);
int ct_max_dim(ct_tensor t, int64_t dim, int keepdim, ct_tensor *values, ct_tensor *indices);
int ct_min_dim(ct_tensor t, int64_t dim, int keepdim, ct_tensor *values, ct_tensor *indices);
int ct_topk(ct_tensor t, int64_t k, int64_t dim, int largest, int sorted, ct_tensor *values, ct_tensor *indices);
int ct_sort(ct_tensor t, int64_t dim, int descending, ct_tensor *values, ct_tensor *indices);
int ct_cumsum(ct_tensor t, int64_t dim, ct_tensor *out);
int ct_allclose(ct_tensor a, ct_tensor b, double rtol, double atol, int *out);

int ct_matmul(ct_tensor a, ct_tensor b, ct_tensor *out);
int ct_bmm(ct_tensor a, ct_tensor b, ct_tensor *out);
int ct_einsum(const char *equation, const ct_tensor *ts, size_t n, ct_tensor *out);
int ct_outer(ct_tensor a, ct_tensor b, ct_tensor *out);

/* ---- linear algebra (linalg.cpp) ---- */
int ct_linalg_eigh(ct_tensor t, int upper, ct_tensor *values, ct_tensor *vectors);
int ct_linalg_svd(ct_tensor t, int full_matrices, ct_tensor *u, ct_tensor *s, ct_tensor *vh);
int ct_linalg_inv(ct_tensor t, ct_tensor *out);
int ct_linalg_solve(ct_tensor a, ct_tensor b, ct_tensor *out);
int ct_linalg_det(ct_tensor t, ct_tensor *out);
int ct_linalg_cholesky(ct_tensor t, ct_tensor *out);
int ct_linalg_qr(ct_tensor t, ct_tensor *q, ct_tensor *r);

/* ---- neural-network functions (functional.cpp) ---- */
int ct_conv2d(ct_tensor x, ct_tensor w, ct_tensor bias, const int64_t stride[2], const int64_t padding[2],
              const int64_t dilation[2], int64_t groups, ct_tensor *out);
int ct_conv_transpose2d(ct_tensor x, ct_tensor w, ct_tensor bias, const int64_t stride[2], const int64_t padding[2],
                        const int64_t output_padding[2], const int64_t dilation[2], int64_t groups, ct_tensor *out);
/// upfirdn2d over each channel: zero insertion by `up`, pad (x0, x1, y0, y1; negative crops), convolution with the
/// fixed filter [kh, kw], every `down`-th sample. Differentiable to any order in x (the backward is this op again).
int ct_upfirdn2d(ct_tensor x, ct_tensor filter, int64_t up, int64_t down, const int64_t pad[4], ct_tensor *out);
int ct_linear(ct_tensor x, ct_tensor w, ct_tensor bias, ct_tensor *out);
int ct_batch_norm(ct_tensor x, ct_tensor weight, ct_tensor bias, ct_tensor running_mean, ct_tensor running_var,
                  int training, double momentum, double eps, ct_tensor *out);
int ct_instance_norm(ct_tensor x, ct_tensor weight, ct_tensor bias, ct_tensor running_mean, ct_tensor running_var,
                     int use_input_stats, double momentum, double eps, ct_tensor *out);
int ct_layer_norm(ct_tensor x, const int64_t *shape, size_t ndim, ct_tensor weight, ct_tensor bias, double eps,
                  ct_tensor *out);
int ct_group_norm(ct_tensor x, int64_t groups, ct_tensor weight, ct_tensor bias, double eps, ct_tensor *out);
int ct_avg_pool2d(ct_tensor x, const int64_t kernel[2], const int64_t stride[2], const int64_t padding[2],
                  int ceil_mode, int count_include_pad, ct_tensor *out);
int ct_max_pool2d(ct_tensor x, const int64_t kernel[2], const int64_t stride[2], const int64_t padding[2],
                  const int64_t dilation[2], int ceil_mode, ct_tensor *out);
int ct_adaptive_avg_pool2d(ct_tensor x, const int64_t size[2], ct_tensor *out);
int ct_adaptive_max_pool2d(ct_tensor x, const int64_t size[2], ct_tensor *out);
/* size or scale (the other NULL); align_corners: -1 = unset (nearest/area), 0/1 otherwise */
int ct_interpolate(ct_tensor x, const int64_t *size, const double *scale, size_t n, int mode, int align_corners,
                   int antialias, ct_tensor *out);
int ct_leaky_relu(ct_tensor x, double slope, ct_tensor *out);
int ct_leaky_relu_(ct_tensor x, double slope);
int ct_prelu(ct_tensor x, ct_tensor weight, ct_tensor *out);
int ct_gelu(ct_tensor x, int tanh_approximation, ct_tensor *out);
int ct_softplus(ct_tensor x, double beta, double threshold, ct_tensor *out);
int ct_softmax(ct_tensor x, int64_t dim, ct_tensor *out);
int ct_log_softmax(ct_tensor x, int64_t dim, ct_tensor *out);
int ct_dropout(ct_tensor x, double p, int train, ct_tensor *out);
int ct_scaled_dot_product_attention(ct_tensor q, ct_tensor k, ct_tensor v, ct_tensor mask, double dropout,
                                    int is_causal, const double *scale, ct_tensor *out);
int ct_cosine_similarity(ct_tensor a, ct_tensor b, int64_t dim, double eps, ct_tensor *out);
int ct_normalize(ct_tensor x, double p, int64_t dim, double eps, ct_tensor *out);
int ct_mse_loss(ct_tensor a, ct_tensor b, int reduction, ct_tensor *out);
int ct_l1_loss(ct_tensor a, ct_tensor b, int reduction, ct_tensor *out);
int ct_smooth_l1_loss(ct_tensor a, ct_tensor b, int reduction, double beta, ct_tensor *out);
int ct_cross_entropy(ct_tensor logits, ct_tensor target, ct_tensor weight, int reduction, int64_t ignore_index,
                     double label_smoothing, ct_tensor *out);
int ct_pixel_shuffle(ct_tensor x, int64_t factor, ct_tensor *out);
int ct_embedding(ct_tensor weight, ct_tensor indices, ct_tensor *out);

/* ---- autograd (autograd.cpp) ---- */
int ct_requires_grad(ct_tensor t);
int ct_set_requires_grad(ct_tensor t, int flag);
int ct_is_leaf(ct_tensor t);
int ct_retain_grad(ct_tensor t);
/* *out = NULL when the tensor has no gradient */
int ct_grad(ct_tensor t, ct_tensor *out);
int ct_set_grad(ct_tensor t, ct_tensor grad);   /* grad NULL clears it */
int ct_backward(ct_tensor t, ct_tensor grad, int retain_graph, int create_graph);
/* torch.autograd.grad; out receives ninputs handles, NULL where unused (allow_unused) */
int ct_autograd_grad(const ct_tensor *outputs, size_t noutputs, const ct_tensor *inputs, size_t ninputs,
                     const ct_tensor *grad_outputs, size_t ngrad_outputs, int retain_graph, int create_graph,
                     int allow_unused, ct_tensor *out);
int ct_grad_enabled(void);
void ct_set_grad_enabled(int flag);
int ct_inference_mode_enter(ct_guard *out);
void ct_inference_mode_exit(ct_guard g);

#ifdef __cplusplus
}
#endif

#endif /* CTORCH_H */
