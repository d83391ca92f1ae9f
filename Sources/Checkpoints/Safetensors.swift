import Foundation
import Torch

/// What a safetensors file holds: its tensors and the free-form `__metadata__` strings.
public struct SafetensorsFile: Sendable {
    /// The tensors, ordered by name.
    public let tensors: StateDict
    /// The `__metadata__` map (empty when the file has none).
    public let metadata: [String: String]
}

/// Reads and writes the safetensors format (8-byte little-endian header length, JSON header, raw data),
/// validating a file as strictly as the reference Rust crate does before any tensor is made.
public enum Safetensors {
    /// Largest header accepted, as in the reference implementation.
    public static let maxHeaderSize = 100_000_000

    /// Reads and validates the file at `path` (mapped, so only the tensors are copied into memory).
    public static func read(_ path: String) throws -> SafetensorsFile {
        let mapped = try MappedFile(path: path)
        return try withExtendedLifetime(mapped) { try decode(mapped.bytes, file: path) }
    }

    /// Reads a safetensors file held in memory; `name` stands for the file in errors.
    public static func decode(_ bytes: some ContiguousBytes, name: String) throws -> SafetensorsFile {
        try bytes.withUnsafeBytes { try decode($0, file: name) }
    }

    /// Writes `tensors` (sorted by name) and `metadata` to `path` through a temporary file, so that a failed
    /// write never leaves a partial file behind.
    /// `tensors` with the floating-point ones as float16 on the CPU (the shipped form of trained weights; loading
    /// into a module converts them back), the others as they are.
    public static func halved(_ tensors: [String: Tensor]) throws -> [String: Tensor] {
        try tensors.mapValues { $0.dtype.isFloatingPoint ? try $0.to(device: .cpu, dtype: .float16) : $0 }
    }

    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        let out = try AtomicFile(path: path)
        try serialize(tensors, metadata: metadata, into: out, file: path)
        try out.commit()
    }

    /// The bytes `write` would put in a file.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        let sink = MemorySink()
        try serialize(tensors, metadata: metadata, into: sink, file: "<memory>")
        return sink.bytes
    }

    // MARK: dtype codes

    static func code(of dtype: DType) -> String {
        switch dtype {
        case .float64: "F64"
        case .float32: "F32"
        case .float16: "F16"
        case .bfloat16: "BF16"
        case .int64: "I64"
        case .int32: "I32"
        case .int16: "I16"
        case .int8: "I8"
        case .uint8: "U8"
        case .bool: "BOOL"
        }
    }

    private static let codes: [String: DType] =
        Dictionary(uniqueKeysWithValues: DType.allCases.map { (code(of: $0), $0) })
    /// Codes the format defines that `DType` cannot hold.
    private static let otherCodes: Set<String> = [
        "U16", "U32", "U64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64",
    ]

    // MARK: reading

    private struct Entry {
        let name: String
        let dtype: DType
        let shape: [Int]
        let start: Int
        let end: Int
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws -> SafetensorsFile {
        func bad(_ message: String) -> CheckpointError { .invalid(file: file, message: message) }
        guard bytes.count >= 8 else {
            throw bad("file of \(bytes.count) bytes is too short for the 8-byte header length")
        }
        let headerLength = bytes.le(UInt64.self, at: 0)
        guard headerLength <= UInt64(maxHeaderSize) else {
            throw bad("header length \(headerLength) exceeds the \(maxHeaderSize)-byte limit")
        }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw bad("header length \(headerLength) runs past the end of the \(bytes.count)-byte file")
        }
        let header = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + Int(headerLength))])
        guard String(validating: header, as: UTF8.self) != nil else { throw bad("header is not valid UTF-8") }
        guard header.first == UInt8(ascii: "{") else { throw bad("header does not start with '{'") }
        let json: JSONValue
        do {
            json = try JSONParser.parse(header)
        } catch {
            throw bad("header is not valid JSON: \(error.message)")
        }
        guard case .object(let members) = json else { throw bad("header is not a JSON object") }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in members {
            if name == "__metadata__" {
                metadata = try readMetadata(value, file: file)
            } else {
                entries.append(try readEntry(name, value, file: file))
            }
        }

        // Data must be tiled exactly: sorted by offsets, from 0, no holes, no overlaps, to the end of the file.
        entries.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        var position = 0
        for entry in entries {
            guard entry.start == position else {
                throw bad(entry.start > position
                    ? "hole in the data before '\(entry.name)' (bytes \(position)..<\(entry.start) belong to no tensor)"
                    : "data of '\(entry.name)' overlaps the previous tensor "
                    + "(starts at \(entry.start), before \(position))")
            }
            position = entry.end
        }
        let dataLength = bytes.count - 8 - Int(headerLength)
        guard position == dataLength else {
            throw bad(position > dataLength
                ? "file is truncated: tensor data ends at \(position) "
                    + "but only \(dataLength) data bytes follow the header"
                : "\(dataLength - position) bytes after the last tensor's data")
        }

        let base = 8 + Int(headerLength)
        var tensors: [(String, Tensor)] = []
        for entry in entries.sorted(by: { $0.name < $1.name }) {
            let raw = UnsafeRawBufferPointer(rebasing: bytes[(base + entry.start)..<(base + entry.end)])
            tensors.append((entry.name, try torchCall(file, "tensor '\(entry.name)'") {
                try Tensor(bytes: raw, shape: entry.shape, dtype: entry.dtype)
            }))
        }
        return SafetensorsFile(tensors: StateDict(tensors), metadata: metadata)
    }

    private static func readMetadata(_ value: JSONValue, file: String) throws -> [String: String] {
        switch value {
        case .null:
            return [:]
        case .object(let members):
            var metadata: [String: String] = [:]
            for (key, item) in members {
                guard case .string(let text) = item else {
                    throw CheckpointError.invalid(file: file, message: "__metadata__ value of '\(key)' is not a string")
                }
                metadata[key] = text
            }
            return metadata
        default:
            throw CheckpointError.invalid(file: file, message: "__metadata__ is not an object of strings")
        }
    }

    private static func readEntry(_ name: String, _ value: JSONValue, file: String) throws -> Entry {
        func bad(_ message: String) -> CheckpointError { .invalid(file: file, message: "tensor '\(name)': \(message)") }
        guard case .object(let fields) = value else { throw bad("entry is not an object") }
        func field(_ key: String) throws -> JSONValue {
            guard let found = fields.first(where: { $0.key == key }) else { throw bad("missing \"\(key)\"") }
            return found.value
        }
        guard case .string(let code) = try field("dtype") else { throw bad("dtype is not a string") }
        guard let dtype = codes[code] else {
            if otherCodes.contains(code) {
                throw CheckpointError.unsupported(file: file, message:
                    "tensor '\(name)': dtype \(code) is not supported")
            }
            throw bad("unknown dtype '\(code)'")
        }
        guard case .array(let dims) = try field("shape") else { throw bad("shape is not an array") }
        let shape = try dims.map {
            guard let dim = $0.nonNegativeInt else {
                throw bad("shape holds something other than a non-negative integer")
            }
            return dim
        }
        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2,
              let start = offsets[0].nonNegativeInt, let end = offsets[1].nonNegativeInt
        else { throw bad("data_offsets is not a pair of non-negative integers") }
        guard start <= end else { throw bad("data_offsets [\(start), \(end)] end before they start") }
        guard let byteCount = denseByteCount(shape, elementSize: dtype.byteSize) else {
            throw bad("shape \(shape) overflows")
        }
        guard end - start == byteCount else {
            throw bad("data_offsets span \(end - start) bytes but shape \(shape) of \(code) needs \(byteCount)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, start: start, end: end)
    }

    // MARK: writing

    private static func serialize(_ tensors: [String: Tensor], metadata: [String: String], into sink: ByteSink,
                                  file: String) throws
    {
        let names = tensors.keys.sorted()
        guard !names.contains("__metadata__") else {
            throw CheckpointError.invalid(file: file, message: "a tensor cannot be named __metadata__")
        }
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(jsonQuoted($0)):\(jsonQuoted(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            let byteCount = tensor.count * tensor.dtype.byteSize
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonQuoted(name)):{\"dtype\":\"\(code(of: tensor.dtype))\",\"shape\":[\(shape)],"
                + "\"data_offsets\":[\(offset),\(offset + byteCount)]}")
            offset += byteCount
        }
        var header = Array("{\(parts.joined(separator: ","))}".utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        guard header.count <= maxHeaderSize else {
            throw CheckpointError.invalid(file: file, message:
                "header of \(header.count) bytes exceeds the \(maxHeaderSize)-byte limit")
        }
        var prefix: [UInt8] = []
        prefix.le(UInt64(header.count))
        try sink.write(prefix)
        try sink.write(header)
        for name in names {
            let tensor = tensors[name]!
            try sink.write(try torchCall(file, "tensor '\(name)'") { try tensor.bytes() })
        }
    }
}
