/// Batch normalisation over channel dim 1, shared by `BatchNorm1d` and `BatchNorm2d`, as PyTorch's `_BatchNorm`.
///
/// Training normalises with the batch's statistics and folds them into `running_mean`/`running_var`
/// (new = (1 - momentum) old + momentum batch, with the unbiased batch variance; momentum nil means a cumulative
/// average over `num_batches_tracked` batches). Evaluation normalises with the running statistics.
public class BatchNorm: Module, Layer {
    public let numFeatures: Int
    public let eps: Double
    public let momentum: Double?
    /// [C] scale and shift, present when `affine`.
    public let weight: Tensor?
    public let bias: Tensor?
    /// [C] running statistics and the int64 scalar batch count, present when tracking running statistics.
    public let runningMean: Tensor?
    public let runningVar: Tensor?
    public let numBatchesTracked: Tensor?
    private let inputPatterns: [[Dim]]

    init(numFeatures: Int, eps: Double, momentum: Double?, affine: Bool, trackRunningStats: Bool, dtype: DType,
         device: Device, inputPatterns: [[Dim]]) throws
    {
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.inputPatterns = inputPatterns
        (weight, bias) = affine ? try normAffine(numFeatures, dtype: dtype, device: device) : (nil, nil)
        (runningMean, runningVar, numBatchesTracked) = trackRunningStats
            ? try runningStatistics(numFeatures, dtype: dtype, device: device) : (nil, nil, nil)
        super.init()
        try registerNormState(weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                              numBatchesTracked: numBatchesTracked)
    }

    override public var keysOptionalOnLoad: Set<String> { ["num_batches_tracked"] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try expectInput(x, oneOf: inputPatterns)
        var factor = momentum ?? 0
        if isTraining, let count = numBatchesTracked {
            try count.add_(1)
            if momentum == nil { factor = 1 / Double(try count.itemInt()) }
        }
        // Running statistics are read in evaluation and updated in training; without them both use the batch.
        return try F.batchNorm(x, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                               training: isTraining || runningMean == nil, momentum: factor, eps: eps)
    }
}

/// Batch norm of [N, C] or [N, C, L], as `torch.nn.BatchNorm1d`.
public final class BatchNorm1d: BatchNorm {
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true, dtype: DType = .float32, device: Device = .cpu) throws
    {
        try super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
                       trackRunningStats: trackRunningStats, dtype: dtype, device: device,
                       inputPatterns: [["N", .size(numFeatures)], ["N", .size(numFeatures), "L"]])
    }
}

/// Batch norm of [N, C, H, W], as `torch.nn.BatchNorm2d`.
public final class BatchNorm2d: BatchNorm {
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true, dtype: DType = .float32, device: Device = .cpu) throws
    {
        try super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
                       trackRunningStats: trackRunningStats, dtype: dtype, device: device,
                       inputPatterns: [["N", .size(numFeatures), "H", "W"]])
    }
}

/// Normalises each sample's channels over H and W, as `torch.nn.InstanceNorm2d` (by default without affine
/// parameters or running statistics, unlike batch norm).
public final class InstanceNorm2d: Module, Layer {
    public let numFeatures: Int
    public let eps: Double
    public let momentum: Double
    /// [C], present when `affine`.
    public let weight: Tensor?
    public let bias: Tensor?
    /// [C] running statistics and the int64 scalar batch count, present when `trackRunningStats`.
    public let runningMean: Tensor?
    public let runningVar: Tensor?
    public let numBatchesTracked: Tensor?

    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = false,
                trackRunningStats: Bool = false, dtype: DType = .float32, device: Device = .cpu) throws
    {
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        (weight, bias) = affine ? try normAffine(numFeatures, dtype: dtype, device: device) : (nil, nil)
        (runningMean, runningVar, numBatchesTracked) = trackRunningStats
            ? try runningStatistics(numFeatures, dtype: dtype, device: device) : (nil, nil, nil)
        super.init()
        try registerNormState(weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                              numBatchesTracked: numBatchesTracked)
    }

    override public var keysOptionalOnLoad: Set<String> { ["num_batches_tracked"] }

    /// [N, C, H, W] -> same. Without per-channel state any C is accepted, as PyTorch does.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        if weight != nil || runningMean != nil {
            try expectInput(x, ["N", .size(numFeatures), "H", "W"])
        } else {
            try expectInput(x, ["N", "C", "H", "W"])
        }
        return try F.instanceNorm(x, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                                  useInputStats: isTraining || runningMean == nil, momentum: momentum, eps: eps)
    }
}

