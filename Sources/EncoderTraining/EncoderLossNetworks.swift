import Foundation
import Inversion
import Perception
import StyleGAN
import Torch

/// The frozen networks an encoder run's losses read, loaded before the first step so a missing file fails at once.
/// They compute in `precision` (bfloat16 about halves their time on CPUs with AVX512-BF16); images go in and
/// features come out as float32 whatever it is, so the losses and their gradients stay float32.
public struct EncoderLossNetworks {
    public private(set) var lpips: LPIPS?
    /// ArcFace IR-SE50 (`model_ir_se50.pth`) or the testbed's identity network.
    public private(set) var identity: IRSE50?
    /// dlib's face-recognition ResNet, in `identity`'s place with `--id_network dlib`.
    public private(set) var dlibIdentity: DlibFaceRecognition?
    public private(set) var moco: MoCoLoss?
    /// E2Style's U-Net parser (`parsing.pth`) or the testbed's.
    public private(set) var parser: UNetFaceParser?
    public let precision: ComputePrecision

    /// The networks given, moved to `precision`.
    public init(lpips: LPIPS? = nil, identity: IRSE50? = nil, dlibIdentity: DlibFaceRecognition? = nil, moco: MoCoLoss? = nil,
                parser: UNetFaceParser? = nil, precision: ComputePrecision = .float32) throws {
        self.lpips = try lpips.map { try precision.prepare($0) }
        self.identity = try identity.map { try precision.prepare($0) }
        // float32 whatever `precision`: its narrow convolutions run ~15x slower in bfloat16 here (docs/benchmarks.md).
        self.dlibIdentity = dlibIdentity
        self.moco = try moco.map { try precision.prepare($0) }
        self.parser = try parser.map { try precision.prepare($0) }
        self.precision = precision
    }

    /// The files each network is looked up under in the weights folder, first match wins.
    static func fileNames(lpips network: LPIPS.Network) -> [String] {
        switch network {
        case .alex: [NetworkWeights.lpipsAlex.fileName]
        case .vgg: [NetworkWeights.lpipsVGG.fileName]
        case .testbed: ["attributes.safetensors"]
        }
    }

    static let identityFiles = [NetworkWeights.arcFace.fileName, "identity.safetensors"]
    static let mocoFiles = [NetworkWeights.moco.fileName]
    static let parserFiles = [NetworkWeights.parser.fileName, "unet.safetensors"]

    /// Loads the networks `config`'s positive loss weights need from `config.weights`; every missing file is named
    /// in one error, with the weight that needs it.
    public static func load(for config: EncoderTrainingConfig, device: Device = .cpu) throws -> EncoderLossNetworks {
        let folder = config.weights
        func find(_ names: [String]) -> String? {
            guard let folder else { return nil }
            return names.map { (folder as NSString).appendingPathComponent($0) }
                .first { FileManager.default.fileExists(atPath: $0) }
        }
        var missing: [String] = []
        var (lpips, identity, dlibIdentity, moco, parser): (LPIPS?, IRSE50?, DlibFaceRecognition?, MoCoLoss?, UNetFaceParser?)
        let place = folder.map { "in \($0)" } ?? "(give the folder with --weights)"
        if config.lpipsLambda > 0 || config.lpipsLambdaCrop > 0 {
            let names = fileNames(lpips: config.lpipsType)
            if let path = find(names) {
                lpips = try Self.lpips(config.lpipsType, backbone: path, device: device)
            } else {
                missing.append("--lpips_lambda needs \(names[0]) \(place) (LPIPS-\(config.lpipsType.rawValue))")
            }
        }
        if config.idLambda > 0, config.idNetwork == .dlib {
            let models = DlibModels.locate(config.dlibModels)
            do {
                dlibIdentity = try DlibFaceRecognition.load(from: models.require(models.faceRecognition), device: device)
            } catch let error as DlibError {
                missing.append("--id_network dlib: \(error)")
            }
        } else if config.idLambda > 0 {
            if let path = find(identityFiles) {
                identity = try IRSE50.load(from: path, device: device)
            } else {
                missing.append("--id_lambda needs \(identityFiles.joined(separator: " or ")) \(place) (the identity "
                    + "network), or --id_lambda 0")
            }
        }
        if config.mocoLambda > 0 {
            if let path = find(mocoFiles) {
                moco = try MoCoLoss(checkpoint: path, device: device)
            } else {
                missing.append("--moco_lambda needs \(mocoFiles[0]) \(place) (MoCo v2), or --moco_lambda 0")
            }
        }
        if config.method == .e2style, config.parseLambda > 0 {
            if let path = find(parserFiles) {
                parser = try UNetFaceParser.load(from: path, device: device)
            } else {
                missing.append("--parse_lambda needs \(parserFiles.joined(separator: " or ")) \(place) (the U-Net parser), "
                    + "or --parse_lambda 0")
            }
        }
        guard missing.isEmpty else { throw EncoderTrainingError(missing.joined(separator: "\n")) }
        return try EncoderLossNetworks(lpips: lpips, identity: identity, dlibIdentity: dlibIdentity, moco: moco, parser: parser,
                                       precision: config.precision)
    }

    /// LPIPS of `network` from its backbone file: torchvision's AlexNet or VGG16, or the testbed's attribute
    /// classifier with the `lpips.safetensors` beside it.
    static func lpips(_ network: LPIPS.Network, backbone path: String, device: Device) throws -> LPIPS {
        let lpips = try network == .testbed
            ? LPIPS(testbed: ResNet18Classifier.load(from: path), linearLayers: ((path as NSString)
                .deletingLastPathComponent as NSString).appendingPathComponent("lpips.safetensors"))
            : LPIPS(network: network, backbone: path)
        try lpips.to(device: device)
        return lpips
    }

    /// LPIPS(a, b) [N, 1, 1, 1] of images [N, 3, H, W] in [-1, 1].
    func lpipsDistance(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard let lpips else { throw EncoderTrainingError("the LPIPS network is not loaded") }
        return try precision.output(lpips(precision.input(a), precision.input(b)))
    }

    /// pSp's identity embedding [N, D] of images [N, 3, S, S] (`IRSE50.idLossEmbedding`, or dlib's descriptor of the
    /// aligned face's chip).
    func identityEmbedding(_ images: Tensor) throws -> Tensor {
        if let dlibIdentity { return try dlibIdentity.idLossEmbedding(images) }
        guard let identity else { throw EncoderTrainingError("the identity network is not loaded") }
        return try precision.output(identity.idLossEmbedding(precision.input(images)))
    }

    /// E2Style's multi-layer identity features of images [N, 3, S, S]: the four stage outputs and the embedding.
    func identityLayers(_ images: Tensor) throws -> [Tensor] {
        if let dlibIdentity { return try dlibIdentity.idLossMultiLayerFeatures(images) }
        guard let identity else { throw EncoderTrainingError("the identity network is not loaded") }
        return try identity.idLossMultiLayerFeatures(precision.input(images)).flattened().map(precision.output)
    }

    /// The U-Net parser's five features of images [N, 3, S, S].
    func parserFeatures(_ images: Tensor) throws -> [Tensor] {
        guard let parser else { throw EncoderTrainingError("the parsing network is not loaded") }
        return try parser(precision.input(images)).map(precision.output)
    }

    /// MoCo v2's unit features [N, 2048] of images [N, 3, H, W].
    func mocoEmbedding(_ images: Tensor) throws -> Tensor {
        guard let moco else { throw EncoderTrainingError("the MoCo network is not loaded") }
        return try precision.output(moco.embedding(precision.input(images)))
    }
}
