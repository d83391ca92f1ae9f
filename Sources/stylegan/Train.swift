import ArgumentParser

/// `stylegan train ...`: the trainers.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a StyleGAN2 generator from a folder of images.",
        subcommands: [TrainGenerator.self]
    )
}
