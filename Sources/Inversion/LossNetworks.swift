import Foundation
import Metrics
import Perception
import Torch

/// The networks a run's losses and scores need, loaded once before any image so that a missing file fails at
/// once, and shared by every image of the run.
public struct LossNetworks {
    /// LPIPS on VGG16: the projectors' perceptual term.
    public var lpipsVGG: LPIPS?
    /// LPIPS on AlexNet: PTI's and GANI's perceptual term.
    public var lpipsAlex: LPIPS?
    /// The StyleGAN2-ADA VGG16 feature distance: PTI's pivot.
    public var featureVGG: VGG16FeatureDistance?
    /// GANI's identity network (ArcFace or dlib's for faces, MoCo elsewhere).
    public var identity: GANI.IdentityNetwork?
    /// GANI's parsing network.
    public var parser: UNetFaceParser?

    public init() {}

    /// The LPIPS network that scores reconstructions: AlexNet when loaded (the papers' tables), else VGG.
    public var scoringLPIPS: LPIPS? { lpipsAlex ?? lpipsVGG }

    /// The face-identity network that scores reconstructions (ArcFace or dlib's; MoCo is no face identity).
    public var scoringIdentity: (any IdentityEmbedder)? {
        switch identity {
        case .arcFace(let network): ArcFaceEmbedder(network: network)
        case .dlib(let network): DlibEmbedder(network: network)
        case .moco, nil: nil
        }
    }

    /// The network files `settings` needs: its terms' and, for a projected pivot, the pivot's.
    public static func requiredWeights(for settings: InversionSettings, hasEncoderPivot: Bool) -> [NetworkWeights] {
        let method = settings.method
        var projection: Set<LossTerm> = method.family == .optimization ? settings.resolvedLosses : []
        if method.projectsPivot, !hasEncoderPivot { projection.formUnion(settings.resolvedPivotLosses) }
        let tuning: Set<LossTerm> = method.family == .tuning ? settings.resolvedLosses : []
        var needed: [NetworkWeights] = []
        if projection.contains(.lpips) { needed.append(.lpipsVGG) }
        if projection.contains(.vgg) { needed.append(.featureVGG) }
        if tuning.contains(.lpips) { needed.append(.lpipsAlex) }
        if tuning.contains(.id) { needed.append(identityWeights(for: settings)) }
        if tuning.contains(.parsing) { needed.append(.parser) }
        return needed
    }

    /// The identity term's network file: MoCo outside faces; on faces ArcFace, or dlib's with `identityNetwork`.
    public static func identityWeights(for settings: InversionSettings) -> NetworkWeights {
        guard settings.domain == .faces else { return .moco }
        return settings.identityNetwork == .dlib ? .dlibFaceRecognition : .arcFace
    }

    /// Loads what `settings` needs from `weights`; every missing file is named in one error.
    public static func load(for settings: InversionSettings, hasEncoderPivot: Bool, weights: WeightFiles,
                            device: Device) throws -> LossNetworks
    {
        let needed = requiredWeights(for: settings, hasEncoderPivot: hasEncoderPivot)
        let missing = needed.filter { file in
            weights.path(file) == nil && weights.paths[file] == nil
                && !(file == .featureVGG && weights.path(.lpipsVGG) != nil)
        }
        guard missing.isEmpty else { throw InversionError.missingWeights(missing) }
        var networks = LossNetworks()
        for file in needed {
            if file == .featureVGG, weights.path(.featureVGG) == nil, weights.paths[.featureVGG] == nil {
                // torchvision's VGG16 with LPIPS's VGG layers is the same network as NVIDIA's file.
                networks.featureVGG = try VGG16FeatureDistance.load(torchvision: weights.require(.lpipsVGG), device: device)
                continue
            }
            let path = try weights.require(file)
            switch file {
            case .lpipsVGG: networks.lpipsVGG = try LPIPS(network: .vgg, backbone: path).to(device: device)
            case .lpipsAlex: networks.lpipsAlex = try LPIPS(network: .alex, backbone: path).to(device: device)
            case .featureVGG: networks.featureVGG = try VGG16FeatureDistance.load(nvidia: path, device: device)
            case .arcFace: networks.identity = .arcFace(try IRSE50.load(from: path, device: device))
            case .moco: networks.identity = .moco(try MoCoLoss(checkpoint: path, device: device))
            case .dlibFaceRecognition: networks.identity = .dlib(try DlibFaceRecognition.load(from: path, device: device))
            case .parser: networks.parser = try UNetFaceParser.load(from: path, device: device)
            }
        }
        return networks
    }
}

extension LossNetworks {
    /// The testbed's networks (`Models/testbed`) standing in for the published ones, so that the optimisation and
    /// tuning methods run on a testbed generator: its LPIPS in both perceptual slots (the projectors' and the
    /// tunings'), its identity network as GANI's ArcFace and its U-Net parser as E2Style's. There is no testbed
    /// StyleGAN2-ADA VGG16, so PTI's pivot projects with LPIPS there (`InversionSettings.onTestbed`).
    public static func testbed(folder: String, device: Device = .cpu) throws -> LossNetworks {
        func file(_ name: String) throws -> String {
            let path = (folder as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path) else {
                throw InversionError.badInput(path: path, reason: "no such file (the testbed networks are attributes, "
                    + "lpips, identity and unet .safetensors)")
            }
            return path
        }
        let lpips = try LPIPS(testbed: ResNet18Classifier.load(from: file("attributes.safetensors"), device: device),
                              linearLayers: file("lpips.safetensors"))
        try lpips.to(device: device)
        var networks = LossNetworks()
        networks.lpipsVGG = lpips
        networks.lpipsAlex = lpips
        networks.identity = .arcFace(try IRSE50.load(from: file("identity.safetensors"), device: device))
        networks.parser = try UNetFaceParser.load(from: file("unet.safetensors"), device: device)
        return networks
    }
}

extension InversionSettings {
    /// These settings as they run with `LossNetworks.testbed`: a PTI pivot projects with LPIPS (the testbed has no
    /// StyleGAN2-ADA VGG16) unless told otherwise.
    public var onTestbed: InversionSettings {
        var settings = self
        if settings.method.projectsPivot, settings.pivotLosses == nil, settings.resolvedPivotLosses.contains(.vgg) {
            settings.pivotLosses = settings.resolvedPivotLosses.subtracting([.vgg]).union([.lpips])
        }
        return settings
    }
}
