#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The POSIX calls the run folder needs, with errors that name the path.
enum FileSystem {
    enum Kind { case missing, folder, other }

    static func kind(of path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        return info.st_mode & S_IFMT == S_IFDIR ? .folder : .other
    }

    /// Creates `path` and the folders above it that are missing; a file in the way of any of them is named.
    static func makeFolders(_ path: String, what: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            switch kind(of: prefix) {
            case .folder:
                continue
            case .other:
                throw TrainingError(path: prefix, "exists and is not a folder; the \(what) cannot be made there")
            case .missing:
                if mkdir(prefix, 0o777) != 0 && errno != EEXIST {
                    throw TrainingError(path: prefix, "cannot create the \(what): \(errorText())")
                }
            }
        }
    }

    /// Throws unless a new file can be created in `folder` (read-only file systems, missing permissions).
    static func checkWritable(_ folder: String, what: String) throws {
        let probe = folder + "/.write-check.\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw TrainingError(path: folder, "cannot write in the \(what): \(errorText())") }
        close(fd)
        unlink(probe)
    }

    /// Names in `folder` ("." and ".." left out).
    static func contents(of folder: String) throws -> [String] {
        guard let dir = opendir(folder) else {
            throw TrainingError(path: folder, "cannot list the folder: \(errorText())")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Flushes a file's data to the disk, so a rename after it never exposes an empty file after a crash.
    static func sync(_ path: String, folder: Bool = false) throws {
        let fd = open(path, (folder ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TrainingError(path: path, "cannot open to sync: \(errorText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw TrainingError(path: path, "cannot sync: \(errorText())") }
    }

    static func move(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else {
            throw TrainingError(path: to, "cannot rename \(from) into place: \(errorText())")
        }
    }

    static func remove(_ path: String) { unlink(path) }

    static func errorText() -> String { String(cString: strerror(errno)) }
}

/// A file opened for appending, each `write` going to the kernel at once (a killed run loses no line).
final class AppendFile {
    let path: String
    private let fd: Int32

    /// Opens `path` for appending; `create` makes a new file and refuses an existing one.
    init(path: String, create: Bool = false) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_CREAT | (create ? O_EXCL : 0), 0o666)
        guard fd >= 0 else { throw TrainingError(path: path, "cannot open for writing: \(FileSystem.errorText())") }
    }

    deinit { close(fd) }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = systemWrite(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw TrainingError(path: path, "cannot write: \(FileSystem.errorText())")
                }
                done += n
            }
        }
    }
}

/// write(2), named apart from `AppendFile.write` which would shadow it.
private func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, pointer, count) }
