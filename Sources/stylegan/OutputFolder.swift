import ArgumentParser
import Foundation

/// An output folder (`--outdir`): checked before the work and made after it, with a one-sentence error when it
/// cannot be; the files a command will write there are checked first too (`OutputFiles.check`).
struct OutputFolder: ExpressibleByArgument, ExpressibleByStringLiteral, CustomStringConvertible {
    let path: String

    init(stringLiteral path: String) { self.path = path }
    init?(argument: String) {
        guard !argument.isEmpty else { return nil }
        path = argument
    }
    var description: String { path }
    var defaultValueDescription: String { path }

    /// A file in the folder.
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Fails, creating nothing, when the folder could not be made or written in: call it before the work, so that
    /// a mistyped folder costs no run.
    func check() throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        var existing = path.hasPrefix("/") ? "/" : "."
        for component in path.split(separator: "/") {
            prefix = (prefix as NSString).appendingPathComponent(String(component))
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: prefix, isDirectory: &isFolder) else { break }
            guard isFolder.boolValue else { throw CLIError("cannot create output folder \(path): \(prefix) is a file") }
            existing = prefix
        }
        guard access(existing, W_OK | X_OK) == 0 else {
            let reason = CLIError.systemReason(errno)
            throw CLIError(existing == prefix ? "cannot write in output folder \(path): \(reason)"
                                              : "cannot create output folder \(path): \(existing): \(reason)")
        }
    }

    /// Makes the folder and its parents; call it once the work is done, before the first file is written.
    func prepare() throws {
        try check()
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw CLIError("cannot create output folder \(path): \(CLIError.reason(error as NSError))")
        }
    }
}

/// The files a command will write, checked before any work: two outputs with one path would overwrite each
/// other, and an output that is one of the inputs would destroy it. Paths compare after resolving `.`, `..`
/// and symbolic links, so `out/../out/a.png` or a link to an input are caught too.
enum OutputFiles {
    /// `outputs`: each file with what makes it (a seed, an input file), for the message.
    static func check(_ outputs: [(file: String, source: String)], inputs: [String]) throws {
        var read: [String: String] = [:]
        for input in inputs { read[canonicalPath(input)] = input }
        var written: [String: String] = [:]
        for (file, source) in outputs {
            let key = canonicalPath(file)
            if let input = read[key] {
                throw CLIError("\(file) would overwrite the input \(input); write somewhere else")
            }
            if let other = written.updateValue(source, forKey: key) {
                let name = (file as NSString).lastPathComponent, folder = (file as NSString).deletingLastPathComponent
                throw CLIError("\(other) and \(source) would both write \(name)" + (folder.isEmpty ? "" : " in \(folder)"))
            }
        }
    }
}

/// The absolute path with `.`, `..` and the links of its existing part resolved, to compare files; the file
/// itself need not exist (an output about to be written through a link to an input's folder).
func canonicalPath(_ path: String) -> String {
    let url = URL(fileURLWithPath: path).standardizedFileURL
    if let real = realpath(url.path, nil) {
        defer { free(real) }
        return String(cString: real)
    }
    guard url.path != "/" else { return "/" }
    return (canonicalPath(url.deletingLastPathComponent().path) as NSString).appendingPathComponent(url.lastPathComponent)
}
