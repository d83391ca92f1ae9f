/// Writes a zip archive of stored (uncompressed) entries with CRC-32s, as np.savez does, switching to
/// zip64 records for entries, offsets or counts beyond the 32/16-bit fields.
struct ZipWriter {
    private let sink: ByteSink
    private let file: String
    /// Writes zip64 records even when not needed, so tests can check them on small archives.
    private let forceZip64: Bool
    /// Entry data starts at a multiple of this many bytes (1: packed), padded with an "FB" extra field in the
    /// local header as PyTorch's writer pads, so a mapped archive's tensors are aligned.
    private let alignment: Int
    private var offset: UInt64 = 0
    private var central: [UInt8] = []
    private var count = 0
    private var names: Set<String> = []
    /// The CRC-32 of each entry added, in order.
    private(set) var checksums: [UInt32] = []

    init(sink: ByteSink, file: String, forceZip64: Bool = false, alignment: Int = 1) {
        self.sink = sink
        self.file = file
        self.forceZip64 = forceZip64
        self.alignment = alignment
    }

    private static let madeBy: UInt16 = 3 << 8 | 45 // Unix, zip 4.5
    private static let dosDate: UInt16 = 1 << 5 | 1 // 1980-01-01: fixed, so output is reproducible
    private static let unixMode: UInt32 = 0o100644 << 16

    mutating func add(_ name: String, _ data: UnsafeRawBufferPointer) throws {
        guard names.insert(name).inserted else {
            throw CheckpointError.invalid(file: file, message: "two zip entries named '\(name)'")
        }
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= 0xFFFF else {
            throw CheckpointError.invalid(file: file, message: "zip entry name of \(nameBytes.count) bytes is too long")
        }
        let crc = CRC32.checksum(data)
        let size = UInt64(data.count)
        let bigSize = forceZip64 || size >= 0xFFFF_FFFF
        let bigOffset = forceZip64 || offset >= 0xFFFF_FFFF
        let flags: UInt16 = nameBytes.allSatisfy { $0 < 0x80 } ? 0 : 1 << 11 // bit 11: name is UTF-8
        let needed: UInt16 = bigSize || bigOffset ? 45 : 20

        var local: [UInt8] = []
        local.le(ZipArchive.localHeaderSignature)
        local.le(needed); local.le(flags); local.le(UInt16(0)); local.le(UInt16(0)); local.le(Self.dosDate)
        local.le(crc)
        local.le(bigSize ? UInt32.max : UInt32(size)); local.le(bigSize ? UInt32.max : UInt32(size))
        var localExtra: [UInt8] = []
        if bigSize {
            localExtra.le(UInt16(1)); localExtra.le(UInt16(16)); localExtra.le(size); localExtra.le(size)
        }
        if alignment > 1 {
            let start = Int(offset) + 30 + nameBytes.count + localExtra.count + 4
            let padding = (alignment - start % alignment) % alignment
            localExtra.append(contentsOf: Array("FB".utf8)); localExtra.le(UInt16(padding))
            localExtra.append(contentsOf: repeatElement(0, count: padding))
        }
        local.le(UInt16(nameBytes.count)); local.le(UInt16(localExtra.count))
        local.append(contentsOf: nameBytes)
        local.append(contentsOf: localExtra)

        var extra: [UInt8] = []
        if bigSize || bigOffset {
            extra.le(UInt16(1)); extra.le(UInt16((bigSize ? 16 : 0) + (bigOffset ? 8 : 0)))
            if bigSize { extra.le(size); extra.le(size) }
            if bigOffset { extra.le(offset) }
        }
        central.le(ZipArchive.centralHeaderSignature)
        central.le(Self.madeBy); central.le(needed); central.le(flags); central.le(UInt16(0))
        central.le(UInt16(0)); central.le(Self.dosDate); central.le(crc)
        central.le(bigSize ? UInt32.max : UInt32(size)); central.le(bigSize ? UInt32.max : UInt32(size))
        central.le(UInt16(nameBytes.count)); central.le(UInt16(extra.count)); central.le(UInt16(0))
        central.le(UInt16(0)); central.le(UInt16(0)); central.le(Self.unixMode)
        central.le(bigOffset ? UInt32.max : UInt32(offset))
        central.append(contentsOf: nameBytes)
        central.append(contentsOf: extra)

        try sink.write(local)
        try sink.write(data)
        offset += UInt64(local.count) + size
        count += 1
        checksums.append(crc)
    }

    /// Writes the central directory and end records; the writer must not be used afterwards.
    mutating func finish() throws {
        let directoryOffset = offset
        let directorySize = UInt64(central.count)
        try sink.write(central)
        offset += directorySize
        let big = forceZip64 || count >= 0xFFFF || directoryOffset >= 0xFFFF_FFFF || directorySize >= 0xFFFF_FFFF
        var end: [UInt8] = []
        if big {
            end.le(ZipArchive.zip64EndSignature); end.le(UInt64(44))
            end.le(Self.madeBy); end.le(UInt16(45)); end.le(UInt32(0)); end.le(UInt32(0))
            end.le(UInt64(count)); end.le(UInt64(count)); end.le(directorySize); end.le(directoryOffset)
            end.le(ZipArchive.zip64LocatorSignature); end.le(UInt32(0)); end.le(offset); end.le(UInt32(1))
        }
        end.le(ZipArchive.endSignature); end.le(UInt16(0)); end.le(UInt16(0))
        end.le(big ? UInt16.max : UInt16(count)); end.le(big ? UInt16.max : UInt16(count))
        end.le(big ? UInt32.max : UInt32(directorySize)); end.le(big ? UInt32.max : UInt32(directoryOffset))
        end.le(UInt16(0))
        try sink.write(end)
    }
}

extension [UInt8] {
    /// Appends `value` in little-endian byte order.
    mutating func le<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
