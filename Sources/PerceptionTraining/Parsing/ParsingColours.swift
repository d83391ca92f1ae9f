import Testbed
import Torch

/// Pictures of parsings in face-parsing.PyTorch's colours (its `part_colors`, class c ≥ 1 in colour c, the
/// background black), for sample grids and documentation.
public enum ParsingColours {
    static let table: [[Float]] = [
        [0, 0, 0], [255, 85, 0], [255, 170, 0], [255, 0, 85], [255, 0, 170], [0, 255, 0], [85, 255, 0],
        [170, 255, 0], [0, 255, 85], [0, 255, 170], [0, 0, 255], [85, 0, 255], [170, 0, 255], [0, 85, 255],
        [0, 170, 255], [255, 255, 0], [255, 255, 85], [255, 255, 170], [255, 0, 255],
    ]

    /// labels [N, H, W] int64 (classes 0..<19) -> [N, 3, H, W] in [-1, 1].
    public static func image(_ labels: Tensor) throws -> Tensor {
        let colours = try (Tensor(table.flatMap { $0 }, shape: [table.count, 3]) / 127.5 - 1).to(device: labels.device)
        let shape = labels.shape
        return try colours.indexSelect(0, labels.flatten()).reshape(shape + [3]).permute([0, 3, 1, 2]).contiguous()
    }

    /// Each of `images` [N, 3, S, S] beside its true and its predicted parsing (labels [N, S, S]), interleaved
    /// (image, truth, prediction, image, ...) -> [3N, 3, S, S].
    public static func comparison(images: Tensor, truth: Tensor, predicted: Tensor) throws -> Tensor {
        let n = images.size(0)
        let triples = try Tensor.stack([images, image(truth), image(predicted)], dim: 1)  // [N, 3 (kind), 3, S, S]
        return try triples.reshape([3 * n] + Array(images.shape.dropFirst()))
    }
}

extension FaceParserModel {
    /// The first `identities` test identities (variation k of identity k, so pose and accessories vary), each
    /// render beside its true and its predicted parsing: [3 · identities, 3, size, size] in [-1, 1].
    public func testComparison(identities: Int, size: Int, device: Device = .cpu) throws -> Tensor {
        let samples = (0..<identities).map { TestbedSplit.test.sample(at: $0 * (TestbedSplit.variationsPerIdentity + 1)) }
        let batch = try TestbedRenderer(size: size, device: device).render(samples)
        let images = try batch.images.to(device: device)
        return try ParsingColours.comparison(images: images, truth: batch.masks.to(device: device),
                                             predicted: withNoGrad { try labels(images) })
    }
}
