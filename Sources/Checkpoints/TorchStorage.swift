import Torch

/// One PyTorch storage of a checkpoint: a flat run of elements that tensors view.
///
/// Its bytes are located when the format allows (at once in the zip format, after the object pickle in the
/// legacy one) and become a `Tensor` only when a value is materialised, once per dtype it is viewed as.
final class StorageSlot {
    enum Backing {
        case pending
        /// Bytes of a mapped file, valid while the file is being read.
        case borrowed(UnsafeRawBufferPointer)
        /// A private copy, for storages that outlive the bytes they came from (`_load_from_bytes`).
        case owned([UInt8])
    }

    let key: String
    let dtype: DType
    let numel: Int
    let byteCount: Int
    let bigEndian: Bool
    private(set) var backing: Backing = .pending
    private var tensors: [DType: Tensor] = [:]

    /// `numel` must already be known not to overflow `numel * dtype.byteSize`.
    init(key: String, dtype: DType, numel: Int, byteCount: Int, bigEndian: Bool) {
        self.key = key
        self.dtype = dtype
        self.numel = numel
        self.byteCount = byteCount
        self.bigEndian = bigEndian
    }

    var hasData: Bool {
        if case .pending = backing { false } else { true }
    }

    /// Points the slot at its bytes, which the caller has checked to be exactly `byteCount` long.
    func attach(_ bytes: UnsafeRawBufferPointer) { backing = .borrowed(bytes) }

    /// Copies borrowed bytes so the slot no longer depends on them.
    func makeOwned() {
        if case .borrowed(let bytes) = backing { backing = .owned(Array(bytes)) }
    }

    /// The whole storage as a 1-D tensor of `viewDType`, made once per dtype.
    func tensor(as viewDType: DType, file: String) throws -> Tensor {
        if let cached = tensors[viewDType] { return cached }
        guard byteCount % viewDType.byteSize == 0 else {
            throw CheckpointError.invalid(file: file, message:
                "storage '\(key)' of \(byteCount) bytes cannot be viewed as \(viewDType)")
        }
        let made: Tensor = try withBytes(file: file) { raw in
            let shape = [raw.count / viewDType.byteSize]
            return try torchCall(file, "storage '\(key)'") {
                guard bigEndian, viewDType.byteSize > 1 else {
                    return try Tensor(bytes: raw, shape: shape, dtype: viewDType)
                }
                var swapped = Array(raw)
                let width = viewDType.byteSize
                for start in stride(from: 0, to: swapped.count, by: width) {
                    swapped[start..<(start + width)].reverse()
                }
                return try Tensor(bytes: swapped, shape: shape, dtype: viewDType)
            }
        }
        tensors[viewDType] = made
        return made
    }

    private func withBytes<R>(file: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        switch backing {
        case .pending:
            throw CheckpointError.invalid(file: file, message: "storage '\(key)' has no data in the file")
        case .borrowed(let bytes):
            return try body(bytes)
        case .owned(let bytes):
            return try bytes.withUnsafeBytes(body)
        }
    }
}

/// A storage as a pickle sees it: a slot, or (legacy format) a window of one, counted in the slot's elements.
struct StorageRef {
    let slot: StorageSlot
    let offset: Int
    let numel: Int
}

/// A tensor waiting for its storage's bytes: `_rebuild_tensor_v2`'s arguments, already checked to fit.
struct TensorRef {
    let storage: StorageRef
    let dtype: DType
    /// Offset in elements of `dtype` from the start of `storage`.
    let offset: Int
    let size: [Int]
    let stride: [Int]

    /// Checks that every element the view can address lies inside the storage.
    init(storage: StorageRef, dtype: DType, offset: Int, size: [Int], stride: [Int], file: String) throws {
        func bad(_ message: String) -> CheckpointError { .invalid(file: file, message: message) }
        guard size.count == stride.count else {
            throw bad("tensor has \(size.count) sizes but \(stride.count) strides")
        }
        guard offset >= 0, size.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
            throw bad("tensor has a negative offset, size or stride (\(offset), \(size), \(stride))")
        }
        let storageBytes = storage.numel * storage.slot.dtype.byteSize
        let startBytes = storage.offset * storage.slot.dtype.byteSize
        guard storageBytes % dtype.byteSize == 0, startBytes % dtype.byteSize == 0 else {
            throw bad("storage '\(storage.slot.key)' does not hold whole \(dtype) elements")
        }
        let available = storageBytes / dtype.byteSize
        guard let numel = denseByteCount(size, elementSize: 1) else { throw bad("tensor size \(size) overflows") }
        var lastIndex = offset
        for (n, s) in zip(size, stride) {
            let (reach, overflow1) = max(n - 1, 0).multipliedReportingOverflow(by: s)
            let (sum, overflow2) = lastIndex.addingReportingOverflow(reach)
            guard !overflow1, !overflow2 else { throw bad("tensor size \(size) with stride \(stride) overflows") }
            lastIndex = sum
        }
        guard offset <= available, numel == 0 || lastIndex < available else {
            throw bad("tensor of size \(size), stride \(stride), offset \(offset) reaches past the end of "
                + "storage '\(storage.slot.key)' (\(available) elements)")
        }
        self.storage = storage
        self.dtype = dtype
        self.offset = offset
        self.size = size
        self.stride = stride
    }

    func materialize(file: String) throws -> Tensor {
        let base = try storage.slot.tensor(as: dtype, file: file)
        let start = storage.offset * storage.slot.dtype.byteSize / dtype.byteSize + offset
        return try torchCall(file, "tensor view of storage '\(storage.slot.key)'") {
            try base.asStrided(size, strides: stride, offset: start)
        }
    }
}

/// Runs a libtorch call, turning its `TorchError` into a `CheckpointError` that names the file.
func torchCall<R>(_ file: String, _ what: String, _ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let error as TorchError {
        throw CheckpointError.invalid(file: file, message: "libtorch rejected \(what): \(error.message)")
    }
}

/// PyTorch's names for the dtypes `DType` has.
enum TorchNames {
    /// The legacy typed storage classes (`torch.FloatStorage`, ...); UntypedStorage holds bytes.
    static func dtype(ofStorage name: String) -> DType? {
        switch name {
        case "DoubleStorage": .float64
        case "FloatStorage": .float32
        case "HalfStorage": .float16
        case "BFloat16Storage": .bfloat16
        case "LongStorage": .int64
        case "IntStorage": .int32
        case "ShortStorage": .int16
        case "CharStorage": .int8
        case "ByteStorage", "UntypedStorage": .uint8
        case "BoolStorage": .bool
        default: nil
        }
    }

    /// `torch.<name>` dtype objects, as `_rebuild_tensor_v3` receives them.
    static func dtype(named name: String) -> DType? {
        switch name {
        case "float32", "float": .float32
        case "float64", "double": .float64
        case "float16", "half": .float16
        case "bfloat16": .bfloat16
        case "int64", "long": .int64
        case "int32", "int": .int32
        case "int16", "short": .int16
        case "int8": .int8
        case "uint8": .uint8
        case "bool": .bool
        default: nil
        }
    }
}
