import Foundation

/// Runs the built `stylegan` binary, which sits beside the test bundle in the build folder (test targets that
/// use it depend on the `stylegan` product so that it is built first).
public enum CLI {
    public typealias Result = ChildProcess.Result

    public static var binary: URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        // .../debug/StyleGANKitPackageTests.xctest -> .../debug/stylegan
        return exe.deletingLastPathComponent().appendingPathComponent("stylegan")
    }

    /// `stylegan arguments...`, one child at a time, killed (and the test failed) when it runs past `timeout`.
    public static func run(_ arguments: [String], in directory: URL? = nil, timeout: Duration = .seconds(300),
                           environment: [String: String] = [:]) throws -> Result
    {
        try ChildProcess.run(binary, arguments, in: directory, timeout: timeout, environment: environment)
    }

    /// Starts `stylegan arguments...` and kills it with SIGKILL as soon as `file` exists (or it ends, or two minutes
    /// pass): a run killed mid-way, for the resume tests. Returns whether it was still running when killed.
    @discardableResult
    public static func kill(_ arguments: [String], once file: String) throws -> Bool {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: file), process.isRunning, Date() < deadline { usleep(20_000) }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
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
