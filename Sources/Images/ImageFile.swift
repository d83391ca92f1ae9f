import CImageCodecs

/// Reading and writing PNG and JPEG files; the codecs run in C (CImageCodecs), see image_codecs.h.
extension Image {
    /// Reads a PNG or JPEG file, recognised by its first bytes rather than its name.
    ///
    /// PNG palettes, gray below 8 bits and tRNS transparency are expanded (to RGB, 8-bit gray, an alpha
    /// channel), interlacing is undone, and 16-bit PNGs keep 16 bits. JPEGs are 8-bit gray or RGB; CMYK
    /// JPEGs are refused. Damaged or truncated files throw instead of decoding partly, and so do images
    /// wider or taller than 32768 pixels or over 1 GiB decoded.
    public static func read(path: String) throws -> Image {
        try load(path: path) { ic_read_file(path, &$0, $1, $2) }
    }

    /// Decodes a PNG or JPEG held in memory, as `read(path:)`; errors name no file.
    public static func decode(_ bytes: [UInt8]) throws -> Image {
        try bytes.withUnsafeBytes { buffer in
            try load(path: nil) { ic_read_memory(buffer.baseAddress, buffer.count, &$0, $1, $2) }
        }
    }

    /// Writes a PNG or JPEG file, replacing any file at `path` in one step (a temporary file beside it
    /// is renamed over it), so no reader ever sees a partial image.
    ///
    /// - Parameter format: by default from the extension: ".png", or ".jpg"/".jpeg" at quality 95.
    ///   JPEG takes 8-bit gray or RGB only: drop alpha and convert 16-bit images first.
    public func write(to path: String, format: ImageFormat? = nil) throws {
        guard let format = format ?? ImageFormat(path: path) else {
            throw ImageError(.invalid, path: path, "cannot tell the format from the name; use .png, .jpg or .jpeg")
        }
        if case .jpeg(let quality) = format {
            guard bitDepth == 8, channels == 1 || channels == 3 else {
                throw ImageError(.invalid, path: path,
                                 "JPEG holds 8-bit gray or RGB, not \(bitDepth)-bit with \(channels) channels")
            }
            guard (1...100).contains(quality) else {
                throw ImageError(.invalid, path: path, "JPEG quality \(quality) is outside 1...100")
            }
        }
        try writeAtomically(to: path) { temporary in
            var message = [CChar](repeating: 0, count: Image.messageCapacity)
            let status: ic_status
            switch format {
            case .png where bitDepth == 16:
                status = pixels.withUnsafeBytes { samples in
                    ic_write_png(temporary, UInt32(width), UInt32(height), UInt32(channels), 16, samples.baseAddress,
                                 &message, Image.messageCapacity)
                }
            case .png:
                status = bytes8().withUnsafeBytes { samples in
                    ic_write_png(temporary, UInt32(width), UInt32(height), UInt32(channels), 8, samples.baseAddress,
                                 &message, Image.messageCapacity)
                }
            case .jpeg(let quality):
                status = bytes8().withUnsafeBufferPointer { samples in
                    ic_write_jpeg(temporary, UInt32(width), UInt32(height), UInt32(channels), samples.baseAddress,
                                  Int32(quality), &message, Image.messageCapacity)
                }
            }
            if status != IC_OK { throw ImageError(status: status, message: message, path: path) }
        }
    }

    /// Room for the codecs' one-line messages.
    private static let messageCapacity = 512

    private func bytes8() -> [UInt8] { pixels.map { UInt8(truncatingIfNeeded: $0) } }

    /// Runs a C reader and copies its malloc'd pixels into an `Image`.
    private static func load(path: String?,
                             _ read: (inout ic_image, UnsafeMutablePointer<CChar>, Int) -> ic_status) throws -> Image
    {
        var raw = ic_image()
        var message = [CChar](repeating: 0, count: messageCapacity)
        let status = read(&raw, &message, messageCapacity)
        defer { ic_image_free(&raw) }
        guard status == IC_OK, let start = raw.pixels else {
            throw ImageError(status: status, message: message, path: path)
        }

        let count = Int(raw.width) * Int(raw.height) * Int(raw.channels)
        let samples: [UInt16] = if raw.bit_depth == 16 {
            Array(UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt16.self), count: count))
        } else {
            UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count).map(UInt16.init)
        }
        return try Image(width: Int(raw.width), height: Int(raw.height), channels: Int(raw.channels),
                         bitDepth: Int(raw.bit_depth), pixels: samples)
    }
}

extension ImageError {
    /// An error from a CImageCodecs status and the message it wrote.
    init(status: ic_status, message: [CChar], path: String?) {
        let kind: Kind = switch status {
        case IC_ERR_READ: .cannotRead
        case IC_ERR_WRITE: .cannotWrite
        case IC_ERR_NOT_IMAGE: .notAnImage
        case IC_ERR_TRUNCATED: .truncated
        case IC_ERR_UNSUPPORTED: .unsupported
        case IC_ERR_INVALID: .invalid
        case IC_ERR_NO_MEMORY: .outOfMemory
        default: .corrupt
        }
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.init(kind, path: path, text)
    }
}
