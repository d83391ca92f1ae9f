#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `write` on a fresh temporary path in the folder of `path`, then renames the result over `path`.
///
/// rename(2) within one folder replaces the target in one step, so a reader sees the old file or the
/// complete new one, never a partial write; on any failure the temporary file is removed.
func writeAtomically(to path: String, _ write: (_ temporaryPath: String) throws -> Void) throws {
    let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
    let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
    let temporary = "\(path[..<slash]).\(path[slash...]).\(suffix).tmp"
    do {
        try write(temporary)
        if rename(temporary, path) != 0 {
            throw ImageError(.cannotWrite, path: path, "cannot write: \(String(cString: strerror(errno)))")
        }
    } catch {
        unlink(temporary)
        throw error
    }
}
