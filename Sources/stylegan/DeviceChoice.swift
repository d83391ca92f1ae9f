import ArgumentParser
import Torch

/// A `--device` value: cpu, cuda or cuda:N, checked against the loaded libtorch and the machine before any work.
struct DeviceChoice: ExpressibleByArgument {
    /// The device as given, unchecked.
    let value: Device
    init(_ value: Device) { self.value = value }
    init?(argument: String) {
        guard let d = Device(argument) else { return nil }
        value = d
    }
    var defaultValueDescription: String { value.description }

    /// The device, if this build of libtorch and this machine have it; one sentence if not, instead of libtorch's
    /// dispatcher table at the first tensor. Call after `Runtime.start()`, which loads the CUDA library.
    func checked() throws -> Device {
        guard case .cuda(let index) = value else { return value }
        if let why = Runtime.cudaLoadError {
            throw CLIError("libtorch's CUDA library could not be loaded (\(why)); use --device cpu")
        }
        guard Runtime.hasCUDALibrary else {
            throw CLIError("this build of libtorch has no CUDA support (torch \(Runtime.builtForVersion)); use --device cpu")
        }
        let count = Runtime.cudaDeviceCount
        guard index < count else {
            throw CLIError("no CUDA device \(index); found \(count)" + (count > 0 ? " (cuda:0...cuda:\(count - 1))" : ""))
        }
        return value
    }
}
