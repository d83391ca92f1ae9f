/// Compares autograd gradients with central finite differences in float64, as `torch.autograd.gradcheck`.
///
/// The function's output y is reduced to the scalar s = sum(y * r) with a fixed random projection r (r = 1 for a
/// one-element output), so one backward pass gives ds/dx for every input; then each element is nudged by ±eps and
/// (s(x + eps) - s(x - eps)) / (2 eps) is compared with it. An element passes when
/// |analytic - numerical| <= atol + rtol * |numerical|.
///
///     let result = try GradCheck.check(inputs: [x, w]) { xs in try F.conv2d(xs[0], xs[1], padding: (1, 1)) }
///
/// `parameters` are tensors the function captures (a module's weights, converted with `to(dtype: .float64)`);
/// they are nudged in place and restored.
public enum GradCheck {
    /// How one tensor's gradient compared.
    public struct Report: Sendable, CustomStringConvertible {
        /// "input 0", or the parameter's name.
        public let name: String
        public let shape: [Int]
        public let maxAbsError: Double
        /// Largest |analytic - numerical| / |numerical| over elements whose numerical gradient exceeds atol in size
        /// (smaller ones are judged by atol alone); 0 if there are none.
        public let maxRelError: Double
        /// Flat index of the element furthest outside (or closest to) the tolerance, and both gradients there.
        public let worstIndex: Int
        public let analytic: Double
        public let numerical: Double
        public let passed: Bool

        public var description: String {
            let verdict = passed ? "ok" : "MISMATCH"
            return "\(name) \(shape): \(verdict), max abs error \(maxAbsError), max rel error \(maxRelError); "
                + "element \(worstIndex): analytic \(analytic), numerical \(numerical)"
        }
    }

    public struct Result: Sendable, CustomStringConvertible {
        public let reports: [Report]
        public let atol: Double
        public let rtol: Double
        public var passed: Bool { reports.allSatisfy(\.passed) }

        public var description: String {
            (["gradient check (atol \(atol), rtol \(rtol)): \(passed ? "passed" : "FAILED")"]
                + reports.map { "  " + $0.description }).joined(separator: "\n")
        }
    }

    /// Thrown by `verify` when some gradient is outside tolerance.
    public struct Failure: Error, CustomStringConvertible {
        public let result: Result
        public var description: String { result.description }
    }

    /// Checks the gradient of `function` with respect to every input and parameter and returns the comparison.
    ///
    /// Inputs are copied to float64 leaves that require gradients (shape and device kept) and passed to `function`
    /// in order. The function must be deterministic (no dropout in training mode).
    public static func check(inputs: [Tensor], parameters: [(name: String, tensor: Tensor)] = [],
                             eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3, seed: UInt64 = 0,
                             _ function: ([Tensor]) throws -> Tensor) throws -> Result
    {
        let xs = try inputs.enumerated().map { i, x -> Tensor in
            guard x.dtype.isFloatingPoint else {
                throw TorchError("GradCheck: input \(i) must be floating point, got \(x.dtype)")
            }
            return try x.to(dtype: .float64).detach().clone().requiresGrad(true)
        }
        for (name, p) in parameters {
            guard p.dtype == .float64, p.requiresGrad, p.isLeaf else {
                throw TorchError("GradCheck: parameter \(name) must be a float64 leaf that requires grad "
                    + "(convert the module with to(dtype: .float64)), got \(p.dtype)")
            }
        }
        let targets = xs.enumerated().map { ("input \($0)", $1) } + parameters.map { ($0.name, $0.tensor) }

        let y = try function(xs)
        guard y.dtype.isFloatingPoint else {
            throw TorchError("GradCheck: output must be floating point, got \(y.dtype)")
        }
        let projection = y.count == 1 ? nil
            : try Tensor.randn(y.shape, dtype: .float64, generator: Generator(seed: seed)).to(device: y.device)
        func reduce(_ y: Tensor) throws -> Tensor {
            let y64 = try y.to(dtype: .float64)
            return try (projection.map { try y64 * $0 } ?? y64).sum()
        }
        // An output that depends on no target has no graph; every analytic gradient is then zero.
        let s = try reduce(y)
        let analytic = s.requiresGrad ? try gradients(of: s, wrt: targets.map(\.1), allowUnused: true)
            : [Tensor?](repeating: nil, count: targets.count)

        return try Result(reports: zip(targets, analytic).map { target, grad in
            let (name, t) = target
            let numerical = try numericalGradient(of: t, eps: eps) { try reduce(function(xs)).item() }
            let exact = try grad?.doubles() ?? [Double](repeating: 0, count: t.count)
            return report(name: name, shape: t.shape, analytic: exact, numerical: numerical, atol: atol, rtol: rtol)
        }, atol: atol, rtol: rtol)
    }

    /// Same as `check`, throwing `Failure` (whose description lists every tensor's errors) when it does not pass.
    @discardableResult
    public static func verify(inputs: [Tensor], parameters: [(name: String, tensor: Tensor)] = [],
                              eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3, seed: UInt64 = 0,
                              _ function: ([Tensor]) throws -> Tensor) throws -> Result
    {
        let result = try check(inputs: inputs, parameters: parameters, eps: eps, atol: atol, rtol: rtol, seed: seed,
                               function)
        guard result.passed else { throw Failure(result: result) }
        return result
    }

    /// Central differences of `evaluate` with respect to each element of `t`, which is written in place (without
    /// recording gradients) and restored afterwards.
    private static func numericalGradient(of t: Tensor, eps: Double, _ evaluate: () throws -> Double) throws
        -> [Double]
    {
        let original = try t.doubles()
        var values = original
        func write(_ values: [Double]) throws {
            try withNoGrad { try t.copy_(Tensor(values, shape: t.shape)) }
        }
        let gradient = try original.indices.map { i in
            values[i] = original[i] + eps
            try write(values)
            let plus = try evaluate()
            values[i] = original[i] - eps
            try write(values)
            let minus = try evaluate()
            values[i] = original[i]
            return (plus - minus) / (2 * eps)
        }
        try write(original)
        return gradient
    }

    private static func report(name: String, shape: [Int], analytic: [Double], numerical: [Double], atol: Double,
                               rtol: Double) -> Report
    {
        var maxAbs = 0.0
        var maxRel = 0.0
        var worst = 0
        var worstRatio = -1.0
        for i in analytic.indices {
            // A NaN on either side counts as an infinite error, since NaN compares false everywhere.
            let difference = Swift.abs(analytic[i] - numerical[i])
            let error = difference.isNaN ? Double.infinity : difference
            let scale = Swift.abs(numerical[i])
            maxAbs = Swift.max(maxAbs, error)
            if scale > atol { maxRel = Swift.max(maxRel, error / scale) }
            let ratio = error / (atol + rtol * scale)
            if ratio > worstRatio {
                worstRatio = ratio
                worst = i
            }
        }
        return Report(name: name, shape: shape, maxAbsError: maxAbs, maxRelError: maxRel, worstIndex: worst,
                      analytic: analytic.isEmpty ? 0 : analytic[worst],
                      numerical: numerical.isEmpty ? 0 : numerical[worst], passed: worstRatio <= 1)
    }
}
