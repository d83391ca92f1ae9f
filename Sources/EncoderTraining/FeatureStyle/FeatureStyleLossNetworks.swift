import Encoders
import Foundation
import Inversion
import Perception
import StyleGAN
import Torch

/// The identity network of the Feature-Style losses: arcface_torch's iResNet-50 (`backbone.pth`, the official
/// trainer's), an IR-SE network (pSp's `model_ir_se50.pth`, the testbed's `identity.safetensors`), or dlib's
/// face-recognition ResNet (its `.dat` file).
public enum FeatureStyleIdentity {
    case iresnet(IResNet50)
    case irse(IRSE50)
    case dlib(DlibFaceRecognition)

    /// Reads any kind: dlib's by its `.dat` file, the others told apart by their keys (`input_layer.*` is IR-SE's).
    public static func load(from path: String, device: Device = .cpu) throws -> FeatureStyleIdentity {
        if path.lowercased().hasSuffix(".dat") { return .dlib(try DlibFaceRecognition.load(from: path, device: device)) }
        let file = try EncoderCheckpointFile(path: path)
        let irse = file.shape("input_layer.0.weight") != nil || file.shape("module.input_layer.0.weight") != nil
        return irse ? .irse(try IRSE50.load(from: path, device: device)) : .iresnet(try IResNet50.load(from: path, device: device))
    }

    /// What the loss compares for images [N, 3, H, W] in [-1, 1]: with `multiLayer` every stage's output and the
    /// embedding, else the embedding alone, each flattened to [N, -1]. iResNet-50 reads the whole image at 112 pixels
    /// (the trainer's nearest `F.interpolate`); an IR-SE network its own face crop (`IRSE50.idLossInput`).
    func features(_ images: Tensor, multiLayer: Bool) throws -> [Tensor] {
        switch self {
        case .iresnet(let network):
            let all = try network.multiLayerFeatures(IResNet50.idLossInput(images))
            return multiLayer ? try all.flattened() : [all.embedding]
        case .irse(let network):
            let all = try network.idLossMultiLayerFeatures(images)
            return multiLayer ? try all.flattened() : [try all.embedding.flatten(from: 1)]
        case .dlib(let network):
            return multiLayer ? try network.idLossMultiLayerFeatures(images) : [try network.idLossEmbedding(images)]
        }
    }

    /// dlib's network computes in float32 whatever the run's precision: bfloat16 is about 15x slower for its narrow
    /// convolutions (docs/benchmarks.md).
    var computesInFloat32: Bool {
        if case .dlib = self { return true }
        return false
    }

    /// The network made ready to compute in `precision` (unchanged when it `computesInFloat32`).
    func prepared(for precision: ComputePrecision) throws -> FeatureStyleIdentity {
        switch self {
        case .iresnet(let network): .iresnet(try precision.prepare(network))
        case .irse(let network): .irse(try precision.prepare(network))
        case .dlib: self
        }
    }
}

/// The frozen networks of a Feature-Style run, loaded before the first step so a missing file fails at once. They
/// compute in `precision`, images in and features out in float32 (as `EncoderLossNetworks`).
public struct FeatureStyleLossNetworks {
    public private(set) var lpips: LPIPS?
    public private(set) var identity: FeatureStyleIdentity?
    /// BiSeNet (`79999_iter.pth`, or the testbed's): the parsing (`landmark`) term.
    public private(set) var parser: BiSeNet?
    public let precision: ComputePrecision

    /// The networks given, moved to `precision`.
    public init(lpips: LPIPS? = nil, identity: FeatureStyleIdentity? = nil, parser: BiSeNet? = nil,
                precision: ComputePrecision = .float32) throws {
        self.lpips = try lpips.map { try precision.prepare($0) }
        self.identity = try identity?.prepared(for: precision)
        self.parser = try parser.map { try precision.prepare($0) }
        self.precision = precision
    }

    /// LPIPS(a, b) [N, 1, 1, 1] of images [N, 3, H, W] in [-1, 1].
    func lpipsDistance(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard let lpips else { throw EncoderTrainingError("the LPIPS network is not loaded") }
        return try precision.output(lpips(precision.input(a), precision.input(b)))
    }

