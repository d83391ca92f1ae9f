import Foundation
import Images

/// A rosinality LMDB dataset as `prepare_data.py` writes it: the image i at size s (encoded, JPEG by that
/// script) under the key "s-iiiii" (`f"{s}-{str(i).zfill(5)}"`), and the image count under "length". One
/// dataset may hold several sizes; this source reads one. Its images are already at that size
/// (`prepare_data.py` resized and centre-cropped them), as `MultiResolutionDataset` expects.
public struct LMDBSource: ImageSource {
    public let path: String
    /// The size whose records are read.
    public let size: Int
    public let count: Int
    private let database: LMDBDatabase

    public init(path: String, size: Int) throws {
        let kind = PathKind(path)
        switch kind {
        case .folder:
            guard PathKind(path + "/data.mdb") == .file else {
                throw DataError(.notADataset, path: path, "no data.mdb in the folder: not an LMDB dataset")
            }
        case .file: break
        default: throw kind.error(path, wanted: "an LMDB dataset")
        }
        database = try LMDBDatabase(path: path)
        guard let lengthRecord = try database.value(for: "length") else {
            throw DataError(.unreadableDataset, path: path,
                            "no 'length' record: not a dataset written by rosinality's prepare_data.py")
        }
        let text = String(decoding: lengthRecord, as: UTF8.self)
        guard let length = Int(text.trimmingCharacters(in: .whitespaces)), length >= 0 else {
            throw DataError(.unreadableDataset, path: path, "the 'length' record holds '\(text)', not an image count")
        }
        guard length > 0 else { throw DataError(.empty, path: path, "the dataset's length is 0") }
        guard try database.value(for: Self.key(size: size, index: 0)) != nil else {
            let sizes = try Self.sizes(in: database)
            let held = sizes.isEmpty ? "no images at any size" : "sizes \(sizes.map(String.init).joined(separator: ", "))"
            throw DataError(.empty, path: path, "holds no images at size \(size) (no record '\(Self.key(size: size, index: 0))'); it holds \(held)")
        }
        self.path = path
        self.size = size
        self.count = length
    }

    public var labels: DatasetLabels? { nil }
    public var defaultFit: ImageFit { .exact }
    public func name(of index: Int) -> String { path + ":" + Self.key(size: size, index: index) }

    public func image(at index: Int) throws -> Image {
        guard let bytes = try database.value(for: Self.key(size: size, index: index)) else {
            throw DataError(.unreadableImage, path: name(of: index), "no such record (the dataset's length is \(count))")
        }
        return try Image.decode(bytes)
    }

    /// The key of image `index` at `size`: `f"{size}-{str(index).zfill(5)}"`.
    public static func key(size: Int, index: Int) -> String {
        let digits = String(index)
        return "\(size)-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    /// Writes a dataset in `prepare_data.py`'s layout: `encodedImage(i, s)` (PNG or JPEG bytes of image i at
    /// size s) for every image and size, and the `length` record.
    public static func write(to path: String, sizes: [Int], count: Int,
                             encodedImage: (_ index: Int, _ size: Int) throws -> [UInt8]) throws
    {
        let writer = try LMDBWriter(path: path)
        for index in 0..<count {
            for size in sizes { try writer.put(try encodedImage(index, size), for: key(size: size, index: index)) }
        }
        try writer.put(Array(String(count).utf8), for: "length")
        try writer.commit()
    }

    /// The sizes with records in a dataset, found by skipping from one "size-" key prefix to the next (the
    /// first 1000 keys of other forms are stepped over one by one).
    private static func sizes(in database: LMDBDatabase) throws -> [Int] {
        var sizes: [Int] = []
        var after: [UInt8]? = nil
        for _ in 0..<1000 {
            guard let key = try database.key(after: after) else { break }
            let text = String(decoding: key, as: UTF8.self)
            guard let dash = text.firstIndex(of: "-"), let size = Int(text[..<dash]) else {
                after = key
                continue
            }
            sizes.append(size)
            // Past every "size-..." key: they continue with digits, all below 0xFF.
            after = Array(text[...dash].utf8) + [0xFF]
        }
        return sizes.sorted()
    }
}
