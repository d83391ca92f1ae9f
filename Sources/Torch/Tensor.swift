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

    /// Runs a shim call that writes one new tensor, keeping `inputs` alive until it returns.
    @inline(__always)
    static func produce(_ inputs: Tensor..., body: (UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws -> Tensor {
        try withExtendedLifetime(inputs) {
            var out: OpaquePointer?
            try check(body(&out))
            guard let out else { throw TorchError("libtorch returned no tensor") }
            return Tensor(owning: out)
        }
    }

    /// Same as `produce` for a list of inputs.
    @inline(__always)
    static func produce(all inputs: [Tensor], body: (UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws -> Tensor {
        try withExtendedLifetime(inputs) {
            var out: OpaquePointer?
            try check(body(&out))
            guard let out else { throw TorchError("libtorch returned no tensor") }
            return Tensor(owning: out)
        }
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

    /// Runs an in-place shim call on `self`, keeping `others` alive.
    @inline(__always)
    func mutate(_ others: Tensor..., body: () -> Int32) throws {
        try withExtendedLifetime((self, others)) { try check(body()) }
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
