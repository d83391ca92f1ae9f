import Torch

/// Writes `torch.save` files that Python's `torch.load` reads.
extension TorchCheckpoint {
    /// Writes `value` to `path` as the zip archive current `torch.save` writes, through a temporary file
    /// renamed into place, so a crash never leaves a partial checkpoint. Records sit under the file's stem, as
    /// torch names them: `<stem>/data.pkl` (pickle protocol 2), `<stem>/data/<key>` per storage (64-byte
    /// aligned), `<stem>/byteorder`, `<stem>/version` and `<stem>/.data/serialization_id`.
    public static func save(_ value: CheckpointValue, to path: String) throws {
        let out = try AtomicFile(path: path)
        try serialize(value, archiveName: archiveName(for: path), into: out, file: path)
        try out.commit()
    }

    /// The bytes `save` would write, with records under `archiveName` (torch's name for files saved to a buffer).
    public static func encode(_ value: CheckpointValue, archiveName: String = "archive") throws -> [UInt8] {
        let sink = MemorySink()
        try serialize(value, archiveName: archiveName, into: sink, file: "<memory>")
        return sink.bytes
    }

    /// The stem of the file name, as `os.path.splitext(os.path.basename(path))[0]`.
    static func archiveName(for path: String) -> String {
        let base = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        let leadingDots = base.prefix { $0 == "." }
        let rest = base.dropFirst(leadingDots.count)
        guard let dot = rest.lastIndex(of: ".") else { return base.isEmpty ? "archive" : base }
        return String(leadingDots) + String(rest[..<dot])
    }

    private static func serialize(_ value: CheckpointValue, archiveName: String, into sink: ByteSink,
                                  file: String) throws
    {
        var storages: [(key: String, tensor: Tensor)] = []
        let pickle = try PickleWriter.encode(value) { tensor in
            let key = String(storages.count)
            storages.append((key, tensor))
            return (key, TorchNames.storageClass(of: tensor.dtype))
        }

        var zip = ZipWriter(sink: sink, file: file, alignment: 64)
        var size = 0
        func add(_ name: String, _ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try zip.add(archiveName + "/" + name, $0) }
            size += bytes.count
        }
        try add("data.pkl", pickle)
        try add(".format_version", Array("1".utf8))
        try add(".storage_alignment", Array("64".utf8))
        try add("byteorder", Array("little".utf8))
        for (key, tensor) in storages {
            try add("data/" + key, try torchCall(file, "tensor for storage \(key)") { try tensor.bytes() })
        }
        try add("version", Array("3\n".utf8))
        try add(".data/serialization_id", serializationID(crcs: zip.checksums, size: size))
        try zip.finish()
    }

    /// 40 decimal digits that identify the content, as torch's: a hash of the records' CRC-32s, then their size.
    private static func serializationID(crcs: [UInt32], size: Int) -> [UInt8] {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for crc in crcs {
            for shift in stride(from: 0, to: 32, by: 8) {
                hash = (hash ^ UInt64((crc >> UInt32(shift)) & 0xFF)) &* 0x100_0000_01B3
            }
        }
        func digits(_ value: UInt64) -> String {
            let text = String(value)
            return String(repeating: "0", count: 20 - text.count) + text
        }
        return Array((digits(hash) + digits(UInt64(size))).utf8)
    }
}

extension TorchNames {
    /// The legacy typed storage class `torch.save` names for a dtype ("FloatStorage").
    static func storageClass(of dtype: DType) -> String {
        switch dtype {
        case .float64: "DoubleStorage"
        case .float32: "FloatStorage"
        case .float16: "HalfStorage"
        case .bfloat16: "BFloat16Storage"
        case .int64: "LongStorage"
        case .int32: "IntStorage"
        case .int16: "ShortStorage"
        case .int8: "CharStorage"
        case .uint8: "ByteStorage"
        case .bool: "BoolStorage"
        }
    }
}
