/// A bounds-checked cursor over bytes that belong to someone else (a mapped file, a zip record).
///
/// Every count read from a file passes through `take`, so no size in a hostile file can make a reader
/// allocate or touch more than the bytes actually there.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let file: String
    /// What is being read, for the "truncated ..." message.
    var context: String
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, file: String, context: String, offset: Int = 0) {
        self.bytes = bytes
        self.file = file
        self.context = context
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    func truncated() -> CheckpointError { .invalid(file: file, message: "truncated \(context)") }

    /// The next `count` bytes; throws rather than reading past the end.
    mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else { throw truncated() }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        offset += count
        return slice
    }

    mutating func skip(_ count: Int) throws { _ = try take(count) }

    mutating func u8() throws -> UInt8 {
        guard remaining >= 1 else { throw truncated() }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() throws -> UInt16 { UInt16(littleEndian: try load(UInt16.self)) }
    mutating func u32() throws -> UInt32 { UInt32(littleEndian: try load(UInt32.self)) }
    mutating func u64() throws -> UInt64 { UInt64(littleEndian: try load(UInt64.self)) }

    private mutating func load<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw truncated() }
        defer { offset += size }
        return bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
    }

    /// Bytes up to (not including) the next "\n", which is consumed.
    mutating func line() throws -> UnsafeRawBufferPointer {
        guard let end = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) else { throw truncated() }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
        offset = end + 1
        return slice
    }
}

extension UnsafeRawBufferPointer {
    /// Little-endian integer at `offset`; the caller has checked the bounds.
    func le<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
