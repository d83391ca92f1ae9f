import CTorch

/// Elementwise arithmetic with broadcasting, comparisons and unary functions.
extension Tensor {
    enum Binary: Int32 {
        case add = 0, sub, mul, div, pow, maximum, minimum, atan2, remainder
        case eq, ne, lt, le, gt, ge, logicalAnd, logicalOr
    }

    enum Unary: Int32 {
        case neg = 0, exp, log, sqrt, rsqrt, abs, sin, cos, tan, tanh, sigmoid, relu
        case sign, floor, ceil, round, reciprocal, square, erf, log1p, expm1, log2, log10
        case isnan, isfinite, logicalNot, acos, asin, atan, trunc
    }

    func binary(_ op: Binary, _ other: Tensor) throws -> Tensor {
        try Tensor.produce(self, other) { ct_binary(op.rawValue, handle, other.handle, $0) }
    }

    func binary(_ op: Binary, _ scalar: Double) throws -> Tensor {
        try Tensor.produce(self) { ct_binary_scalar(op.rawValue, handle, scalar, $0) }
    }

    func reversed(_ op: Binary, _ scalar: Double) throws -> Tensor {
        try Tensor.produce(self) { ct_rbinary_scalar(op.rawValue, scalar, handle, $0) }
    }

    func unary(_ op: Unary) throws -> Tensor {
        try Tensor.produce(self) { ct_unary(op.rawValue, handle, $0) }
    }

