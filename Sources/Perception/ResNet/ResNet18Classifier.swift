import Checkpoints
import Foundation
import Torch

/// torchvision's ResNet-18 (`conv1`, `bn1`, `layer1`...`layer4` of two `BasicBlock`s, `fc`) with a configurable
/// base width and output count: the testbed's attribute classifier, whose pooled features also feed its Fréchet
/// distance. At width 64 and 1000 outputs it is torchvision's `resnet18` and loads its files.
public final class ResNet18Classifier: ResNet18Trunk {
    public let width: Int
    /// Names of the outputs in order (the testbed's attributes), recorded in the safetensors metadata.
    public let outputNames: [String]
    /// The square side the network was trained at; inputs of another size are resized to it (bilinear, antialiased
    /// when shrinking), so a classifier trained on 128-pixel renders scores 64-pixel generators at its own scale.
    /// nil (torchvision's files) takes inputs as they come.
    public let inputSize: Int?
    /// Linear 8 * width -> outputs.
    public let fc: Linear

    /// Metadata keys of a saved classifier: its base width and its output names (comma-separated).
    public static let widthKey = "resnet18_width"
    public static let outputsKey = "resnet18_outputs"
    public static let inputSizeKey = "resnet18_input_size"

    /// Random weights until `load`ed; in training mode, on `device`.
    public init(width: Int = 64, outputNames: [String], inputSize: Int? = nil, device: Device = .cpu) throws {
        guard width >= 1, !outputNames.isEmpty, (inputSize ?? 1) >= 1 else {
            throw TorchError("ResNet18Classifier: width \(width), \(outputNames.count) outputs and input size "
                + "\(inputSize.map(String.init) ?? "any") must be positive")
        }
        self.width = width
        self.outputNames = outputNames
        self.inputSize = inputSize
        fc = try Linear(8 * width, outputNames.count)
        try super.init(stem: width, stages: [width, 2 * width, 4 * width, 8 * width])
        try register(module: "fc", fc)
        try to(device: device)
    }

    /// The trunk's stem on the input at `inputSize`: [N, 3, H, W] -> [N, width, S/2, S/2] (LPIPS's first tap; the
    /// stages follow from it).
    override public func stem(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", 3, "H", "W"])
        return try super.stem(resized(x))
    }

    /// x at `inputSize` when one is set.
    public func resized(_ x: Tensor) throws -> Tensor {
        guard let inputSize, x.size(2) != inputSize || x.size(3) != inputSize else { return x }
        return try F.interpolate(x, size: (inputSize, inputSize), mode: .bilinear, alignCorners: false,
                                 antialias: x.size(2) > inputSize || x.size(3) > inputSize)
    }

    /// The globally average-pooled last stage, `fc`'s input (the features of the testbed's Fréchet distance):
    /// [N, 3, H, W] -> [N, 8 width].
    public func features(_ x: Tensor) throws -> Tensor {
        try stageFeatures(x)[3].mean([2, 3])
    }

    /// Raw outputs (logits or normalised regressions): [N, 3, H, W] -> [N, outputs].
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try fc(features(x))
    }

    /// The metadata `load` reads back.
    public var metadata: [String: String] {
        var metadata = [Self.widthKey: String(width), Self.outputsKey: outputNames.joined(separator: ",")]
        if let inputSize { metadata[Self.inputSizeKey] = String(inputSize) }
        return metadata
    }

    /// Reads a classifier saved with `metadata` (safetensors), frozen in eval mode.
    public static func load(from path: String, device: Device = .cpu) throws -> ResNet18Classifier {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError.io(file: path, message: "no such file")
        }
        let metadata = try CheckpointError.naming(path) { try Safetensors.read(path).metadata }
        guard let width = metadata[widthKey].flatMap({ Int($0) }), let names = metadata[outputsKey] else {
            throw CheckpointError.invalid(file: path, message: "not a ResNet-18 classifier: its metadata lacks "
                + "\(widthKey) and \(outputsKey)")
        }
        var inputSize: Int?
        if let value = metadata[inputSizeKey] {
            guard let size = Int(value), size >= 1 else {
                throw CheckpointError.invalid(file: path, message: "\(inputSizeKey) is \(value), not a positive size")
            }
            inputSize = size
        }
        let network = try ResNet18Classifier(width: width, outputNames: names.split(separator: ",").map(String.init),
                                             inputSize: inputSize, device: device)
        _ = try FaceNetworkWeights.load(network, from: path, name: "ResNet-18 classifier")
        network.eval()
        try network.freeze()
        return network
    }
}
