#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file under a temporary name in the destination folder and renames it into place on `commit`,
/// so readers never see a half-written checkpoint; an uncommitted writer deletes its temporary file.
final class AtomicFile: ByteSink {
    let path: String
    private let temporaryPath: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var committed = false
    private static let bufferSize = 1 << 20

    init(path: String) throws {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !base.isEmpty else { throw CheckpointError.io(file: path, message: "path names a folder, not a file") }
        var opened: Int32 = -1
        var candidate = ""
        for _ in 0..<16 {
            candidate = folder + ".\(base).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
            opened = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if opened >= 0 || errno != EEXIST { break }
        }
        guard opened >= 0 else {
            throw CheckpointError.io(file: path, message: "cannot create a temporary file next to it: \(errnoText())")
        }
        fd = opened
        temporaryPath = candidate
        buffer.reserveCapacity(Self.bufferSize)
    }

    deinit {
        if !committed {
            if fd >= 0 { close(fd) }
            unlink(temporaryPath)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > Self.bufferSize { try flush() }
        if bytes.count >= Self.bufferSize {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Flushes, syncs and renames the temporary file over `path`.
    func commit() throws {
        try flush()
        guard fsync(fd) == 0 else { throw CheckpointError.io(file: path, message: "cannot sync: \(errnoText())") }
        let status = close(fd)
        fd = -1
        guard status == 0 else { throw CheckpointError.io(file: path, message: "cannot close: \(errnoText())") }
        guard rename(temporaryPath, path) == 0 else {
            throw CheckpointError.io(file: path, message: "cannot rename the temporary file into place: \(errnoText())")
        }
        committed = true
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw CheckpointError.io(file: path, message: "cannot write: \(errnoText())")
            }
            done += n
        }
    }
}

/// write(2), named apart from `AtomicFile.write` which would shadow it.
private func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, pointer, count) }
