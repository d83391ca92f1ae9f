import Checkpoints
import Encoders
import Foundation
import Images
import Perception
import StyleGAN
import Torch

/// One inversion method set up for a run: the generator, the encoder and the loss networks loaded once, the
/// method's policy (losses, backbones, pivots, defaults) applied, photos prepared (aligned or centre-cropped),
/// inverted and scored. The command line, the demo and the web editor all invert through it.
public final class InversionPipeline {
    public let settings: InversionSettings
    public let generator: LoadedGenerator
    /// The file the inversions refer to (the encoder file when its decoder is the generator) and its SHA-256.
    public let generatorPath: String
    public let generatorSHA256: String
    public let networks: LossNetworks
    public let aligner: FaceAligner?
    public let inverter: any Inverter
    /// What a user should know about this set-up (e.g. a stand-in pivot), one sentence each.
    public let notes: [String]

    public var device: Device { generator.latentAvg.device }
    public var size: Int { generator.generator.config.size }

    /// Loads what `settings` needs: the generator from `checkpoint`, or from the encoder file when it holds one
    /// (its decoder, as the published inference scripts use it); the encoder; the loss networks from `weights`;
    /// the face detector when aligning (dlib's from `dlibModels`). Any missing or mismatched file fails here, before any
    /// image. `networks`, when given, replaces the loss networks read from `weights` (the testbed's, shared by several
    /// pipelines).
    public static func load(_ settings: InversionSettings, checkpoint: String?, encoder encoderPath: String?,
                            weights: WeightFiles = WeightFiles(), networks given: LossNetworks? = nil,
                            dlibModels: DlibModels = .locate(), device: Device = .cpu) throws -> InversionPipeline
    {
        try settings.validate()
        let method = settings.method
        if method.needsEncoder, encoderPath == nil {
            throw InversionError.invalidOption("\(method.rawValue) needs an encoder file (--encoder)")
        }
        if encoderPath != nil, !method.acceptsEncoder {
            throw InversionError.invalidOption("\(method.rawValue) takes no encoder file")
        }
        var loadedEncoder: LoadedEncoder?
        if let encoderPath {
            if method == .fs {
                guard let checkpoint else {
                    throw InversionError.invalidOption("Feature-Style encoder files hold no generator: give the one it was trained with (--checkpoint)")
                }
                loadedEncoder = try FeatureStyleEncoder.load(encoder: encoderPath, generator: checkpoint, device: device)
            } else {
                loadedEncoder = try EncoderCheckpoint.load(encoderPath, device: device)
            }
        }
        var generatorPath: String
        let generator: LoadedGenerator
        if let loadedEncoder, method != .fs, let inside = loadedEncoder.generator {
            (generator, generatorPath) = (inside, encoderPath!)
        } else {
            guard let checkpoint else {
                throw InversionError.invalidOption(encoderPath.map { "\($0) holds no generator; give one with --checkpoint" }
                    ?? "\(method.rawValue) needs a generator (--checkpoint)")
            }
            generator = try GeneratorCheckpoint.load(checkpoint, device: device)
            generatorPath = checkpoint
        }
        if method == .fs { generatorPath = checkpoint! }
        let networks = try given ?? LossNetworks.load(for: settings, hasEncoderPivot: loadedEncoder != nil,
                                                      weights: weights, device: device)
        let aligner = try settings.align ? FaceAligner(settings.detector ?? .dlib, dlibModels: dlibModels, device: device) : nil
        return try InversionPipeline(settings, generator: generator, generatorPath: generatorPath,
                                     generatorSHA256: SHA256.hex(ofFile: generatorPath),
                                     encoder: loadedEncoder.map { ($0.encoder, encoderPath!) }, networks: networks,
                                     aligner: aligner)
    }

    /// A pipeline over what the caller loaded. `encoder` is the encoder with how records name it (its file).
    public init(_ settings: InversionSettings, generator: LoadedGenerator, generatorPath: String, generatorSHA256: String,
                encoder: (encoder: any InversionEncoder, label: String)?, networks: LossNetworks, aligner: FaceAligner?)
        throws
    {
        try settings.validate()
        self.settings = settings
        self.generator = generator
        self.generatorPath = generatorPath
        self.generatorSHA256 = generatorSHA256
        self.networks = networks
        self.aligner = aligner
        var notes: [String] = []
        inverter = try Self.makeInverter(settings, generator: generator, encoder: encoder, networks: networks,
                                         notes: &notes)
        self.notes = notes
    }

