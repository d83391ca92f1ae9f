import Checkpoints
import Foundation
import Torch

/// Reading NVIDIA's `vgg16.pt` (stylegan2-ada-pytorch's metric network) into `VGG16FeatureDistance`.
///
/// The file is a TorchScript archive, read as data (`TorchScript`): a `VGG16` module whose submodule `layers` holds
/// `conv1` ... `conv13` (3x3 convolutions, each applying its ReLU), `pool1` ... `pool5`, `fc1` ... `fc3` and
/// `softmax`, and whose own tensors `lpips0` ... `lpips4` are the LPIPS v0.1 channel weights w_k themselves, not
/// their square roots ([C, 1, 1]; converters of this file load them unchanged as LPIPS's 1x1 weights). Its
/// `state_dict()` names are therefore `layers.conv{i}.weight|bias`, `layers.fc{i}.weight|bias` and `lpips{k}`.
extension VGG16FeatureDistance {
    /// The network of NVIDIA's `vgg16.pt` at `path`.
    public static func load(nvidia path: String, dtype: DType = .float32, device: Device = .cpu) throws
        -> VGG16FeatureDistance
    {
        try load(nvidia: path, vggStageWidths: LPIPSBackbone.vgg16StageWidths, dtype: dtype, device: device)
    }

    static func load(nvidia path: String, vggStageWidths: [Int], dtype: DType, device: Device) throws
        -> VGG16FeatureDistance
    {
        let tensors: StateDict
        do {
            tensors = try TorchScript.load(path).torchScriptTensors()
        } catch let error as CheckpointError {
            throw error.naming(path)
        }
        let model = try VGG16FeatureDistance(vggStageWidths: vggStageWidths, dtype: dtype, device: device)
        try model.loadNVIDIA(tensors, source: path)
        return model
    }

    /// Loads the tensors of NVIDIA's module tree (named as its `state_dict()`). The thirteen convolutions and five
    /// channel weights must all be there with their shapes, the classifier (`layers.fc*`) is ignored, and nothing
    /// else may be; every key that breaks this is listed in one error, and nothing is copied unless all fit.
    func loadNVIDIA(_ tensors: StateDict, source path: String) throws {
        let ours = try lpips.stateDict()
        guard let trunk = lpips.net as? LPIPSBackbone else { throw TorchError("VGG16FeatureDistance: no VGG16 trunk") }
        let convIndices = trunk.features.enumerated().compactMap { $0.element is Conv2d ? $0.offset : nil }
        var mapped: [(String, Tensor)] = []
        var used: Set<String> = []
        var missing: [String] = []
        var misshaped: [String] = []

        func take(_ theirs: String, as name: String, channelVector: Bool = false) throws {
            let expected = try ours.tensor(name).shape
            guard let tensor = tensors[theirs] else { return missing.append(theirs) }
            used.insert(theirs)
            if channelVector {
                // [C], [C, 1, 1] and [1, C, 1, 1] all hold the C weights.
                let channels = expected[1]
                guard tensor.count == channels, tensor.shape.allSatisfy({ $0 == 1 || $0 == channels }) else {
                    return misshaped.append("\(theirs) \(tensor.shape) (expected [\(channels), 1, 1])")
                }
                mapped.append((name, try tensor.reshape(expected)))
            } else {
                guard tensor.shape == expected else {
                    return misshaped.append("\(theirs) \(tensor.shape) (expected \(expected))")
                }
                mapped.append((name, tensor))
            }
        }

        for (i, index) in convIndices.enumerated() {
            try take("layers.conv\(i + 1).weight", as: "net.features.\(index).weight")
            try take("layers.conv\(i + 1).bias", as: "net.features.\(index).bias")
        }
        for k in lpips.lins.indices {
            try take("lpips\(k)", as: "lin\(k).model.1.weight", channelVector: true)
        }
        let classifier = Set((1...3).flatMap { ["layers.fc\($0).weight", "layers.fc\($0).bias"] })
        let unexpected = tensors.names.filter { !used.contains($0) && !classifier.contains($0) }
        guard missing.isEmpty, misshaped.isEmpty, unexpected.isEmpty else {
            var problems: [String] = []
            if !missing.isEmpty { problems.append("missing \(missing.joined(separator: ", "))") }
            if !misshaped.isEmpty { problems.append("mis-shaped \(misshaped.joined(separator: ", "))") }
            if !unexpected.isEmpty { problems.append("unexpected \(unexpected.joined(separator: ", "))") }
            throw TorchError("\(path): not NVIDIA's VGG16 (vgg16.pt): \(problems.joined(separator: "; "))")
        }
        try LPIPS.naming(path) { try lpips.load(stateDict: StateDict(mapped)) }
        try checkChannelWeights(source: path)
    }
}
