import Testing
import Torch

/// The finite-difference checker itself: it must pass correct gradients and catch wrong ones.
@Suite struct GradCheckTests {
    @Test func passesACorrectGradientAndReportsEachInput() throws {
        let x = try NNTest.randn([2, 3], seed: 1)
        let y = try NNTest.randn([3], seed: 2)
        let result = try GradCheck.check(inputs: [x, y]) { xs in try xs[0].sin() * xs[1] }
        #expect(result.passed)
        #expect(result.reports.map(\.name) == ["input 0", "input 1"])
        #expect(result.reports.map(\.shape) == [[2, 3], [3]])
        #expect(result.reports.allSatisfy { $0.maxAbsError < 1e-8 })
        try GradCheck.verify(inputs: [x, y]) { xs in try (xs[0].sin() * xs[1]).sum() }
    }

    @Test func convertsInputsToFloat64Leaves() throws {
        let x = try Tensor([Float(0.5), 1.5, -2])
        _ = try GradCheck.check(inputs: [x]) { xs in
            #expect(xs[0].dtype == .float64)
            #expect(xs[0].requiresGrad && xs[0].isLeaf)
            return try xs[0].exp()
        }
    }

    /// f(x) = sum(detach(x) * x) has true derivative 2x, but autograd only sees the second factor and answers x.
    @Test func reportsABrokenBackward() throws {
        let x = try Tensor([0.5, -1.0, 2.0])
        let broken: ([Tensor]) throws -> Tensor = { xs in try (xs[0].detach() * xs[0]).sum() }
        let result = try GradCheck.check(inputs: [x], broken)
        #expect(!result.passed)
        let report = try #require(result.reports.first)
        #expect(!report.passed)
        let worst = try x.doubles()[report.worstIndex]
        #expect(abs(report.analytic - worst) < 1e-9)
        #expect(abs(report.numerical - 2 * worst) < 1e-6)
        #expect(report.maxAbsError > 0.1)
        #expect(result.description.contains("MISMATCH"))
        #expect(throws: GradCheck.Failure.self) { try GradCheck.verify(inputs: [x], broken) }
        // The same bug is caught through the random projection of a non-scalar output.
        #expect(try !GradCheck.check(inputs: [x]) { xs in try xs[0].detach() * xs[0] }.passed)
    }

    @Test func reportsAMissingGradient() throws {
        // The second input matters to the value but its path is cut, so autograd gives no gradient at all.
        let result = try GradCheck.check(inputs: [try Tensor([1.0, 2.0]), try Tensor([3.0])]) { xs in
            try xs[0] * xs[1].detach()
        }
        #expect(result.reports.map(\.passed) == [true, false])
        // With every path cut there is no graph at all; that must be reported, not thrown.
        #expect(try !GradCheck.check(inputs: [try Tensor([1.0, 2.0])]) { xs in try xs[0].detach().exp() }.passed)
    }

    @Test func checksModuleParametersAndRestoresThem() throws {
        let linear = try Linear(3, 2, dtype: .float64, generator: Generator(seed: 3))
        let before = try linear.weight.doubles()
        let result = try GradCheck.verify(inputs: [try NNTest.randn([4, 3], seed: 4)],
                                          parameters: linear.namedParameters()) { xs in try linear(xs[0]).tanh() }
        #expect(result.reports.map(\.name) == ["input 0", "weight", "bias"])
        #expect(try linear.weight.doubles() == before)
    }

    @Test func rejectsFloat32Parameters() throws {
        let linear = try Linear(3, 2)
        #expect(throws: TorchError.self) {
            try GradCheck.check(inputs: [try Tensor([1.0, 2.0, 3.0])], parameters: linear.namedParameters()) {
                try linear($0[0])
            }
        }
    }
}