    // MARK: running

    /// A photo as the generator's input [1, 3, S, S] in [-1, 1]: FFHQ-aligned when aligning, else centre-cropped,
    /// resized to the generator's size.
    public func prepare(imageAt path: String) throws -> Tensor {
        try prepare(Image.read(path: path), name: path)
    }

    /// `image` prepared as `prepare(imageAt:)`; `name` is how errors call it.
    public func prepare(_ image: Image, name: String) throws -> Tensor {
        try Self.prepare(image, name: name, size: size, aligner: aligner, device: device)
    }

    /// A photo as a generator of `size` takes it: FFHQ-aligned by `aligner`, else centre-cropped; [1, 3, size, size].
    public static func prepare(_ image: Image, name: String, size: Int, aligner: FaceAligner?, device: Device) throws
        -> Tensor
    {
        if let aligner {
            return try aligner.align(image, name: name, outputSize: size).image.tensor().to(device: device)
        }
        return try resize(centerCrop(image.tensor()), height: size, width: size).to(device: device)
    }

    /// Prepares, inverts and scores the photo at `path`; the record keeps the photo and how it was prepared, so that
    /// edits that re-encode it (CLCAE's) can prepare it again.
    public func invert(imageAt path: String, control: InversionControl = .silent) throws -> InversionOutcome {
        var outcome = try invert(prepare(imageAt: path), control: control)
        outcome.record[InversionPipeline.sourceKey] = path
        outcome.record[InversionPipeline.alignKey] = settings.align ? (settings.detector ?? .dlib).rawValue : "false"
        return outcome
    }

    /// The aligner a record's `alignKey` names: its detector, MTCNN for records older than the choice ("true"), nil
    /// when the photo was centre-cropped.
    public static func aligner(recorded value: String?, device: Device) throws -> FaceAligner? {
        switch value {
        case "true": try FaceAligner(.mtcnn, device: device)
        case let name?: try FaceDetection(rawValue: name).map { try FaceAligner($0, device: device) }
        case nil: nil
        }
    }

    /// Record keys of the inverted photo and of how it was aligned (the detector's name, or "false").
    public static let sourceKey = "source"
    public static let alignKey = "align"

    /// Inverts and scores a prepared target [1, 3, S, S].
    public func invert(_ target: Tensor, control: InversionControl = .silent) throws -> InversionOutcome {
        guard target.shape == [1, 3, size, size] else {
            throw InversionError.invalidOption("an inversion target must be [1, 3, \(size), \(size)], got \(target.shape)")
        }
        var outcome = try inverter.invert(target, control: control)
        outcome.scores = try withNoGrad {
            try ReconstructionScores.measure(outcome.image, target: target, lpips: networks.scoringLPIPS,
                                             identity: networks.scoringIdentity)
        }
        return outcome
    }

    /// The outcome as an inversion file for this pipeline's generator.
    public func inversionFile(_ outcome: InversionOutcome) throws -> InversionFile {
        try outcome.inversionFile(generatorSHA256: generatorSHA256)
    }

    // MARK: policy

