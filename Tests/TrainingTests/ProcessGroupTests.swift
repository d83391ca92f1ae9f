import Foundation
import Testing
import Torch
@testable import Training

/// One rank of a two-process group whose reductions do nothing, to see what the loop does on each rank.
private struct TwoProcesses: ProcessGroup {
    let rank: Int
    var worldSize: Int { 2 }
    func allReduce(_: [Tensor], _: ReduceOperation) throws {}
}

extension LoopTests {
    @Suite("Process groups")
    struct ProcessGroups {
        @Test("rank 1 trains and loads checkpoints but writes no file; kimg counts every rank's batches")
        func ranks() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            var main = QuietLoop(folder + "/run", TrainingOptions(iterations: 2, checkpointEvery: 2))
            main.loop.group = TwoProcesses(rank: 0)
            _ = try main.train(try RegressionTrainer(seed: 1))
            #expect(try logLines(folder + "/run").last?.hasPrefix("{\"iteration\":2,\"kimg\":0.032,") == true)

            let other = QuietLoop(folder + "/other", TrainingOptions(iterations: 2, checkpointEvery: 2))
            other.loop.group = TwoProcesses(rank: 1)
            let trainer = try RegressionTrainer(seed: 1)
            #expect(try other.train(trainer) == .finished(iteration: 2, checkpoint: nil))
            #expect(trainer.history.count == 2)
            #expect(!FileManager.default.fileExists(atPath: folder + "/other"))

            main = QuietLoop(folder + "/run", TrainingOptions(iterations: 3, resume: .auto))
            main.loop.group = TwoProcesses(rank: 1)
            let resumed = try RegressionTrainer(seed: 1)
            #expect(try main.train(resumed) == .finished(iteration: 3, checkpoint: nil))
            #expect(resumed.history.count == 1, "rank 1 resumed from rank 0's checkpoint")
            #expect(try files(in: folder + "/run/checkpoint") == ["000002.safetensors"])
        }
    }
}
