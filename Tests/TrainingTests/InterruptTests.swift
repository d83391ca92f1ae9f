import Foundation
import Testing
@testable import Training

extension LoopTests {
    @Suite("SIGINT and SIGTERM")
    struct Interrupts {
        @Test("the step in progress finishes, a checkpoint is written, the run resumes as if never stopped",
              arguments: [SIGINT, SIGTERM])
        func interrupt(signal: Int32) throws {
            let reference = try RegressionTrainer(seed: 4)
            let referenceFolder = try temporaryFolder()
            defer { cleanUp(referenceFolder) }
            _ = try QuietLoop(referenceFolder, TrainingOptions(iterations: 9, checkpointEvery: 100)).train(reference)

            var before = sigaction()
            sigaction(signal, nil, &before)
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            let stopped = try RegressionTrainer(seed: 4)
            stopped.beforeStep = { index in
                guard index == 4 else { return }
                // To the process, as a shell sends it: the threads of the test runner block such signals, so the
                // handler runs on another thread while this step goes on.
                kill(getpid(), signal)
                let deadline = Date().addingTimeInterval(10)
                while InterruptTrap.received != signal && Date() < deadline { usleep(1000) }
            }
            let loop = QuietLoop(folder, TrainingOptions(iterations: 9, checkpointEvery: 100))
            let checkpoint = folder + "/checkpoint/000005.safetensors"
            #expect(try loop.train(stopped) == .interrupted(iteration: 5, checkpoint: checkpoint))
            #expect(stopped.history.count == 5, "step index 4 ran to its end")
            #expect(loop.messages == ["\(folder): interrupted after iteration 5; resume from \(checkpoint)\n"])
            var after = sigaction()
            sigaction(signal, nil, &after)
            #expect(handler(after) == handler(before), "the handler is restored")

            let resumed = try RegressionTrainer(seed: 4)
            _ = try QuietLoop(folder, TrainingOptions(iterations: 9, checkpointEvery: 100, resume: .auto)).train(resumed)
            #expect(bits(stopped.history + resumed.history) == bits(reference.history))
            #expect(try resumed.stateBytes() == reference.stateBytes())
        }
    }
}

/// A signal action's handler as an address (nil, SIG_DFL, is 0).
private func handler(_ action: sigaction) -> Int { unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self) }
