import ArgumentParser

/// `stylegan train ...`: the trainers.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a StyleGAN2 generator, or an inversion encoder for one.",
        subcommands: [TrainGenerator.self, TrainEncoder.self]
    )
}
