import CTorch

/// Swift element types that map one-to-one onto a dtype.
public protocol TensorElement {
    static var dtype: DType { get }
}
extension Float: TensorElement { public static var dtype: DType { .float32 } }
extension Double: TensorElement { public static var dtype: DType { .float64 } }
extension Int64: TensorElement { public static var dtype: DType { .int64 } }
extension Int32: TensorElement { public static var dtype: DType { .int32 } }
extension UInt8: TensorElement { public static var dtype: DType { .uint8 } }
extension Bool: TensorElement { public static var dtype: DType { .bool } }

extension Tensor {
    /// A CPU tensor holding a copy of `values`, laid out row-major in `shape` (default: 1-D).
    public convenience init<T: TensorElement>(_ values: [T], shape: [Int]? = nil) throws {
        let shape = shape ?? [values.count]
        let handle = try values.withUnsafeBytes { try Tensor.fromBytes($0, shape: shape, dtype: T.dtype) }
        self.init(owning: handle)
    }

    /// A CPU tensor holding a copy of raw little-endian bytes of `dtype` (f16/bf16 included).
    public convenience init(bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws {
        self.init(owning: try Tensor.fromBytes(bytes, shape: shape, dtype: dtype))
    }

    public convenience init(bytes: [UInt8], shape: [Int], dtype: DType) throws {
        let handle = try bytes.withUnsafeBytes { try Tensor.fromBytes($0, shape: shape, dtype: dtype) }
        self.init(owning: handle)
    }

    private static func fromBytes(_ bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws -> OpaquePointer {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw TorchError("negative dimension in shape \(shape)") }
        let dims = shape.map(Int64.init)
        var out: OpaquePointer?
        try check(ct_from_bytes(bytes.baseAddress, bytes.count, dims, dims.count, dtype.rawValue, &out))
        return out!
    }

    /// A 0-dim tensor.
    public static func scalar(_ value: Double, dtype: DType = .float32) throws -> Tensor {
        try produce { ct_scalar_double(value, dtype.rawValue, $0) }
    }

    public static func scalar(_ value: Int, dtype: DType = .int64) throws -> Tensor {
        try produce { ct_scalar_int64(Int64(value), dtype.rawValue, $0) }
    }

    /// The values as raw bytes, row-major, copied to the CPU.
    public func bytes() throws -> [UInt8] {
        let n = count * dtype.byteSize
        var out = [UInt8](repeating: 0, count: n)
        try withExtendedLifetime(self) {
            try out.withUnsafeMutableBytes { try check(ct_copy_to_bytes(handle, $0.baseAddress, n)) }
        }
        return out
    }

    /// The values converted to `T`, row-major.
    public func array<T: TensorElement>(of _: T.Type = T.self) throws -> [T] {
        let t = dtype == T.dtype ? self : try to(dtype: T.dtype)
        let n = t.count
        return try withExtendedLifetime(t) {
            try [T](unsafeUninitializedCapacity: n) { buffer, initialized in
                try check(ct_copy_to_bytes(t.handle, buffer.baseAddress, n * MemoryLayout<T>.stride))
                initialized = n
            }
        }
    }

    public func floats() throws -> [Float] { try array(of: Float.self) }
    public func doubles() throws -> [Double] { try array(of: Double.self) }
    public func int64s() throws -> [Int64] { try array(of: Int64.self) }

    /// The value of a one-element tensor.
    public func item() throws -> Double {
        var value = 0.0
        try withExtendedLifetime(self) { try check(ct_item_double(handle, &value)) }
        return value
    }

    public func itemInt() throws -> Int {
        var value: Int64 = 0
        try withExtendedLifetime(self) { try check(ct_item_int64(handle, &value)) }
        return Int(value)
    }

    // MARK: moves and copies

    public func to(device: Device) throws -> Tensor { try to(device: device, dtype: dtype) }
    public func to(dtype: DType) throws -> Tensor { try to(device: device, dtype: dtype) }

    public func to(device: Device, dtype: DType, copy: Bool = false) throws -> Tensor {
        try Tensor.produce(self) {
            ct_to(handle, device.code.0, device.code.1, dtype.rawValue, copy ? 1 : 0, $0)
        }
    }

    public func contiguous() throws -> Tensor { try Tensor.produce(self) { ct_contiguous(handle, $0) } }
    /// The same values with NHWC memory (4-D tensors); shape and indexing are unchanged.
    public func channelsLast() throws -> Tensor {
        guard rank == 4 else { throw TorchError("channelsLast: expected a 4-D tensor, got \(shape)") }
        return try Tensor.produce(self) { ct_contiguous_channels_last(handle, $0) }
    }
    public func clone() throws -> Tensor { try Tensor.produce(self) { ct_clone(handle, $0) } }

    /// The same values, cut from the autograd graph (shares storage).
    public func detach() throws -> Tensor { try Tensor.produce(self) { ct_detach(handle, $0) } }

    /// Makes this tensor use `data`'s storage, keeping its identity (how modules move between devices).
    public func setData(_ data: Tensor) throws {
        try mutate(data) { ct_set_data(handle, data.handle) }
    }

    /// A view with explicit sizes, strides and storage offset (bounds-checked by libtorch).
    public func asStrided(_ size: [Int], strides: [Int], offset: Int = 0) throws -> Tensor {
        let s = size.map(Int64.init)
        let st = strides.map(Int64.init)
        return try Tensor.produce(self) { ct_as_strided(handle, s, s.count, st, st.count, Int64(offset), $0) }
    }
}
