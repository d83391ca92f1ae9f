@testable import Checkpoints
import Foundation
import Testing
import Torch

/// Mutated and truncated files must each load or throw a `CheckpointError`: never crash, hang, or allocate
/// more than the file could hold. Mutations come from a seeded SplitMix64, so every run sees the same files.
@Suite("Fuzzing the readers")
struct FuzzTests {
    /// Where a format keeps a length or count: (offset, width in bytes).
    typealias Field = (offset: Int, width: Int)

    static func mutate(_ seed: [UInt8], fields: [Field], rng: inout SplitMix64) -> [UInt8] {
        var bytes = seed
        guard !bytes.isEmpty else { return bytes }
        switch rng.next() % 5 {
        case 0: // truncate
            bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
        case 1: // flip a few bytes
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
        case 2: // overwrite a length field
            let field = fields.randomElement(using: &rng)
                ?? (offset: Int.random(in: 0..<max(bytes.count - 4, 1), using: &rng), width: 4)
            let candidates: [UInt64] = [0, 1, .max, .max >> 1, UInt64(bytes.count), UInt64(bytes.count) + 1,
                                        rng.next(), rng.next() % 256, rng.next() % 65536]
            let value = candidates.randomElement(using: &rng)!
            for i in 0..<field.width where field.offset + i < bytes.count {
                bytes[field.offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))
            }
        case 3: // duplicate a run of bytes
            let start = Int.random(in: 0..<bytes.count, using: &rng)
            let run = bytes[start..<min(bytes.count, start + Int.random(in: 1...64, using: &rng))]
            bytes.insert(contentsOf: run, at: Int.random(in: 0...bytes.count, using: &rng))
        default: // delete a run of bytes
            let start = Int.random(in: 0..<bytes.count, using: &rng)
            bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...64, using: &rng)))
        }
        return bytes
    }

    /// Runs `decode` on `count` mutations of `seed`; returns how many still loaded.
    @discardableResult
    static func fuzz(_ name: String, seed: [UInt8], fields: [Field] = [], count: Int, rngSeed: UInt64,
                     decode: ([UInt8]) throws -> Void) -> Int
    {
        var rng = SplitMix64(seed: rngSeed)
        var loaded = 0
        for i in 0..<count {
            let bytes = mutate(seed, fields: fields, rng: &rng)
            do {
                try decode(bytes)
                loaded += 1
            } catch CheckpointError.lookup(_, let message) {
                // Navigating a value that loaded but has another shape than the seed's.
                #expect(!message.isEmpty, "case \(i)")
            } catch let error as CheckpointError {
                #expect(error.description.hasPrefix(name + ": ") && !error.message.isEmpty, "case \(i): \(error)")
            } catch {
                Issue.record("\(name) case \(i): not a CheckpointError: \(error)")
            }
        }
        return loaded
    }

    /// Zip length fields: the end record's counts, size and offset.
    static func zipFields(_ bytes: [UInt8]) -> [Field] {
        let end = bytes.count - 22
        return [(end + 8, 2), (end + 10, 2), (end + 12, 4), (end + 16, 4)]
    }

    @Test(.timeLimit(.minutes(2)))
    func safetensors() throws {
        let seed = try Safetensors.encode(try SafetensorsTests.everyDType(), metadata: ["k": "v"])
        let loaded = Self.fuzz("fuzz.safetensors", seed: seed, fields: [(0, 8)], count: 1200, rngSeed: 1) {
            _ = try Safetensors.decode($0, name: "fuzz.safetensors")
        }
        #expect(loaded < 1200)
    }

    @Test(.timeLimit(.minutes(2)), arguments: ["features_p2.pt", "features_p5.pt"])
    func torchZipArchives(file: String) throws {
        let seed = try Fixtures.resourceBytes(file)
        Self.fuzz("fuzz.pt", seed: seed, fields: Self.zipFields(seed), count: 300, rngSeed: 2) {
            _ = try TorchCheckpoint.decode($0, name: "fuzz.pt").stateDict()
        }
    }

    /// Mutates the pickle inside a torch.save archive and re-zips it with a correct CRC, so the unpickler
    /// (not the checksum) meets the damage.
    @Test(.timeLimit(.minutes(2)), arguments: ["features_p2.pt", "features_p5.pt"])
    func torchPickles(file: String) throws {
        let original = try Fixtures.resourceBytes(file)
        let members: [(String, [UInt8])] = try original.withUnsafeBytes { raw in
            let zip = try ZipArchive(raw, file: file)
            return try zip.entries.map { ($0.name, Array(try zip.contents(of: $0, verify: true))) }
        }
        let pickleIndex = try #require(members.firstIndex { $0.0.hasSuffix("/data.pkl") })
        let loaded = Self.fuzz("fuzz.pt", seed: members[pickleIndex].1, count: 500, rngSeed: 3) { pickle in
            var rezipped = members
            rezipped[pickleIndex].1 = pickle
            _ = try TorchCheckpoint.decode(try ZipTests.archive(rezipped), name: "fuzz.pt").stateDict()
        }
        #expect(loaded > 0)
    }

    @Test(.timeLimit(.minutes(2)))
    func legacyTorchStreams() throws {
        let seed = try Fixtures.resourceBytes("features_legacy.pt")
        Self.fuzz("fuzz.pt", seed: seed, count: 800, rngSeed: 4) {
            _ = try TorchCheckpoint.decode($0, name: "fuzz.pt").stateDict()
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func numpyArrays() throws {
        let seeds = [try NumPy.encodeArray(try Tensor.ones([3, 2])), try Fixtures.resourceBytes("fortran_f64.npy"),
                     try Fixtures.resourceBytes("v3_i64.npy")]
        for (i, seed) in seeds.enumerated() {
            Self.fuzz("fuzz.npy", seed: seed, fields: [(8, 2)], count: 200, rngSeed: 5 + UInt64(i)) {
                _ = try NumPy.decodeArray($0, name: "fuzz.npy")
            }
        }
        let archive = try Fixtures.resourceBytes("arrays.npz")
        Self.fuzz("fuzz.npz", seed: archive, fields: Self.zipFields(archive), count: 400, rngSeed: 9) {
            _ = try NumPy.decodeArchive($0, name: "fuzz.npz")
        }
    }
}
