/// A read-only view of a zip archive (torch.save files, .npz) over bytes it does not own.
///
/// The central directory is the truth (torch writes sizes only there, behind data descriptors); zip64
/// records are read, and every offset and size is checked against the file before use. Entries are
/// returned as slices of the original bytes, never copied.
///
/// Hand-written on purpose, not a zip package: a checkpoint is memory-mapped and its stored (uncompressed)
/// tensor entries become tensors straight from those slices, while zip libraries such as ZIPFoundation
/// extract each entry into a new buffer, a second copy of a multi-gigabyte file.
struct ZipArchive {
    struct Entry {
        let name: String
        let method: UInt16
        let crc32: UInt32
        let compressedSize: Int
        let size: Int
        /// Where the entry's bytes start, past its local header.
        let dataOffset: Int
    }

    let file: String
    let bytes: UnsafeRawBufferPointer
    let entries: [Entry]
    private let index: [String: Int]

    static let localHeaderSignature: UInt32 = 0x0403_4B50
    static let centralHeaderSignature: UInt32 = 0x0201_4B50
    static let endSignature: UInt32 = 0x0605_4B50
    static let zip64EndSignature: UInt32 = 0x0606_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50

    /// Whether the bytes start like a zip file with at least one entry ("PK\3\4"), as torch.load checks.
    static func startsLikeZip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 4 && bytes.le(UInt32.self, at: 0) == localHeaderSignature
    }

    init(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        self.file = file
        self.bytes = bytes
        func bad(_ message: String) -> CheckpointError { .invalid(file: file, message: message) }

        let end = try Self.findEnd(bytes, file: file)
        var reader = ByteReader(bytes, file: file, context: "zip end of central directory", offset: end + 4)
        let disk = try reader.u16(), directoryDisk = try reader.u16()
        var entriesOnDisk = UInt64(try reader.u16()), entryCount = UInt64(try reader.u16())
        var directorySize = UInt64(try reader.u32()), directoryOffset = UInt64(try reader.u32())
        var directoryLimit = end

        if end >= 20, bytes.le(UInt32.self, at: end - 20) == Self.zip64LocatorSignature {
            reader = ByteReader(bytes, file: file, context: "zip64 end of central directory locator", offset: end - 12)
            let locatorOffset = end - 20
            let record = try reader.u64()
            guard record <= UInt64(locatorOffset), UInt64(locatorOffset) - record >= 56 else {
                throw bad("zip64 end of central directory record is out of bounds")
            }
            reader = ByteReader(bytes, file: file, context: "zip64 end of central directory", offset: Int(record))
            guard try reader.u32() == Self.zip64EndSignature else {
                throw bad("bad zip64 end of central directory signature")
            }
            try reader.skip(8 + 2 + 2)
            guard try reader.u32() == 0, try reader.u32() == 0 else {
                throw CheckpointError.unsupported(file: file, message: "multi-disk zip archive")
            }
            entriesOnDisk = try reader.u64()
            entryCount = try reader.u64()
            directorySize = try reader.u64()
            directoryOffset = try reader.u64()
            directoryLimit = Int(record)
        } else if disk != 0 || directoryDisk != 0 {
            throw CheckpointError.unsupported(file: file, message: "multi-disk zip archive")
        }
        guard entriesOnDisk == entryCount else {
            throw CheckpointError.unsupported(file: file, message: "multi-disk zip archive")
        }
        guard directoryOffset <= UInt64(directoryLimit),
              directorySize <= UInt64(directoryLimit) - directoryOffset
        else {
            throw bad("zip central directory (offset \(directoryOffset), \(directorySize) bytes) lies outside the file")
        }
        // The smallest central directory header is 46 bytes, which bounds the entry count before any allocation.
        guard entryCount <= directorySize / 46 else {
            throw bad("zip central directory claims \(entryCount) entries in \(directorySize) bytes")
        }

        let directoryStart = Int(directoryOffset)
        let directory = UnsafeRawBufferPointer(rebasing: bytes[directoryStart..<(directoryStart + Int(directorySize))])
        var central = ByteReader(directory, file: file, context: "zip central directory")
        var entries: [Entry] = []
        var index: [String: Int] = [:]
        entries.reserveCapacity(Int(entryCount))
        for _ in 0..<Int(entryCount) {
            let entry = try Self.readEntry(&central, archive: bytes, directoryStart: directoryStart)
            guard index.updateValue(entries.count, forKey: entry.name) == nil else {
                throw bad("zip archive has two entries named '\(entry.name)'")
            }
            entries.append(entry)
        }
        self.entries = entries
        self.index = index
    }

    /// Offset of the end-of-central-directory record: the last one whose comment runs exactly to the end.
    private static func findEnd(_ bytes: UnsafeRawBufferPointer, file: String) throws -> Int {
        guard bytes.count >= 22 else {
            throw CheckpointError.invalid(file: file, message:
                "file of \(bytes.count) bytes is too short to be a zip archive")
        }
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        for offset in stride(from: bytes.count - 22, through: lowest, by: -1)
            where bytes.le(UInt32.self, at: offset) == endSignature
            && offset + 22 + Int(bytes.le(UInt16.self, at: offset + 20)) == bytes.count
        {
            return offset
        }
        throw CheckpointError.invalid(file: file, message:
            "no zip end of central directory record (truncated zip archive?)")
    }

    private static func readEntry(_ central: inout ByteReader, archive: UnsafeRawBufferPointer,
                                  directoryStart: Int) throws -> Entry
    {
        let file = central.file
        func bad(_ message: String) -> CheckpointError { .invalid(file: file, message: message) }
        guard try central.u32() == centralHeaderSignature else {
            throw bad("bad zip central directory entry signature")
        }
        try central.skip(4)
        let flags = try central.u16()
        let method = try central.u16()
        try central.skip(4)
        let crc = try central.u32()
        var compressedSize = UInt64(try central.u32())
        var size = UInt64(try central.u32())
        let nameLength = Int(try central.u16()), extraLength = Int(try central.u16())
        let commentLength = Int(try central.u16())
        try central.skip(8)
        var headerOffset = UInt64(try central.u32())
        let name = String(decoding: try central.take(nameLength), as: UTF8.self)
        var extra = ByteReader(try central.take(extraLength), file: file, context: "zip64 extra field of '\(name)'")
        try central.skip(commentLength)

        // zip64: the extra field holds, in this order, each field whose 32-bit slot is 0xFFFFFFFF.
        let needsZip64 = size == 0xFFFF_FFFF || compressedSize == 0xFFFF_FFFF || headerOffset == 0xFFFF_FFFF
        var sawZip64 = false
        while extra.remaining >= 4 {
            let id = try extra.u16()
            var field = ByteReader(try extra.take(Int(try extra.u16())), file: file, context: extra.context)
            guard id == 0x0001 else { continue }
            sawZip64 = true
            if size == 0xFFFF_FFFF { size = try field.u64() }
            if compressedSize == 0xFFFF_FFFF { compressedSize = try field.u64() }
            if headerOffset == 0xFFFF_FFFF { headerOffset = try field.u64() }
        }
        guard !needsZip64 || sawZip64 else { throw bad("zip entry '\(name)' lacks its zip64 extra field") }
        guard flags & 1 == 0 else {
            throw CheckpointError.unsupported(file: file, message: "zip entry '\(name)' is encrypted")
        }

        // The local header repeats the name and has its own extra field (torch pads it to align data).
        guard headerOffset <= UInt64(directoryStart), UInt64(directoryStart) - headerOffset >= 30 else {
            throw bad("zip entry '\(name)' has its local header outside the file")
        }
        var local = ByteReader(archive, file: file, context: "zip local header of '\(name)'", offset: Int(headerOffset))
        guard try local.u32() == localHeaderSignature else { throw bad("bad zip local header signature for '\(name)'") }
        try local.skip(22)
        let localNameLength = Int(try local.u16()), localExtraLength = Int(try local.u16())
        let localName = try local.take(localNameLength)
        guard localName.elementsEqual(name.utf8) || String(decoding: localName, as: UTF8.self) == name else {
            throw bad("zip local header of '\(name)' names another entry")
        }
        try local.skip(localExtraLength)
        let dataOffset = local.offset
        guard dataOffset <= directoryStart, compressedSize <= UInt64(directoryStart - dataOffset) else {
            throw bad("zip entry '\(name)' (\(compressedSize) bytes) runs past the end of the archive data")
        }
        return Entry(name: name, method: method, crc32: crc, compressedSize: Int(compressedSize),
                     size: Int(clamping: size), dataOffset: dataOffset)
    }

    func entry(named name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The bytes of a DEFLATE-compressed entry (method 8), checked against its CRC-32.
    func inflated(_ entry: Entry) throws -> [UInt8] {
        guard entry.method == 8 else {
            throw CheckpointError.unsupported(file: file, message: "zip entry '\(entry.name)' uses compression method \(entry.method)")
        }
        let compressed = UnsafeRawBufferPointer(rebasing: bytes[entry.dataOffset..<(entry.dataOffset + entry.compressedSize)])
        let data = try Inflate.decompress(compressed, size: entry.size, file: file, member: entry.name)
        guard data.withUnsafeBytes({ CRC32.checksum($0) }) == entry.crc32 else {
            throw CheckpointError.invalid(file: file, message: "zip entry '\(entry.name)' fails its CRC-32 check")
        }
        return data
    }

    /// The bytes of a stored (uncompressed) entry, checked against its CRC-32 when `verify` is set
    /// (skipped for multi-gigabyte tensor data, whose length is checked instead).
    func contents(of entry: Entry, verify: Bool) throws -> UnsafeRawBufferPointer {
        guard entry.method == 0 else {
            throw CheckpointError.unsupported(file: file, message:
                "zip entry '\(entry.name)' is compressed (method \(entry.method)); only stored entries are read")
        }
        guard entry.size == entry.compressedSize else {
            throw CheckpointError.invalid(file: file, message:
                "stored zip entry '\(entry.name)' has two different sizes")
        }
        let data = UnsafeRawBufferPointer(rebasing: bytes[entry.dataOffset..<(entry.dataOffset + entry.size)])
        if verify, CRC32.checksum(data) != entry.crc32 {
            throw CheckpointError.invalid(file: file, message: "zip entry '\(entry.name)' fails its CRC-32 check")
        }
        return data
    }
}
