import Foundation
import Testing
import TestSupport
import Torch
@testable import Training

/// A new empty folder under the system's temporary folder, removed by `cleanUp`.
func temporaryFolder(_ name: String = #function) throws -> String {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent(
        "training-tests-\(getpid())-\(UInt64.random(in: 0...UInt64.max))").path
    try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    return base
}

func cleanUp(_ folder: String) { try? FileManager.default.removeItem(atPath: folder) }

/// The loop's options as the run's full configuration, the shape a trainer's CLI config has.
struct RunConfig: Codable, Equatable {
    var seed: UInt64
    var training: TrainingOptions
}

/// A loop on `folder` that prints nothing, with messages collected in `messages`.
final class QuietLoop {
    var loop: TrainingLoop
    private(set) var messages: [String] = []

    init(_ folder: String, _ options: TrainingOptions) {
        loop = TrainingLoop(run: RunDirectory(path: folder), options: options, progress: .lines(interval: .infinity))
        loop.output = { [unowned self] in messages.append($0) }
    }

    func train(_ trainer: some Trainer, seed: UInt64 = 7) throws -> TrainingOutcome {
        try loop.train(trainer, config: RunConfig(seed: seed, training: loop.options))
    }
}

/// The lines of `log.jsonl` without their wall times, which differ from run to run.
func logLines(_ folder: String) throws -> [String] {
    let text = try String(contentsOfFile: folder + "/log.jsonl", encoding: .utf8)
    return text.split(separator: "\n").map {
        $0.replacingOccurrences(of: #","wall_time":[0-9.e+]+"#, with: "", options: .regularExpression)
    }
}

func files(in folder: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
}

/// The event payloads of a TFRecord file, each record's two masked CRC-32Cs checked.
func records(of path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[UInt8]] {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    var records: [[UInt8]] = []
    var at = 0
    func le<T: FixedWidthInteger>(_: T.Type, _ offset: Int) -> T {
        bytes[offset..<(offset + MemoryLayout<T>.size)].reversed().reduce(0) { $0 << 8 | T($1) }
    }
    while at < bytes.count {
        let length = Int(le(UInt64.self, at))
        #expect(le(UInt32.self, at + 8) == CRC32C.masked(bytes[at..<(at + 8)]), "length CRC", sourceLocation: sourceLocation)
        let data = Array(bytes[(at + 12)..<(at + 12 + length)])
        #expect(le(UInt32.self, at + 12 + length) == CRC32C.masked(data), "data CRC", sourceLocation: sourceLocation)
        records.append(data)
        at += 16 + length
    }
    return records
}

/// The event files of a run folder, oldest first.
func eventFiles(_ folder: String) throws -> [String] {
    try files(in: folder).filter { $0.hasPrefix("events.out.tfevents.") }.map { folder + "/" + $0 }
}
