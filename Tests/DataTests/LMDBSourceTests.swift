import Checkpoints
import Foundation
import Images
import Testing
import Torch

@testable import Data

/// Resources/rosinality-lmdb was written once by Python's `lmdb` 3.0 (LMDB 0.9.36) in `prepare_data.py`'s
/// layout: three 20 x 14 images (the second gray) converted to RGB, resized (LANCZOS) and centre-cropped
/// to 8 and 16, JPEG quality 100, under "8-00000", ..., "16-00002", and "length" = "3", map size 1 TiB.
/// rosinality-lmdb-{8,16}.npy hold the records as Pillow 13 decodes them, uint8 [3, S, S, 3].
@Suite("rosinality LMDB datasets")
struct LMDBSourceTests {
    @Test("a dataset written by Python's lmdb reads back at each of its sizes")
    func pythonFixture() throws {
        for size in [8, 16] {
            let dataset = try ImageDataset.open(resource("rosinality-lmdb"), options: DatasetOptions(size: size))
            #expect(dataset.count == 3)
            #expect(dataset.fit == .exact)
            let reference = try NumPy.readArray(resource("rosinality-lmdb-\(size).npy"))  // [3, S, S, 3] uint8
            for index in 0..<3 {
                let image = try dataset.image(at: index)
                let want = try reference.select(0, index).permute([2, 0, 1]).to(dtype: .float32) / 127.5 - 1
                // Pillow and libjpeg-turbo as linked here decode alike; allow one level of rounding.
                let worst = try (image - want).abs().max().item()
                #expect(worst <= 2.0 / 255 + 1e-6, "size \(size) image \(index): \(worst)")
            }
        }
        let error = dataError { _ = try ImageDataset.open(resource("rosinality-lmdb"), options: DatasetOptions(size: 32)) }
        #expect(error?.kind == .empty)
        #expect(error?.message.contains("holds no images at size 32") == true)
        #expect(error?.message.contains("sizes 8, 16") == true, "\(error?.message ?? "")")
    }

    @Test("keys are f\"{size}-{str(index).zfill(5)}\"")
    func keys() {
        #expect(LMDBSource.key(size: 256, index: 7) == "256-00007")
        #expect(LMDBSource.key(size: 1024, index: 99999) == "1024-99999")
        #expect(LMDBSource.key(size: 64, index: 123456) == "64-123456")
    }

