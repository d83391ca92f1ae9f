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

    /// Boundaries for `attributes` from `samples` codes w = mapping(z), z from `seed`, rendered with the constant
    /// noise and scored by `classifier` (`Models/testbed/attributes.safetensors`), separated by `fit`; then each
    /// boundary's `EditEffect` on the next `probes` codes of the same stream, edited by ±`probeStrength` (none when
    /// `probes` is 0: the evaluator measures edits on its own images). The default fit is the class means'
    /// difference: on the testbed's narrow generators InterFaceGAN's SVM normals lean on directions of little
    /// variance and edit far less per deviation (the model card has the figures).
    public static func interFaceGAN(_ g: StyleGAN2Generator, classifier: ResNet18Classifier,
                                    attributes: [TestbedAttribute], samples: Int, probes: Int, seed: UInt64,
                                    fit: InterFaceGAN.Classifier = .meanDifference, chunk: Int = 200,
                                    device: Device = .cpu)
        throws -> [TestbedAttribute: Fitted]
    {
        let columns = try Tensor(attributes.map { Int64(try classifier.column(of: $0)) })
        /// [N, A] the attributes' scores in their units for codes w [N, D].
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
        let spread = try labels.std([0]).clamp(min: 1e-6)  // [A]
        var fitted: [TestbedAttribute: Fitted] = [:]
        for (a, attribute) in attributes.enumerated() {
            let values = try labels.select(1, a).floats().map(Double.init)
            let options = InterFaceGAN.TrainingOptions(chosen: chosen, seed: seed, classifier: fit)
            let boundary = try InterFaceGAN.train(latents: labelled, labels: .scores(values), options: options)
            let unit = try labelled.matmul(boundary.normal.reshape([-1, 1])).std().item()
            var effect: EditEffect?
            if probes > 0 {
                let step = try boundary.normal * (probeStrength * unit)
                let change = try (scores(probed + step) - scores(probed - step)) / (2 * probeStrength) / spread  // [P, A]
                let others = attributes.indices.filter { $0 != a }
                effect = EditEffect(
                    target: try change.select(1, a).mean().item(),
                    others: others.isEmpty ? 0
                        : try change.indexSelect(1, Tensor(others.map(Int64.init))).abs().mean().item())
            }
            fitted[attribute] = Fitted(
                direction: try LatentDirection(vector: boundary.normal, unit: unit, label: attribute.rawValue,
                                               method: .interfacegan, centre: Tensor.zeros([g.config.styleDim])),
                samples: samples, validationAccuracy: boundary.validationAccuracy, effect: effect)
        }
        return fitted
    }
}
