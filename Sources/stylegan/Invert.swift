import ArgumentParser
import Checkpoints
import Encoders
import Foundation
import Images
import Inversion
import Metrics
import Perception
import StyleGAN
import Torch

/// `stylegan invert IMAGE... --checkpoint G --method M`: one inversion file, reconstruction and metrics per image.
struct Invert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Invert photos into the generator (projector, PTI, GANI, encoders).",
        discussion: """
            Faces are aligned with MTCNN first (--no-align to skip, e.g. for cars); images are centre-cropped and \
            resized to the generator's size. For each IMAGE writes OUTDIR/NAME.safetensors (the inversion file), \
            OUTDIR/NAME.png (the reconstruction) and prints PSNR, SSIM and LPIPS against the input. The projector's \
            perceptual loss is LPIPS-VGG, whose backbone (vgg16-397923af.pth) must be given with --weights or \
            --lpips-backbone; --losses l2 runs on MSE alone. Encoder methods (psp, e4e, restyle-psp, restyle-e4e, \
            fs, clcae, e2style) read --encoder; the generator comes from the encoder file when it holds one \
            (its decoder), else from --checkpoint. PTI and GANI tune the generator around a pivot from the \
            projector (W), or from an encoder with encoder+pti / encoder+gani; their inversion files carry the \
            generator deltas. Loss weights: LPIPS AlexNet (alexnet-owt-7be5be79.pth), ArcFace (model_ir_se50.pth), \
            BiSeNet (79999_iter.pth); choose --losses to run without the ones you lack.
            """
    )

    @Argument(help: "Photos (PNG or JPEG).")
    var images: [String]

    @Option(help: "Generator checkpoint (.pt, .pkl, .safetensors); optional when the encoder file holds one.")
    var checkpoint: String?

    @Option(help: "projector (W+), projector-w (W), image2stylegan (W+, MSE + perceptual), pti, gani, psp, e4e, restyle-psp, restyle-e4e, fs, clcae, e2style, encoder+pti, encoder+gani.")
    var method: InversionMethod = .projector

    @Option(help: "GANI domain preset: faces, cars, churches, horses.")
    var domain: GANI.Domain = .faces

    @Option(help: "ArcFace IR-SE50 weights for GANI's identity term (model_ir_se50.pth).")
    var arcface: String?

    @Option(help: "BiSeNet face-parsing weights for GANI's parsing term (79999_iter.pth).")
    var parsing: String?

    @Option(help: "Encoder checkpoint for the encoder methods.")
    var encoder: String?

    @Option(help: "ReStyle iterations (default: the checkpoint's, else 5).")
    var iterations: Int?

    @Option(help: "E2Style stages to run (default: every stage in the file).")
    var stages: Int?

    @Option(help: "Optimisation steps (default: the method's own).")
    var steps: Int?

    @Flag(inversion: .prefixedNo, help: "Align faces with MTCNN first.")
    var align = true

    @Option(help: "Loss terms, comma-separated: lpips, l2, id, parsing (default: the method's own).")
    var losses: String?

    @Option(help: "Folder with network weights under their published names.")
    var weights: String?

    @Option(help: "LPIPS backbone weights (vgg16-397923af.pth for the projector).")
    var lpipsBackbone: String?

    @Option(help: "Output folder.")
    var outdir: String = "inversions"

    @Option(help: "Seed of the method's randomness.")
    var seed: UInt64 = 0

    @Option(help: "cpu, cuda or cuda:N.")
    var device: DeviceChoice = DeviceChoice(.cpu)

    @Flag(help: "Print one JSON object per image instead of a table.")
    var json = false

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
        if let iterations, iterations < 1 { throw ValidationError("--iterations must be at least 1, got \(iterations)") }
        if let stages, stages < 1 { throw ValidationError("--stages must be at least 1, got \(stages)") }
        if method.isEncoder || method.usesEncoderPivot {
            guard encoder != nil else { throw ValidationError("--method \(method.rawValue) needs --encoder FILE") }
            if method == .fs, checkpoint == nil {
                throw ValidationError("Feature-Style encoder files hold no generator: give the one it was trained with (--checkpoint)")
            }
        } else {
            guard checkpoint != nil else { throw ValidationError("--method \(method.rawValue) needs --checkpoint FILE") }
        }
        _ = try lossTerms
    }

    var lossTerms: Set<String> {
        get throws {
            let terms = Set((losses ?? method.defaultLosses).split(separator: ",").map(String.init))
            let unknown = terms.subtracting(["lpips", "l2", "id", "parsing"])
            guard unknown.isEmpty, !terms.isEmpty else {
                throw ValidationError("--losses takes lpips, l2, id and parsing, got \(losses ?? "")")
            }
            if [.projector, .projectorW, .image2StyleGAN].contains(method), !terms.isSubset(of: ["lpips", "l2"]) {
                throw ValidationError("the projector's losses are lpips and l2")
            }
            return terms
        }
    }

    func run() throws {
        try runtime.start()
        let encoding = try loadEncoder()
        let generatorPath = encoding?.generatorPath ?? checkpoint!
        let loaded = try encoding?.generator ?? GeneratorCheckpoint.load(generatorPath, device: device.value)
        let sha = try SHA256.hex(ofFile: generatorPath)
        let size = loaded.generator.config.size
        let lpips = try perceptualNetwork()
        let networks = try lossNetworks()
        let aligner = align ? FaceAligner(detector: try MTCNN(device: device.value)) : nil
        try FileManager.default.createDirectory(atPath: outdir, withIntermediateDirectories: true)
        var rows: [[String]] = [["image", "seconds", "psnr", "ssim", "lpips"]]
        var failed = 0
        for path in images {
            do {
                let target = try prepare(path, size: size, aligner: aligner)
                let started = Date()
                let progress = Progress(label: URL(fileURLWithPath: path).lastPathComponent)
                let result: Outcome
                if let encoding, method.isEncoder {
                    result = try encode(target, with: encoding.encoder, loaded: loaded)
                } else {
                    let pivot = try encoding.map { try encode(target, with: $0.encoder, loaded: loaded).wPlus }
                    result = try invert(target, loaded: loaded, lpips: lpips, networks: networks, pivot: pivot) { step, total in
                        progress.update(step, total)
                    }
                }
                let seconds = Date().timeIntervalSince(started)
                let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
                let metadata = InversionFile.Metadata(method: method.rawValue, options: result.options, generatorSHA256: sha,
                                                      imageSize: size, seconds: seconds, lossCurve: result.lossCurve)
                let feature = try result.feature.map { ($0.layer, try $0.tensor.select(0, 0), $0.blend) }
                try InversionFile(wPlus: result.wPlus.select(0, 0), feature: feature, deltas: result.deltas,
                                  noiseMaps: result.noiseMaps, metadata: metadata)
                    .write(to: "\(outdir)/\(name).safetensors")
                try Image(tensor: result.image).write(to: "\(outdir)/\(name).png")
                let scores = try score(result.image, target, lpips: lpips)
                if json {
                    let object: [String: Any] = ["image": path, "inversion": "\(outdir)/\(name).safetensors",
                                                 "seconds": seconds, "psnr": scores.psnr,
                                                 "ssim": scores.ssim.map { $0 as Any } ?? NSNull(),
                                                 "lpips": scores.lpips.map { $0 as Any } ?? NSNull()]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    rows.append([path, String(format: "%.1f", seconds), String(format: "%.2f", scores.psnr),
                                 scores.ssim.map { String(format: "%.4f", $0) } ?? "-",
                                 scores.lpips.map { String(format: "%.4f", $0) } ?? "-"])
                }
            } catch {
                failed += 1
                FileHandle.standardError.write(Data("error: \(path): \(error)\n".utf8))
            }
        }
        if !json { print(rows.map { $0.joined(separator: "\t") }.joined(separator: "\n")) }
        if failed > 0 { throw ExitCode.failure }
    }

    /// LPIPS when the loss asks for it: VGG for the projector (as its reference), AlexNet for PTI and GANI; it is
    /// also reported as a metric.
    func perceptualNetwork() throws -> LPIPS? {
        guard try lossTerms.contains("lpips") else { return nil }
        let vgg = [.projector, .projectorW, .image2StyleGAN].contains(method)
        let name = vgg ? "vgg16-397923af.pth" : "alexnet-owt-7be5be79.pth"
        let file = try weightFile(lpipsBackbone, name, purpose: "the LPIPS loss needs the \(vgg ? "VGG16" : "AlexNet") backbone")
        return try LPIPS(network: vgg ? .vgg : .alex, backbone: file).to(device: device.value)
    }

    /// GANI's identity and parsing networks, loaded before any image so that missing weights fail at once.
    struct LossNetworks {
        var identity: GANI.IdentityNetwork?
        var parsing: BiSeNet?
    }

    func lossNetworks() throws -> LossNetworks {
        let terms = try lossTerms
        var networks = LossNetworks()
        if terms.contains("id") {
            networks.identity = .arcFace(try IRSE50.load(from: weightFile(arcface, "model_ir_se50.pth",
                                                                          purpose: "the identity term needs ArcFace"),
                                                         device: device.value))
        }
        if terms.contains("parsing") {
            networks.parsing = try BiSeNet.load(from: weightFile(parsing, "79999_iter.pth",
                                                                 purpose: "the parsing term needs BiSeNet"),
                                                device: device.value)
        }
        return networks
    }

    /// A weight file from its flag or the --weights folder; missing, a clear error naming the file.
    func weightFile(_ flag: String?, _ name: String, purpose: String) throws -> String {
        let file = flag ?? weights.map { ($0 as NSString).appendingPathComponent(name) }
        guard let file, FileManager.default.fileExists(atPath: file) else {
            throw CLIError("\(purpose) \(name) (--weights DIR or its own flag); choose other --losses to run without it")
        }
        return file
    }

    /// The image as the generator's input: aligned (faces) or centre-cropped, resized to size x size.
    func prepare(_ path: String, size: Int, aligner: FaceAligner?) throws -> Tensor {
        if let aligner {
            return try aligner.align(path: path, outputSize: size).image.tensor().to(device: device.value)
        }
        let image = try Image.read(path: path).tensor()
        return try resize(centerCrop(image), height: size, width: size).to(device: device.value)
    }

    struct Outcome {
        var wPlus: Tensor
        var feature: FeatureInjection?
        var deltas: (kind: InversionFile.DeltaKind, tensors: [String: Tensor])?
        var noiseMaps: [Tensor]?
        var image: Tensor
        var lossCurve: [Double]
        var options: [String: String]
    }

    func invert(_ target: Tensor, loaded: LoadedGenerator, lpips: LPIPS?, networks: LossNetworks, pivot: Tensor?,
                progress: (Int, Int) -> Void) throws -> Outcome
    {
        var terms: [(name: String, weight: Double, compute: (Tensor, Tensor) throws -> Tensor)] = []
        if let lpips { terms.append(ImageLoss.lpips(lpips)) }
        if try lossTerms.contains("l2") { terms.append(ImageLoss.l2()) }
        let loss = ImageLoss(terms: terms)
        switch method {
        case .pti, .encoderPTI:
            var options = PTI.Options()
            options.seed = seed
            if let steps { options.steps = steps }
            let total = options.steps
            let result = try PTI(generator: loaded, loss: loss, options: options)
                .tune(target: target, pivot: pivot) { stage, step, _ in if stage == .tuning { progress(step, total) } }
            return Outcome(wPlus: result.pivot, deltas: (.additive, result.deltas), image: result.image,
                           lossCurve: result.lossCurve, options: try optionStrings(options, terms: terms))
        case .gani, .encoderGANI:
            var options = GANI.Options(domain: domain)
            options.seed = seed
            if let steps { options.steps = steps }
            let total = options.steps
            var ganiOptions = options
            if try !lossTerms.contains("l2") { ganiOptions.reconstructionWeight = 0 }
            let imageLoss = GANI.imageLoss(options: ganiOptions, lpips: lpips, identity: networks.identity,
                                           parsing: networks.parsing)
            let result = try GANI(generator: loaded, imageLoss: imageLoss, options: ganiOptions)
                .tune(target: target, pivot: pivot) { stage, step, _ in if stage == .tuning { progress(step, total) } }
            return Outcome(wPlus: result.pivot, deltas: (.multiplicative, result.deltas), image: result.image,
                           lossCurve: result.lossCurve, options: try optionStrings(ganiOptions, terms: imageLoss.terms))
        case .projector, .projectorW, .image2StyleGAN:
            var options = method == .image2StyleGAN ? Projector.Options.image2StyleGAN : Projector.Options()
            options.wPlus = method != .projectorW
            options.seed = seed
            if let steps { options.steps = steps }
            let total = options.steps
            let result = try Projector(generator: loaded.generator, loss: loss, options: options)
                .project(target) { step, _ in progress(step, total) }
            let encoded = String(decoding: try JSONEncoder().encode(options), as: UTF8.self)
            return Outcome(wPlus: result.wPlus, noiseMaps: result.noiseMaps,
                           image: result.image, lossCurve: result.lossCurve,
                           options: ["projector": encoded, "losses": terms.map(\.name).joined(separator: ",")])
        default:
            throw CLIError("--method \(method.rawValue) is an encoder method")
        }
    }

    /// The options as recorded in the inversion file's metadata.
    func optionStrings(_ options: some Encodable, terms: [(name: String, weight: Double, compute: (Tensor, Tensor) throws -> Tensor)])
        throws -> [String: String]
    {
        var out = ["options": String(decoding: try JSONEncoder().encode(options), as: UTF8.self),
                   "losses": terms.map(\.name).joined(separator: ",")]
        if let encoder { out["pivot"] = "encoder \(encoder)" }
        return out
    }

    /// The encoder of an encoder method, with the generator it comes with (or nil for optimisation methods).
    func loadEncoder() throws -> (encoder: any InversionEncoder, generator: LoadedGenerator?, generatorPath: String?)? {
        guard method.isEncoder || method.usesEncoderPivot, let encoder else { return nil }
        let loaded = if method == .fs {
            try FeatureStyleEncoder.load(encoder: encoder, generator: checkpoint!, device: device.value)
        } else {
            try EncoderCheckpoint.load(encoder, device: device.value)
        }
        guard method.usesEncoderPivot || loaded.encoder.method == method.rawValue else {
            throw CLIError("\(encoder): this is a \(loaded.encoder.method) encoder, not \(method.rawValue)")
        }
        if let restyle = loaded.encoder as? ReStyleEncoder, let iterations { restyle.iterations = iterations }
        if let e2style = loaded.encoder as? E2StyleEncoder, let stages {
            guard stages <= e2style.stages else {
                throw CLIError("\(encoder): has \(e2style.stages) stages, --stages \(stages) asked for more")
            }
            e2style.stages = stages
        }
        // The generator inside the encoder file wins, as the published inference scripts use it; the inversion
        // then records that file's SHA-256, so rendering takes the encoder file as --checkpoint.
        if loaded.encoder.method != "fs", let generator = loaded.generator { return (loaded.encoder, generator, encoder) }
        guard let checkpoint else { throw CLIError("\(encoder) holds no generator; give one with --checkpoint") }
        return (loaded.encoder, nil, checkpoint)
    }

    /// One forward pass of an encoder at its input size, rendered at the generator's.
    func encode(_ target: Tensor, with encoder: any InversionEncoder, loaded: LoadedGenerator) throws -> Outcome {
        let g = loaded.generator
        let input = try resize(target, height: encoder.inputSize, width: encoder.inputSize)
        return try withInferenceMode {
            let output = try encoder.encode(input, generator: g)
            let image = try g.synthesis(output.wPlus, noise: .const, feature: output.feature)
            var options: [String: String] = ["encoder": self.encoder ?? ""]
            if let r = encoder as? ReStyleEncoder { options["iterations"] = "\(r.iterations)" }
            if let e = encoder as? E2StyleEncoder { options["stages"] = "\(e.stages)" }
            return Outcome(wPlus: output.wPlus, feature: output.feature, noiseMaps: nil, image: image, lossCurve: [],
                           options: options)
        }
    }

    /// PSNR, SSIM (nil for images smaller than its window) and LPIPS (when its weights are loaded).
    func score(_ image: Tensor, _ target: Tensor, lpips: LPIPS?) throws -> (psnr: Double, ssim: Double?, lpips: Double?) {
        let x = try image.clamp(min: -1, max: 1)
        let ssim = min(x.size(2), x.size(3)) >= Metrics.ssimWindowSize ? try Metrics.ssim(x, target)[0] : nil
        return (try Metrics.psnr(x, target)[0], ssim,
                try lpips.map { try Metrics.lpips(x, target, network: $0)[0] })
    }
}

/// The methods of `stylegan invert`: optimisation, or one of the published encoders.
enum InversionMethod: String, ExpressibleByArgument, CaseIterable {
    case projector
    case projectorW = "projector-w"
    case image2StyleGAN = "image2stylegan"
    case psp, e4e
    case restylePSP = "restyle-psp"
    case restyleE4E = "restyle-e4e"
    case fs, clcae, e2style
    case pti, gani
    case encoderPTI = "encoder+pti"
    case encoderGANI = "encoder+gani"

    /// Encoder methods: one forward pass of a published encoder.
    var isEncoder: Bool { ![.projector, .projectorW, .image2StyleGAN, .pti, .gani, .encoderPTI, .encoderGANI].contains(self) }
    /// Tuning methods whose pivot comes from an encoder.
    var usesEncoderPivot: Bool { self == .encoderPTI || self == .encoderGANI }
    /// The loss terms a method uses unless --losses says otherwise.
    var defaultLosses: String {
        switch self {
        case .projector, .projectorW, .image2StyleGAN: "lpips"
        case .pti, .encoderPTI: "l2,lpips"
        case .gani, .encoderGANI: "l2,lpips,id,parsing"
        default: "l2"
        }
    }
}

extension GANI.Domain: ExpressibleByArgument {}
