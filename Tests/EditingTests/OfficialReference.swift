import Checkpoints
import Foundation
import Torch

/// Numbers the official code gives on small random inputs (InterFaceGAN's `utils/manipulator.py`, GANSpace's
/// `pca` and `ipca` estimators, scikit-learn 1.9), kept in Resources/official.npz.
enum OfficialReference {
    /// This target's folder (the file sits in Tests/EditingTests).
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    static func arrays() throws -> [String: Tensor] {
        try NumPy.readArchive(folder.appendingPathComponent("Resources/official.npz").path).dictionary
    }
}

extension Dictionary where Key == String, Value == Tensor {
    /// The array under `key`; a missing key is a broken reference file.
    func ref(_ key: String) throws -> Tensor {
        guard let t = self[key] else { throw TorchError("official.npz has no '\(key)' array") }
        return t
    }
}
