import ArgumentParser
import Torch

/// The `stylegan` command: parses and validates, then hands the work to the library.
@main
struct StyleGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylegan",
        abstract: "Invert photos into a pretrained StyleGAN2 and edit them.",
        version: StyleGANKitVersion.string,
        subcommands: [Generate.self, Invert.self, Render.self, Directions.self, Edit.self, Align.self, Eval.self, Info.self, Convert.self, Doctor.self, Demo.self,
                      RandomGenerator.self]
    )
}

/// Options every command that computes takes.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "Intra-op CPU threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 {
            throw ValidationError("--threads must be at least 1, got \(threads)")
        }
    }

    /// Checks the loaded libtorch and applies the thread count.
    func start() throws {
        try Runtime.start(threads: threads)
    }
}
