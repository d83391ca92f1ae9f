import CLibCrypto
import Foundation

/// SHA-256 (FIPS 180-4), used to tie an inversion to the exact generator file it was made with.
///
/// A streaming wrapper over OpenSSL's EVP digest (Debian's libcrypto: vetted, with the SHA extensions where the CPU
/// has them), so that multi-gigabyte checkpoints hash at memory speed and the build compiles no cryptography.
public struct SHA256: ~Copyable {
    /// Owned by this value; freed in `deinit`.
    private let context: OpaquePointer
    /// Set when OpenSSL refused an update; `finalize` reports it.
    private var failed = false

    public init() throws {
        guard let context = EVP_MD_CTX_new() else { throw CheckpointError.io(file: "", message: "SHA-256: out of memory") }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            throw CheckpointError.io(file: "", message: "SHA-256: OpenSSL's libcrypto cannot start a digest")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// The hex digest of a file, read in chunks; every error names the file.
    public static func hex(ofFile path: String) throws -> String {
        do {
            return try hexDigest(ofFile: path)
        } catch let error as CheckpointError {
            throw error.naming(path)
        }
    }

    private static func hexDigest(ofFile path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CheckpointError.io(file: path, message: "cannot open for reading: \(errnoText())") }
        defer { close(fd) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 22, alignment: 64)
        defer { chunk.deallocate() }
        var hasher = try SHA256()
        while true {
            let count = read(fd, chunk.baseAddress, chunk.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw CheckpointError.io(file: path, message: "cannot read: \(errnoText())")
            }
            hasher.update(raw: UnsafeRawBufferPointer(rebasing: chunk[..<count]))
        }
        return try hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    public mutating func update(_ data: some Sequence<UInt8>) {
        Array(data).withUnsafeBytes { update(raw: $0) }
    }

    mutating func update(raw: UnsafeRawBufferPointer) {
        guard raw.count > 0 else { return }
        if EVP_DigestUpdate(context, raw.baseAddress, raw.count) != 1 { failed = true }
    }

    /// The 32-byte digest; throws when OpenSSL failed on any update.
    public consuming func finalize() throws -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        guard !failed, ok == 1, length == 32 else {
            throw CheckpointError.io(file: "", message: "SHA-256: OpenSSL's libcrypto failed to finish the digest")
        }
        return digest
    }
}
