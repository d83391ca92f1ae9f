import Foundation
import Inversion
import Perception
import Torch

/// The frozen networks an encoder run's losses read, loaded before the first step so a missing file fails at once.
public struct EncoderLossNetworks {
    public var lpips: LPIPS?
    /// ArcFace IR-SE50 (`model_ir_se50.pth`) or the testbed's identity network.
    public var identity: IRSE50?
    public var moco: MoCoLoss?
    /// E2Style's U-Net parser (`parsing.pth`) or the testbed's.
    public var parser: UNetFaceParser?

    public init(lpips: LPIPS? = nil, identity: IRSE50? = nil, moco: MoCoLoss? = nil, parser: UNetFaceParser? = nil) {
        self.lpips = lpips
        self.identity = identity
        self.moco = moco
        self.parser = parser
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
        var networks = EncoderLossNetworks()
        let place = folder.map { "in \($0)" } ?? "(give the folder with --weights)"
        if config.lpipsLambda > 0 || config.lpipsLambdaCrop > 0 {
            let names = fileNames(lpips: config.lpipsType)
            if let path = find(names) {
                networks.lpips = try lpips(config.lpipsType, backbone: path, device: device)
            } else {
                missing.append("--lpips_lambda needs \(names[0]) \(place) (LPIPS-\(config.lpipsType.rawValue))")
            }
        }
        if config.idLambda > 0 {
            if let path = find(identityFiles) {
                networks.identity = try IRSE50.load(from: path, device: device)
            } else {
                missing.append("--id_lambda needs \(identityFiles.joined(separator: " or ")) \(place) (the identity "
                    + "network), or --id_lambda 0")
            }
        }
        if config.mocoLambda > 0 {
            if let path = find(mocoFiles) {
                networks.moco = try MoCoLoss(checkpoint: path, device: device)
            } else {
                missing.append("--moco_lambda needs \(mocoFiles[0]) \(place) (MoCo v2), or --moco_lambda 0")
            }
        }
        if config.method == .e2style, config.parseLambda > 0 {
            if let path = find(parserFiles) {
                networks.parser = try UNetFaceParser.load(from: path, device: device)
            } else {
                missing.append("--parse_lambda needs \(parserFiles.joined(separator: " or ")) \(place) (the U-Net parser), "
                    + "or --parse_lambda 0")
            }
        }
        guard missing.isEmpty else { throw EncoderTrainingError(missing.joined(separator: "\n")) }
        return networks
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

    func requireLPIPS() throws -> LPIPS {
        guard let lpips else { throw EncoderTrainingError("the LPIPS network is not loaded") }
        return lpips
    }

    func requireIdentity() throws -> IRSE50 {
        guard let identity else { throw EncoderTrainingError("the identity network is not loaded") }
        return identity
    }

    func requireParser() throws -> UNetFaceParser {
        guard let parser else { throw EncoderTrainingError("the parsing network is not loaded") }
        return parser
    }

    func requireMoCo() throws -> MoCoLoss {
        guard let moco else { throw EncoderTrainingError("the MoCo network is not loaded") }
        return moco
    }
}
