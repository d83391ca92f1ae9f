@testable import Checkpoints
import Foundation
import Testing
import Torch

@Suite("zip archives")
struct ZipTests {
    static let members: [(String, [UInt8])] = [
        ("a.npy", Array("first".utf8)),
        ("folder/empty", []),
        ("名前.bin", (0..<300).map { UInt8($0 % 256) }),
    ]

    static func archive(forceZip64: Bool = false, _ members: [(String, [UInt8])] = members) throws -> [UInt8] {
        let sink = MemorySink()
        var writer = ZipWriter(sink: sink, file: "test.zip", forceZip64: forceZip64)
        for (name, data) in members { try data.withUnsafeBytes { try writer.add(name, $0) } }
        try writer.finish()
        return sink.bytes
    }

    private func read(_ bytes: [UInt8]) throws -> [(String, [UInt8])] {
        try bytes.withUnsafeBytes { raw in
            let zip = try ZipArchive(raw, file: "test.zip")
            return try zip.entries.map { ($0.name, Array(try zip.contents(of: $0, verify: true))) }
        }
    }

    @Test(arguments: [false, true])
    func roundTrips(forceZip64: Bool) throws {
        let bytes = try Self.archive(forceZip64: forceZip64)
        let entries = try read(bytes)
        #expect(entries.map(\.0) == Self.members.map(\.0))
        #expect(entries.map(\.1) == Self.members.map(\.1))
        #expect(CRC32.checksum(UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
    }

