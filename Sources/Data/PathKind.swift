#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a dataset path names, following symbolic links.
enum PathKind: Equatable {
    case missing
    case folder
    case file
    /// A path that exists but cannot be examined, or a device, socket, ...: the reason.
    case other(String)

    init(_ path: String) {
        var info = stat()
        if stat(path, &info) != 0 {
            self = errno == ENOENT ? .missing : .other(String(cString: strerror(errno)))
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: self = .folder
        case S_IFREG: self = .file
        default: self = .other("neither a folder nor a file")
        }
    }

    /// The error for a dataset path that is not what the caller needs (`wanted`: "a folder", ...).
    func error(_ path: String, wanted: String) -> DataError {
        switch self {
        case .missing: DataError(.notFound, path: path, "no such file or folder")
        case .other(let reason): DataError(.notADataset, path: path, reason)
        case .folder: DataError(.notADataset, path: path, "a folder, not \(wanted)")
        case .file: DataError(.notADataset, path: path, "a file, not \(wanted)")
        }
    }
}
