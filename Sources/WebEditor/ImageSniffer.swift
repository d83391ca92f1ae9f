import Foundation

/// What an upload is, told from its bytes rather than its name or declared type, and how large it would decode,
/// read from its header before any decoding.
enum ImageSniffer {
    enum Kind: String { case png, jpeg }

    static func kind(_ bytes: [UInt8]) -> Kind? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }

    /// (width, height) from the PNG IHDR chunk or the first JPEG frame header; nil when the header is missing or
    /// cut short.
    static func dimensions(_ bytes: [UInt8], kind: Kind) -> (width: Int, height: Int)? {
        func bigEndian(_ at: Int, _ count: Int) -> Int? {
            guard at >= 0, at + count <= bytes.count else { return nil }
            return bytes[at..<at + count].reduce(0) { $0 << 8 | Int($1) }
        }
        switch kind {
        case .png:
            // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4).
            guard bytes.count >= 24, Array(bytes[12..<16]) == Array("IHDR".utf8),
                  let width = bigEndian(16, 4), let height = bigEndian(20, 4) else { return nil }
            return (width, height)
        case .jpeg:
            var at = 2
            while at + 4 <= bytes.count {
                guard bytes[at] == 0xFF else { return nil }
                let marker = bytes[at + 1]
                if marker == 0xFF { at += 1; continue }
                if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { at += 2; continue }
                guard let length = bigEndian(at + 2, 2), length >= 2 else { return nil }
                // Start-of-frame markers C0-CF, except DHT (C4), JPG (C8) and DAC (CC): precision, height, width.
                if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                    guard let height = bigEndian(at + 5, 2), let width = bigEndian(at + 7, 2) else { return nil }
                    return (width, height)
                }
                if marker == 0xDA || marker == 0xD9 { return nil }  // scan data or the end before any frame
                at += 2 + length
            }
            return nil
        }
    }
}
