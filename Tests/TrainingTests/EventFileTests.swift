import Foundation
import Testing
import TestSupport
@testable import Training

/// Resources/golden.tfevents was written once by TensorBoard 2.21's own `RecordWriter` from `event_pb2.Event`
/// protos serialised by protobuf 7 (script not part of the package): the file version; scalars 1.25, 0.0 and
/// -0.0025 at step 1; SessionLog START at step 300; NaN and +inf at step 1000000; Resources/tiny.png
/// (3 x 2 RGB) as an image at step 123456789012; wall times 1767225600.25, 1767225601.5, 1767225602.0,
/// 1767225603.125 and 1767225604.0.
@Suite("TensorBoard event files")
struct EventFileTests {
    static let resources = Fixtures.packageRoot.appendingPathComponent("Tests/TrainingTests/Resources")

    @Test("our bytes equal TensorBoard's own writer's")
    func golden() throws {
        let folder = try temporaryFolder()
        defer { cleanUp(folder) }
        let path = folder + "/events.out.tfevents.test"
        let png = try [UInt8](Data(contentsOf: Self.resources.appendingPathComponent("tiny.png")))
        let writer = try EventFileWriter(path: path, wallTime: 1767225600.25)
        try writer.addScalars([Scalar("d", 1.25), Scalar("g", 0), Scalar("loss/path length", -2.5e-3)], step: 1,
                              wallTime: 1767225601.5)
        try writer.addScalars([], step: 2, wallTime: 1767225601.75)  // writes nothing
        try writer.addSessionStart(step: 300, wallTime: 1767225602.0)
        try writer.addScalars([Scalar("fid", .nan), Scalar("r1", .infinity)], step: 1_000_000, wallTime: 1767225603.125)
        try writer.addImage("samples", encoded: png, height: 2, width: 3, channels: 3, step: 123_456_789_012,
                            wallTime: 1767225604.0)
        let ours = try Data(contentsOf: URL(fileURLWithPath: path))
        let golden = try Data(contentsOf: Self.resources.appendingPathComponent("golden.tfevents"))
        #expect(ours == golden)
        #expect(try records(of: path).count == 5)
    }

    @Test("an existing file is never overwritten; names follow TensorFlow's and differ within a process")
    func naming() throws {
        let folder = try temporaryFolder()
        defer { cleanUp(folder) }
        let first = try EventFileWriter(folder: folder, wallTime: 1767225600.9)
        let second = try EventFileWriter(folder: folder, wallTime: 1767225600.9)
        #expect(first.path != second.path)
        #expect(first.path.hasPrefix(folder + "/events.out.tfevents.1767225600."))
        #expect { try EventFileWriter(path: first.path) } throws: { "\($0)".hasPrefix(first.path + ": cannot open for writing") }
    }

    @Test("CRC-32C check values")
    func crc() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)  // the standard check value
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)  // RFC 3720 B.4
    }
}
