import Checkpoints
import Foundation
import Torch

/// LPIPS v0.1 (Zhang et al. 2018), the learned perceptual distance that inversion encoders train with and report.
///
///     d(x, y) = sum over k of mean over (h, w) of  w_k · (f̂_k(x) - f̂_k(y))²
///
/// f_k is the k-th of the backbone's five tapped feature maps (`LPIPSBackbone`) of the input shifted and scaled to
/// the ImageNet normalisation the backbone was trained with; f̂_k divides each pixel's feature vector by its length
/// (+1e-10), so only directions are compared; w_k is the non-negative 1x1 weighting `lin{k}` (`LPIPSLinear`).
///
/// Inputs are [N, 3, H, W] in [-1, 1] (the reference's `normalize=False`). LPIPS is a fixed metric: its weights are
/// frozen and it stays in evaluation mode, while gradients flow to the inputs so it serves as a training loss.
/// float32 and bfloat16 run as they are (move the network with `to(dtype:)`; inputs must match it).
///
/// Parameters, backbone + linear layers: AlexNet 2,469,696 + 1,152, VGG16 14,714,688 + 1,472 (`parameterCount`).
/// FLOPs of a distance: `flops(inputShape:)`; at 256x256 about 3.5 GFLOP (AlexNet) and 80 GFLOP (VGG16).
public final class LPIPS: Module {
    /// The trunk; for the ImageNet ones the raw value names the shipped linear-layer file (`lpips/<raw>-v0.1.pth`).
    public enum Network: String, Codable, CaseIterable, Sendable {
        case alex, vgg
        /// The testbed's attribute classifier (`ResNet18Classifier`), with linear layers calibrated on testbed
        /// pairs (`LPIPS(testbed:linearLayers:)`; how: docs/testbed.md).
        case testbed
    }

    /// The ScalingLayer constants: the ImageNet mean and twice its standard deviation, written for [-1, 1] inputs
    /// (2 · 0.485 - 1 = -0.030, 2 · 0.229 = 0.458, ...).
    public static let shift: [Double] = [-0.030, -0.088, -0.188]
    public static let scale: [Double] = [0.458, 0.448, 0.450]

    public let network: Network
    /// The trunk: the ImageNet backbone (`LPIPSBackbone`, keys `net.features.N.*`; it loads from torchvision's
    /// files, see `loadBackbone`) or the testbed classifier (keys `net.conv1.*`, `net.layer1.*`, ...).
    public let net: any LPIPSTrunk
    /// `lin0` ... `lin4`, one per tapped feature map.
    public let lins: [LPIPSLinear]
    /// [1, 3, 1, 1] each; buffers so they follow `to(device:dtype:)`, outside the state dict like the files.
    private let shiftBuffer: Tensor
    private let scaleBuffer: Tensor

    /// The v0.1 linear layers shipped in the package for an ImageNet `network`.
    public static func bundledLinearLayers(_ network: Network) -> URL {
        Perception.bundledWeights.appendingPathComponent("lpips/\(network.rawValue)-v0.1.pth")
    }

    /// An LPIPS network on an ImageNet trunk with freshly initialised weights; load them with `loadBackbone` and
    /// `loadLinearLayers`. The testbed trunk is a trained classifier: `LPIPS(testbed:)`.
    public convenience init(network: Network, dtype: DType = .float32, device: Device = .cpu) throws {
        try self.init(network: network, vggStageWidths: LPIPSBackbone.vgg16StageWidths, dtype: dtype, device: device)
    }

    /// With VGG16 stages `vggStageWidths` channels wide (narrow copies for tests, see `LPIPSBackbone`).
    convenience init(network: Network, vggStageWidths: [Int], dtype: DType = .float32, device: Device = .cpu) throws {
        guard network != .testbed else {
            throw TorchError("LPIPS(testbed) runs on the testbed's attribute classifier: use LPIPS(testbed:linearLayers:)")
        }
        try self.init(network: network,
                      trunk: LPIPSBackbone(network, vggStageWidths: vggStageWidths, dtype: dtype, device: device),
                      dtype: dtype, device: device)
    }

