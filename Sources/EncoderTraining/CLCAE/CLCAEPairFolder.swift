import Checkpoints
import Data
import Foundation
import Torch

/// CLCAE's pre-generated image-latent pairs (`datasets/contrastive_dataset.py`): a folder with `image/` (PNG or JPEG,
/// searched recursively, sorted) and `latent/`, where the image `NAME.png` pairs with `latent/NAME.npy`, its w [D]
/// (NAME: the file name up to its first dot, as the dataset splits it). Images are resized to the encoder's side
/// as torchvision's `Resize((256, 256))` resizes a PIL image (bilinear, antialiased) and read in [-1, 1].
public struct CLCAEPairFolder {
    public let path: String
    let images: ImageFolderSource
    /// The latent file of each image, in the images' order.
    let latents: [String]

    /// Whether `path` is laid out as such a folder (has `image/` and `latent/`).
    public static func isPairFolder(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return ["image", "latent"].allSatisfy {
            FileManager.default.fileExists(atPath: path + "/" + $0, isDirectory: &isFolder) && isFolder.boolValue
        }
    }

    /// Lists the pairs; every image without its latent file is named in one error.
    public init(path: String) throws {
        guard Self.isPairFolder(path) else {
            throw EncoderTrainingError("\(path): not a CLCAE pair folder (it needs image/ and latent/ subfolders)")
        }
        do { images = try ImageFolderSource(path: path + "/image") } catch {
            throw EncoderTrainingError("\(path)/image: \(error)")
        }
        latents = images.files.map { file in
            let name = (file as NSString).lastPathComponent
            return path + "/latent/" + String(name[..<(name.firstIndex(of: ".") ?? name.endIndex)]) + ".npy"
        }
        let missing = latents.filter { !FileManager.default.fileExists(atPath: $0) }
        guard missing.isEmpty else {
            throw EncoderTrainingError("\(path): \(missing.count) image(s) without a latent: "
                + missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? ", ..." : ""))
        }
        self.path = path
    }

    public var count: Int { images.count }

    /// Pairs `indices`: images [N, 3, side, side] in [-1, 1] and their codes w [N, width].
    func pairs(_ indices: [Int], side: Int, width: Int, device: Device) throws -> (images: Tensor, w: Tensor) {
        var batch: [Tensor] = [], codes: [Tensor] = []
        for i in indices {
            let image = try images.image(at: i).tensor()
            let shrinks = image.size(2) > side || image.size(3) > side
            batch.append(image.size(2) == side && image.size(3) == side ? image
                : try F.interpolate(image, size: (side, side), mode: .bilinear, alignCorners: false, antialias: shrinks))
            let w = try NumPy.readArray(latents[i]).to(dtype: .float32)
            guard w.count == width else {
                throw EncoderTrainingError("\(latents[i]): a latent of shape \(w.shape); the encoders take w [\(width)]")
            }
            codes.append(try w.reshape([1, width]))
        }
        return (try Tensor.cat(batch, dim: 0).to(device: device), try Tensor.cat(codes, dim: 0).to(device: device))
    }
}
