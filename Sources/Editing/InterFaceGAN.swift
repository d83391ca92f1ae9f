import Torch

/// InterFaceGAN boundaries: the unit normal of a linear SVM that separates codes with an attribute from
/// codes without it. Moving along the normal changes the attribute.
///
/// Training follows InterFaceGAN's `train_boundary`: codes whose score is `invalidValue` are dropped; the
/// `chosen` highest-scoring codes are positives and as many lowest-scoring ones negatives
/// (`chosen_num_or_ratio`: a ratio of the codes when in (0, 1], else a count; at most half the codes); each
/// class is shuffled (seeded) and split `splitRatio` : rest into training and validation; the SVM is trained
/// on the raw codes and its normal returned as [1, D], normalised in float32, the shape of the published
/// boundary files. The codes left between the two ends are checked too, labelled by whether their score
/// reaches the midpoint of the highest and lowest score. With binary labels (not in InterFaceGAN, which
/// only takes scores) every code takes part.
public enum InterFaceGAN {
    /// The linear SVM a boundary comes from.
    public enum Classifier: String, CaseIterable, Codable, Sendable {
        /// scikit-learn's `SVC(kernel='linear')`, what `train_boundary` trains: hinge loss, C = 1, an
        /// unregularised intercept (libsvm's solver, `SMOSolver`).
        case svc
        /// scikit-learn's `LinearSVC()`: squared hinge, C = 1, the intercept a regularised constant feature
        /// (liblinear); faster on many codes, and what some re-implementations use.
        case linearSVC = "linear-svc"
        /// Not InterFaceGAN's: the normal joins the two classes' means, the boundary halfway between them. It is the
        /// codes' covariance with the label, so it keeps to the directions the codes vary along, where a max-margin
        /// normal can lean on directions of little variance that the generator barely responds to.
        case meanDifference = "mean-difference"
    }

    public struct TrainingOptions: Codable, Equatable, Sendable {
        /// Scores only: a ratio of the codes (0, 1] or a count (> 1) taken from each end.
        public var chosen: Double
        /// Share of each class used for training; the rest validates.
        public var splitRatio: Double
        public var seed: UInt64
        public var classifier: Classifier
        /// Scores only: codes with exactly this score are left out (`invalid_value`).
        public var invalidValue: Double?

        /// InterFaceGAN's defaults: chosen_num_or_ratio 0.02, split_ratio 0.7, SVC.
        public init(chosen: Double = 0.02, splitRatio: Double = 0.7, seed: UInt64 = 0, classifier: Classifier = .svc,
                    invalidValue: Double? = nil)
        {
            self.chosen = chosen
            self.splitRatio = splitRatio
            self.seed = seed
            self.classifier = classifier
            self.invalidValue = invalidValue
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
        /// Scores only: codes between the chosen ends, and the accuracy on them; nil when there are none.
        public let remaining: Int
        public let remainingAccuracy: Double?
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
        let sets = try classes(labels, options: options)
        let rng = try Torch.Generator(seed: options.seed)
        let (trainPos, valPos) = try split(sets.positives, ratio: options.splitRatio, rng)
        let (trainNeg, valNeg) = try split(sets.negatives, ratio: options.splitRatio, rng)
        guard !trainPos.isEmpty, !trainNeg.isEmpty else {
            throw TorchError("too few codes to train on: \(trainPos.count) positive and \(trainNeg.count) negative "
                + "after the \(options.splitRatio) split")
        }
        let codes = try latents.to(device: .cpu)
        // Only the rows in use go to float64: the remaining codes can be most of a large file.
        func rows(_ indices: [Int]) throws -> Tensor {
            try codes.indexSelect(0, Tensor(indices.map(Int64.init))).to(dtype: .float64)
        }
        let svm = try LinearSVM(rows(trainPos + trainNeg),
                                labels: Array(repeating: true, count: trainPos.count) + Array(repeating: false, count: trainNeg.count),
                                classifier: options.classifier)
        func accuracy(_ indices: [Int], _ positive: [Bool]) throws -> Double? {
            guard !indices.isEmpty else { return nil }
            var correct = 0
            for start in stride(from: 0, to: indices.count, by: 65_536) {
                let end = min(start + 65_536, indices.count)
                let decisions = try svm.decisions(rows(Array(indices[start..<end])))
                correct += zip(decisions, positive[start..<end]).filter { ($0 > 0) == $1 }.count
            }
            return Double(correct) / Double(indices.count)
        }
        func accuracy(_ pos: [Int], _ neg: [Int]) throws -> Double? {
            try accuracy(pos + neg, pos.map { _ in true } + neg.map { _ in false })
        }
        // InterFaceGAN: coef.astype(float32), then divided by its norm.
        let w = try Tensor(svm.weights, shape: [1, svm.weights.count]).to(dtype: .float32)
        let norm = try w.norm().item()
        guard norm > 0 else { throw TorchError("the SVM found no separating direction (zero normal)") }
        return Boundary(normal: try w / norm, training: (trainPos.count, trainNeg.count),
                        validation: (valPos.count, valNeg.count), trainingAccuracy: try accuracy(trainPos, trainNeg)!,
                        validationAccuracy: try accuracy(valPos, valNeg), remaining: sets.remaining.count,
                        remainingAccuracy: try accuracy(sets.remaining.map(\.0), sets.remaining.map(\.1)))
    }

    /// Indices of the positive and negative codes, and of the remaining ones with their label.
    private static func classes(_ labels: AttributeLabels.Values, options: TrainingOptions) throws
        -> (positives: [Int], negatives: [Int], remaining: [(Int, Bool)])
    {
        switch labels {
        case .binary(let flags):
            guard options.invalidValue == nil else { throw TorchError("an invalid value applies to scores, not to 0/1 labels") }
            return (flags.indices.filter { flags[$0] }, flags.indices.filter { !flags[$0] }, [])
        case .scores(let all):
            guard options.chosen > 0 else { throw TorchError("chosen must be positive, got \(options.chosen)") }
            let valid = all.indices.filter { options.invalidValue == nil || all[$0] != options.invalidValue }
            let n = valid.count
            let wanted = options.chosen <= 1 ? Int(Double(n) * options.chosen) : Int(options.chosen)
            let chosen = min(wanted, n / 2)
            guard chosen > 0 else { throw TorchError("chosen \(options.chosen) of \(n) valid scored codes selects none") }
            // Highest first; ties keep file order.
            let order = valid.sorted { all[$0] > all[$1] || (all[$0] == all[$1] && $0 < $1) }
            let threshold = (all[order[0]] + all[order[n - 1]]) / 2
            let middle = order[chosen..<(n - chosen)].map { ($0, !(all[$0] < threshold)) }
            return (Array(order.prefix(chosen)), Array(order.suffix(chosen)), middle)
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
