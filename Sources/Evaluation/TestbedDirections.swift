import Editing
import Perception
import StyleGAN
import Testbed
import Torch

/// InterFaceGAN boundaries of a testbed generator, one per attribute: generated samples labelled by the testbed's
/// attribute classifier (InterFaceGAN's recipe with a predictor in place of its CelebA ones), the codes from each end
/// of the scores separated by a linear SVM in W.
public enum TestbedDirections {
    public struct Fitted {
        /// Its strengths are in standard deviations of the samples along the normal (`unit` is that deviation), so
        /// that one scale of strengths means as much for every generator.
        public let direction: LatentDirection
        public let samples: Int
        /// The SVM's accuracy on the held-out share of the chosen codes.
        public let validationAccuracy: Double?
    }

    /// Share of the samples taken from each end of the scores (InterFaceGAN takes 2% of 500,000; with thousands of
    /// samples a larger share keeps enough codes per class).
    public static let chosen = 0.3

    /// Boundaries for `attributes` from `samples` codes w = mapping(z), z from `seed`, rendered with the constant
    /// noise and scored by `classifier` (`Models/testbed/attributes.safetensors`).
    public static func interFaceGAN(_ g: StyleGAN2Generator, classifier: ResNet18Classifier,
                                    attributes: [TestbedAttribute], samples: Int, seed: UInt64, chunk: Int = 200,
                                    device: Device = .cpu)
        throws -> [TestbedAttribute: Fitted]
    {
        let columns = try attributes.map { attribute in
            guard let column = classifier.outputNames.firstIndex(of: attribute.rawValue) else {
                throw EvaluationError("the attribute classifier has no output \(attribute.rawValue)")
            }
            return column
        }
        let rng = try Torch.Generator(seed: seed)
        var codes: [Tensor] = []
        var outputs: [Tensor] = []
        try withInferenceMode {
            for start in stride(from: 0, to: samples, by: chunk) {
                let n = Swift.min(chunk, samples - start)
                let z = try Tensor.randn([n, g.config.styleDim], generator: rng).to(device: device)
                let w = try g.mapping(z)
                let images = try g.synthesis(w.unsqueeze(1).expand([n, g.nLatent, g.config.styleDim]), noise: .const)
                codes.append(try w.to(device: .cpu))
                outputs.append(try classifier(images.clamp(min: -1, max: 1)).to(device: .cpu, dtype: .float32))
            }
        }
        let latents = try Tensor.cat(codes)
        let scores = try Tensor.cat(outputs)
        var fitted: [TestbedAttribute: Fitted] = [:]
        for (attribute, column) in zip(attributes, columns) {
            let values = try scores.select(1, column).floats().map { Double(attribute.score(output: $0)) }
            let options = InterFaceGAN.TrainingOptions(chosen: chosen, seed: seed)
            let boundary = try InterFaceGAN.train(latents: latents, labels: .scores(values), options: options)
            let std = try latents.matmul(boundary.normal.reshape([-1, 1]).to(dtype: latents.dtype)).std().item()
            fitted[attribute] = Fitted(
                direction: try LatentDirection(vector: boundary.normal, unit: std, label: attribute.rawValue,
                                               method: .interfacegan, centre: Tensor.zeros([g.config.styleDim])),
                samples: samples, validationAccuracy: boundary.validationAccuracy)
        }
        return fitted
    }
}