    /// Each method's published configuration, with the settings' overrides.
    static func makeInverter(_ settings: InversionSettings, generator loaded: LoadedGenerator,
                             encoder: (encoder: any InversionEncoder, label: String)?, networks: LossNetworks,
                             notes: inout [String]) throws -> any Inverter
    {
        let method = settings.method
        let g = loaded.generator
        switch method.family {
        case .encoder:
            guard let encoder else { throw InversionError.invalidOption("\(method.rawValue) needs an encoder file (--encoder)") }
            return try EncoderInverter(method: method, encoder: encoder.encoder, options: settings.encoder, generator: g,
                                       label: encoder.label)
        case .optimization:
            var options = method == .image2StyleGAN ? Projector.Options.image2StyleGAN : Projector.Options()
            options.wPlus = method != .projectorW
            options.seed = settings.seed
            if let steps = settings.steps { options.steps = steps }
            let terms = settings.resolvedLosses
            options.mse = terms.contains(.l2) ? 1 : 0
            return ProjectorInverter(method: method, generator: g, options: options,
                                     loss: try projectionLoss(terms.subtracting([.l2]), networks: networks))
        case .tuning:
            let pivot = try tuningPivot(settings, generator: g, encoder: encoder, networks: networks, notes: &notes)
            let terms = settings.resolvedLosses
            switch method.tuning! {
            case .pti:
                var options = PTI.Options.reference
                options.seed = settings.seed
                if let steps = settings.steps { options.steps = steps }
                var loss: [ImageLoss.Term] = []
                if terms.contains(.l2) { loss.append(ImageLoss.l2()) }
                if terms.contains(.lpips) { loss.append(ImageLoss.lpipsFullResolution(try need(networks.lpipsAlex, .lpipsAlex))) }
                return TuningInverter(method: method, generator: loaded, pivot: pivot,
                                      algorithm: .pti(options, loss: ImageLoss(terms: loss)))
            case .gani:
                var options = GANI.Options(domain: settings.domain)
                options.seed = settings.seed
                if let steps = settings.steps { options.steps = steps }
                if !terms.contains(.l2) { options.reconstructionWeight = 0 }
                let loss = GANI.imageLoss(options: options,
                                          lpips: terms.contains(.lpips) ? try need(networks.lpipsAlex, .lpipsAlex) : nil,
                                          identity: terms.contains(.id) ? try need(networks.identity, LossNetworks.identityWeights(for: settings)) : nil,
                                          parsing: terms.contains(.parsing) ? try need(networks.parser, .parser) : nil)
                return TuningInverter(method: method, generator: loaded, pivot: pivot, algorithm: .gani(options, loss: loss))
            }
        }
    }

    /// The pivot of a tuning method: the encoder's code, else the method's own projection.
    static func tuningPivot(_ settings: InversionSettings, generator g: StyleGAN2Generator,
                            encoder: (encoder: any InversionEncoder, label: String)?, networks: LossNetworks,
                            notes: inout [String]) throws -> TuningPivot
    {
        let method = settings.method
        if let encoder {
            if method == .gani, encoder.encoder.method != "e4e" {
                throw InversionError.invalidOption("\(encoder.label): GANI's pivot is an e4e code, this is a "
                    + "\(encoder.encoder.method) encoder; use --method encoder+gani for other encoders")
            }
            return .encoder(encoder.encoder, options: settings.encoder, label: encoder.label)
        }
        var options: Projector.Options
        var note: String?
        switch method.tuning! {
        case .pti:
            options = .pti
        case .gani:
            // The paper inverts AFHQ-Wild in W, having no W+ encoder for it.
            options = Projector.Options()
            options.wPlus = settings.domain != .wild
            note = "no e4e encoder given: the \(options.wPlus ? "W+" : "W") projector makes GANI's pivot (the paper uses e4e)"
            notes.append(note!)
        }
        options.seed = settings.seed
        if let steps = settings.pivotSteps { options.steps = steps }
        let terms = settings.resolvedPivotLosses
        options.mse = terms.contains(.l2) ? 1 : 0
        return .projection(options, loss: try projectionLoss(terms.subtracting([.l2]), networks: networks), note: note)
    }

    /// The projectors' terms besides MSE: LPIPS-VGG pooled to 256 (rosinality) and the StyleGAN2-ADA VGG16 distance.
    static func projectionLoss(_ terms: Set<LossTerm>, networks: LossNetworks) throws -> ImageLoss {
        var loss: [ImageLoss.Term] = []
        if terms.contains(.lpips) { loss.append(ImageLoss.lpips(try need(networks.lpipsVGG, .lpipsVGG))) }
        if terms.contains(.vgg) { loss.append(ImageLoss.featureVGG(try need(networks.featureVGG, .featureVGG))) }
        return ImageLoss(terms: loss)
    }

    /// A network the settings need, or the error naming its file.
    static func need<Network>(_ network: Network?, _ weights: NetworkWeights) throws -> Network {
        guard let network else { throw InversionError.missingWeights([weights]) }
        return network
    }
}
