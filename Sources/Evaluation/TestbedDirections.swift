import Editing
import Perception
import StyleGAN
import Testbed
import Torch

/// InterFaceGAN boundaries of a testbed generator, one per attribute: generated samples labelled by the testbed's
/// attribute classifier (InterFaceGAN's recipe with a predictor in place of its CelebA ones), the codes from each end
/// of the scores separated by a linear boundary in W, and each boundary's edit measured on further samples.
public enum TestbedDirections {
    public struct Fitted {
        /// Its strengths are in standard deviations of the samples along the normal (`unit` is that deviation), so
        /// that one scale of strengths means as much for every generator.
        public let direction: LatentDirection
        public let samples: Int
        /// The boundary's accuracy on the held-out share of the chosen codes.
        public let validationAccuracy: Double?
        /// nil when no probes were asked for.
        public let effect: EditEffect?
        /// The attributes held fixed (`Fit.conditional`); empty for the two-class fits.
        public let conditions: [TestbedAttribute]
    }

    /// What an edit along a boundary does to further samples, per unit of strength (one deviation along the normal),
    /// in standard deviations of each attribute's classifier score over the labelled samples.
    public struct EditEffect: Sendable {
        /// The mean change of the edited attribute.
        public let target: Double
        /// The mean absolute change of every other attribute: what the edit drags along.
        public let others: Double
    }

    /// Share of the samples taken from each end of the scores (InterFaceGAN takes 2% of 500,000; with thousands of
    /// samples a larger share keeps enough codes per class).
    public static let chosen = 0.3
    /// The strength (in deviations) of the ± edits that measure `EditEffect`.
    public static let probeStrength = 2.0

    /// How each direction is found from the labelled codes.
    public enum Fit: String, CaseIterable, Codable, Sendable {
        /// The default: the codes' least-squares regression on every attribute's standardised score at once, the
        /// attribute's row: how w moves per unit of its score with the other scores held fixed. It is the mean
        /// difference taken over every attribute together, so what the generator ties to the attribute (a smile
        /// that came with lighter skin and hair; the two classes' means differ in both) stays with the attribute
        /// that causes it. Validated as InterFaceGAN's boundaries are: fitted on `splitRatio` of the codes, it
        /// should separate the ends of the held-out scores at the midpoint of the fitted ends.
        case conditional
        /// InterFaceGAN's two-class boundaries on each attribute's `chosen` ends (`InterFaceGAN.Classifier`).
        case meanDifference = "mean-difference"
        case svc
        case linearSVC = "linear-svc"

        var classifier: InterFaceGAN.Classifier? { InterFaceGAN.Classifier(rawValue: rawValue) }
    }

    /// The share of the codes a conditional fit is made on; the rest validate it (InterFaceGAN's split ratio).
    public static let splitRatio = 0.7

    /// Directions for `attributes` from `samples` codes w = mapping(z), z from `seed`, rendered with the constant
    /// noise and scored by `classifier` (`Models/testbed/attributes.safetensors`), found by `fit`; then each
    /// direction's `EditEffect` on the next `probes` codes of the same stream, edited by ±`probeStrength` (none when
    /// `probes` is 0: the evaluator measures edits on its own images). The model card has each fit's figures: on
    /// the testbed's narrow generator InterFaceGAN's SVM normals lean on directions of little variance and edit far
    /// less per deviation, and the mean difference drags the attributes correlated in W along.
    public static func interFaceGAN(_ g: StyleGAN2Generator, classifier: ResNet18Classifier,
                                    attributes: [TestbedAttribute], samples: Int, probes: Int, seed: UInt64,
                                    fit: Fit = .conditional, chunk: Int = 200, device: Device = .cpu)
        throws -> [TestbedAttribute: Fitted]
    {
        // Every attribute the classifier scores: the edited ones, and the others an edit must leave alone.
        let heads = TestbedAttribute.allCases.compactMap { a in (try? classifier.column(of: a)).map { (a, Int64($0)) } }
        let scored = heads.map(\.0)
        let columns = try Tensor(heads.map(\.1))
        /// [N, S] the `scored` attributes' scores in their units for codes w [N, D].
        func scores(_ w: Tensor) throws -> Tensor {
            var outputs: [Tensor] = []
            try withInferenceMode {
                for start in stride(from: 0, to: w.size(0), by: chunk) {
                    let part = try w.narrow(0, start: start, length: Swift.min(chunk, w.size(0) - start)).to(device: device)
                    let images = try g.synthesis(part.unsqueeze(1).expand([part.size(0), g.nLatent, g.config.styleDim]),
                                                 noise: .const)
                    outputs.append(try classifier.attributeScores(images.clamp(min: -1, max: 1)))
                }
            }
            return try Tensor.cat(outputs).indexSelect(1, columns)
        }
        let rng = try Torch.Generator(seed: seed)
        let latents = try withInferenceMode {
            try g.mapping(Tensor.randn([samples + probes, g.config.styleDim], generator: rng).to(device: device))
                .to(device: .cpu, dtype: .float32)
        }
        let labelled = try latents.narrow(0, start: 0, length: samples)
        let probed = try latents.narrow(0, start: samples, length: probes)
        let labels = try scores(labelled)
        let spread = try labels.std([0]).clamp(min: 1e-6)  // [S]
        let conditional = fit == .conditional ? try ConditionalFit(codes: labelled, scores: labels / spread, seed: seed) : nil
        var fitted: [TestbedAttribute: Fitted] = [:]
        for attribute in attributes {
            guard let a = scored.firstIndex(of: attribute) else {
                throw EvaluationError("the attribute classifier has no output \(attribute.rawValue)")
            }
            let others = scored.indices.filter { $0 != a }
            let normal: Tensor  // [1, D] unit, float32
            let accuracy: Double?
            if let conditional {
                do {
                    (normal, accuracy) = try conditional.direction(a)
                } catch let error as EvaluationError {
                    throw EvaluationError("\(attribute.rawValue): \(error.description)")
                }
            } else {
                let values = try labels.select(1, a).floats().map(Double.init)
                let options = InterFaceGAN.TrainingOptions(chosen: chosen, splitRatio: splitRatio, seed: seed,
                                                           classifier: fit.classifier!)
                let boundary = try InterFaceGAN.train(latents: labelled, labels: .scores(values), options: options)
                (normal, accuracy) = (boundary.normal, boundary.validationAccuracy)
            }
            let unit = try labelled.matmul(normal.reshape([-1, 1])).std().item()
            var effect: EditEffect?
            if probes > 0 {
                let step = try normal * (probeStrength * unit)
                let change = try (scores(probed + step) - scores(probed - step)) / (2 * probeStrength) / spread  // [P, S]
                effect = EditEffect(
                    target: try change.select(1, a).mean().item(),
                    others: others.isEmpty ? 0
                        : try change.indexSelect(1, Tensor(others.map(Int64.init))).abs().mean().item())
            }
            fitted[attribute] = Fitted(
                direction: try LatentDirection(vector: normal, unit: unit, label: attribute.rawValue,
                                               method: .interfacegan, centre: Tensor.zeros([g.config.styleDim])),
                samples: samples, validationAccuracy: accuracy, effect: effect,
                conditions: conditional == nil ? [] : others.map { scored[$0] })
        }
        return fitted
    }