    /// The testbed's LPIPS: `classifier` (frozen, eval mode) as the trunk, on [-1, 1] renders as it was trained
    /// (no ImageNet scaling); linear layers from `linearLayers` (safetensors or .pth, `lin{k}.model.1.weight`) or,
    /// when nil, all ones (the uncalibrated distance, which `PerceptualCalibration` starts from).
    public convenience init(testbed classifier: ResNet18Classifier, linearLayers: String? = nil) throws {
        let parameter = classifier.parameters().first
        let dtype = parameter?.dtype ?? .float32
        let device = parameter?.device ?? .cpu
        classifier.eval()
        try classifier.freeze()
        try self.init(network: .testbed, trunk: classifier, dtype: dtype, device: device)
        if let linearLayers {
            guard FileManager.default.fileExists(atPath: linearLayers) else {
                throw CheckpointError.io(file: linearLayers, message: "no such file")
            }
            try LPIPS.naming(linearLayers) {
                try loadLinearLayers(linearLayers.lowercased().hasSuffix(".safetensors")
                    ? Safetensors.read(linearLayers).tensors : TorchCheckpoint.load(linearLayers).stateDict())
            }
        } else {
            try withNoGrad { for lin in lins { try lin.conv.weight.fill_(1) } }
        }
    }

    private init(network: Network, trunk: any LPIPSTrunk, dtype: DType, device: Device) throws {
        self.network = network
        net = trunk
        lins = try net.tapChannels.map { try LPIPSLinear(channels: $0, dtype: dtype, device: device) }
        let imageNet = network != .testbed
        shiftBuffer = try Tensor(imageNet ? LPIPS.shift : [0, 0, 0], shape: [1, 3, 1, 1]).to(device: device, dtype: dtype)
        scaleBuffer = try Tensor(imageNet ? LPIPS.scale : [1, 1, 1], shape: [1, 3, 1, 1]).to(device: device, dtype: dtype)
        super.init()
        try register(module: "net", net)
        for (k, lin) in lins.enumerated() { try register(module: "lin\(k)", lin) }
        try register(buffer: "shift", shiftBuffer, persistent: false)
        try register(buffer: "scale", scaleBuffer, persistent: false)
        try freeze()
        eval()
    }

    /// LPIPS with the ImageNet backbone read from `backbone` (torchvision's `alexnet-owt-7be5be79.pth` or
    /// `vgg16-397923af.pth`) and the linear layers from `linearLayers`, by default the v0.1 file shipped here.
    public convenience init(network: Network, backbone: String, linearLayers: String? = nil, dtype: DType = .float32,
                            device: Device = .cpu) throws
    {
        try self.init(network: network, dtype: dtype, device: device)
        let linearPath = linearLayers ?? LPIPS.bundledLinearLayers(network).path
        try LPIPS.naming(backbone) { try loadBackbone(TorchCheckpoint.load(backbone).stateDict()) }
        try LPIPS.naming(linearPath) { try loadLinearLayers(TorchCheckpoint.load(linearPath).stateDict()) }
    }

    /// Prefixes a state-dict error with the file it came from.
    static func naming(_ path: String, _ body: () throws -> Void) throws {
        do { try body() } catch let error as StateDictError { throw TorchError("\(path): \(error)") }
    }

    /// Loads a torchvision ImageNet state dict into the backbone. Its `features.*` keys must all match; its
    /// `classifier.*` keys (the fully connected head, which LPIPS never runs) are ignored.
    public func loadBackbone(_ stateDict: StateDict) throws {
        let trunk = stateDict.filter { !$0.name.hasPrefix("classifier.") }.map { ($0.name, $0.tensor) }
        try net.load(stateDict: StateDict(trunk))
    }

    /// Loads the linear layers from an LPIPS weights file (`lin0.model.1.weight` ... `lin4.model.1.weight`, nothing
    /// else); nothing is copied unless all five fit.
    public func loadLinearLayers(_ stateDict: StateDict) throws {
        let expected = lins.indices.map { "lin\($0).model.1.weight" }
        let missing = expected.filter { stateDict[$0] == nil }
        let unexpected = stateDict.names.filter { !expected.contains($0) }
        guard missing.isEmpty, unexpected.isEmpty else {
            throw TorchError("LPIPS(\(network)) linear layers: missing keys \(missing), unexpected keys \(unexpected)")
        }
        // Every key is a linear layer's, so a non-strict load only leaves the backbone out and still refuses
        // (before copying anything) when a shape differs.
        try load(stateDict: stateDict, strict: false)
    }

