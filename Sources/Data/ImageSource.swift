import Checkpoints
import Images

/// Where a dataset's images come from: a folder, a StyleGAN2-ADA zip, a rosinality LMDB, or anything else
/// that can number its images. Reading must be safe from many threads at once.
public protocol ImageSource: Sendable {
    /// The dataset as the user named it.
    var path: String { get }
    /// How many images; they are numbered 0..<count in the dataset's fixed order.
    var count: Int { get }
    /// One image as a user would find it, for messages: a file path, "data.zip:img/0001.png", "lmdb:256-00001".
    func name(of index: Int) -> String
    /// Reads and decodes image `index`; throws `ImageError` (the dataset adds the name) or `DataError`.
    func image(at index: Int) throws -> Image
    /// One label per image, or nil.
    var labels: DatasetLabels? { get }
    /// How this kind of dataset brings its images to the training size unless told otherwise.
    var defaultFit: ImageFit { get }
}

/// The names a folder or zip dataset takes as images, as StyleGAN2-ADA and torchvision choose them: PNG and
/// JPEG files by extension (any case), none of whose path components is hidden (starts with "."), sorted by
/// code point as Python's `sorted`.
private func imageNames(_ names: some Sequence<String>) -> [String] {
    names.filter { name in
        let components = name.split(separator: "/")
        guard let last = components.last, !components.contains(where: { $0.hasPrefix(".") }),
              let dot = last.lastIndex(of: ".")
        else { return false }
        return ["png", "jpg", "jpeg"].contains(last[last.index(after: dot)...].lowercased())
    }.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
}

/// The images and labels of a folder or zip dataset holding `names` (relative paths), as StyleGAN2-ADA's
/// `ImageFolderDataset` finds them: the images among the names and, when a `dataset.json` is at the top,
/// its labels, read with `read`. `joiner` puts a name after the dataset path in messages.
func imagesAndLabels(_ names: [String], of path: String, joiner: String, read: (String) throws -> [UInt8]) throws
    -> (images: [String], labels: DatasetLabels?)
{
    let images = imageNames(names)
    guard !images.isEmpty else { throw DataError(.empty, path: path, "no PNG or JPEG images in it") }
    let labelFile = "dataset.json"
    guard names.contains(labelFile) else { return (images, nil) }
    let file = path + joiner + labelFile
    let bytes: [UInt8]
    do {
        bytes = try read(labelFile)
    } catch {
        throw DataError(.badLabels, path: file, "cannot read: \((error as? CheckpointError)?.message ?? "\(error)")")
    }
    return (images, try DatasetLabels.read(datasetJSON: bytes, names: images, file: file))
}
