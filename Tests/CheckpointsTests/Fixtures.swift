import Checkpoints
import Foundation
import TestSupport
import Testing

/// Where test inputs live: the shared parity fixtures (found as `TestSupport.Fixtures` finds them), and the small
/// files in Resources/.
enum Fixtures {
    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String { "missing test fixture \(path)" }
    }

    /// A shared fixture file; throws (failing the test) when it is not there, saying where it looked.
    static func shared(_ relative: String) throws -> String { try TestSupport.Fixtures.path(relative) }

    /// A file in this target's Resources folder (read from the source tree, next to this file).
    static func resource(_ name: String) throws -> String {
        let path = TestSupport.Fixtures.packageRoot.appendingPathComponent("Tests/CheckpointsTests/Resources")
            .appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else { throw Missing(path: path) }
        return path
    }

    static func resourceBytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: try resource(name))))
    }

    /// A fresh empty folder for files a test writes.
    static func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("CheckpointsTests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Runs `body`, which must throw a `CheckpointError` whose description contains `fragment`.
func expectFailure(_ fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error mentioning \"\(fragment)\", but it succeeded", sourceLocation: sourceLocation)
    } catch let error as CheckpointError {
        #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a CheckpointError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// SplitMix64: a tiny seeded generator, so fuzz inputs are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
