/// Why a dataset could not be opened or one of its images not be used.
///
/// The description starts with what the user can find: the dataset path, or one image in it
/// ("faces/0001.png: ...", "ffhq.zip:00000/img00000001.png: ...", "ffhq-lmdb:256-00001: ..."). `kind` tells
/// problems with one image, which `DataLoaderOptions.skipBad` may skip, from problems with the whole dataset.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// Nothing at the dataset path.
        case notFound
        /// A path of another kind: neither an image folder, a StyleGAN2-ADA zip nor an LMDB dataset.
        case notADataset
        /// The dataset holds no images (at the requested size).
        case empty
        /// The dataset's own structure cannot be read: a folder that cannot be listed, a damaged zip
        /// directory or LMDB file, a bad `length` record.
        case unreadableDataset
        /// `dataset.json` is malformed or misses an image.
        case badLabels
        /// One image cannot be read: missing record, unreadable file.
        case unreadableImage
        /// One image does not decode: not PNG or JPEG, corrupt, truncated.
        case badImage
        /// One image is smaller than the training size and upscaling is not allowed.
        case imageTooSmall
        /// One image is not the exact size its dataset kind requires (StyleGAN2-ADA zips, LMDB records).
        case wrongImageSize
        /// Every image the loader tried was bad.
        case noGoodImages
        /// An option or a saved loader state that cannot be used.
        case invalidArgument
        /// A dataset file cannot be written.
        case cannotWrite
    }

    public let kind: Kind
    /// The dataset or image the problem is about; nil for options.
    public let path: String?
    public let message: String

    public init(_ kind: Kind, path: String? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    /// Whether the problem lies in one image, not in the dataset as a whole.
    public var isImageProblem: Bool {
        switch kind {
        case .unreadableImage, .badImage, .imageTooSmall, .wrongImageSize: true
        default: false
        }
    }

    public var description: String { path.map { "\($0): \(message)" } ?? message }
}
