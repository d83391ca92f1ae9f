import Images
import Torch

/// How a dataset's images become training images.
public struct DatasetOptions: Codable, Sendable, Equatable {
    /// The training resolution: images come out size x size.
    public var size: Int
    /// nil: the dataset kind's own rule (`ImageSource.defaultFit`).
    public var fit: ImageFit?
    /// Enlarge images smaller than `size` (centre-crop-resize only) instead of refusing them.
    public var allowUpscale: Bool

    public init(size: Int, fit: ImageFit? = nil, allowUpscale: Bool = false) {
        self.size = size
        self.fit = fit
        self.allowUpscale = allowUpscale
    }
}

/// A source of images and the transform that makes training images of them: float32 [3, S, S] in [-1, 1]
/// (rosinality's ToTensor + Normalize(0.5, 0.5); StyleGAN2-ADA's x / 127.5 - 1), gray repeated into RGB and
/// alpha dropped (PIL's `convert("RGB")`), 16-bit samples scaled from 65535.
public final class ImageDataset: Sendable {
    public let source: any ImageSource
    public let options: DatasetOptions
    /// The fit in force: `options.fit` or the source's own.
    public let fit: ImageFit

    public init(source: any ImageSource, options: DatasetOptions) throws {
        guard options.size > 0 else {
            throw DataError(.invalidArgument, "training size \(options.size); it must be positive")
        }
        self.source = source
        self.options = options
        fit = options.fit ?? source.defaultFit
    }

    /// Opens the dataset at `path` by what it is: a folder holding `data.mdb` (or that file) is a rosinality
    /// LMDB read at `options.size`, a file a StyleGAN2-ADA zip, another folder a folder of images.
    public static func open(_ path: String, options: DatasetOptions) throws -> ImageDataset {
        let kind = PathKind(path)
        let source: any ImageSource = switch kind {
        case .folder where PathKind(path + "/data.mdb") == .file: try LMDBSource(path: path, size: options.size)
        case .folder: try ImageFolderSource(path: path)
        case .file where path.hasSuffix("data.mdb"): try LMDBSource(path: path, size: options.size)
        case .file: try DatasetZipSource(path: path)
        default: throw kind.error(path, wanted: "a dataset")
        }
        return try ImageDataset(source: source, options: options)
    }

    public var count: Int { source.count }
    public var size: Int { options.size }
    public var labels: DatasetLabels? { source.labels }

    /// Image `index` as a training image [3, S, S], mirrored left to right when `flipped`.
    public func image(at index: Int, flipped: Bool = false) throws -> Tensor {
        let name = source.name(of: index)
        let image: Image
        do {
            image = try source.image(at: index)
        } catch let error as ImageError {
            throw DataError(error.kind == .cannotRead ? .unreadableImage : .badImage, path: name, error.message)
        }
        let (w, h, s) = (image.width, image.height, options.size)
        var x = try image.tensor()  // [1, 3, H, W]
        switch fit {
        case .exact:
            guard w == s, h == s else {
                throw DataError(.wrongImageSize, path: name, "\(w) x \(h) pixels; images of this dataset must be "
                    + "exactly \(s) x \(s) (the training size), or choose the centre-crop-resize fit")
            }
        case .centerCropResize:
            guard min(w, h) >= s || options.allowUpscale else {
                throw DataError(.imageTooSmall, path: name,
                                "\(w) x \(h) pixels is smaller than the training size \(s) x \(s) (allow upscaling to enlarge it)")
            }
            // Bicubic overshoots a little at edges; training images stay in [-1, 1].
            x = try resize(centerCrop(x), height: s, width: s).clamp(min: -1, max: 1)
        }
        if flipped { x = try x.flip([3]) }
        return try x.squeeze(0).contiguous()
    }
}
