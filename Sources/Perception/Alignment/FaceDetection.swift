import Torch

/// Which detector finds the faces an FFHQ crop is cut around.
public enum FaceDetection: String, Codable, CaseIterable, Sendable {
    /// dlib's HOG detector and 68-point predictor, as the official alignment scripts (the default).
    case dlib
    /// MTCNN's boxes and five landmarks.
    case mtcnn
}

extension FaceAligner {
    /// The aligner of `detection`: dlib's from `dlibModels` (`--cnn`: its mmod detector), or MTCNN on `device`.
    public convenience init(_ detection: FaceDetection, dlibModels: DlibModels = .locate(), cnn: Bool = false,
                            device: Device = .cpu) throws {
        switch detection {
        case .dlib: try self.init(dlibModels: dlibModels, cnn: cnn)
        case .mtcnn: self.init(detector: try MTCNN(device: device))
        }
    }
}
