import Foundation
import Perception

/// The published network files the inversion losses and metrics read, under the names their projects publish.
public enum NetworkWeights: String, CaseIterable, Sendable {
    /// torchvision's ImageNet VGG16: the LPIPS-VGG backbone of the projectors.
    case lpipsVGG
    /// torchvision's ImageNet AlexNet: the LPIPS-Alex backbone of PTI and GANI.
    case lpipsAlex
    /// NVIDIA's StyleGAN2-ADA `vgg16.pt` (TorchScript, read as data): PTI's pivot distance.
    case featureVGG
    /// ArcFace IR-SE50 (pSp's `model_ir_se50.pth`): the identity loss for faces.
    case arcFace
    /// MoCo v2 ResNet-50 (`moco_v2_800ep_pretrain.pt`): the identity loss elsewhere.
    case moco
    /// E2Style's U-Net face parser (`parsing.pth`): GANI's parsing loss.
    case parser
    /// dlib's face-recognition ResNet: the identity loss for faces with `--id-network dlib`; `make setup` installs it
    /// (`DlibModels`), where it is found when the weights folder lacks it.
    case dlibFaceRecognition

    /// The published file name.
    public var fileName: String {
        switch self {
        case .lpipsVGG: "vgg16-397923af.pth"
        case .lpipsAlex: "alexnet-owt-7be5be79.pth"
        case .featureVGG: "vgg16.pt"
        case .arcFace: "model_ir_se50.pth"
        case .moco: "moco_v2_800ep_pretrain.pt"
        case .parser: "parsing.pth"
        case .dlibFaceRecognition: "dlib_face_recognition_resnet_model_v1.dat"
        }
    }

    /// What needs it, for error messages and documentation.
    public var purpose: String {
        switch self {
        case .lpipsVGG: "the projectors' LPIPS loss (VGG16 backbone)"
        case .lpipsAlex: "the LPIPS loss of PTI and GANI (AlexNet backbone)"
        case .featureVGG: "PTI's pivot distance (StyleGAN2-ADA VGG16; torchvision's vgg16-397923af.pth also serves)"
        case .arcFace: "the identity loss (ArcFace IR-SE50)"
        case .moco: "the identity loss outside faces (MoCo v2)"
        case .parser: "the parsing loss (E2Style's U-Net parser)"
        case .dlibFaceRecognition: "the identity loss with --id-network dlib (dlib's face-recognition ResNet; make setup installs it)"
        }
    }
}

/// Where the network files are: each by its own path, else under its published name in one folder.
public struct WeightFiles: Sendable {
    public var folder: String?
    public var paths: [NetworkWeights: String]

    public init(folder: String? = nil, paths: [NetworkWeights: String] = [:]) {
        self.folder = folder
        self.paths = paths
    }

    /// The file for `weights` if it exists.
    public func path(_ weights: NetworkWeights) -> String? {
        let candidate = paths[weights] ?? folder.map { ($0 as NSString).appendingPathComponent(weights.fileName) }
        if let candidate, FileManager.default.fileExists(atPath: candidate) { return candidate }
        if weights == .dlibFaceRecognition, paths[weights] == nil {
            let installed = DlibModels.locate().faceRecognition
            if FileManager.default.fileExists(atPath: installed) { return installed }
        }
        return nil
    }

    /// The file for `weights`, or an error saying which file is missing and what needs it.
    public func require(_ weights: NetworkWeights) throws -> String {
        guard let path = path(weights) else {
            if let given = paths[weights] {
                throw InversionError.badInput(path: given, reason: "no such file (\(weights.purpose))")
            }
            throw InversionError.missingWeights([weights])
        }
        return path
    }
}
