import Foundation
import Torch

/// Runs the built `stylegan` binary, which sits beside the test bundle in the build folder (test targets that
/// use it depend on the `stylegan` product so that it is built first).
public enum CLI {
    public struct Result {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    public static var binary: URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        // .../debug/StyleGANKitPackageTests.xctest -> .../debug/stylegan
        return exe.deletingLastPathComponent().appendingPathComponent("stylegan")
    }

    public static func run(_ arguments: [String], in directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// A fresh temporary folder, removed when the value is released.
public final class Scratch {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("stylegan-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    public func files() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }

    deinit { try? FileManager.default.removeItem(at: url) }
}
