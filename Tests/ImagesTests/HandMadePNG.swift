/// PNG files assembled byte by byte, for inputs the library's writer never produces (palettes, low bit
/// depths, interlacing, forged headers). The image data goes into zlib "stored" blocks, which need no
/// compressor: just lengths and an Adler-32 checksum.
enum HandMadePNG {
    static let colorGray: UInt8 = 0, colorRGB: UInt8 = 2, colorPalette: UInt8 = 3

    /// A PNG from already-packed scanlines (no filter bytes; filter 0 is added to each).
    static func make(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, interlaced: Bool = false,
                     before: [(String, [UInt8])] = [], scanlines: [[UInt8]]) -> [UInt8]
    {
        var ihdr = be32(width) + be32(height)
        ihdr += [bitDepth, colorType, 0, 0, interlaced ? 1 : 0]
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", ihdr)
        for (type, data) in before { png += chunk(type, data) }
        png += chunk("IDAT", zlibStored(scanlines.flatMap { [0] + $0 }))
        png += chunk("IEND", [])
        return png
    }

    /// The scanlines of an Adam7-interlaced image with whole-byte pixels: pass by pass, each pass a
    /// reduced image of the pixels on its grid.
    static func adam7(width: Int, height: Int, pixel: (Int, Int) -> [UInt8]) -> [[UInt8]] {
        let passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        var rows: [[UInt8]] = []
        for (x0, y0, dx, dy) in passes where x0 < width && y0 < height {
            for y in stride(from: y0, to: height, by: dy) {
                rows.append(stride(from: x0, to: width, by: dx).flatMap { pixel($0, y) })
            }
        }
        return rows
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(data.count) + body + be32(Int(crc32(body)))
    }

    static func be32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }

    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let count = min(65535, data.count - start)
            let final: UInt8 = start + count == data.count ? 1 : 0
            out += [final, UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
            out += data[start..<start + count]
            start += count
        } while start < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + be32(Int(b << 16 | a))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
