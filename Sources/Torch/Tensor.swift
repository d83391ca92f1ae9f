import CTorch

/// An n-dimensional array backed by a libtorch tensor.
///
/// The class owns its handle and frees it on deinit. The handle never leaves this module, and every C call
/// runs inside `withExtendedLifetime` of each tensor it reads (see `Tensor.produce`), because Swift may
/// release a temporary before the call that uses its handle has run.
public final class Tensor: @unchecked Sendable {
    let handle: OpaquePointer

    init(owning handle: OpaquePointer) { self.handle = handle }

    deinit { ct_tensor_free(handle) }

    /// Runs a shim call that writes one new tensor, keeping the inputs alive until it returns.
    /// Fixed-arity overloads avoid allocating a variadic array on every op.
    @inline(__always)
    static func produce(_ a: Tensor, body: (UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws -> Tensor {
        try withExtendedLifetime(a) { try adopt(body) }
    }

    @inline(__always)
    static func produce(_ a: Tensor, _ b: Tensor, body: (UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws
        -> Tensor
    {
        try withExtendedLifetime((a, b)) { try adopt(body) }
    }

    @inline(__always)
    static func produce(_ a: Tensor, _ b: Tensor, _ c: Tensor, body: (UnsafeMutablePointer<OpaquePointer?>) -> Int32)
        throws -> Tensor
    {
        try withExtendedLifetime((a, b, c)) { try adopt(body) }
    }

    /// A shim call that reads no tensor (factories).
    @inline(__always)
    static func produce(body: (UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws -> Tensor {
        try adopt(body)
    }

    @inline(__always)
    private static func adopt(_ body: (UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws -> Tensor {
        var out: OpaquePointer?
        try check(body(&out))
        guard let out else { throw TorchError("libtorch returned no tensor") }
        return Tensor(owning: out)
    }

    /// Same as `produce` for a list of inputs.
    @inline(__always)
    static func produce(all inputs: [Tensor], body: (UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws -> Tensor {
        try withExtendedLifetime(inputs) { try adopt(body) }
    }

    /// Runs a shim call that writes two tensors (values and indices, eigenvalues and vectors, ...).
    static func produce2(_ inputs: Tensor...,
                         body: (UnsafeMutablePointer<OpaquePointer?>, UnsafeMutablePointer<OpaquePointer?>) -> Int32)
        throws -> (Tensor, Tensor)
    {
        try withExtendedLifetime(inputs) {
            var a: OpaquePointer?
            var b: OpaquePointer?
            try check(body(&a, &b))
            guard let a, let b else { throw TorchError("libtorch returned no tensor") }
            return (Tensor(owning: a), Tensor(owning: b))
        }
    }

    /// Runs an in-place shim call on `self`, keeping the other operands alive.
    @inline(__always)
    func mutate(body: () -> Int32) throws {
        try withExtendedLifetime(self) { try check(body()) }
    }

    @inline(__always)
    func mutate(_ a: Tensor, body: () -> Int32) throws {
        try withExtendedLifetime((self, a)) { try check(body()) }
    }

    @inline(__always)
    func mutate(_ a: Tensor, _ b: Tensor, body: () -> Int32) throws {
        try withExtendedLifetime((self, a, b)) { try check(body()) }
    }

    /// Takes ownership of a malloc'd handle list from the shim.
    static func adoptList(_ list: UnsafeMutablePointer<OpaquePointer?>?, count: Int) -> [Tensor] {
        guard let list else { return [] }
        defer { ct_list_free(list) }
        return (0..<count).map { Tensor(owning: list[$0]!) }
    }

    /// Handles of several tensors for a list argument; call only inside `withExtendedLifetime(tensors)`.
    static func handles(_ tensors: [Tensor]) -> [OpaquePointer?] { tensors.map { $0.handle } }

    // MARK: metadata

    public var rank: Int { withExtendedLifetime(self) { Int(ct_dim(handle)) } }

    /// Sizes of each dimension, e.g. [N, C, H, W].
    public var shape: [Int] {
        withExtendedLifetime(self) {
            var sizes = [Int64](repeating: 0, count: Int(ct_dim(handle)))
            _ = ct_sizes(handle, &sizes, sizes.count)
            return sizes.map(Int.init)
        }
    }

    public var strides: [Int] {
        withExtendedLifetime(self) {
            var strides = [Int64](repeating: 0, count: Int(ct_dim(handle)))
            _ = ct_strides(handle, &strides, strides.count)
            return strides.map(Int.init)
        }
    }

    public var count: Int { withExtendedLifetime(self) { Int(ct_numel(handle)) } }

    public var dtype: DType {
        withExtendedLifetime(self) { DType(rawValue: ct_dtype(handle)) ?? .float32 }
    }

    public var device: Device {
        withExtendedLifetime(self) {
            var type: Int32 = 0
            var index: Int32 = 0
            _ = ct_device(handle, &type, &index)
            return type == 0 ? .cpu : .cuda(Int(index))
        }
    }

    public var isContiguous: Bool { withExtendedLifetime(self) { ct_is_contiguous(handle) != 0 } }
    /// Whether a 4-D tensor is laid out NHWC in memory (what oneDNN's convolutions run fastest on).
    public var isChannelsLast: Bool { withExtendedLifetime(self) { ct_is_channels_last(handle) != 0 } }

    /// Size of one dimension; negative indices count from the end.
    public func size(_ dim: Int) -> Int {
        let s = shape
        return s[dim < 0 ? dim + s.count : dim]
    }
}

extension Tensor: CustomStringConvertible {
    /// libtorch's own printout of the values.
    public var description: String {
        withExtendedLifetime(self) {
            (try? Runtime.string { ct_to_string(handle, $0, $1) }) ?? "Tensor(<unprintable>)"
        }
    }
}
