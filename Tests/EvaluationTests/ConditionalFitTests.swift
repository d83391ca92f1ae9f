@testable import Evaluation
import Testing
import Torch

/// `TestbedDirections.Fit.conditional` on codes made from known attribute directions: it finds each attribute's own
/// direction where the class means' difference drags a correlated attribute along.
@Suite("Conditional directions")
struct ConditionalFitTests {
    /// n codes w = s1 g1 + s2 g2 + s3 g3 + noise in 8 dimensions, where s2 = 0.8 s1 + 0.6 e (so the two attributes
    /// come together in the samples), s3 independent, g orthonormal; scores [n, 4], the last one constant.
    static func sample(_ n: Int) throws -> (codes: Tensor, scores: Tensor, g: Tensor) {
        let rng = try Torch.Generator(seed: 7)
        let g = try Linalg.qr(Tensor.randn([8, 3], dtype: .float64, generator: rng)).q.transpose(0, 1)  // [3, 8]
        let s1 = try Tensor.randn([n, 1], dtype: .float64, generator: rng)
        let s2 = try s1 * 0.8 + Tensor.randn([n, 1], dtype: .float64, generator: rng) * 0.6
        let s3 = try Tensor.randn([n, 1], dtype: .float64, generator: rng)
        let s = try Tensor.cat([s1, s2, s3], dim: 1)
        let codes = try s.matmul(g) + Tensor.randn([n, 8], dtype: .float64, generator: rng) * 0.1
        let scores = try Tensor.cat([s, Tensor.zeros([n, 1], dtype: .float64)], dim: 1)
        return (try codes.to(dtype: .float32), try scores.to(dtype: .float32), g)
    }

    func cosine(_ a: Tensor, _ b: Tensor) throws -> Double {
        let (x, y) = (try a.to(dtype: .float64).reshape([-1]), try b.to(dtype: .float64).reshape([-1]))
        return try ((x * y).sum() / (x.norm() * y.norm())).item()
    }

    @Test("each attribute's own direction, validated on held-out codes; the mean difference mixes the correlated one in")
    func findsEachAttributesOwnDirection() throws {
        let (codes, scores, g) = try Self.sample(2000)
        let fit = try TestbedDirections.ConditionalFit(codes: codes, scores: scores, seed: 0)
        for a in 0..<3 {
            let (normal, accuracy) = try fit.direction(a)
            #expect(try normal.shape == [1, 8] && abs(normal.norm().item() - 1) < 1e-5)
            #expect(try cosine(normal, g.select(0, a)) > 0.99, "attribute \(a)")
            #expect(accuracy > 0.95, "attribute \(a): held-out accuracy \(accuracy)")
        }
        // The top and bottom 30% of s1 differ in s2 too: their means' difference leans towards g2.
        let order = try scores.select(1, 0).sort(descending: true).indices
        let k = 600
        let high = try codes.indexSelect(0, order.narrow(0, start: 0, length: k)).mean([0])
        let low = try codes.indexSelect(0, order.narrow(0, start: 2000 - k, length: k)).mean([0])
        #expect(try cosine(high - low, g.select(0, 0)) < 0.85)
        #expect(try cosine(high - low, g.select(0, 1)) > 0.5)
    }

    @Test("a score that never varies gets no direction and a clear error; too few samples are refused")
    func degenerateInputs() throws {
        let (codes, scores, _) = try Self.sample(200)
        let fit = try TestbedDirections.ConditionalFit(codes: codes, scores: scores, seed: 0)
        #expect(throws: EvaluationError.self) { _ = try fit.direction(3) }
        #expect(try fit.direction(0).1 > 0.9, "the constant score does not disturb the others")
        #expect(throws: EvaluationError.self) {
            _ = try TestbedDirections.ConditionalFit(codes: codes.narrow(0, start: 0, length: 6),
                                                     scores: scores.narrow(0, start: 0, length: 6), seed: 0)
        }
    }
}
