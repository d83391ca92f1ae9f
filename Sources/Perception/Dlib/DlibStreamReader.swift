import Foundation

/// dlib's `serialize` stream format, read strictly: every value is checked against the width and range dlib writes
/// it with, no size is trusted before the bytes behind it are there, and every error names the file and byte offset.
///
/// - Integers: a control byte (bit 7 = negative, bits 0-3 = n magnitude bytes, bits 4-6 unused and 0), then n bytes
///   of |value|, little-endian (`serialize.h`, `pack_int`).
/// - Floats and doubles (`float_details`): a signed int64 mantissa, then a signed int16 exponent;
///   value = mantissa * 2^exponent, exponents 32000-32002 meaning +inf, -inf and NaN.
/// - Strings: an unsigned length, then raw bytes. Bools: ASCII '1' or '0'.
/// - Tensors: version 2, four `long long` dimensions, then float32 little-endian data; aliases: version 1 and four
///   dimensions, no data.
struct DlibStreamReader {
    let path: String
    let bytes: [UInt8]
    private(set) var offset = 0

    init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    var atEnd: Bool { offset == bytes.count }

    func error(_ problem: String, at position: Int? = nil) -> DlibError {
        DlibError("\(path): at byte \(position ?? offset): \(problem)")
    }

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw error("the file ends early") }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// An integer of a C++ type `width` bytes wide, as dlib's `unpack_int`; unsigned fields refuse the sign bit.
    mutating func integer(width: Int, signed: Bool) throws -> Int {
        let start = offset
        let control = try byte()
        let count = Int(control & 0x0F)
        guard control & 0x70 == 0, count >= 1, count <= width else {
            throw error("bad integer control byte 0x\(String(control, radix: 16)) for a \(width)-byte field", at: start)
        }
        guard signed || control & 0x80 == 0 else { throw error("negative value in an unsigned field", at: start) }
        guard offset + count <= bytes.count else { throw error("the file ends inside an integer", at: start) }
        var magnitude: UInt64 = 0
        for index in 0..<count { magnitude |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        offset += count
        guard magnitude <= UInt64(Int.max) else { throw error("integer out of range", at: start) }
        return control & 0x80 != 0 ? -Int(magnitude) : Int(magnitude)
    }

    /// C++ `int` (versions, strides, paddings, modes).
    mutating func int32() throws -> Int { try integer(width: 4, signed: true) }
    /// C++ `long`/`long long` (filter counts, window sizes, tensor dimensions).
    mutating func int64() throws -> Int { try integer(width: 8, signed: true) }
    /// C++ `unsigned long`/`size_t` (string lengths, fc sizes).
    mutating func uint64() throws -> Int { try integer(width: 8, signed: false) }
    /// C++ `unsigned int`.
    mutating func uint32() throws -> Int { try integer(width: 4, signed: false) }

    mutating func bool() throws -> Bool {
        let start = offset
        switch try byte() {
        case 0x31: return true
        case 0x30: return false
        case let other: throw error("bad bool byte 0x\(String(other, radix: 16))", at: start)
        }
    }

    /// A float or double in dlib's binary form (its older text form never occurs in these files and is refused).
    mutating func real() throws -> Double {
        let start = offset
        guard offset < bytes.count else { throw error("the file ends early") }
        guard bytes[offset] & 0x70 == 0 else { throw error("a floating-point value in dlib's old text form", at: start) }
        let mantissa = try int64()
        let exponent = try integer(width: 2, signed: true)
        switch exponent {
        case 32000: return .infinity
        case 32001: return -.infinity
        case 32002: return .nan
        default: return scalbn(Double(mantissa), exponent)
        }
    }

    mutating func string(maxLength: Int = 256) throws -> String {
        let start = offset
        let length = try uint64()
        guard length <= maxLength else { throw error("string of \(length) bytes is too long for a version tag", at: start) }
        guard offset + length <= bytes.count else { throw error("the file ends inside a string", at: start) }
        defer { offset += length }
        return String(decoding: bytes[offset..<offset + length], as: UTF8.self)
    }

    /// A version tag that must be one of `accepted`.
    @discardableResult
    mutating func tag(_ accepted: String...) throws -> String {
        let start = offset
        let found = try string()
        guard accepted.contains(found) else {
            throw error("found the record \"\(found)\" where \(accepted.map { "\"\($0)\"" }.joined(separator: " or ")) belongs", at: start)
        }
        return found
    }

    /// An `int` that must equal `expected`.
    mutating func expect(_ expected: Int, _ what: String, read: (inout DlibStreamReader) throws -> Int) throws {
        let start = offset
        let found = try read(&self)
        guard found == expected else { throw error("\(what) is \(found), expected \(expected)", at: start) }
    }

    /// A tensor's dimensions and the byte range of its float32 data, which must lie inside the file.
    mutating func tensor() throws -> (shape: [Int], data: Range<Int>) {
        let start = offset
        try expect(2, "tensor version") { try $0.int32() }
        let shape = try (0..<4).map { _ in try int64() }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw error("tensor with negative size \(shape)", at: start) }
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= (bytes.count - offset) / 4 else {
                throw error("tensor \(shape) is larger than the rest of the file", at: start)
            }
            count = product
        }
        defer { offset += 4 * count }
        return (shape, offset..<offset + 4 * count)
    }

    /// An alias tensor: version 1 and four dimensions.
    mutating func alias() throws -> [Int] {
        try expect(1, "alias tensor version") { try $0.int32() }
        return try (0..<4).map { _ in try int64() }
    }

    /// The float32 values in `range` (from `tensor()`), checked finite.
    func floats(_ range: Range<Int>, at start: Int) throws -> [Float] {
        let values = bytes[range].withUnsafeBytes { raw in
            (0..<range.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        guard values.allSatisfy(\.isFinite) else { throw error("tensor holds a value that is not finite", at: start) }
        return values
    }
}
