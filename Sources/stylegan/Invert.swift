import ArgumentParser
import Encoders
import Foundation
import Images
import Inversion
import Perception
import Torch

/// `stylegan invert IMAGE... --method M`: one inversion file, reconstruction and scores per image. The library's
/// `InversionPipeline` owns every decision (losses, backbones, pivots, defaults); this command parses and prints.
struct Invert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Invert photos into the generator (projectors, PTI, GANI, encoders).",
        discussion: """
            Faces are aligned first as the official scripts do (dlib, or --detector mtcnn; --no-align to skip, e.g. \
            for cars); images are centre-cropped and \
            resized to the generator's size. For each IMAGE writes OUTDIR/NAME.safetensors (the inversion file) and \
            OUTDIR/NAME.png (the reconstruction), and prints PSNR, SSIM and LPIPS against the input.

            Network files unlock loss terms (give --weights DIR holding them under these names, or each by its flag): \
            lpips for the projectors: vgg16-397923af.pth; lpips for PTI and GANI: alexnet-owt-7be5be79.pth; vgg (PTI's \
            pivot): vgg16.pt; id: model_ir_se50.pth (faces; or --id-network dlib, installed by make setup) or \
            moco_v2_800ep_pretrain.pt; parsing: parsing.pth. \
            Without them choose --losses l2 (and --pivot-losses l2 for PTI and GANI).

            Encoder methods (psp, e4e, restyle-psp, restyle-e4e, fs, clcae, e2style) read --encoder; the generator \
            comes from the encoder file when it holds one, else from --checkpoint. PTI projects its pivot in W; GANI \
            takes an e4e file's code as its pivot (--encoder), else projects one in W+; encoder+pti and encoder+gani \
            take any encoder's code.
            """
    )

    @Argument(help: "Photos (PNG or JPEG).")
    var images: [String]

    @Option(help: "Generator checkpoint (.pt, .pkl, .safetensors); optional when the encoder file holds one.")
    var checkpoint: String?

    @Option(help: "\(InversionMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: InversionMethod = .projector

    @Option(help: "Encoder file: the encoder methods, GANI's e4e pivot, encoder+pti and encoder+gani.")
    var encoder: String?

    @Option(help: "Loss terms, comma-separated: l2, lpips, vgg, id, parsing (default: the method's own).")
    var losses: String?

    @Option(help: "Loss terms of a projected pivot (PTI: vgg; GANI without e4e: lpips).")
    var pivotLosses: String?

    @Option(parsing: .unconditional, help: "Optimisation or tuning steps (default: the method's own).")
    var steps: Int?

    @Option(parsing: .unconditional, help: "Steps of a projected pivot (default: PTI 450, GANI's projector 1000).")
    var pivotSteps: Int?

    @Option(help: "GANI's domain (Table 1 row): faces, wild, cars, churches, horses.")
    var domain: GANI.Domain = .faces

    @Option(parsing: .unconditional, help: "ReStyle iterations (default: the checkpoint's, else 5).")
    var iterations: Int?

    @Option(parsing: .unconditional, help: "E2Style stages to run (default: every stage in the file).")
    var stages: Int?

    @Flag(inversion: .prefixedNo, help: "Align faces first (the FFHQ crop of the largest face).")
    var align = true

    @Option(help: "Face detector of the alignment: dlib (the official scripts', 68 landmarks) or mtcnn.")
    var detector: FaceDetection = .dlib

    @Option(help: "Folder of dlib's model files (default: .deps/dlib-models, or $STYLEGAN_DLIB_MODELS).")
    var dlibModels: String?

    @Option(help: "Network of the identity term on faces: arcface (model_ir_se50.pth) or dlib (dlib's face-recognition ResNet, installed by make setup).")
    var idNetwork: FaceIdentityNetwork = .arcface

    @Option(help: "Folder with network weights under their published names.")
    var weights: String?

    @Option(help: "LPIPS VGG16 backbone (vgg16-397923af.pth).")
    var lpipsBackbone: String?

    @Option(help: "LPIPS AlexNet backbone (alexnet-owt-7be5be79.pth).")
    var alexnet: String?

    @Option(help: "StyleGAN2-ADA VGG16 (vgg16.pt), PTI's pivot distance.")
    var vgg16: String?

    @Option(help: "ArcFace IR-SE50 weights for the identity term (model_ir_se50.pth).")
    var arcface: String?

    @Option(help: "MoCo v2 weights for the identity term outside faces (moco_v2_800ep_pretrain.pt).")
    var moco: String?

    @Option(help: "E2Style's U-Net face parser for the parsing term (parsing.pth).")
    var parsing: String?

    @Option(help: "Output folder.")
    var outdir: OutputFolder = "inversions"

    @Option(parsing: .unconditional, help: "Seed of the method's randomness.")
    var seed: Int = 0

    @OptionGroup var device: DeviceOptions

    @Flag(help: "Print one JSON object per image instead of a table.")
    var json = false

    @OptionGroup var runtime: RuntimeOptions

    var settings: InversionSettings {
        get throws {
            var settings = InversionSettings(method: method)
            settings.losses = try losses.map { try Self.terms($0, flag: "--losses") }
            settings.pivotLosses = try pivotLosses.map { try Self.terms($0, flag: "--pivot-losses") }
            settings.steps = steps
            settings.pivotSteps = pivotSteps
            settings.seed = UInt64(seed)
            settings.domain = domain
            settings.encoder = EncodingOptions(iterations: iterations, stages: stages)
            settings.align = align
            if detector != .dlib { settings.detector = detector }
            if idNetwork != .arcface { settings.identityNetwork = idNetwork }
            try settings.validate()
            return settings
        }
    }

    /// A term list, its errors naming the flag.
    static func terms(_ list: String, flag: String) throws -> Set<LossTerm> {
        do {
            return try LossTerm.parse(list)
        } catch let error as InversionError {
            throw InversionError.invalidOption("\(flag): \(error)")
        }
    }

    var weightFiles: WeightFiles {
        let flags: [NetworkWeights: String?] = [.lpipsVGG: lpipsBackbone, .lpipsAlex: alexnet, .featureVGG: vgg16,
                                                .arcFace: arcface, .moco: moco, .parser: parsing,
                                                .dlibFaceRecognition: dlibModels.map { DlibModels(folder: $0).faceRecognition }]
        return WeightFiles(folder: weights, paths: flags.compactMapValues { $0 })
    }

    func validate() throws {
        try Seed.check("--seed", seed)
        do {
            _ = try settings
        } catch let error as InversionError {
            throw ValidationError(error.description)
        }
        if method.needsEncoder, encoder == nil { throw ValidationError("--method \(method.rawValue) needs --encoder FILE") }
        if !method.needsEncoder, method != .gani, checkpoint == nil {
            throw ValidationError("--method \(method.rawValue) needs --checkpoint FILE")
        }
        if method == .gani, encoder == nil, checkpoint == nil { throw ValidationError("--method gani needs --checkpoint FILE") }
        _ = try outputs()
    }

    /// NAME.safetensors and NAME.png per image; two inputs with one name, or an output that would replace an
    /// input, are refused before any work.
    func outputs() throws -> [(inversion: String, image: String)] {
        let outputs = images.map { path in
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            return (inversion: outdir.file("\(name).safetensors"), image: outdir.file("\(name).png"))
        }
        try OutputFiles.check(zip(images, outputs).flatMap { [($1.inversion, $0), ($1.image, $0)] }, inputs: images)
        return outputs
    }

    func run() throws {
        try outdir.check()
        try runtime.start()
        let pipeline: InversionPipeline
        do {
            pipeline = try InversionPipeline.load(try settings, checkpoint: checkpoint, encoder: encoder, weights: weightFiles,
                                                  dlibModels: DlibModels.locate(dlibModels), device: device.resolve())
        } catch let error as InversionError {
            throw CLIError(error.description)
        } catch let error as DlibError {
            throw CLIError(error.description)
        }
        for note in pipeline.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
        let outputs = try outputs()
        try outdir.prepare()
        var rows: [[String]] = []
        var failed = 0
        for (path, output) in zip(images, outputs) {
            do {
                let name = URL(fileURLWithPath: path).lastPathComponent
                var bars: [InversionProgress.Stage: Progress] = [:]
                let control = InversionControl(progress: { report in
                    let bar = bars[report.stage] ?? Progress(label: "\(name) \(report.stage.rawValue)")
                    bars[report.stage] = bar
                    bar.update(report.step, report.total, detail: report.loss.map { String(format: "loss %.4g", $0) })
                })
                let outcome = try pipeline.invert(imageAt: path, control: control)
                try pipeline.inversionFile(outcome).write(to: output.inversion)
                try Image(tensor: outcome.image.clamp(min: -1, max: 1)).write(to: output.image)
                let scores = outcome.scores!
                if json {
                    let object: [String: Any] = ["image": path, "inversion": output.inversion, "seconds": outcome.seconds,
                                                 "psnr": scores.psnr, "ssim": scores.ssim.map { $0 as Any } ?? NSNull(),
                                                 "lpips": scores.lpips.map { $0 as Any } ?? NSNull()]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    rows.append([path, String(format: "%.1f", outcome.seconds), String(format: "%.2f", scores.psnr),
                                 scores.ssim.map { String(format: "%.4f", $0) } ?? "-",
                                 scores.lpips.map { String(format: "%.4f", $0) } ?? "-"])
                }
            } catch {
                failed += 1
                FileHandle.standardError.write(Data("error: \(describe(error, file: path))\n".utf8))
            }
        }
        if !json, !rows.isEmpty {
            print((["image\tseconds\tpsnr\tssim\tlpips"] + rows.map { $0.joined(separator: "\t") }).joined(separator: "\n"))
        }
        if failed > 0 { throw ExitCode.failure }
    }
}

extension InversionMethod: ExpressibleByArgument {}
extension GANI.Domain: ExpressibleByArgument {}
