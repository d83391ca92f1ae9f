import Checkpoints
import Foundation
import Testing
import Torch
@testable import Training

extension LoopTests {
    @Suite("Checkpoints")
    struct CheckpointFiles {
        @Test("one every N iterations and one at the end, named by the iterations done")
        func cadence() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            _ = try QuietLoop(folder, TrainingOptions(iterations: 10, checkpointEvery: 3)).train(try RegressionTrainer(seed: 1))
            #expect(try files(in: folder + "/checkpoint")
                == ["000003.safetensors", "000006.safetensors", "000009.safetensors", "000010.safetensors"])
            let last = try Safetensors.read(folder + "/checkpoint/000010.safetensors")
            #expect(last.metadata["iteration"] == "10")
        }

        @Test("keepCheckpoints leaves the newest ones")
        func keep() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            let options = TrainingOptions(iterations: 10, checkpointEvery: 3, keepCheckpoints: 2)
            _ = try QuietLoop(folder, options).train(try RegressionTrainer(seed: 1))
            #expect(try files(in: folder + "/checkpoint") == ["000009.safetensors", "000010.safetensors"])
        }

        @Test("a write that fails half-way leaves the last good checkpoint and no partial file")
        func failedWrite() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            let failing = try RegressionTrainer(seed: 1)
            failing.save = { path, iteration in
                guard iteration == 6 else { return try Self.write(failing, path, iteration) }
                try Data("half a checkpoint".utf8).write(to: URL(fileURLWithPath: path))
                throw TorchError("disk full")
            }
            let good = folder + "/checkpoint/000003.safetensors"
            #expect { try QuietLoop(folder, TrainingOptions(iterations: 9, checkpointEvery: 3)).train(failing) } throws: { error in
                "\(error)" == folder + "/checkpoint/000006.safetensors: cannot write the checkpoint: disk full; "
                    + "the last good one, \(good), is kept"
            }
            #expect(try files(in: folder + "/checkpoint") == ["000003.safetensors"])
            #expect(try Safetensors.read(good).metadata["iteration"] == "3")

            let resumed = try RegressionTrainer(seed: 1)
            _ = try QuietLoop(folder, TrainingOptions(iterations: 4, resume: .auto)).train(resumed)
            #expect(resumed.history.count == 1, "resumed from iteration 3")
        }

        @Test("a trainer that writes no file fails the checkpoint")
        func noFile() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            let trainer = try RegressionTrainer(seed: 1)
            trainer.save = { _, _ in }
            #expect { try QuietLoop(folder, TrainingOptions(iterations: 2, checkpointEvery: 2)).train(trainer) } throws: { error in
                "\(error)".contains("000002.safetensors: cannot write the checkpoint") && "\(error)".contains("the trainer wrote no file")
            }
            #expect(try files(in: folder + "/checkpoint").isEmpty)
        }

        @Test("temporary files left by a killed save are removed at the next start")
        func leftovers() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            try FileManager.default.createDirectory(atPath: folder + "/checkpoint", withIntermediateDirectories: true)
            for name in [".000004.partial.safetensors", "..000004.partial.safetensors.123.456.tmp"] {
                try Data([1, 2, 3]).write(to: URL(fileURLWithPath: folder + "/checkpoint/" + name))
            }
            try Data([1]).write(to: URL(fileURLWithPath: folder + "/checkpoint/notes.txt"))
            _ = try QuietLoop(folder, TrainingOptions(iterations: 2, checkpointEvery: 2)).train(try RegressionTrainer(seed: 1))
            #expect(try files(in: folder + "/checkpoint") == ["000002.safetensors", "notes.txt"])
        }

        @Test("a fresh start into a run that has checkpoints is refused")
        func freshIntoOldRun() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            _ = try QuietLoop(folder, TrainingOptions(iterations: 2, checkpointEvery: 2)).train(try RegressionTrainer(seed: 1))
            #expect { try QuietLoop(folder, TrainingOptions(iterations: 4)).train(try RegressionTrainer(seed: 1)) } throws: { error in
                "\(error)" == "\(folder): already holds checkpoints (up to \(folder)/checkpoint/000002.safetensors); "
                    + "resume it with resume auto, or train in another folder"
            }
        }

        @Test("resuming from a missing, foreign or folder checkpoint names it; the run's checkpoints stay")
        func badResume() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            func train(_ resume: Resume) throws {
                _ = try QuietLoop(folder + "/run", TrainingOptions(iterations: 4, resume: resume)).train(try RegressionTrainer(seed: 1))
            }
            #expect { try train(.checkpoint(path: folder + "/none.safetensors")) } throws: {
                "\($0)" == folder + "/none.safetensors: no such checkpoint"
            }
            #expect { try train(.checkpoint(path: folder)) } throws: { "\($0)" == folder + ": is a folder, not a checkpoint" }
            // Another model: the trainer's own check fails, and the loop says which file it was resuming from.
            try Safetensors.write(["weight": try Tensor.zeros([8, 1])], to: folder + "/other.safetensors")
            #expect { try train(.checkpoint(path: folder + "/other.safetensors")) } throws: {
                "\($0)" == folder + "/other.safetensors: cannot resume from this checkpoint: weight is missing or has another shape"
            }
            _ = try QuietLoop(folder + "/run", TrainingOptions(iterations: 2, checkpointEvery: 2)).train(try RegressionTrainer(seed: 1))
            try Data("garbage".utf8).write(to: URL(fileURLWithPath: folder + "/run/checkpoint/000003.safetensors"))
            #expect { try train(.auto) } throws: { "\($0)".hasPrefix(folder + "/run/checkpoint/000003.safetensors: cannot resume") }
            #expect(try files(in: folder + "/run/checkpoint") == ["000002.safetensors", "000003.safetensors"])
        }

        private static func write(_ trainer: RegressionTrainer, _ path: String, _ iteration: Int) throws {
            let replacement = trainer.save
            trainer.save = nil
            defer { trainer.save = replacement }
            try trainer.saveState(to: path, iteration: iteration)
        }
    }
}
