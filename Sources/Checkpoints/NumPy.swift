import Foundation
import Torch

/// Reads and writes NumPy's .npy arrays and .npz archives (zips of .npy files, as np.savez writes them).
///
/// Arrays may be C or Fortran ordered and use header versions 1.0, 2.0 and 3.0; data must be little-endian
/// (or single-byte) bool, int8/16/32/64, uint8 or float16/32/64. Compressed archives are refused.
public enum NumPy {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    // MARK: .npy

    /// Reads the .npy file at `path` as a contiguous tensor (Fortran-ordered data is reordered).
    public static func readArray(_ path: String) throws -> Tensor {
        let mapped = try MappedFile(path: path)
        return try withExtendedLifetime(mapped) { try decodeArray(mapped.bytes, file: path, member: nil) }
    }

    /// Reads an .npy file held in memory; `name` stands for the file in errors.
    public static func decodeArray(_ bytes: some ContiguousBytes, name: String) throws -> Tensor {
        try bytes.withUnsafeBytes { try decodeArray($0, file: name, member: nil) }
    }

    /// Writes a C-ordered .npy file through a temporary file.
    public static func writeArray(_ tensor: Tensor, to path: String) throws {
        let out = try AtomicFile(path: path)
        try out.write(try encodeArray(tensor, file: path))
        try out.commit()
    }

    /// The bytes `writeArray` would put in a file.
    public static func encodeArray(_ tensor: Tensor) throws -> [UInt8] { try encodeArray(tensor, file: "<memory>") }

    // MARK: .npz

    /// The arrays of an .npz file, by name without the ".npy" suffix, in archive order.
    public static func readArchive(_ path: String) throws -> StateDict {
        let mapped = try MappedFile(path: path)
        return try withExtendedLifetime(mapped) { try decodeArchive(mapped.bytes, file: path) }
    }

    /// Reads an .npz file held in memory; `name` stands for the file in errors.
    public static func decodeArchive(_ bytes: some ContiguousBytes, name: String) throws -> StateDict {
        try bytes.withUnsafeBytes { try decodeArchive($0, file: name) }
    }

    /// Writes `arrays` as "<name>.npy" members, sorted by name, uncompressed, through a temporary file.
    public static func writeArchive(_ arrays: [String: Tensor], to path: String) throws {
        let out = try AtomicFile(path: path)
        try serializeArchive(arrays, into: out, file: path, forceZip64: false)
        try out.commit()
    }

    /// The bytes `writeArchive` would put in a file.
    public static func encodeArchive(_ arrays: [String: Tensor]) throws -> [UInt8] {
        try encodeArchive(arrays, forceZip64: false)
    }

    static func encodeArchive(_ arrays: [String: Tensor], forceZip64: Bool) throws -> [UInt8] {
        let sink = MemorySink()
        try serializeArchive(arrays, into: sink, file: "<memory>", forceZip64: forceZip64)
        return sink.bytes
    }

    // MARK: implementation

