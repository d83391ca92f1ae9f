/// A Python int too large for `Int` (pickled with LONG1/LONG4), kept exactly.
public struct PickleBigInt: Hashable, Sendable, CustomStringConvertible {
    /// Two's-complement little-endian bytes, minimal length, as LONG1/LONG4 store them.
    public let littleEndianBytes: [UInt8]

    /// Largest value printed in decimal; beyond it `description` falls back to hex, since decimal
    /// conversion is quadratic and a hostile file could ask for megabytes of digits.
    private static let maxDecimalBytes = 4096

    init(littleEndianBytes bytes: [UInt8]) {
        var bytes = bytes
        // Drop sign-extension bytes that do not change the value.
        while bytes.count > 1 {
            let last = bytes[bytes.count - 1]
            let nextHigh = bytes[bytes.count - 2] & 0x80
            if (last == 0 && nextHigh == 0) || (last == 0xFF && nextHigh != 0) { bytes.removeLast() } else { break }
        }
        littleEndianBytes = bytes
    }

    /// Whether the value is below zero (the top bit of the last byte is set).
    public var isNegative: Bool { (littleEndianBytes.last ?? 0) & 0x80 != 0 }

    /// The value as `Int`, or nil when it does not fit.
    public var exactInt: Int? {
        guard littleEndianBytes.count <= MemoryLayout<Int>.size else { return nil }
        var value: UInt64 = isNegative ? .max : 0
        for (i, byte) in littleEndianBytes.enumerated() {
            value &= ~(UInt64(0xFF) << (8 * i))
            value |= UInt64(byte) << (8 * i)
        }
        return Int(truncatingIfNeeded: value)
    }

    /// Magnitude as little-endian bytes (two's complement undone for negatives).
    private var magnitude: [UInt8] {
        guard isNegative else { return littleEndianBytes }
        var carry = 1
        return littleEndianBytes.map { byte in
            let sum = Int(~byte) + carry
            carry = sum >> 8
            return UInt8(truncatingIfNeeded: sum)
        }
    }

    /// The value in decimal, or in hex beyond 4096 bytes.
    public var description: String {
        let sign = isNegative ? "-" : ""
        let magnitude = magnitude
        var limbs = stride(from: 0, to: magnitude.count, by: 4).map { start -> UInt32 in
            magnitude[start..<min(start + 4, magnitude.count)].enumerated()
                .reduce(0) { $0 | UInt32($1.element) << (8 * $1.offset) }
        }
        guard littleEndianBytes.count <= Self.maxDecimalBytes else {
            let hex = limbs.reversed().map { limb -> String in
                let digits = String(limb, radix: 16)
                return String(repeating: "0", count: 8 - digits.count) + digits
            }.joined().drop { $0 == "0" }
            return sign + "0x" + (hex.isEmpty ? "0" : hex)
        }
        // Repeated division by 10^9 yields base-10^9 digits, least significant first.
        var chunks: [UInt32] = []
        while limbs.contains(where: { $0 != 0 }) {
            var remainder: UInt64 = 0
            for i in limbs.indices.reversed() {
                let current = remainder << 32 | UInt64(limbs[i])
                limbs[i] = UInt32(current / 1_000_000_000)
                remainder = current % 1_000_000_000
            }
            chunks.append(UInt32(remainder))
        }
        guard let head = chunks.popLast() else { return "0" }
        return sign + String(head) + chunks.reversed().map { chunk -> String in
            let digits = String(chunk)
            return String(repeating: "0", count: 9 - digits.count) + digits
        }.joined()
    }
}
