import Data
import Foundation
import Images
import TestSupport
import Testing
import Torch
@testable import Testbed

/// Datasets on disk: read back by the training loaders with their labels, the same bytes for the same options,
/// and nothing written (or replaced) on bad input.
@Suite("Testbed dataset writers")
struct DatasetWriterTests {
    static let options = TestbedDatasetOptions(count: 5, size: 64, seed: 3, split: .test, batchSize: 2)

    /// Every file below `root` with its bytes.
    static func contents(_ root: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        let walker = FileManager.default.enumerator(atPath: root)!
        for case let name as String in walker {
            var folder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &folder)
            if !folder.boolValue { files[name] = [UInt8](try Foundation.Data(contentsOf: URL(fileURLWithPath: root + "/" + name))) }
        }
        return files
    }

    @Test(arguments: TestbedDatasetFormat.allCases)
    func theLoadersReadItBack(format: TestbedDatasetFormat) throws {
        let dir = try Scratch()
        var options = Self.options
        options.format = format
        try TestbedDataset.write(to: dir.path("out"), options: options)
        let expected = try TestbedRenderer(size: 64).render(split: .test, indices: 15..<20)

        let path = switch format {
        case .folder: dir.path("out/images")
        case .zip: dir.path("out/dataset.zip")
        case .lmdb: dir.path("out/dataset.lmdb")
        }
        let dataset = try ImageDataset.open(path, options: DatasetOptions(size: 64))
        #expect(dataset.count == 5)
        for i in 0..<5 {
            let want = try Image(tensor: expected.images.select(0, i)).tensor()
            #expect(try dataset.image(at: i).bytes() == want.bytes(), "image \(i)")
            let mask = try Image.read(path: dir.path("out/masks/\(TestbedDataset.fileName(i))"))
            #expect(mask.channels == 1 && mask.width == 64)
            #expect(mask.pixels.map(Int64.init) == (try expected.masks.select(0, i).int64s()), "mask \(i)")
        }
        let attributes = try expected.attributes.floats()
        let width = TestbedAttribute.allCases.count
        if format == .lmdb {
            #expect(dataset.labels == nil)
        } else {
            #expect(dataset.labels == .vectors((0..<5).map { Array(attributes[($0 * width)..<(($0 + 1) * width)]) }))
        }
        let csv = String(decoding: try Foundation.Data(contentsOf: URL(fileURLWithPath: dir.path("out/labels.csv"))), as: UTF8.self)
        let lines = csv.split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines[0].hasPrefix("file,split,index,identity,variation,smile,"))
        let identity = TestbedSplit.test.sample(at: 16).identity
        #expect(lines[2].hasPrefix("000001.png,test,16,\(identity),0,"), "\(lines[2])")
    }

    @Test func sameOptionsGiveTheSameBytes() throws {
        let dir = try Scratch()
        for format in TestbedDatasetFormat.allCases {
            var options = Self.options
            options.format = format
            try TestbedDataset.write(to: dir.path("a-\(format)"), options: options)
            options.batchSize = 3
            try TestbedDataset.write(to: dir.path("b-\(format)"), options: options)
            let a = try Self.contents(dir.path("a-\(format)")), b = try Self.contents(dir.path("b-\(format)"))
            #expect(!a.isEmpty && a == b, "\(format)")
        }
        // Another seed is another block of the split.
        var other = Self.options
        other.seed = 4
        try TestbedDataset.write(to: dir.path("c"), options: other)
        #expect(try Self.contents(dir.path("c"))["labels.csv"] != Self.contents(dir.path("a-folder"))["labels.csv"])
    }

    @Test func anExistingOutputIsKeptUnlessOverwriting() throws {
        let dir = try Scratch()
        let out = dir.path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        try Foundation.Data("keep".utf8).write(to: URL(fileURLWithPath: out + "/note.txt"))
        #expect(throws: TestbedError.self) { try TestbedDataset.write(to: out, options: Self.options) }
        #expect(try Self.contents(out) == ["note.txt": Array("keep".utf8)])
        #expect(try dir.files() == ["out"])

        var options = Self.options
        options.overwrite = true
        try TestbedDataset.write(to: out, options: options)
        let written = try Self.contents(out)
        #expect(written["note.txt"] == nil && written["labels.csv"] != nil)
        #expect(try dir.files() == ["out"])

        // An empty folder is filled without --overwrite.
        try FileManager.default.createDirectory(atPath: dir.path("empty"), withIntermediateDirectories: false)
        try TestbedDataset.write(to: dir.path("empty"), options: Self.options)
        #expect(try Self.contents(dir.path("empty")) == written)
    }

    @Test func badOptionsWriteNothing() throws {
        let dir = try Scratch()
        let bad = [TestbedDatasetOptions(count: 0, size: 64), TestbedDatasetOptions(count: -3, size: 64),
                   TestbedDatasetOptions(count: 2, size: 96), TestbedDatasetOptions(count: 2, size: 64, seed: -1),
                   TestbedDatasetOptions(count: 2, size: 64, seed: TestbedSplit.wild.count / 2, split: .wild)]
        for options in bad {
            #expect(throws: TestbedError.self) { try TestbedDataset.write(to: dir.path("out"), options: options) }
        }
        #expect(throws: TestbedError.self) {
            try TestbedDataset.write(to: dir.path("missing/out"), options: TestbedDatasetOptions(count: 1, size: 64))
        }
        #expect(try dir.files().isEmpty)
    }
}
