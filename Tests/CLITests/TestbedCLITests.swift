import Foundation
import TestSupport
import Testing

/// `stylegan testbed render`: a dataset the same for the same arguments; bad input refused with nothing written.
@Suite("CLI: testbed render", .serialized)
struct TestbedCLITests {
    static func render(_ out: String, _ extra: [String] = []) -> [String] {
        ["testbed", "render", "--count", "3", "--size", "64", "--seed", "2", "--out", out, "--threads", "1"] + extra
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func writesTheSameDatasetForTheSameArguments() throws {
        let dir = try Scratch()
        var r = try CLI.run(Self.render(dir.path("a"), ["--format", "zip", "--split", "wild"]))
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("wrote 3 wild renders (indices 6..<9)"), "\(r.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("a")).sorted()
            == ["dataset.zip", "labels.csv", "masks", "testbed.json"])
        r = try CLI.run(Self.render(dir.path("b"), ["--format", "zip", "--split", "wild"]))
        try #require(r.status == 0, "\(r.stderr)")
        for file in ["dataset.zip", "labels.csv", "masks/000002.png"] {
            #expect(try Self.bytes(dir.path("a/" + file)) == Self.bytes(dir.path("b/" + file)), "\(file)")
        }
        let csv = String(decoding: try Self.bytes(dir.path("a/labels.csv")), as: UTF8.self)
        #expect(csv.contains("\n000000.png,wild,6,"))
    }

    @Test func refusesAnExistingOutputWithoutOverwrite() throws {
        let dir = try Scratch()
        var r = try CLI.run(Self.render(dir.path("out")))
        try #require(r.status == 0, "\(r.stderr)")
        let before = try Self.bytes(dir.path("out/labels.csv"))
        r = try CLI.run(Self.render(dir.path("out"), ["--format", "lmdb", "--seed", "5"]))
        #expect(r.status != 0)
        #expect(r.stderr.contains("exists and is not empty") && r.stderr.contains("--overwrite"), "\(r.stderr)")
        #expect(try Self.bytes(dir.path("out/labels.csv")) == before)
        #expect(try dir.files() == ["out"])
        r = try CLI.run(Self.render(dir.path("out"), ["--format", "lmdb", "--overwrite"]))
        try #require(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.path("out/dataset.lmdb/data.mdb")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("out/images")))
    }

    @Test func badArgumentsWriteNothing() throws {
        let dir = try Scratch()
        let cases: [([String], String)] = [
            (["testbed", "render", "--count", "-2", "--size", "64", "--out", dir.path("x")], "--count must be at least 1"),
            (["testbed", "render", "--count", "0", "--size", "64", "--out", dir.path("x")], "--count must be at least 1"),
            (["testbed", "render", "--count", "2", "--size", "100", "--out", dir.path("x")], "--size must be one of 64, 128, 256"),
            (["testbed", "render", "--count", "2", "--size", "64", "--seed", "-1", "--out", dir.path("x")], "--seed must be 0 or more"),
            (["testbed", "render", "--count", "2", "--size", "64", "--format", "tar", "--out", dir.path("x")], "format"),
        ]
        for (arguments, message) in cases {
            let r = try CLI.run(arguments)
            #expect(r.status != 0, "\(arguments)")
            #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }
        #expect(try dir.files().isEmpty)
    }
}
