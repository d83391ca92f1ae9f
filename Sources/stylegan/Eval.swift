import ArgumentParser
import Foundation
import Metrics
import Perception
import Torch

/// `stylegan eval`: reconstruction metrics over two folders of images paired by name.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare reconstructions with their references: PSNR, SSIM, MS-SSIM, LPIPS, ID, FID.",
        discussion: """
            Images pair by file name (001.jpg with 001.png). Network weights come from flags or a --weights \
            folder holding them under their published names: alexnet-owt-7be5be79.pth or vgg16-397923af.pth \
            (LPIPS backbone; the LPIPS linear layers ship with the tool), model_ir_se50.pth (ID; or --id-network dlib, \
            dlib's face-recognition network, installed by make setup), \
            pt_inception-2015-12-05-6726825d.pth (FID); or --weights Models/testbed with \
            --lpips-net testbed for the testbed's own networks (identity.safetensors for ID).
            """
    )

    @Option(help: "Folder of reference images.")
    var reference: String

    @Option(help: "Folder of reconstructed images.")
    var reconstructed: String

    @Option(help: "Comma-separated: mse,l2,psnr,ssim,ms-ssim,lpips,id,fid.")
    var metrics: String = "psnr,ssim,ms-ssim,lpips,id"

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Folder with network weights under their published names.")
    var weights: String?

    @Option(help: """
        LPIPS network: alex, vgg or testbed (the testbed's attribute classifier with its calibrated layers, \
        attributes.safetensors and lpips.safetensors side by side, e.g. --weights Models/testbed).
        """)
    var lpipsNet: String = "alex"

    @Option(help: "LPIPS backbone weights (torchvision AlexNet or VGG16 state dict, or the testbed classifier).")
    var lpipsBackbone: String?

    @Option(help: "ArcFace IR-SE50 weights (model_ir_se50.pth).")
    var arcface: String?

    @Option(help: "Network of the ID metric: arcface (model_ir_se50.pth) or dlib (dlib's face-recognition ResNet on the aligned faces, installed by make setup).")
    var idNetwork: FaceIdentityNetwork = .arcface

    @Option(help: "Folder of dlib's model files (default: .deps/dlib-models, or $STYLEGAN_DLIB_MODELS).")
    var dlibModels: String?

    @Option(help: "FID Inception weights (pt_inception-2015-12-05-6726825d.pth).")
    var inception: String?

    @OptionGroup var runtime: RuntimeOptions

    var chosen: [PairedEvaluation.Metric] {
        get throws {
            try metrics.split(separator: ",").map { name in
                guard let m = PairedEvaluation.Metric(rawValue: String(name)) else {
                    throw ValidationError("unknown metric \(name); choose from \(PairedEvaluation.Metric.allCases.map(\.rawValue).joined(separator: ","))")
                }
                return m
            }
        }
    }

    func validate() throws {
        guard !(try chosen).isEmpty else { throw ValidationError("--metrics is empty") }
        if idNetwork == .dlib, arcface != nil { throw ValidationError("give --id-network dlib or --arcface, not both") }
        if dlibModels != nil, idNetwork != .dlib { throw ValidationError("--dlib-models goes with --id-network dlib") }
        guard LPIPS.Network(rawValue: lpipsNet) != nil else {
            throw ValidationError("--lpips-net must be alex, vgg or testbed")
        }
    }

    /// A weight file given by flag, else looked up in --weights; nil when neither has it.
    func weightFile(_ flag: String?, names: [String]) -> String? {
        if let flag { return flag }
        guard let weights else { return nil }
        return names.map { (weights as NSString).appendingPathComponent($0) }.first { FileManager.default.fileExists(atPath: $0) }
    }

    func run() throws {
        try runtime.start()
        let metrics = try chosen
        var evaluation = PairedEvaluation()
        var missing: [String] = []
        let network = LPIPS.Network(rawValue: lpipsNet)!
        for metric in metrics {
            switch metric {
            case .lpips:
                let names = switch network {
                case .alex: ["alexnet-owt-7be5be79.pth"]
                case .vgg: ["vgg16-397923af.pth"]
                case .testbed: ["attributes.safetensors"]
                }
                if let path = weightFile(lpipsBackbone, names: names) {
                    evaluation.lpips = network == .testbed
                        ? try LPIPS(testbed: ResNet18Classifier.load(from: path),
                                    linearLayers: ((path as NSString).deletingLastPathComponent as NSString)
                                        .appendingPathComponent("lpips.safetensors"))
                        : try LPIPS(network: network, backbone: path)
                } else {
                    missing.append("lpips needs \(names[0]) (--lpips-backbone or --weights)")
                }
            case .id where idNetwork == .dlib:
                let models = DlibModels.locate(dlibModels)
                do {
                    evaluation.dlib = try DlibFaceRecognition.load(from: models.requireFaceRecognition())
                } catch let error as DlibError {
                    missing.append("id: \(error)")
                }
            case .id:
                // The testbed's identity network (Models/testbed) stands in where the real one is absent.
                if let path = weightFile(arcface, names: ["model_ir_se50.pth", "identity.safetensors"]) {
                    evaluation.arcface = try IRSE50.load(from: path)
                } else {
                    missing.append("id needs model_ir_se50.pth (--arcface or --weights)")
                }
            case .fid:
                if let path = weightFile(inception, names: ["pt_inception-2015-12-05-6726825d.pth"]) {
                    evaluation.inception = try FIDInceptionV3(weights: path)
                } else {
                    missing.append("fid needs pt_inception-2015-12-05-6726825d.pth (--inception or --weights)")
                }
            default: break
            }
        }
        guard missing.isEmpty else { throw CLIError(missing.joined(separator: "\n")) }
        let pairs: ImagePairs
        do {
            pairs = try ImagePairs(reference: reference, reconstructed: reconstructed)
        } catch let error as ImagePairsError {
            throw CLIError(error.description)
        }
        let rows = try evaluation.run(pairs, metrics: metrics, progress: Progress(label: "eval").update)
        print(json ? try MetricSummary.json(rows) : MetricSummary.table(rows))
    }
}
