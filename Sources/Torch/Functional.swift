import CTorch

/// Stateless neural-network functions, as `torch.nn.functional`.
public enum F {
    /// How a loss reduces over elements.
    public enum Reduction: Int32, Sendable { case none = 0, mean = 1, sum = 2 }

    public enum InterpolationMode: Int32, Sendable {
        case nearest = 0, bilinear = 1, bicubic = 2, area = 3, nearestExact = 4
    }

    // MARK: convolution and linear

    /// x [N, Cin, H, W], weight [Cout, Cin/groups, kH, kW] -> [N, Cout, H', W'].
    public static func conv2d(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                              padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) throws
        -> Tensor
    {
        let s = [Int64(stride.0), Int64(stride.1)]
        let p = [Int64(padding.0), Int64(padding.1)]
        let d = [Int64(dilation.0), Int64(dilation.1)]
        return try withExtendedLifetime(bias) {
            try Tensor.produce(x, weight) { ct_conv2d(x.handle, weight.handle, bias?.handle, s, p, d, Int64(groups), $0) }
        }
    }

    /// x [N, Cin, H, W], weight [Cin, Cout/groups, kH, kW] -> [N, Cout, H', W'].
    public static func convTranspose2d(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                                       padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0),
                                       dilation: (Int, Int) = (1, 1), groups: Int = 1) throws -> Tensor
    {
        let s = [Int64(stride.0), Int64(stride.1)]
        let p = [Int64(padding.0), Int64(padding.1)]
        let op = [Int64(outputPadding.0), Int64(outputPadding.1)]
        let d = [Int64(dilation.0), Int64(dilation.1)]
        return try withExtendedLifetime(bias) {
            try Tensor.produce(x, weight) {
                ct_conv_transpose2d(x.handle, weight.handle, bias?.handle, s, p, op, d, Int64(groups), $0)
            }
        }
    }

    /// upfirdn2d: zero insertion by `up`, pad (x0, x1, y0, y1; negative pads crop), convolution with the fixed
    /// `filter` [kh, kw] on every channel, every `down`-th sample: x [N, C, H, W] ->
    /// [N, C, (H up + y0 + y1 - kh) / down + 1, ...]. Its backward is the same op (flipped filter, up and down
    /// swapped), so second-order gradients (R1, path length) cost what first-order ones do; the filter takes no
    /// gradient.
    public static func upfirdn2d(_ x: Tensor, filter: Tensor, up: Int = 1, down: Int = 1,
                                 pad: (Int, Int, Int, Int)) throws -> Tensor
    {
        let p = [Int64(pad.0), Int64(pad.1), Int64(pad.2), Int64(pad.3)]
        return try Tensor.produce(x, filter) { ct_upfirdn2d(x.handle, filter.handle, Int64(up), Int64(down), p, $0) }
    }

    /// x [..., in] times weight [out, in]^T plus bias [out].
    public static func linear(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        try withExtendedLifetime(bias) { try Tensor.produce(x, weight) { ct_linear(x.handle, weight.handle, bias?.handle, $0) } }
    }

    // MARK: normalisation

    /// Batch norm; in training mode the running statistics are updated in place.
    public static func batchNorm(_ x: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil,
                                 bias: Tensor? = nil, training: Bool, momentum: Double = 0.1, eps: Double = 1e-5)
        throws -> Tensor
    {
        try withExtendedLifetime((runningMean, runningVar, weight, bias)) {
            try Tensor.produce(x) {
                ct_batch_norm(x.handle, weight?.handle, bias?.handle, runningMean?.handle, runningVar?.handle,
                              training ? 1 : 0, momentum, eps, $0)
            }
        }
    }

    public static func instanceNorm(_ x: Tensor, runningMean: Tensor? = nil, runningVar: Tensor? = nil,
                                    weight: Tensor? = nil, bias: Tensor? = nil, useInputStats: Bool = true,
                                    momentum: Double = 0.1, eps: Double = 1e-5) throws -> Tensor
    {
        try withExtendedLifetime((runningMean, runningVar, weight, bias)) {
            try Tensor.produce(x) {
                ct_instance_norm(x.handle, weight?.handle, bias?.handle, runningMean?.handle, runningVar?.handle,
                                 useInputStats ? 1 : 0, momentum, eps, $0)
            }
        }
    }

    public static func layerNorm(_ x: Tensor, _ normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
                                 eps: Double = 1e-5) throws -> Tensor
    {
        let shape = normalizedShape.map(Int64.init)
        return try withExtendedLifetime((weight, bias)) {
            try Tensor.produce(x) { ct_layer_norm(x.handle, shape, shape.count, weight?.handle, bias?.handle, eps, $0) }
        }
    }

    public static func groupNorm(_ x: Tensor, groups: Int, weight: Tensor? = nil, bias: Tensor? = nil,
                                 eps: Double = 1e-5) throws -> Tensor
    {
        try withExtendedLifetime((weight, bias)) {
            try Tensor.produce(x) { ct_group_norm(x.handle, Int64(groups), weight?.handle, bias?.handle, eps, $0) }
        }
    }

    /// x / max(||x||_p, eps) along `dim`.
    public static func normalize(_ x: Tensor, p: Double = 2, dim: Int = 1, eps: Double = 1e-12) throws -> Tensor {
        try Tensor.produce(x) { ct_normalize(x.handle, p, Int64(dim), eps, $0) }
    }

    // MARK: pooling and resampling

    public static func avgPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                                 ceilMode: Bool = false, countIncludePad: Bool = true) throws -> Tensor
    {
        let k = [Int64(kernel.0), Int64(kernel.1)]
        let s = stride.map { [Int64($0.0), Int64($0.1)] } ?? k
        let p = [Int64(padding.0), Int64(padding.1)]
        return try Tensor.produce(x) { ct_avg_pool2d(x.handle, k, s, p, ceilMode ? 1 : 0, countIncludePad ? 1 : 0, $0) }
    }

    public static func maxPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                                 dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) throws -> Tensor
    {
        let k = [Int64(kernel.0), Int64(kernel.1)]
        let s = stride.map { [Int64($0.0), Int64($0.1)] } ?? k
        let p = [Int64(padding.0), Int64(padding.1)]
        let d = [Int64(dilation.0), Int64(dilation.1)]
        return try Tensor.produce(x) { ct_max_pool2d(x.handle, k, s, p, d, ceilMode ? 1 : 0, $0) }
    }

    public static func adaptiveAvgPool2d(_ x: Tensor, _ size: (Int, Int)) throws -> Tensor {
        let s = [Int64(size.0), Int64(size.1)]
        return try Tensor.produce(x) { ct_adaptive_avg_pool2d(x.handle, s, $0) }
    }

    public static func adaptiveMaxPool2d(_ x: Tensor, _ size: (Int, Int)) throws -> Tensor {
        let s = [Int64(size.0), Int64(size.1)]
        return try Tensor.produce(x) { ct_adaptive_max_pool2d(x.handle, s, $0) }
    }

    /// Resizes [N, C, H, W] to `size`, as `F.interpolate(size=...)`.
    public static func interpolate(_ x: Tensor, size: (Int, Int), mode: InterpolationMode,
                                   alignCorners: Bool? = nil, antialias: Bool = false) throws -> Tensor
    {
        let s = [Int64(size.0), Int64(size.1)]
        return try Tensor.produce(x) {
            ct_interpolate(x.handle, s, nil, 2, mode.rawValue, alignCorners.map { $0 ? 1 : 0 } ?? -1, antialias ? 1 : 0, $0)
        }
    }

    /// Resizes [N, C, H, W] by `scale`, as `F.interpolate(scale_factor=...)`.
    public static func interpolate(_ x: Tensor, scale: (Double, Double), mode: InterpolationMode,
                                   alignCorners: Bool? = nil, antialias: Bool = false) throws -> Tensor
    {
        let s = [scale.0, scale.1]
        return try Tensor.produce(x) {
            ct_interpolate(x.handle, nil, s, 2, mode.rawValue, alignCorners.map { $0 ? 1 : 0 } ?? -1, antialias ? 1 : 0, $0)
        }
    }

    public static func pixelShuffle(_ x: Tensor, _ factor: Int) throws -> Tensor {
        try Tensor.produce(x) { ct_pixel_shuffle(x.handle, Int64(factor), $0) }
    }

    // MARK: activations

    public static func relu(_ x: Tensor) throws -> Tensor { try x.relu() }
    public static func sigmoid(_ x: Tensor) throws -> Tensor { try x.sigmoid() }
    public static func tanh(_ x: Tensor) throws -> Tensor { try x.tanh() }

    public static func leakyRelu(_ x: Tensor, slope: Double = 0.01) throws -> Tensor {
        try Tensor.produce(x) { ct_leaky_relu(x.handle, slope, $0) }
    }

    /// Per-channel learned slope; weight [C] or [1].
    public static func prelu(_ x: Tensor, weight: Tensor) throws -> Tensor {
        try Tensor.produce(x, weight) { ct_prelu(x.handle, weight.handle, $0) }
    }

    public static func gelu(_ x: Tensor, tanhApproximation: Bool = false) throws -> Tensor {
        try Tensor.produce(x) { ct_gelu(x.handle, tanhApproximation ? 1 : 0, $0) }
    }

    public static func softplus(_ x: Tensor, beta: Double = 1, threshold: Double = 20) throws -> Tensor {
        try Tensor.produce(x) { ct_softplus(x.handle, beta, threshold, $0) }
    }

    public static func softmax(_ x: Tensor, dim: Int) throws -> Tensor {
        try Tensor.produce(x) { ct_softmax(x.handle, Int64(dim), $0) }
    }

    public static func logSoftmax(_ x: Tensor, dim: Int) throws -> Tensor {
        try Tensor.produce(x) { ct_log_softmax(x.handle, Int64(dim), $0) }
    }

    /// Zeroes elements with probability p and rescales by 1/(1-p) when training; identity otherwise.
    public static func dropout(_ x: Tensor, p: Double = 0.5, training: Bool) throws -> Tensor {
        try Tensor.produce(x) { ct_dropout(x.handle, p, training ? 1 : 0, $0) }
    }

    // MARK: attention

    /// softmax(q k^T * scale + mask) v with q [..., L, E], k [..., S, E], v [..., S, Ev].
    public static func scaledDotProductAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: Tensor? = nil,
                                                 dropout: Double = 0, isCausal: Bool = false, scale: Double? = nil)
        throws -> Tensor
    {
        var s = scale ?? 0
        return try withExtendedLifetime(mask) {
            try withUnsafePointer(to: &s) { sp in
                try Tensor.produce(q, k, v) {
                    ct_scaled_dot_product_attention(q.handle, k.handle, v.handle, mask?.handle, dropout,
                                                    isCausal ? 1 : 0, scale == nil ? nil : sp, $0)
                }
            }
        }
    }

    public static func cosineSimilarity(_ a: Tensor, _ b: Tensor, dim: Int = 1, eps: Double = 1e-8) throws -> Tensor {
        try Tensor.produce(a, b) { ct_cosine_similarity(a.handle, b.handle, Int64(dim), eps, $0) }
    }

    // MARK: losses

    public static func mseLoss(_ a: Tensor, _ b: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try Tensor.produce(a, b) { ct_mse_loss(a.handle, b.handle, reduction.rawValue, $0) }
    }

    public static func l1Loss(_ a: Tensor, _ b: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try Tensor.produce(a, b) { ct_l1_loss(a.handle, b.handle, reduction.rawValue, $0) }
    }

    /// Huber-style loss: 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere.
    public static func smoothL1Loss(_ a: Tensor, _ b: Tensor, beta: Double = 1, reduction: Reduction = .mean) throws
        -> Tensor
    {
        try Tensor.produce(a, b) { ct_smooth_l1_loss(a.handle, b.handle, reduction.rawValue, beta, $0) }
    }

    /// logits [N, C, ...]; target class indices [N, ...] (int64) or probabilities shaped like logits.
    public static func crossEntropy(_ logits: Tensor, _ target: Tensor, weight: Tensor? = nil,
                                    reduction: Reduction = .mean, ignoreIndex: Int = -100,
                                    labelSmoothing: Double = 0) throws -> Tensor
    {
        try withExtendedLifetime(weight) {
            try Tensor.produce(logits, target) {
                ct_cross_entropy(logits.handle, target.handle, weight?.handle, reduction.rawValue, Int64(ignoreIndex),
                                 labelSmoothing, $0)
            }
        }
    }

    /// Rows of `weight` [num, dim] picked by integer `indices`.
    public static func embedding(_ weight: Tensor, _ indices: Tensor) throws -> Tensor {
        try Tensor.produce(weight, indices) { ct_embedding(weight.handle, indices.handle, $0) }
    }
}
