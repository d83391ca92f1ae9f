import Checkpoints
import Foundation
import Images

/// A StyleGAN2-ADA dataset zip (`dataset_tool.py`'s output): the PNG and JPEG members in sorted order,
/// labels from a `dataset.json` member at the top. Its images are already at the training resolution.
public struct DatasetZipSource: ImageSource {
    public let path: String
    /// The image members, in dataset order.
    public let members: [String]
    public let labels: DatasetLabels?
    private let zip: ZipFile

    public init(path: String) throws {
        let kind = PathKind(path)
        guard kind == .file else { throw kind.error(path, wanted: "a zip file") }
        let head = FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 4) }.map([UInt8].init)
        guard head == [0x50, 0x4B, 0x03, 0x04] else {
            throw DataError(.notADataset, path: path,
                            "not a zip file: a dataset is a folder of images, a StyleGAN2-ADA .zip or an LMDB folder")
        }
        do {
            zip = try ZipFile(path: path)
        } catch let error as CheckpointError {
            throw DataError(.unreadableDataset, path: path, error.message)
        }
        (members, labels) = try imagesAndLabels(zip.names, of: path, joiner: ":") { [zip] in try zip.contents(of: $0) }
        self.path = path
    }

    public var count: Int { members.count }
    public var defaultFit: ImageFit { .exact }
    public func name(of index: Int) -> String { path + ":" + members[index] }

    public func image(at index: Int) throws -> Image {
        let bytes: [UInt8]
        do {
            bytes = try zip.contents(of: members[index])
        } catch let error as CheckpointError {
            throw DataError(.unreadableImage, path: name(of: index), error.message)
        }
        return try Image.decode(bytes)
    }
}