    // MARK: operators

    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.add, b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.sub, b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.mul, b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.div, b) }
    public static func + (a: Tensor, b: Double) throws -> Tensor { try a.binary(.add, b) }
    public static func - (a: Tensor, b: Double) throws -> Tensor { try a.binary(.sub, b) }
    public static func * (a: Tensor, b: Double) throws -> Tensor { try a.binary(.mul, b) }
    public static func / (a: Tensor, b: Double) throws -> Tensor { try a.binary(.div, b) }
    public static func + (a: Double, b: Tensor) throws -> Tensor { try b.reversed(.add, a) }
    public static func - (a: Double, b: Tensor) throws -> Tensor { try b.reversed(.sub, a) }
    public static func * (a: Double, b: Tensor) throws -> Tensor { try b.reversed(.mul, a) }
    public static func / (a: Double, b: Tensor) throws -> Tensor { try b.reversed(.div, a) }
    public static prefix func - (a: Tensor) throws -> Tensor { try a.unary(.neg) }

    // MARK: binary functions

    public func pow(_ exponent: Double) throws -> Tensor { try binary(.pow, exponent) }
    public func pow(_ exponent: Tensor) throws -> Tensor { try binary(.pow, exponent) }
    public func maximum(_ other: Tensor) throws -> Tensor { try binary(.maximum, other) }
    public func minimum(_ other: Tensor) throws -> Tensor { try binary(.minimum, other) }
    public func atan2(_ other: Tensor) throws -> Tensor { try binary(.atan2, other) }
    public func remainder(_ other: Double) throws -> Tensor { try binary(.remainder, other) }

    public func eq(_ other: Tensor) throws -> Tensor { try binary(.eq, other) }
    public func ne(_ other: Tensor) throws -> Tensor { try binary(.ne, other) }
    public func lt(_ other: Tensor) throws -> Tensor { try binary(.lt, other) }
    public func le(_ other: Tensor) throws -> Tensor { try binary(.le, other) }
    public func gt(_ other: Tensor) throws -> Tensor { try binary(.gt, other) }
    public func ge(_ other: Tensor) throws -> Tensor { try binary(.ge, other) }
    public func eq(_ value: Double) throws -> Tensor { try binary(.eq, value) }
    public func ne(_ value: Double) throws -> Tensor { try binary(.ne, value) }
    public func lt(_ value: Double) throws -> Tensor { try binary(.lt, value) }
    public func le(_ value: Double) throws -> Tensor { try binary(.le, value) }
    public func gt(_ value: Double) throws -> Tensor { try binary(.gt, value) }
    public func ge(_ value: Double) throws -> Tensor { try binary(.ge, value) }
    public func logicalAnd(_ other: Tensor) throws -> Tensor { try binary(.logicalAnd, other) }
    public func logicalOr(_ other: Tensor) throws -> Tensor { try binary(.logicalOr, other) }

    // MARK: unary functions

    public func exp() throws -> Tensor { try unary(.exp) }
    public func log() throws -> Tensor { try unary(.log) }
    public func log2() throws -> Tensor { try unary(.log2) }
    public func log10() throws -> Tensor { try unary(.log10) }
    public func log1p() throws -> Tensor { try unary(.log1p) }
    public func expm1() throws -> Tensor { try unary(.expm1) }
    public func sqrt() throws -> Tensor { try unary(.sqrt) }
    public func rsqrt() throws -> Tensor { try unary(.rsqrt) }
    public func abs() throws -> Tensor { try unary(.abs) }
    public func sin() throws -> Tensor { try unary(.sin) }
    public func cos() throws -> Tensor { try unary(.cos) }
    public func tan() throws -> Tensor { try unary(.tan) }
    public func asin() throws -> Tensor { try unary(.asin) }
    public func acos() throws -> Tensor { try unary(.acos) }
    public func atan() throws -> Tensor { try unary(.atan) }
    public func tanh() throws -> Tensor { try unary(.tanh) }
    public func sigmoid() throws -> Tensor { try unary(.sigmoid) }
    public func relu() throws -> Tensor { try unary(.relu) }
    public func sign() throws -> Tensor { try unary(.sign) }
    public func floor() throws -> Tensor { try unary(.floor) }
    public func ceil() throws -> Tensor { try unary(.ceil) }
    public func round() throws -> Tensor { try unary(.round) }
    public func trunc() throws -> Tensor { try unary(.trunc) }
    public func reciprocal() throws -> Tensor { try unary(.reciprocal) }
    public func square() throws -> Tensor { try unary(.square) }
    public func erf() throws -> Tensor { try unary(.erf) }
    public func isnan() throws -> Tensor { try unary(.isnan) }
    public func isfinite() throws -> Tensor { try unary(.isfinite) }
    public func logicalNot() throws -> Tensor { try unary(.logicalNot) }

    /// Clamps into [min, max]; either bound may be omitted.
    public func clamp(min: Double? = nil, max: Double? = nil) throws -> Tensor {
        try withBounds(min, max) { lo, hi in try Tensor.produce(self) { ct_clamp(handle, lo, hi, $0) } }
    }

    private func withBounds<R>(_ min: Double?, _ max: Double?,
                               _ body: (UnsafePointer<Double>?, UnsafePointer<Double>?) throws -> R) rethrows -> R
    {
        var lo = min ?? 0
        var hi = max ?? 0
        return try withUnsafePointer(to: &lo) { lp in
            try withUnsafePointer(to: &hi) { hp in try body(min == nil ? nil : lp, max == nil ? nil : hp) }
        }
    }

    // MARK: in place (optimisers, buffers); these bump libtorch's version counter like PyTorch's `_` methods

    public func add_(_ other: Tensor, alpha: Double = 1) throws { try mutate(other) { ct_add_(handle, other.handle, alpha) } }
    public func mul_(_ other: Tensor) throws { try mutate(other) { ct_mul_(handle, other.handle) } }
    public func div_(_ other: Tensor) throws { try mutate(other) { ct_div_(handle, other.handle) } }
    public func add_(_ value: Double) throws { try mutate { ct_add_scalar_(handle, value) } }
    public func mul_(_ value: Double) throws { try mutate { ct_mul_scalar_(handle, value) } }
    public func sqrt_() throws { try mutate { ct_sqrt_(handle) } }
    /// In place on an activation nothing else reads; autograd keeps it differentiable for slope >= 0.
    public func leakyRelu_(slope: Double) throws { try mutate { ct_leaky_relu_(handle, slope) } }
    public func zero_() throws { try mutate { ct_zero_(handle) } }
    public func fill_(_ value: Double) throws { try mutate { ct_fill_(handle, value) } }
    public func copy_(_ source: Tensor) throws { try mutate(source) { ct_copy_(handle, source.handle) } }

    /// self += value * a * b
    public func addcmul_(_ a: Tensor, _ b: Tensor, value: Double = 1) throws {
        try mutate(a, b) { ct_addcmul_(handle, a.handle, b.handle, value) }
    }

    /// self += value * a / b
    public func addcdiv_(_ a: Tensor, _ b: Tensor, value: Double = 1) throws {
        try mutate(a, b) { ct_addcdiv_(handle, a.handle, b.handle, value) }
    }

    /// self += weight * (end - self)
    public func lerp_(_ end: Tensor, weight: Double) throws { try mutate(end) { ct_lerp_(handle, end.handle, weight) } }

    public func clamp_(min: Double? = nil, max: Double? = nil) throws {
        try withBounds(min, max) { lo, hi in try mutate { ct_clamp_(handle, lo, hi) } }
    }

    // MARK: products

    public func matmul(_ other: Tensor) throws -> Tensor {
        try Tensor.produce(self, other) { ct_matmul(handle, other.handle, $0) }
    }

    /// Batched matrix product [B, N, M] x [B, M, P] -> [B, N, P].
    public func bmm(_ other: Tensor) throws -> Tensor {
        try Tensor.produce(self, other) { ct_bmm(handle, other.handle, $0) }
    }

    public func outer(_ other: Tensor) throws -> Tensor {
        try Tensor.produce(self, other) { ct_outer(handle, other.handle, $0) }
    }

    public static func einsum(_ equation: String, _ operands: [Tensor]) throws -> Tensor {
        try produce(all: operands) { out in
            let h = handles(operands)
            return ct_einsum(equation, h, h.count, out)
        }
    }

    /// Whether all |a - b| <= atol + rtol |b|.
    public func allClose(_ other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8) throws -> Bool {
        var result: Int32 = 0
        try withExtendedLifetime((self, other)) { try check(ct_allclose(handle, other.handle, rtol, atol, &result)) }
        return result != 0
    }
}
