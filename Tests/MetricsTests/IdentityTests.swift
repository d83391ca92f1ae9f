import Foundation
import Metrics
import Testing
import Torch

/// An embedder whose embedding is the mean colour, so cosine similarities can be worked out by hand.
struct MeanColour: IdentityEmbedder {
    func embed(_ images: Tensor) throws -> Tensor { try images.mean([2, 3]) }
}

/// An embedder that returns one row too many.
struct BrokenEmbedder: IdentityEmbedder {
    func embed(_ images: Tensor) throws -> Tensor { try Tensor.ones([images.size(0) + 1, 4]) }
}

@Suite("Identity similarity and consistency")
struct IdentityTests {
    init() throws { try Runtime.start() }

    /// [N, 3, 4, 4] images of uniform colours.
    func uniform(_ colours: [[Double]]) throws -> Tensor {
        let values = colours.flatMap { colour in colour.flatMap { Array(repeating: Float($0), count: 16) } }
        return try Tensor(values, shape: [colours.count, 3, 4, 4])
    }

    func cosine(_ a: [Double], _ b: [Double]) -> Double {
        let dot = zip(a, b).map { $0 * $1 }.reduce(0, +)
        return dot / (a.map { $0 * $0 }.reduce(0, +).squareRoot() * b.map { $0 * $0 }.reduce(0, +).squareRoot())
    }

    @Test func cosineOfEmbeddings() throws {
        let a: [[Double]] = [[0.5, 0.25, -0.25], [0.75, 0, 0.5], [0.25, 0.5, 0.125]]
        let b: [[Double]] = [[1, 0.5, -0.5], [-0.75, 0, -0.5], [0.5, -0.25, 0.25]]
        let similarity = try Metrics.identitySimilarity(uniform(a), uniform(b), embedder: MeanColour())
        // Same direction, opposite direction, and a general pair.
        #expect(abs(similarity[0] - 1) < 1e-12)
        #expect(abs(similarity[1] + 1) < 1e-12)
        #expect(abs(similarity[2] - cosine(a[2], b[2])) < 1e-12)
        #expect(throws: TorchError.self) {
            try Metrics.identitySimilarity(uniform(a), uniform(b), embedder: BrokenEmbedder())
        }
    }

    /// Embeddings at angles θ_t with varied lengths: the cosine of frames i, j is cos(θ_j - θ_i).
    @Test func consistencyOverFrames() throws {
        let angles = [0, 0.1, 0.3, 0.6, 0.2]
        let lengths = [1, 2, 0.5, 3, 1.5]
        let values = zip(angles, lengths).flatMap { [$1 * cos($0), $1 * sin($0)] }
        let embeddings = try Tensor(values, shape: [5, 2])
        let first = (1..<5).map { cos(angles[$0] - angles[0]) }.reduce(0, +) / 4
        let adjacent = (1..<5).map { cos(angles[$0] - angles[$0 - 1]) }.reduce(0, +) / 4
        var pairs: [Double] = []
        for i in 0..<5 { for j in (i + 1)..<5 { pairs.append(cos(angles[j] - angles[i])) } }
        let all = pairs.reduce(0, +) / Double(pairs.count)
        #expect(abs(try Metrics.identityConsistency(embeddings: embeddings) - first) < 1e-12)
        #expect(abs(try Metrics.identityConsistency(embeddings: embeddings, pairs: .adjacentFrames) - adjacent) < 1e-12)
        #expect(abs(try Metrics.identityConsistency(embeddings: embeddings, pairs: .allPairs) - all) < 1e-12)
        #expect(throws: TorchError.self) { try Metrics.identityConsistency(embeddings: embeddings.slice(0, 0, 1)) }
    }

    /// Frames are embedded in batches (here 2, 2 and 1) and compared as above.
    @Test func consistencyOfFrames() throws {
        let colours: [[Double]] = [[0.5, 0.25, 0], [0.5, 0.125, 0.125], [0.25, 0.25, 0.25], [0.5, 0.25, 0.0625],
                                   [0.75, 0.25, 0]]
        let first = (1..<5).map { cosine(colours[$0], colours[0]) }.reduce(0, +) / 4
        let adjacent = (1..<5).map { cosine(colours[$0], colours[$0 - 1]) }.reduce(0, +) / 4
        let frames = try uniform(colours)
        let byFirst = try Metrics.identityConsistency(frames: frames, embedder: MeanColour(), batchSize: 2)
        #expect(abs(byFirst - first) < 1e-12)
        #expect(abs(try Metrics.identityConsistency(frames: frames, embedder: MeanColour(), pairs: .adjacentFrames,
                                                    batchSize: 3) - adjacent) < 1e-12)
    }
}
