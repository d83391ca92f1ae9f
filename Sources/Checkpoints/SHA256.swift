import Foundation
internal import Crypto

/// SHA-256 (FIPS 180-4), used to tie an inversion to the exact generator file it was made with.
///
/// A streaming wrapper over swift-crypto's `SHA256` (BoringSSL's vetted, hardware-accelerated code on Linux,
/// CryptoKit on Apple platforms), so that multi-gigabyte checkpoints hash at memory speed.
public struct SHA256 {
    private var hasher = Crypto.SHA256()

    public init() {}

    /// The hex digest of a file, read in chunks.
    public static func hex(ofFile path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CheckpointError.io(file: path, message: "cannot open for reading: \(errnoText())") }
        defer { close(fd) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 22, alignment: 64)
        defer { chunk.deallocate() }
        var hasher = SHA256()
        while true {
            let count = read(fd, chunk.baseAddress, chunk.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw CheckpointError.io(file: path, message: "cannot read: \(errnoText())")
            }
            hasher.update(raw: UnsafeRawBufferPointer(rebasing: chunk[..<count]))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    public mutating func update(_ data: some Sequence<UInt8>) {
        Array(data).withUnsafeBytes { update(raw: $0) }
    }

    mutating func update(raw: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: raw)
    }

    public mutating func finalize() -> [UInt8] {
        Array(hasher.finalize())
    }
}
