import Testing
import Torch

@Suite("Gradient accumulation")
struct GradientAccumulationTests {
    /// Four micro-batches of 2 give the step of one batch of 8 for a mean loss.
    @Test func microBatchesEqualTheWholeBatch() throws {
        let rng = try Generator(seed: 3)
        let x = try Tensor.randn([8, 5], dtype: .float64, generator: rng)
        let y = try Tensor.randn([8, 1], dtype: .float64, generator: rng)
        let w0 = try Tensor.randn([5, 1], dtype: .float64, generator: rng)
        func loss(_ w: Tensor, _ rows: Range<Int>) throws -> Tensor {
            try (x.slice(0, rows.lowerBound, rows.upperBound).matmul(w) - y.slice(0, rows.lowerBound, rows.upperBound))
                .square().mean()
        }
        let whole = try w0.clone().requiresGrad(true)
        let wholeOptimizer = try SGD([whole], lr: 0.1)
        try wholeOptimizer.zeroGrad()
        let wholeLoss = try loss(whole, 0..<8)
        try wholeLoss.backward()
        try wholeOptimizer.step()

        let parts = try w0.clone().requiresGrad(true)
        let partsOptimizer = try SGD([parts], lr: 0.1)
        let mean = try GradientAccumulation.step(partsOptimizer, microBatches: [0..<2, 2..<4, 4..<6, 6..<8]) {
            try loss(parts, $0)
        }
        #expect(abs(mean - (try wholeLoss.item())) < 1e-12)
        #expect(try (whole - parts).abs().max().item() < 1e-12)
        #expect(throws: TorchError.self) { try GradientAccumulation.step(partsOptimizer, microBatches: [Range<Int>]()) { try loss(parts, $0) } }
    }
}
