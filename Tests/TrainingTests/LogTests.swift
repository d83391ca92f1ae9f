import Foundation
import Testing
import Torch
@testable import Training

extension LoopTests {
    @Suite("log.jsonl and TensorBoard scalars")
    struct Log {
        @Test("a line every logEvery iterations, at the end and on evaluations, losses in report order")
        func cadence() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            let trainer = try RegressionTrainer(seed: 5)
            let options = TrainingOptions(iterations: 7, checkpointEvery: 7, sampleEvery: nil, evaluateEvery: 3, logEvery: 2)
            _ = try QuietLoop(folder, options).train(trainer)
            let lines = try logLines(folder)
            #expect(lines.map { $0.split(separator: ",")[0] }
                == ["{\"iteration\":2", "{\"iteration\":3", "{\"iteration\":4", "{\"iteration\":6", "{\"iteration\":7"])
            let (sixth, seventh) = (trainer.history[5], trainer.history[6])  // step index 5 completes iteration 6
            #expect(lines[3].hasPrefix("{\"iteration\":6,\"kimg\":0.048,\"losses\":{\"mse\":\(sixth[0].value)},"
                + "\"metrics\":{\"distance\":") && lines[3].hasSuffix(",\"evaluated\":6.0}}"), "\(lines[3])")
            #expect(seventh.map(\.name) == ["mse", "l2"])
            #expect(lines[4] == "{\"iteration\":7,\"kimg\":0.056,\"losses\":{\"mse\":\(seventh[0].value),\"l2\":\(seventh[1].value)}}")
            #expect(!lines[2].contains("metrics"))
            let raw = try String(contentsOfFile: folder + "/log.jsonl", encoding: .utf8)
            #expect(raw.split(separator: "\n").allSatisfy { $0.contains(",\"wall_time\":1") })

            // One summary event per line, after the file version.
            let events = try records(of: try eventFiles(folder)[0])
            #expect(events.count == 1 + lines.count)
        }

        @Test("non-finite values are written as Python's json reads them; names are JSON-escaped")
        func numbers() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            let log = try TrainingLog(path: folder + "/log.jsonl", resumingAt: 0)
            try log.append(iteration: 1, kimg: 0.016, wallTime: 2.5, losses: [Scalar("a\"b", .nan), Scalar("c/d", .infinity)],
                           metrics: [Scalar("e", -.infinity), Scalar("f", 1e-5)])
            #expect(try String(contentsOfFile: folder + "/log.jsonl", encoding: .utf8)
                == "{\"iteration\":1,\"kimg\":0.016,\"wall_time\":2.5,\"losses\":{\"a\\\"b\":NaN,\"c/d\":Infinity},"
                + "\"metrics\":{\"e\":-Infinity,\"f\":1e-05}}\n")
        }

        @Test("a resumed log keeps the lines up to the checkpoint and drops a torn last line")
        func truncation() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            let path = folder + "/log.jsonl"
            let old = (1...5).map { "{\"iteration\":\($0),\"kimg\":0,\"wall_time\":1,\"losses\":{}}\n" }.joined()
            try Data((old + "{\"iteration\":6,\"kimg\":0,\"wal").utf8).write(to: URL(fileURLWithPath: path))
            _ = try TrainingLog(path: path, resumingAt: 3)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == old.split(separator: "\n").prefix(3).map { $0 + "\n" }.joined())
            _ = try TrainingLog(path: path, resumingAt: 0)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "", "a fresh run starts an empty log")
        }
    }
}
