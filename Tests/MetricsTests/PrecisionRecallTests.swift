import Testing
import Torch

@testable import Metrics

@Suite("Improved precision and recall")
struct PrecisionRecallTests {
    init() throws { try Runtime.start() }

    /// One-dimensional sets worked by hand with k = 1. Real 0, 1, 2, 3, 10 have radii 1, 1, 1, 1, 7; generated 0.5, 5,
    /// 20, 2.5 have radii 2, 2.5, 15, 2. Precision: 0.5 (by 0), 5 (by 10's radius 7) and 2.5 lie in the real
    /// manifold, 20 does not: 3/4. Recall: every real point lies in a generated ball (10 in 20's): 1.
    @Test func handWorkedSets() throws {
        let real = try Tensor([0, 1, 2, 3, 10] as [Float], shape: [5, 1])
        let generated = try Tensor([0.5, 5, 20, 2.5] as [Float], shape: [4, 1])
        for chunk in [1, 2, 1024] {
            let (precision, recall) = try Metrics.precisionRecall(real: real, generated: generated, k: 1, chunk: chunk)
            #expect(precision == 0.75 && recall == 1, "chunk \(chunk): \(precision), \(recall)")
        }
        let swapped = try Metrics.precisionRecall(real: generated, generated: real, k: 1)
        #expect(swapped.precision == 1 && swapped.recall == 0.75)
    }

    /// A set against itself is fully precise and fully recalled; a far-off set is neither.
    @Test func identicalAndDisjointSets() throws {
        let x = try Tensor.randn([200, 8], generator: Torch.Generator(seed: 1))
        let same = try Metrics.precisionRecall(real: x, generated: x)
        #expect(same.precision == 1 && same.recall == 1)
        let far = try Metrics.precisionRecall(real: x, generated: x + 100)
        #expect(far.precision == 0 && far.recall == 0)
    }

    @Test func badShapesAreRefused() throws {
        let x = try Tensor.randn([10, 4])
        #expect(throws: TorchError.self) { try Metrics.precisionRecall(real: x, generated: Tensor.randn([10, 5])) }
        #expect(throws: TorchError.self) { try Metrics.precisionRecall(real: x, generated: Tensor.randn([3, 4])) }
    }
}
