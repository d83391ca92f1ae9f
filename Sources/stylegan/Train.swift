import ArgumentParser
import Training

/// `stylegan train ...`: the trainers.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a StyleGAN2 generator, or an inversion encoder for one.",
        subcommands: [TrainGenerator.self, TrainEncoder.self]
    )
}

extension TrainingOutcome {
    /// The line a training command ends with.
    var summary: String {
        switch self {
        case .finished(let iteration, let checkpoint):
            "trained \(iteration) iterations" + (checkpoint.map { "; last checkpoint \($0)" } ?? "")
        case .interrupted(let iteration, let checkpoint):
            "stopped after \(iteration) iterations" + (checkpoint.map { "; resume from \($0)" } ?? "")
        }
    }
}
