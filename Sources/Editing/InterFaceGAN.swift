import Torch

/// InterFaceGAN boundaries: the unit normal of a linear SVM that separates codes with an attribute from
/// codes without it. Moving along the normal changes the attribute.
///
/// Training follows InterFaceGAN's `train_boundary`: with attribute scores, the `chosen` highest-scoring
/// codes are positives and as many lowest-scoring ones negatives (`chosen_num_or_ratio`: a ratio of all codes
/// when in (0, 1], else a count; at most half the codes); with binary labels, every code takes part. Each
/// class is shuffled (seeded) and split `splitRatio` : rest into training and validation, the SVM is trained
/// (`LinearSVM`) and its normal returned as [1, D] with unit length, the shape of the published boundary files.
/// liblinear holds the training codes as sparse rows of 16-byte entries: 70,000 512-d codes take about 0.6 GB.
public enum InterFaceGAN {
    public struct TrainingOptions: Sendable {
        /// Scores only: a ratio of the codes (0, 1] or a count (> 1) taken from each end.
        public var chosen: Double = 0.02
        /// Share of each class used for training; the rest validates.
        public var splitRatio: Double = 0.7
        public var seed: UInt64 = 0

        public init(chosen: Double = 0.02, splitRatio: Double = 0.7, seed: UInt64 = 0) {
            self.chosen = chosen
            self.splitRatio = splitRatio
            self.seed = seed
        }
    }

    public struct Boundary {
        /// [1, D], unit length, float32.
        public let normal: Tensor
        /// Codes per class used for training and for validation.
        public let training: (positives: Int, negatives: Int)
        public let validation: (positives: Int, negatives: Int)
        public let trainingAccuracy: Double
        /// nil when the split leaves nothing to validate on.
        public let validationAccuracy: Double?
    }

    /// latents [N, D] (W codes) with one label or score per code.
    public static func train(latents: Tensor, labels: AttributeLabels.Values, options: TrainingOptions = .init()) throws
        -> Boundary
    {
        guard latents.rank == 2 else { throw TorchError("latent codes must be [N, D] (W codes), got \(latents.shape)") }
        let n = latents.size(0)
        guard labels.count == n else { throw TorchError("\(labels.count) labels for \(n) latent codes") }
        guard try latents.isfinite().all().item() != 0 else { throw TorchError("latent codes contain NaN or infinity") }
        guard options.splitRatio > 0, options.splitRatio <= 1 else {
            throw TorchError("split ratio must be in (0, 1], got \(options.splitRatio)")
        }
        let (positives, negatives) = try classes(labels, options: options)
        let rng = try Torch.Generator(seed: options.seed)
        let (trainPos, valPos) = try split(positives, ratio: options.splitRatio, rng)
        let (trainNeg, valNeg) = try split(negatives, ratio: options.splitRatio, rng)
        guard !trainPos.isEmpty, !trainNeg.isEmpty else {
            throw TorchError("too few codes to train on: \(trainPos.count) positive and \(trainNeg.count) negative "
                + "after the \(options.splitRatio) split")
        }
        let x = try latents.to(device: .cpu, dtype: .float64)
        func rows(_ indices: [Int]) throws -> Tensor { try x.indexSelect(0, Tensor(indices.map(Int64.init))) }
        let svm = try LinearSVM(rows(trainPos + trainNeg),
                                labels: Array(repeating: true, count: trainPos.count) + Array(repeating: false, count: trainNeg.count))
        func accuracy(_ pos: [Int], _ neg: [Int]) throws -> Double? {
            guard !(pos + neg).isEmpty else { return nil }
            let scores = try svm.decisions(rows(pos + neg))
            let correct = scores.prefix(pos.count).filter { $0 > 0 }.count + scores.dropFirst(pos.count).filter { $0 <= 0 }.count
            return Double(correct) / Double(scores.count)
        }
        let w = try Tensor(svm.weights, shape: [1, svm.weights.count])
        let norm = try w.norm().item()
        guard norm > 0 else { throw TorchError("the SVM found no separating direction (zero normal)") }
        return Boundary(normal: try (w / norm).to(dtype: .float32), training: (trainPos.count, trainNeg.count),
                        validation: (valPos.count, valNeg.count), trainingAccuracy: try accuracy(trainPos, trainNeg)!,
                        validationAccuracy: try accuracy(valPos, valNeg))
    }

    /// Indices of the positive and negative codes.
    private static func classes(_ labels: AttributeLabels.Values, options: TrainingOptions) throws -> ([Int], [Int]) {
        switch labels {
        case .binary(let flags):
            return (flags.indices.filter { flags[$0] }, flags.indices.filter { !flags[$0] })
        case .scores(let scores):
            guard options.chosen > 0 else { throw TorchError("chosen must be positive, got \(options.chosen)") }
            let n = scores.count
            let wanted = options.chosen <= 1 ? Int(Double(n) * options.chosen) : Int(options.chosen)
            let chosen = min(wanted, n / 2)
            guard chosen > 0 else { throw TorchError("chosen \(options.chosen) of \(n) scored codes selects none") }
            // Highest first; ties keep file order.
            let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            return (Array(order.prefix(chosen)), Array(order.suffix(chosen)))
        }
    }

    /// A seeded shuffle of `indices`, cut at ratio: (training, validation).
    private static func split(_ indices: [Int], ratio: Double, _ rng: Torch.Generator) throws -> ([Int], [Int]) {
        guard !indices.isEmpty else { return ([], []) }
        let order = try Tensor.randperm(indices.count, generator: rng).int64s().map { indices[Int($0)] }
        let cut = Int(Double(indices.count) * ratio)
        return (Array(order.prefix(cut)), Array(order.dropFirst(cut)))
    }
}