    @Test("our writer's datasets read back exactly; the data file alone opens too")
    func writerRoundTrip() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/lmdb"
            try LMDBSource.write(to: path, sizes: [4, 8], count: 12) { index, size in
                try encoded(patternImage(width: size, height: size, seed: index * 100 + size))
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["lmdb"])
            for size in [4, 8] {
                let source = try LMDBSource(path: path, size: size)
                #expect(source.count == 12)
                #expect(source.name(of: 11) == path + ":\(size)-00011")
                for index in [0, 5, 11] {
                    let image = try ImageDataset(source: source, options: DatasetOptions(size: size)).image(at: index)
                    #expect(try same(image, expected(patternImage(width: size, height: size, seed: index * 100 + size))))
                }
            }
            let file = try ImageDataset.open(path + "/data.mdb", options: DatasetOptions(size: 4))
            #expect(file.count == 12)
            let database = try LMDBDatabase(path: path)
            #expect(try database.value(for: "length") == Array("12".utf8))
            #expect(try database.value(for: "absent") == nil)
            #expect(try database.key(after: nil) == Array("4-00000".utf8))
            #expect(try database.key(after: Array("8-00011".utf8)) == Array("length".utf8))
            #expect(try database.key(after: Array("length".utf8)) == nil)
        }
    }

    @Test("the writer refuses an existing path and leaves nothing when not committed")
    func writerSafety() throws {
        try withTemporaryFolder { folder in
            let existing = dataError { try putWithoutCommit(folder) }
            #expect(existing?.kind == .cannotWrite)
            try putWithoutCommit(folder + "/db")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
            let full = dataError { try overfill(folder + "/small") }
            #expect(full?.kind == .cannotWrite)
            #expect(full?.message.contains("map size") == true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        }
    }

    private func putWithoutCommit(_ path: String) throws {
        let writer = try LMDBWriter(path: path)
        try writer.put([1, 2, 3], for: "a")
    }

    /// Puts 256 KiB into a database of 64 KiB.
    private func overfill(_ path: String) throws {
        let writer = try LMDBWriter(path: path, mapSize: 64 << 10)
        for index in 0..<64 { try writer.put([UInt8](repeating: 7, count: 4096), for: "k\(index)") }
        try writer.commit()
    }

    @Test("damaged and incomplete databases are clear errors")
    func damaged() throws {
        try withTemporaryFolder { folder in
            let fixture = [UInt8](try Foundation.Data(contentsOf: URL(fileURLWithPath: resource("rosinality-lmdb/data.mdb"))))
            func database(_ name: String, _ bytes: [UInt8]) throws -> String {
                try writeFile(bytes, to: folder + "/\(name)/data.mdb")
                return folder + "/" + name
            }
            let options = DatasetOptions(size: 8)
            let garbage = try database("garbage", (0..<16384).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
            let garbageError = dataError { _ = try ImageDataset.open(garbage, options: options) }
            #expect(garbageError?.kind == .notADataset)
            let truncated = try database("truncated", Array(fixture.prefix(3 * 4096)))
            let cut = dataError { _ = try ImageDataset.open(truncated, options: options) }
            #expect(cut?.kind == .notADataset)
            #expect(cut?.message.contains("truncated") == true, "\(cut?.description ?? "no error")")
            let nowhere = dataError { _ = try LMDBSource(path: folder + "/nowhere", size: 8) }
            #expect(nowhere?.kind == .notFound)
            try writeFile([1], to: folder + "/plain/readme.txt")
            let plain = dataError { _ = try LMDBSource(path: folder + "/plain", size: 8) }
            #expect(plain?.kind == .notADataset)

            func written(_ name: String, _ records: [String: [UInt8]]) throws -> String {
                let writer = try LMDBWriter(path: folder + "/" + name)
                for (key, value) in records { try writer.put(value, for: key) }
                try writer.commit()
                return folder + "/" + name
            }
            let png = try encoded(patternImage(width: 8, height: 8, seed: 0))
            let noLength = try written("nolength", ["8-00000": png])
            let noLengthError = dataError { _ = try LMDBSource(path: noLength, size: 8) }
            #expect(noLengthError?.kind == .unreadableDataset)
            let badLength = try written("badlength", ["8-00000": png, "length": Array("three".utf8)])
            let badLengthError = dataError { _ = try LMDBSource(path: badLength, size: 8) }
            #expect(badLengthError?.kind == .unreadableDataset)
            let zero = try written("zero", ["length": Array("0".utf8)])
            let zeroError = dataError { _ = try LMDBSource(path: zero, size: 8) }
            #expect(zeroError?.kind == .empty)
            let short = try written("short", ["8-00000": png, "8-00001": [1, 2], "length": Array("3".utf8)])
            let dataset = try ImageDataset.open(short, options: options)
            let missing = dataError { _ = try dataset.image(at: 2) }
            #expect(missing?.kind == .unreadableImage)
            #expect(missing?.path == short + ":8-00002")
            let undecodable = dataError { _ = try dataset.image(at: 1) }
            #expect(undecodable?.kind == .badImage)
        }
    }

    @Test("an LMDB consistency check that fails is an error, not an abort of the process")
    func assertionGuard() throws {
        try withTemporaryFolder { folder in
            var bytes = [UInt8](try Foundation.Data(contentsOf: URL(fileURLWithPath: resource("rosinality-lmdb/data.mdb"))))
            // The main database's root page (from the newer of the two meta pages) becomes a branch page with
            // a single key, which LMDB asserts never happens (mdb_page_search_root).
            func u64(_ offset: Int) -> Int { (0..<8).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) } }
            let meta = u64(144) >= u64(4096 + 144) ? 0 : 4096
            let root = u64(meta + 128) * 4096
            bytes[root + 10] = 0x01; bytes[root + 11] = 0     // mp_flags = P_BRANCH
            bytes[root + 12] = 18; bytes[root + 13] = 0       // mp_lower: NUMKEYS = 1
            try writeFile(bytes, to: folder + "/db/data.mdb")
            let database = try LMDBDatabase(path: folder + "/db")
            let first = dataError { _ = try database.value(for: "length") }
            #expect(first?.kind == .unreadableDataset)
            #expect(first?.message.contains("LMDB check failed") == true, "\(first?.description ?? "no error")")
            let again = dataError { _ = try database.value(for: "8-00000") }
            #expect(again?.message.contains("damaged by an earlier read") == true)
        }
    }
}
