import Perception
import Testbed
import Torch

/// The features of the testbed's Fréchet distance (its FID): the attribute classifier's globally pooled last
/// stage (`ResNet18Classifier.features`, 8 · width values per image), which sees every factor the renderer
/// draws, as Inception's pool3 sees ImageNet's.
public enum TestbedFeatures {
    /// Features of the renders `indices` of `split`, without gradients: [N, 8 · width] on the CPU.
    public static func features(_ network: ResNet18Classifier, renderer: TestbedRenderer, split: TestbedSplit,
                                indices: Range<Int>, chunk: Int = 250) throws -> Tensor
    {
        try withNoGrad {
            var parts: [Tensor] = []
            for start in stride(from: indices.lowerBound, to: indices.upperBound, by: chunk) {
                let images = try renderer.render(split: split, indices: start..<Swift.min(indices.upperBound, start + chunk)).images
                parts.append(try network.features(images).to(device: .cpu))
            }
            return try Tensor.cat(parts)
        }
    }
}