    /// The identity network's features of images [N, 3, H, W] (`FeatureStyleIdentity.features`).
    func identityFeatures(_ images: Tensor, multiLayer: Bool) throws -> [Tensor] {
        guard let identity else { throw EncoderTrainingError("the identity network is not loaded") }
        if identity.computesInFloat32 { return try identity.features(images.to(dtype: .float32), multiLayer: multiLayer) }
        return try identity.features(precision.input(images), multiLayer: multiLayer).map(precision.output)
    }

    /// BiSeNet's three outputs, flattened, for images [N, 3, H, W] in [-1, 1] on its `size`-pixel view.
    func parserOutputs(_ images: Tensor, size: Int) throws -> [Tensor] {
        guard let parser else { throw EncoderTrainingError("the parsing network is not loaded") }
        return try parser(precision.input(BiSeNet.lossInput(images, size: size))).flattened().map(precision.output)
    }

    /// The files looked up in the weights folder, first match wins: the official trainer's names, then the testbed's.
    static let identityFiles = ["backbone.pth", NetworkWeights.arcFace.fileName, "identity.safetensors"]
    static let parserFiles = ["79999_iter.pth", "bisenet.safetensors"]

    /// Loads what the positive weights of `config` need: LPIPS (`lpips`, from `folder` under torchvision's AlexNet
    /// name, or the testbed's), the identity network (`arcface`, else found in `folder`), BiSeNet (`parsing`, else
    /// found in `folder`). Every missing file is named in one error, with the weight that needs it.
    public static func load(for config: FeatureStyleTrainingConfig, folder: String?, arcface: String? = nil,
                            parsing: String? = nil, lpipsType: LPIPS.Network = .alex,
                            precision: ComputePrecision = .float32, device: Device = .cpu) throws
        -> FeatureStyleLossNetworks
    {
        func find(_ names: [String]) -> String? {
            guard let folder else { return nil }
            return names.map { (folder as NSString).appendingPathComponent($0) }.first { FileManager.default.fileExists(atPath: $0) }
        }
        func given(_ path: String?, _ flag: String) throws -> String? {
            guard let path else { return nil }
            guard FileManager.default.fileExists(atPath: path) else { throw EncoderTrainingError("\(path): no such file (\(flag))") }
            return path
        }
        let place = folder.map { "in \($0)" } ?? "(give the folder with --weights)"
        var missing: [String] = []
        var (lpips, identity, parser): (LPIPS?, FeatureStyleIdentity?, BiSeNet?)
        if config.w.lpips > 0 {
            let names = EncoderLossNetworks.fileNames(lpips: lpipsType)
            if let path = find(names) {
                lpips = try EncoderLossNetworks.lpips(lpipsType, backbone: path, device: device)
            } else {
                missing.append("w.lpips needs \(names[0]) \(place) (LPIPS-\(lpipsType.rawValue)), or lpips: 0")
            }
        }
        if config.w.id > 0 {
            if let path = try given(arcface, "--arcface_model_path") ?? find(identityFiles) {
                identity = try FeatureStyleIdentity.load(from: path, device: device)
            } else {
                missing.append("w.id needs --arcface_model_path or \(identityFiles.joined(separator: " or ")) \(place) "
                    + "(the identity network), or id: 0")
            }
        }
        if config.w.landmark > 0 {
            if let path = try given(parsing, "--parsing_model_path") ?? find(parserFiles) {
                parser = try BiSeNet.load(from: path, device: device)
            } else {
                missing.append("w.landmark needs --parsing_model_path or \(parserFiles.joined(separator: " or ")) \(place) "
                    + "(BiSeNet), or landmark: 0")
            }
        }
        guard missing.isEmpty else { throw EncoderTrainingError(missing.joined(separator: "\n")) }
        return try FeatureStyleLossNetworks(lpips: lpips, identity: identity, parser: parser, precision: precision)
    }
}
