import Foundation
import Torch

/// A failure found while running a command (bad file contents, missing weights): printed as
/// "Error: <message>" with a non-zero exit, without the usage text a `ValidationError` adds.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }

    /// The error as the command prints it: one sentence. Foundation's errors ("Error Domain=NSCocoaErrorDomain
    /// Code=513 ...") become the file and the system's reason; a multi-line libtorch message keeps its first
    /// sentence, not the dispatcher's table of backends or the C++ stack after it.
    static func presentable(_ error: Error) -> Error {
        switch error {
        case let error as TorchError:
            guard let line = error.message.split(separator: "\n").first, line != error.message[...] else { return error }
            let sentence = line.range(of: ". ").map { line[..<$0.lowerBound] + "." } ?? line
            return CLIError(String(sentence))
        default:
            let ns = error as NSError
            return [NSCocoaErrorDomain, NSPOSIXErrorDomain].contains(ns.domain) ? CLIError(fileError(ns)) : error
        }
    }

    /// "FILE: permission denied" from a Foundation file error.
    static func fileError(_ error: NSError) -> String {
        let file = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
        return file.map { "\($0): \(reason(error))" } ?? reason(error)
    }

    /// "permission denied": a Foundation file error's reason, by its POSIX error when it has one.
    static func reason(_ error: NSError) -> String {
        // On Linux the underlying error comes back as an `Error`, not castable to NSError straight from `Any`.
        let underlying = (error.userInfo[NSUnderlyingErrorKey] as? Error).map { $0 as NSError }
        let posix = error.domain == NSPOSIXErrorDomain ? error : underlying
        return posix.flatMap { $0.domain == NSPOSIXErrorDomain ? systemReason(Int32($0.code)) : nil }
            ?? error.localizedDescription
    }

    /// strerror's text in lower case: "permission denied", "not a directory".
    static func systemReason(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}

/// An error about `file` as one sentence that names the file once: the library's file errors already do
/// ("a.png: empty file"), others get it in front.
func describe(_ error: Error, file: String) -> String {
    let message = "\(CLIError.presentable(error))"
    return message.contains(file) ? message : "\(file): \(message)"
}