    static func decodeArray(_ bytes: UnsafeRawBufferPointer, file: String, member: String?) throws -> Tensor {
        let prefix = member.map { "member '\($0)': " } ?? ""
        func bad(_ message: String) -> CheckpointError { .invalid(file: file, message: prefix + message) }
        var reader = ByteReader(bytes, file: file, context: prefix + ".npy header")
        guard bytes.count >= magic.count, try reader.take(magic.count).elementsEqual(magic) else {
            throw bad("not an .npy file (no \\x93NUMPY magic)")
        }
        let major = try reader.u8(), minor = try reader.u8()
        guard minor == 0, (1...3).contains(major) else {
            throw CheckpointError.unsupported(file: file, message: prefix + ".npy format version \(major).\(minor)")
        }
        let headerLength = major == 1 ? Int(try reader.u16()) : Int(try reader.u32())
        let headerBytes = try reader.take(headerLength)
        // Versions 1 and 2 store the header as latin-1, version 3 as UTF-8.
        let text: String
        if major == 3 {
            guard let decoded = String(validating: headerBytes, as: UTF8.self) else {
                throw bad("header is not valid UTF-8")
            }
            text = decoded
        } else {
            text = String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))
        }
        let header: NumPyHeader
        let dtype: DType
        do {
            header = try NumPyHeader(parsing: text)
            dtype = try NumPyHeader.dtype(of: header.descr).get()
        } catch {
            if error.unsupported { throw CheckpointError.unsupported(file: file, message: prefix + error.message) }
            throw bad("malformed header: \(error.message)")
        }
        guard let byteCount = denseByteCount(header.shape, elementSize: dtype.byteSize) else {
            throw bad("shape \(header.shape) overflows")
        }
        guard reader.remaining == byteCount else {
            throw bad(reader.remaining < byteCount
                ? "truncated data: shape \(header.shape) of \(header.descr) needs \(byteCount) bytes, "
                    + "\(reader.remaining) follow the header"
                : "\(reader.remaining - byteCount) bytes after the array data")
        }
        let data = try reader.take(byteCount)
        return try torchCall(file, prefix + "array") {
            guard header.fortranOrder, header.shape.count > 1, byteCount > 0 else {
                return try Tensor(bytes: data, shape: header.shape, dtype: dtype)
            }
            // Column-major data is the row-major layout of the reversed shape; view it transposed.
            let flat = try Tensor(bytes: data, shape: [byteCount / dtype.byteSize], dtype: dtype)
            var strides: [Int] = []
            var step = 1
            for dim in header.shape {
                strides.append(step)
                step *= max(dim, 1)
            }
            return try flat.asStrided(header.shape, strides: strides, offset: 0).contiguous()
        }
    }

    static func encodeArray(_ tensor: Tensor, file: String) throws -> [UInt8] {
        guard let descr = NumPyHeader.descr(of: tensor.dtype) else {
            throw CheckpointError.unsupported(file: file, message: "NumPy has no \(tensor.dtype) dtype")
        }
        var header = Array(NumPyHeader(descr: descr, fortranOrder: false, shape: tensor.shape).text.utf8)
        // Pad with spaces and a newline so the data starts at a multiple of 64, as np.save does; version 1.0
        // has a 16-bit header length, 2.0 a 32-bit one.
        func padding(lengthBytes: Int) -> Int { (64 - (magic.count + 2 + lengthBytes + header.count + 1) % 64) % 64 }
        let version1 = header.count + padding(lengthBytes: 2) + 1 <= Int(UInt16.max)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding(lengthBytes: version1 ? 2 : 4)))
        header.append(UInt8(ascii: "\n"))
        var out = magic
        out.append(contentsOf: [version1 ? 1 : 2, 0])
        if version1 { out.le(UInt16(header.count)) } else { out.le(UInt32(header.count)) }
        out.append(contentsOf: header)
        out.append(contentsOf: try torchCall(file, "array") { try tensor.bytes() })
        return out
    }

    static func decodeArchive(_ bytes: UnsafeRawBufferPointer, file: String) throws -> StateDict {
        let archive = try ZipArchive(bytes, file: file)
        var arrays = StateDict()
        for entry in archive.entries {
            guard entry.name.hasSuffix(".npy") else {
                throw CheckpointError.invalid(file: file, message: "member '\(entry.name)' is not an .npy array")
            }
            let name = String(entry.name.dropLast(4))
            if entry.method == 8 {
                // np.savez_compressed: DEFLATE members.
                let data = try archive.inflated(entry)
                arrays[name] = try data.withUnsafeBytes { try decodeArray($0, file: file, member: entry.name) }
            } else {
                let data = try archive.contents(of: entry, verify: true)
                arrays[name] = try decodeArray(data, file: file, member: entry.name)
            }
        }
        return arrays
    }

    private static func serializeArchive(_ arrays: [String: Tensor], into sink: ByteSink, file: String,
                                         forceZip64: Bool) throws
    {
        var zip = ZipWriter(sink: sink, file: file, forceZip64: forceZip64)
        for name in arrays.keys.sorted() {
            try encodeArray(arrays[name]!, file: file).withUnsafeBytes { try zip.add(name + ".npy", $0) }
        }
        try zip.finish()
    }
}
