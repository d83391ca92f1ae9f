import Checkpoints
import Foundation
import Testing
import Torch
@testable import Training

/// Every test that runs a `TrainingLoop`: one at a time, because a signal sent to stop one loop would stop any
/// other running in the process.
@Suite("Training loop", .serialized)
struct LoopTests {}

extension LoopTests {
    @Suite("Resumption")
    struct Resumption {
        /// The reference: `iterations` steps in one go.
        private func uninterrupted(_ iterations: Int, every: Int) throws -> (RegressionTrainer, [String]) {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            let trainer = try RegressionTrainer(seed: 3)
            _ = try QuietLoop(folder, TrainingOptions(iterations: iterations, checkpointEvery: every)).train(trainer)
            return (trainer, try logLines(folder))
        }

        @Test("N steps, every object dropped, resumed to 2N: the same losses and weights, bit for bit")
        func resumeAfterCleanStop() throws {
            let (reference, referenceLog) = try uninterrupted(12, every: 6)
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }

            let first = try RegressionTrainer(seed: 3)
            let outcome = try QuietLoop(folder, TrainingOptions(iterations: 6, checkpointEvery: 6)).train(first)
            #expect(outcome == .finished(iteration: 6, checkpoint: folder + "/checkpoint/000006.safetensors"))
            let firstHistory = first.history

            let second = try RegressionTrainer(seed: 3)  // a fresh object: everything comes from the checkpoint
            let loop = QuietLoop(folder, TrainingOptions(iterations: 12, checkpointEvery: 6, resume: .auto))
            #expect(try loop.train(second) == .finished(iteration: 12, checkpoint: folder + "/checkpoint/000012.safetensors"))
            #expect(second.history.count == 6)
            #expect(bits(firstHistory + second.history) == bits(reference.history))
            #expect(try second.stateBytes() == reference.stateBytes())
            #expect(try logLines(folder) == referenceLog)
        }

        @Test("killed after its last checkpoint, resumed with auto: continues exactly as the uninterrupted run")
        func resumeAfterKill() throws {
            let (reference, referenceLog) = try uninterrupted(12, every: 5)
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }

            let killed = try RegressionTrainer(seed: 3)
            killed.beforeStep = { if $0 == 8 { throw RegressionTrainer.Killed() } }
            #expect(throws: RegressionTrainer.Killed.self) {
                try QuietLoop(folder, TrainingOptions(iterations: 12, checkpointEvery: 5)).train(killed)
            }
            #expect(try files(in: folder + "/checkpoint") == ["000005.safetensors"])
            #expect(try logLines(folder).count == 8)  // iterations 1...8 were logged before the kill

            let resumed = try RegressionTrainer(seed: 3)
            let loop = QuietLoop(folder, TrainingOptions(iterations: 12, checkpointEvery: 5, resume: .auto))
            #expect(try loop.train(resumed) == .finished(iteration: 12, checkpoint: folder + "/checkpoint/000012.safetensors"))
            #expect(bits(Array(killed.history.prefix(5)) + resumed.history) == bits(reference.history))
            #expect(try resumed.stateBytes() == reference.stateBytes())
            #expect(try logLines(folder) == referenceLog, "the killed session's lines after iteration 5 are dropped")
            #expect(try files(in: folder + "/checkpoint") == ["000005.safetensors", "000010.safetensors", "000012.safetensors"])

            // The resumed session's event file starts by telling TensorBoard to drop steps 6 and later.
            let events = try eventFiles(folder)
            #expect(events.count == 2)
            let session = try records(of: events[1])
            #expect(session.count > 2)
            #expect(Array(session[1].dropFirst(9)) == [0x10, 6, 0x3A, 2, 0x08, 1], "step 6, SessionLog START")
        }

        @Test("resume from a checkpoint path: its recorded iteration, else the number in its name")
        func resumeFromPath() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            let trainer = try RegressionTrainer(seed: 3)
            _ = try QuietLoop(folder + "/a", TrainingOptions(iterations: 4, checkpointEvery: 4)).train(trainer)
            let saved = folder + "/a/checkpoint/000004.safetensors"

            // Recorded in the file: a name without digits is fine.
            try FileManager.default.copyItem(atPath: saved, toPath: folder + "/weights.safetensors")
            let fromPath = QuietLoop(folder + "/b", TrainingOptions(iterations: 6, checkpointEvery: 6,
                                                                    resume: .checkpoint(path: folder + "/weights.safetensors")))
            let continued = try RegressionTrainer(seed: 3)
            #expect(try fromPath.train(continued) == .finished(iteration: 6, checkpoint: folder + "/b/checkpoint/000006.safetensors"))
            #expect(continued.history.count == 2)

            // Not recorded: the file name says, as rosinality's train.py reads it.
            let unrecorded = try RegressionTrainer(seed: 3)
            let plain = try Safetensors.read(saved)
            try Safetensors.write(plain.tensors.dictionary, metadata: ["data": plain.metadata["data"]!], to: folder + "/000003.safetensors")
            let named = QuietLoop(folder + "/c", TrainingOptions(iterations: 5, checkpointEvery: 5,
                                                                 resume: .checkpoint(path: folder + "/000003.safetensors")))
            _ = try named.train(unrecorded)
            #expect(unrecorded.history.count == 2)

            try FileManager.default.moveItem(atPath: folder + "/000003.safetensors", toPath: folder + "/final.safetensors")
            let nameless = QuietLoop(folder + "/d", TrainingOptions(iterations: 5, resume: .checkpoint(path: folder + "/final.safetensors")))
            #expect { try nameless.train(try RegressionTrainer(seed: 3)) } throws: { error in
                "\(error)".hasPrefix(folder + "/final.safetensors: the checkpoint does not record its iteration")
            }
        }

        @Test("a run already at its last iteration does nothing more")
        func nothingLeft() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            _ = try QuietLoop(folder, TrainingOptions(iterations: 3, checkpointEvery: 3)).train(try RegressionTrainer(seed: 1))
            let again = try RegressionTrainer(seed: 1)
            #expect(try QuietLoop(folder, TrainingOptions(iterations: 3, resume: .auto)).train(again)
                == .finished(iteration: 3, checkpoint: nil))
            #expect(again.history.isEmpty)
        }
    }
}

/// Scalars as bit patterns, so equality means bitwise equality.
func bits(_ history: [[Scalar]]) -> [[String: UInt64]] {
    history.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.name, $0.value.bitPattern) }) }
}