    /// Overwrites `count` bytes at `offset` with `value` in little-endian order.
    private func patch(_ bytes: [UInt8], at offset: Int, _ value: UInt64, count: Int) -> [UInt8] {
        var out = bytes
        for i in 0..<count { out[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        return out
    }

    @Test func rejectsCorruptArchives() throws {
        let good = try Self.archive()
        let end = good.count - 22 // end of central directory record, no comment
        let directory = Int(good[end + 16]) | Int(good[end + 17]) << 8
        let firstData = 30 + 5 // local header + "a.npy"
        var flipped = good
        flipped[firstData] ^= 0xFF
        let cases: [(String, [UInt8])] = [
            ("too short to be a zip archive", Array(good.prefix(10))),
            ("no zip end of central directory record", Array(good.dropLast(3))),
            ("fails its CRC-32 check", flipped),
            ("claims 65535 entries", patch(patch(good, at: end + 8, 0xFFFF, count: 2), at: end + 10, 0xFFFF, count: 2)),
            ("lies outside the file", patch(good, at: end + 16, UInt64(good.count), count: 4)),
            ("bad zip central directory entry signature", patch(good, at: directory, 0, count: 4)),
            ("bad zip local header signature for 'a.npy'", patch(good, at: 0, 0, count: 4)),
            ("is compressed (method 8)", patch(good, at: directory + 10, 8, count: 2)),
            ("is encrypted", patch(good, at: directory + 8, 1, count: 2)),
            ("lacks its zip64 extra field", patch(good, at: directory + 20, 0xFFFF_FFFF, count: 4)),
            ("runs past the end of the archive data", patch(good, at: directory + 20, 1 << 20, count: 4)),
            ("has its local header outside the file", patch(good, at: directory + 42, 1 << 30, count: 4)),
            ("multi-disk zip archive", patch(good, at: end + 4, 1, count: 2)),
            ("names another entry", patch(good, at: 30, UInt64(UInt8(ascii: "b")), count: 1)),
            ("stored zip entry 'a.npy' has two different sizes", patch(good, at: directory + 24, 4, count: 4)),
        ]
        for (fragment, bytes) in cases {
            expectFailure(fragment) { _ = try read(bytes) }
        }
        let twice = try Self.archive([("same", [1]), ("samf", [2])])
        expectFailure("two entries named 'same'") {
            _ = try read(twice.replacing(Array("samf".utf8), with: Array("same".utf8)))
        }
        var writer = ZipWriter(sink: MemorySink(), file: "w.zip")
        try [UInt8]().withUnsafeBytes { try writer.add("x", $0) }
        expectFailure("two zip entries named 'x'") { try [UInt8]().withUnsafeBytes { try writer.add("x", $0) } }

        let zip64 = try Self.archive(forceZip64: true)
        expectFailure("zip64 end of central directory record is out of bounds") {
            _ = try read(patch(zip64, at: zip64.count - 22 - 20 + 8, UInt64(zip64.count), count: 8))
        }
        expectFailure("bad zip64 end of central directory signature") {
            _ = try read(patch(zip64, at: zip64.count - 22 - 20 - 56, 0, count: 4))
        }
    }

    @Test func npzMembersReportTheirName() throws {
        let bad = try Self.archive([("a.npy", try NumPy.encodeArray(try Tensor.zeros([1])) + [0, 0, 0, 0])])
        expectFailure("x.npz: member 'a.npy': 4 bytes after the array data") {
            _ = try NumPy.decodeArchive(bad, name: "x.npz")
        }
        let zip64 = try NumPy.encodeArchive(["w": try Tensor.ones([2, 2])], forceZip64: true)
        #expect(try NumPy.decodeArchive(zip64, name: "z.npz").tensor("w").floats() == [1, 1, 1, 1])
    }

    @Test func reportsBrokenTorchArchives() throws {
        func torchZip(_ pickle: PickleBytes, storages: [String: [UInt8]] = ["0": [UInt8](repeating: 0, count: 16)],
                      byteorder: String = "little") throws -> [UInt8]
        {
            var members = [("archive/data.pkl", pickle.bytes), ("archive/byteorder", Array(byteorder.utf8))]
            members += storages.sorted { $0.key < $1.key }.map { ("archive/data/\($0.key)", $0.value) }
            return try Self.archive(members)
        }
        func tensor(key: String = "0", numel: Int32 = 4, offset: Int32 = 0, size: [Int32] = [4], stride: [Int32] = [1],
                    storage: String = "FloatStorage") -> PickleBytes
        {
            PickleBytes().tensor(storage: storage, key: key, numel: numel, offset: offset, size: size, stride: stride)
                .stop()
        }
        #expect(try TorchCheckpoint.decode(try torchZip(tensor()), name: "ok.pt").tensor().shape == [4])
        let cases: [(String, [UInt8])] = [
            ("storage record 'archive/data/1' is missing", try torchZip(tensor(key: "1"))),
            ("holds 16 bytes, not 5 × float32", try torchZip(tensor(numel: 5))),
            ("reaches past the end of storage '0' (4 elements)", try torchZip(tensor(offset: 1))),
            ("reaches past the end", try torchZip(tensor(size: [2, 2], stride: [3, 1]))),
            ("negative offset, size or stride", try torchZip(tensor(size: [4], stride: [-1]))),
            ("has 1 sizes but 2 strides", try torchZip(tensor(size: [4], stride: [1, 1]))),
            ("unknown byte order 'middle'", try torchZip(tensor(), byteorder: "middle")),
            ("storage type torch.QInt8Storage", try torchZip(tensor(storage: "QInt8Storage"))),
            ("no <archive>/data.pkl", try Self.archive([("data.pkl", tensor().bytes)])),
            ("2 data.pkl records", try Self.archive([("a/data.pkl", tensor().bytes), ("b/data.pkl", tensor().bytes)])),
            ("persistent id is not a ('storage', ...) tuple of 5",
             try torchZip(PickleBytes().string("x").op("Q").stop())),
        ]
        for (fragment, bytes) in cases {
            expectFailure(fragment) { _ = try TorchCheckpoint.decode(bytes, name: "bad.pt") }
        }
        // One storage used as two types is refused, as torch.save never writes it.
        let twoTypes = PickleBytes().op("(")
        twoTypes.tensor(key: "0", numel: 4, offset: 0, size: [4], stride: [1])
        twoTypes.tensor(storage: "IntStorage", key: "0", numel: 4, offset: 0, size: [4], stride: [1]).op("l").stop()
        expectFailure("storage '0' is used with two different types or sizes") {
            _ = try TorchCheckpoint.decode(try torchZip(twoTypes), name: "bad.pt")
        }
    }
}