    /// `Fit.conditional` over one set of codes: the regression on a seeded `splitRatio` share, its check on the rest.
    struct ConditionalFit {
        /// [S, D] float64: row s is how w moves per unit of score s, the other scores held fixed.
        let slopes: Tensor
        let fitCodes: Tensor, fitScores: Tensor, heldCodes: Tensor, heldScores: Tensor

        /// codes [N, D], scores [N, S] (standardised).
        init(codes: Tensor, scores: Tensor, seed: UInt64) throws {
            let n = codes.size(0)
            let cut = Int(Double(n) * TestbedDirections.splitRatio)
            guard cut > scores.size(1) + 1, n - cut >= 4 else {
                throw EvaluationError("\(n) samples are too few for a conditional fit on \(scores.size(1)) attributes")
            }
            let order = try Tensor.randperm(n, generator: Torch.Generator(seed: seed))
            let (fit, held) = (try order.narrow(0, start: 0, length: cut), try order.narrow(0, start: cut, length: n - cut))
            (fitCodes, fitScores) = (try codes.indexSelect(0, fit), try scores.indexSelect(0, fit))
            (heldCodes, heldScores) = (try codes.indexSelect(0, held), try scores.indexSelect(0, held))
            let x = try fitScores.to(dtype: .float64)
            let y = try fitCodes.to(dtype: .float64)
            let xc = try x - x.mean([0], keepdim: true)
            let yc = try y - y.mean([0], keepdim: true)
            let xt = try xc.transpose(0, 1)
            // A ridge of 1e-6 per sample (the standardised scores' Gram matrix has about one per sample on its
            // diagonal) keeps the solve defined when a score never varies, as rare attributes may not over few
            // samples; such a score's slope is then zero.
            let gram = try xt.matmul(xc) + Tensor.eye(scores.size(1), dtype: .float64) * (1e-6 * Double(cut))
            slopes = try Linalg.solve(gram, xt.matmul(yc))
        }

        /// Score `a`'s direction, [1, D] unit float32, and its held-out accuracy: the `chosen` ends of the held-out
        /// scores, told apart by the midpoint between the fitted ends' mean projections.
        func direction(_ a: Int) throws -> (Tensor, Double) {
            let row = try slopes.select(0, a).to(dtype: .float32)
            let norm = try row.norm().item()
            guard norm > 0, norm.isFinite else {
                throw EvaluationError("its scores do not vary over the samples, so no direction moves it")
            }
            let normal = try (row / norm).reshape([1, -1])
            func ends(_ codes: Tensor, _ scores: Tensor) throws -> (high: Tensor, low: Tensor) {
                let k = Swift.max(1, Int(Double(codes.size(0)) * TestbedDirections.chosen))
                let order = try scores.select(1, a).sort(descending: true).indices
                let projection = try codes.matmul(normal.reshape([-1, 1])).reshape([-1])
                return (try projection.indexSelect(0, order.narrow(0, start: 0, length: k)),
                        try projection.indexSelect(0, order.narrow(0, start: codes.size(0) - k, length: k)))
            }
            let fitted = try ends(fitCodes, fitScores)
            let threshold = (try fitted.high.mean().item() + fitted.low.mean().item()) / 2
            let held = try ends(heldCodes, heldScores)
            let correct = try (held.high.gt(threshold).sum().item() + held.low.le(threshold).sum().item())
            return (normal, correct / Double(held.high.size(0) + held.low.size(0)))
        }
    }
}
