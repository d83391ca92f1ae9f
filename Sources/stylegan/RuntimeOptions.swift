import ArgumentParser
import Foundation
import Torch

/// Options every command that computes takes: CPU threads and how progress is shown.
struct RuntimeOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Intra-op CPU threads (default: all cores; at most 4 per core).")
    var threads: Int?

    @Flag(help: "Print no progress on stderr.")
    var quiet = false

    @Option(parsing: .unconditional,
            help: "Seconds between progress lines when stderr is not a terminal (a pipe, a log file).")
    var progressInterval: Double = 5

    /// More threads than this only oversubscribe the cores (OpenMP starts them all, each with its own stack).
    static var maxThreads: Int { 4 * ProcessInfo.processInfo.activeProcessorCount }

    func validate() throws {
        if let threads {
            try Bounds.check("--threads", threads, 1...Self.maxThreads,
                             " (4 per core; this machine has \(ProcessInfo.processInfo.activeProcessorCount) cores)")
        }
        try Bounds.check("--progress-interval", progressInterval, 0...3600)
    }

    /// Checks the loaded libtorch, applies the thread count and sets how `Progress` reports.
    func start() throws {
        try Runtime.start(threads: threads)
        Progress.style = quiet ? .silent : Progress.Style.forStandardError(interval: progressInterval)
    }
}
