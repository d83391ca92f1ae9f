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
            METHOD.safetensors per encoder, directions/interfacegan_NAME.npy), by default Models/testbed64; \
            --checkpoint, --encoder and --directions replace its files (official checkpoints load as they are). \
            --networks (the testbed's perception networks) enables the optimisation methods and the ID score. The \
            API is documented in docs/web.md. Prints the address once listening; stop with Ctrl-C.
            """
    )

    @Option(help: "Address to bind (127.0.0.1: this machine only).")
    var host = "127.0.0.1"

    @Option(parsing: .unconditional, help: "Port (0: any free port, printed).")
    var port = 8080

    @Option(help: "Models folder (generator, encoders, directions).")
    var models = "Models/testbed64"

    @Option(help: "A generator checkpoint in place of the models folder's (.pt, .pkl, .safetensors).")
    var checkpoint: String?

    @Option(parsing: .singleValue, help: "An encoder file for a method, METHOD=PATH (e.g. e4e=e4e_ffhq_encode.pt); repeatable.")
    var encoder: [String] = []

    @Option(help: "A folder of interfacegan_NAME.npy boundaries in place of the models folder's directions/.")
    var directions: String?

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
        _ = try modelsFolder()
        if networks != "none", !FileManager.default.fileExists(atPath: networks) {
            throw ValidationError("\(networks): no such folder (--networks; 'none' serves encoders only)")
        }
    }

    /// The models folder's files, overridden by --checkpoint, --encoder and --directions; every named file must exist.
    func modelsFolder() throws -> ModelsFolder {
        var folder = ModelsFolder(models)
        folder.generator = checkpoint ?? folder.generator
        folder.directions = directions ?? folder.directions
        for entry in encoder {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let method = InversionMethod(rawValue: parts[0]), method.family == .encoder else {
                throw ValidationError("--encoder \(entry): expected METHOD=PATH with an encoder method (psp, e4e, restyle-psp, "
                    + "restyle-e4e, e2style, fs, clcae)")
            }
            folder.encoders[method] = parts[1]
        }
        let files = [folder.generator, folder.directions].compactMap { $0 } + folder.encoders.values.sorted()
        if let missing = files.first(where: { !FileManager.default.fileExists(atPath: $0) }) {
            throw ValidationError("\(missing): no such file")
        }
        return folder
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
            engine = try EditorEngine(models: modelsFolder(), networks: networks == "none" ? nil : networks,
                                      dlibModels: DlibModels.locate(dlibModels), limits: limits)
        } catch let error as EditorError {
            throw CLIError(error.message)
        }
        let host = self.host
        let application = EditorServer.application(engine: engine, limits: limits, host: host, port: port) { bound in
            let line = "serving the editor at http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        // Ctrl-C and SIGTERM stop the server at once: everything it keeps is in memory, and a graceful shutdown would
        // wait for every open job event stream (up to an hour each).
        let stops = [Int32(SIGINT), Int32(SIGTERM)].map { (number: Int32) -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { Foundation.exit(0) }
            source.resume()
            return source
        }
        let failure = ServeFailure()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { try await application.runService(gracefulShutdownSignals: []) } catch { failure.set(error) }
            done.signal()
        }
        done.wait()
        stops.forEach { $0.cancel() }
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
