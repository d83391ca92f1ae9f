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
        try features(network, count: indices.count, chunk: chunk) { range in
            try renderer.render(split: split, indices: (indices.lowerBound + range.lowerBound)..<(indices.lowerBound + range.upperBound)).images
        }
    }

    /// Features of `count` images made `chunk` at a time by `images` (given the range of the chunk's positions), without
    /// gradients: [count, 8 · width] on the CPU.
    public static func features(_ network: ResNet18Classifier, count: Int, chunk: Int = 250,
                                images: (Range<Int>) throws -> Tensor) throws -> Tensor
    {
        try withNoGrad {
            var parts: [Tensor] = []
            for start in stride(from: 0, to: count, by: chunk) {
                parts.append(try network.features(images(start..<Swift.min(count, start + chunk))).to(device: .cpu))
            }
            return try Tensor.cat(parts)
        }
    }
}
