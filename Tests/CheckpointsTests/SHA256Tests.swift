import Checkpoints
import Foundation
import Testing

@Suite("SHA-256")
struct SHA256Tests {
    func hex(_ bytes: [UInt8]) throws -> String {
        var h = try SHA256()
        h.update(bytes)
        return try h.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// FIPS 180-4 example vectors.
    @Test func knownVectors() throws {
        #expect(try hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(try hex([UInt8](repeating: 0x61, count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func fileDigestEqualsInMemoryDigest() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(bytes).write(to: url)
        #expect(try SHA256.hex(ofFile: url.path) == (try hex(bytes)))
        #expect(throws: CheckpointError.self) { try SHA256.hex(ofFile: url.path + ".missing") }
    }
}
