import Testing
import Torch

/// Small helpers shared by the NN and gradient-check tests.
enum NNTest {
    /// Standard normal float64 values, reproducible per seed.
    static func randn(_ shape: [Int], seed: UInt64) throws -> Tensor {
        try Tensor.randn(shape, dtype: .float64, generator: Generator(seed: seed))
    }

    /// Largest |a - b| over all elements; the shapes must agree.
    static func maxDifference(_ a: Tensor, _ b: Tensor) throws -> Double {
        #expect(a.shape == b.shape, "shapes differ: \(a.shape) vs \(b.shape)")
        return try (a.to(dtype: .float64) - b.to(dtype: .float64)).abs().max().item()
    }

    static func names(_ entries: [(name: String, tensor: Tensor)]) -> [String] { entries.map(\.name) }

    /// Runs the gradient check and records every tensor's errors when it fails.
    static func expectGradients(inputs: [Tensor], parameters: [(name: String, tensor: Tensor)] = [],
                                sourceLocation: SourceLocation = #_sourceLocation,
                                _ function: ([Tensor]) throws -> Tensor) throws
    {
        let result = try GradCheck.check(inputs: inputs, parameters: parameters, function)
        #expect(result.passed, "\(result)", sourceLocation: sourceLocation)
    }
}
