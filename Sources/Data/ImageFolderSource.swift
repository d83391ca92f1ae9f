#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Images

/// A folder of PNG and JPEG images, searched recursively (symbolic links followed, each folder once), as
/// StyleGAN2-ADA's `ImageFolderDataset` and torchvision's `ImageFolder` read one; a `dataset.json` at the
/// top gives labels.
public struct ImageFolderSource: ImageSource {
    public let path: String
    /// The images, relative to `path` ("a/b.png"), in dataset order.
    public let files: [String]
    public let labels: DatasetLabels?

    public init(path: String) throws {
        let kind = PathKind(path)
        guard kind == .folder else { throw kind.error(path, wanted: "a folder of images") }
        var found: [String] = []
        var seen: Set<[UInt64]> = []
        try Self.walk(path, relative: "", into: &found, seen: &seen)
        (files, labels) = try imagesAndLabels(found, of: path, joiner: "/") {
            [UInt8](try Foundation.Data(contentsOf: URL(fileURLWithPath: path + "/" + $0)))
        }
        self.path = path
    }

    public var count: Int { files.count }
    public var defaultFit: ImageFit { .centerCropResize }
    public func name(of index: Int) -> String { path + "/" + files[index] }
    public func image(at index: Int) throws -> Image { try Image.read(path: name(of: index)) }

    /// Collects every file below `folder` (names relative to the top), skipping hidden entries.
    private static func walk(_ folder: String, relative: String, into found: inout [String],
                             seen: inout Set<[UInt64]>) throws
    {
        var info = stat()
        guard stat(folder, &info) == 0, seen.insert([UInt64(info.st_dev), UInt64(info.st_ino)]).inserted else {
            return
        }
        guard let directory = opendir(folder) else {
            throw DataError(.unreadableDataset, path: folder, "cannot list the folder: \(String(cString: strerror(errno)))")
        }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.hasPrefix(".") { continue }
            let full = folder + "/" + name
            guard stat(full, &info) == 0 else { continue }  // a dangling link
            switch info.st_mode & S_IFMT {
            case S_IFDIR: try walk(full, relative: relative + name + "/", into: &found, seen: &seen)
            case S_IFREG: found.append(relative + name)
            default: continue
            }
        }
    }
}
