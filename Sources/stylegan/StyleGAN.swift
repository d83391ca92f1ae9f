import ArgumentParser

/// The `stylegan` command: parses and validates, then hands the work to the library.
@main
struct StyleGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylegan",
        abstract: "Invert photos into a pretrained StyleGAN2 and edit them.",
        version: StyleGANKitVersion.string,
        subcommands: [Generate.self, Invert.self, Restore.self, Hide.self, Reveal.self, Train.self, Render.self, TestbedCommand.self, Directions.self, Edit.self, Align.self, Eval.self, Evaluate.self, Info.self, Convert.self, Doctor.self, Demo.self, Serve.self,
                      RandomGenerator.self]
    )

    /// ArgumentParser's own `main`, with every failure printed as one sentence (`CLIError.presentable`).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: CLIError.presentable(error))
        }
    }
}