/// Normalises over the trailing `normalizedShape` dimensions of each sample, as `torch.nn.LayerNorm`.
public final class LayerNorm: Module, Layer {
    public let normalizedShape: [Int]
    public let eps: Double
    /// `normalizedShape`-shaped scale (ones) and shift (zeros), present with `elementwiseAffine`.
    public let weight: Tensor?
    public let bias: Tensor?

    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true,
                dtype: DType = .float32, device: Device = .cpu) throws
    {
        guard !normalizedShape.isEmpty, normalizedShape.allSatisfy({ $0 > 0 }) else {
            throw TorchError("LayerNorm: normalized shape must be non-empty and positive, got \(normalizedShape)")
        }
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine ? try Tensor.ones(normalizedShape, dtype: dtype, device: device) : nil
        self.bias = elementwiseAffine && bias ? try Tensor.zeros(normalizedShape, dtype: dtype, device: device) : nil
        super.init()
        try register(parameter: "weight", weight)
        try register(parameter: "bias", self.bias)
    }

    /// [..., *normalizedShape] -> same
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try expectInput(x, [.rest] + normalizedShape.map { .size($0) })
        return try F.layerNorm(x, normalizedShape, weight: weight, bias: bias, eps: eps)
    }
}

/// Normalises each sample over groups of channels (and all spatial positions), as `torch.nn.GroupNorm`.
public final class GroupNorm: Module, Layer {
    public let numGroups: Int
    public let numChannels: Int
    public let eps: Double
    /// [C], present when `affine`.
    public let weight: Tensor?
    public let bias: Tensor?

    public init(_ numGroups: Int, _ numChannels: Int, eps: Double = 1e-5, affine: Bool = true,
                dtype: DType = .float32, device: Device = .cpu) throws
    {
        guard numGroups > 0, numChannels % numGroups == 0 else {
            throw TorchError("GroupNorm: \(numChannels) channels cannot be split into \(numGroups) groups")
        }
        self.numGroups = numGroups
        self.numChannels = numChannels
        self.eps = eps
        (weight, bias) = affine ? try normAffine(numChannels, dtype: dtype, device: device) : (nil, nil)
        super.init()
        try register(parameter: "weight", weight)
        try register(parameter: "bias", bias)
    }

    /// [N, C, ...] -> same
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(numChannels), .rest])
        return try F.groupNorm(x, groups: numGroups, weight: weight, bias: bias, eps: eps)
    }
}

/// Per-channel scale (ones) and shift (zeros), the affine part of the normalisation layers.
private func normAffine(_ channels: Int, dtype: DType, device: Device) throws -> (Tensor?, Tensor?) {
    (try Tensor.ones([channels], dtype: dtype, device: device),
     try Tensor.zeros([channels], dtype: dtype, device: device))
}

/// Running mean 0, running variance 1 and a zero batch count, as batch and instance norm start them.
private func runningStatistics(_ channels: Int, dtype: DType, device: Device) throws -> (Tensor?, Tensor?, Tensor?) {
    (try Tensor.zeros([channels], dtype: dtype, device: device),
     try Tensor.ones([channels], dtype: dtype, device: device),
     try Tensor.zeros([], dtype: .int64, device: device))
}

extension Module {
    /// Registers a normalisation layer's state under PyTorch's names; absent tensors register nothing.
    fileprivate func registerNormState(weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?,
                                       numBatchesTracked: Tensor?) throws
    {
        try register(parameter: "weight", weight)
        try register(parameter: "bias", bias)
        try register(buffer: "running_mean", runningMean)
        try register(buffer: "running_var", runningVar)
        try register(buffer: "num_batches_tracked", numBatchesTracked)
    }
}
