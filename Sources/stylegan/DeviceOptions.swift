import ArgumentParser
import Torch

/// `--device` for commands that can run on a GPU.
struct DeviceOptions: ParsableArguments {
    @Option(help: "cpu, cuda or cuda:N.")
    var device: DeviceChoice = DeviceChoice(.cpu)

    /// The checked device (`DeviceChoice.checked()`); call after `RuntimeOptions.start()`.
    func resolve() throws -> Device { try device.checked() }
}
