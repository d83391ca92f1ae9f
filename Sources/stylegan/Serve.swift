import ArgumentParser
import Foundation
import Inversion
import Perception
import WebEditor

/// `stylegan serve`: the web editor on the shipped testbed models or the user's.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the web editor: upload a photo, invert it, edit it with sliders, download.",
        discussion: """
            Binds 127.0.0.1 by default; --host 0.0.0.0 serves other machines too (there is no login: anyone who \
            reaches the port can use the models). --models is a folder in the shipped layout (generator.safetensors, \
            METHOD.safetensors per encoder, directions/interfacegan_NAME.npy), by default Models/testbed64. The API \
            is documented in docs/web.md. Prints the address once listening; stop with Ctrl-C.
            """
    )

    @Option(help: "Address to bind (127.0.0.1: this machine only).")
    var host = "127.0.0.1"

    @Option(parsing: .unconditional, help: "Port (0: any free port, printed).")
    var port = 8080

    @Option(help: "Models folder (generator, encoders, directions).")
    var models = "Models/testbed64"

    @Option(help: "Folder of the testbed's perception networks (LPIPS, identity, parser): the optimisation methods and the ID score use them; 'none' to serve encoders only.")
    var networks = "Models/testbed"

    @Option(help: "Folder of dlib's model files (default: .deps/dlib-models, or $STYLEGAN_DLIB_MODELS).")
    var dlibModels: String?

    @Option(parsing: .unconditional, help: "Largest upload in megabytes.")
    var maxUploadMB = 20

    @Option(parsing: .unconditional, help: "Uploads and inversions kept per session (the oldest go first).")
    var maxItems = 32

    @Option(parsing: .unconditional, help: "Optimisation jobs that may wait in the queue (one runs at a time).")
    var maxJobs = 4

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        try Bounds.check("--port", port, 0...65535)
        try Bounds.check("--max-upload-mb", maxUploadMB, 1...200)
        try Bounds.check("--max-items", maxItems, 1...1000)
        try Bounds.check("--max-jobs", maxJobs, 0...100)
        guard FileManager.default.fileExists(atPath: models) else { throw ValidationError("\(models): no such folder (--models)") }
        if networks != "none", !FileManager.default.fileExists(atPath: networks) {
            throw ValidationError("\(networks): no such folder (--networks; 'none' serves encoders only)")
        }
    }

    func run() throws {
        try runtime.start()
        if !["127.0.0.1", "localhost", "::1"].contains(host) {
            FileHandle.standardError.write(Data(("warning: serving on \(host): other machines can reach the editor, and it "
                + "has no login\n").utf8))
        }
        var limits = EditorLimits()
        limits.uploadBytes = maxUploadMB * 1024 * 1024
        limits.maxItemsPerSession = maxItems
        limits.maxQueuedJobs = maxJobs
        let engine: EditorEngine
        do {
            engine = try EditorEngine(models: ModelsFolder(models), networks: networks == "none" ? nil : networks,
                                      dlibModels: DlibModels.locate(dlibModels), limits: limits)
        } catch let error as EditorError {
            throw CLIError(error.message)
        }
        let host = self.host
        let application = EditorServer.application(engine: engine, limits: limits, host: host, port: port) { bound in
            let line = "serving the editor at http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        let failure = ServeFailure()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { try await application.runService() } catch { failure.set(error) }
            done.signal()
        }
        done.wait()
        if let error = failure.error { throw CLIError("the server stopped: \(error)") }
    }
}

/// The server task's error, handed back to the command's thread.
private final class ServeFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    var error: (any Error)? { lock.withLock { stored } }
    func set(_ error: any Error) { lock.withLock { stored = error } }
}
