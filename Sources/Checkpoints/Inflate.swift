import CZlib

/// Raw DEFLATE decompression (zip method 8) through zlib, for `np.savez_compressed` archives such as GANSpace's
/// component caches.
enum Inflate {
    /// DEFLATE cannot expand data by more than about 1032:1, so a declared size beyond that is a lie and is
    /// refused before anything is allocated.
    static let maximumRatio = 1032

    /// Inflates `compressed` into exactly `size` bytes; anything else is an error naming `file` and `member`.
    static func decompress(_ compressed: UnsafeRawBufferPointer, size: Int, file: String, member: String) throws
        -> [UInt8]
    {
        guard size >= 0, size <= compressed.count * maximumRatio + 64 else {
            throw CheckpointError.invalid(file: file, message:
                "zip entry '\(member)' claims \(size) bytes from \(compressed.count) compressed bytes")
        }
        var output = [UInt8](repeating: 0, count: size)
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CheckpointError.invalid(file: file, message: "zlib could not start inflating '\(member)'")
        }
        defer { inflateEnd(&stream) }
        let status: Int32 = output.withUnsafeMutableBytes { out in
            stream.next_in = UnsafeMutablePointer(mutating: compressed.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(compressed.count)
            stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
            stream.avail_out = uInt(size)
            return inflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END, stream.total_out == size else {
            let why = status == Z_STREAM_END ? "inflated to \(stream.total_out) bytes instead of \(size)"
                : status == Z_BUF_ERROR ? "is truncated or longer than declared" : "is corrupt (zlib status \(status))"
            throw CheckpointError.invalid(file: file, message: "compressed zip entry '\(member)' \(why)")
        }
        return output
    }
}