    /// A fixed metric stays in evaluation mode (its dropouts off) whatever a parent module is switched to.
    @discardableResult
    override public func train(_ mode: Bool = true) -> Self {
        super.train(false)
        return self
    }

    // MARK: forward

    /// x [N, 3, H, W] in [-1, 1] -> the five feature maps, each pixel's channel vector scaled to unit length.
    public func normalizedFeatures(_ x: Tensor) throws -> [Tensor] {
        try checkImages(x, name: "x")
        return try uncheckedFeatures(x)
    }

    private func uncheckedFeatures(_ x: Tensor) throws -> [Tensor] {
        try net.taps((x - shiftBuffer) / scaleBuffer).map { f in
            try f / (f.square().sum([1], keepdim: true).sqrt() + 1e-10)
        }
    }

    /// The five weighted squared differences lin_k((f̂_k(x) - f̂_k(y))²), [N, 1, H_k, W_k] each.
    public func layerDistances(_ x: Tensor, _ y: Tensor) throws -> [Tensor] {
        try checkImages(x, name: "x")
        try checkImages(y, name: "y")
        guard x.shape == y.shape else {
            throw TorchError("LPIPS: x \(x.shape) and y \(y.shape) must have the same shape")
        }
        let fx = try uncheckedFeatures(x)
        let fy = try uncheckedFeatures(y)
        return try lins.indices.map { k in try lins[k]((fx[k] - fy[k]).square()) }
    }

    /// The distance of each pair of images: x, y [N, 3, H, W] in [-1, 1] -> [N] (the reference's [N, 1, 1, 1]).
    public func callAsFunction(_ x: Tensor, _ y: Tensor) throws -> Tensor {
        let layers = try layerDistances(x, y).map { try $0.mean([2, 3], keepdim: true) }
        return try sum(layers).reshape([x.size(0)])
    }

    /// Where the images differ: each layer's map upsampled to the input size (bilinear, align_corners False) and
    /// summed, [N, 1, H, W] (the reference's `spatial=True`). Its spatial mean is close to, not equal to,
    /// `callAsFunction`: bilinear upsampling does not preserve means exactly.
    public func spatialDistance(_ x: Tensor, _ y: Tensor) throws -> Tensor {
        let size = (x.size(2), x.size(3))
        let layers = try layerDistances(x, y).map {
            try F.interpolate($0, size: size, mode: .bilinear, alignCorners: false)
        }
        return try sum(layers)
    }

    private func sum(_ layers: [Tensor]) throws -> Tensor {
        try layers.dropFirst().reduce(layers[0]) { try $0 + $1 }
    }

    private func checkImages(_ x: Tensor, name: String) throws {
        try expectInput(x, ["N", 3, "H", "W"], name: name)
        guard net.accepts(inputShape: x.shape) else {
            throw TorchError("LPIPS(\(network)): \(name) is \(x.size(2))x\(x.size(3)), smaller than the backbone's "
                + "minimum \(net.minimumInputSize)x\(net.minimumInputSize)")
        }
        guard x.dtype == scaleBuffer.dtype else {
            throw TorchError("LPIPS(\(network)): \(name) is \(x.dtype) but the network is \(scaleBuffer.dtype); "
                + "convert one of them with to(dtype:)")
        }
    }

    /// Floating-point operations of one distance between two [N, 3, H, W] batches: the backbone on both and the
    /// linear layers, 2 per multiply-add (normalisation, differences and averaging not counted).
    public func flops(inputShape: [Int]) throws -> Int {
        let taps = try net.tapShapes(inputShape: inputShape)
        var total = try 2 * net.flops(inputShape: inputShape)
        for (lin, shape) in zip(lins, taps) { total += try lin.conv.flops(inputShape: shape) }
        return total
    }
}
