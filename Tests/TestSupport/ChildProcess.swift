import Foundation
import Synchronization

/// Runs a program to completion for a test: stdout and stderr are drained at the same time (a child that fills
/// one pipe while the other is being read would otherwise block forever), a child that runs past its time limit
/// is killed, and only one child runs at a time in the whole test process.
///
/// Every test target links into one test executable, so the process-wide gate serialises the children of all
/// suites: on a small machine two libtorch processes at once, each with its own thread pool, starve each other
/// and the tests running in-process. The time limit counts from the child's start, not from the wait for the gate.
public enum ChildProcess {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// A child that ran past its time limit; it was killed, and `partial` holds what it had written by then.
    public struct TimedOut: Error, CustomStringConvertible {
        public let command: String
        public let timeout: Duration
        public let partial: Result

        public var description: String {
            "\(command) ran past its \(timeout) limit and was killed; stderr so far: \(partial.stderr.suffix(4000))"
        }
    }

    /// A child that exited while something it started still held its output pipes open.
    public struct PipesLeftOpen: Error, CustomStringConvertible {
        public let command: String
        public var description: String { "\(command) exited but a process it started kept its output pipes open" }
    }

    /// How long a child gets between SIGTERM and SIGKILL, and its pipes to close once it has exited.
    static let grace = Duration.seconds(5)

    private static let gate = Mutex(())

    /// Runs `executable` with `arguments` in `directory`, with `environment` added to this process's environment.
    /// Throws `TimedOut` when it runs past `timeout`.
    public static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                           timeout: Duration = .seconds(300), environment: [String: String] = [:]) throws -> Result
    {
        try gate.withLock { _ in
            try launch(executable, arguments, in: directory, timeout: timeout, environment: environment)
        }
    }

    private static func launch(_ executable: URL, _ arguments: [String], in directory: URL?, timeout: Duration,
                               environment: [String: String]) throws -> Result
    {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try withNoSignalsBlocked { try process.run() }
        let stdout = Drain(out.fileHandleForReading)
        let stderr = Drain(err.fileHandleForReading)
        let command = ([executable.lastPathComponent] + arguments).joined(separator: " ")

        var timedOut = false
        if exited.wait(timeout: .now() + timeout.dispatchInterval) == .timedOut {
            timedOut = true
            signal(process.processIdentifier, SIGTERM)
            if exited.wait(timeout: .now() + grace.dispatchInterval) == .timedOut {
                signal(process.processIdentifier, SIGKILL)
                exited.wait()
            }
        }
        process.waitUntilExit()
        let drained = stdout.finish(within: grace) && stderr.finish(within: grace)
        let result = Result(status: process.terminationStatus, stdout: stdout.text, stderr: stderr.text)
        if timedOut { throw TimedOut(command: command, timeout: timeout, partial: result) }
        guard drained else { throw PipesLeftOpen(command: command) }
        return result
    }

    /// Sends `signal` to the child's process group (Foundation starts each child as the leader of its own), so
    /// that what it started goes too; to the child alone if it leads none.
    private static func signal(_ pid: pid_t, _ signal: Int32) {
        if kill(-pid, signal) != 0 { kill(pid, signal) }
    }

    /// Runs `body` with this thread's signal mask cleared. Foundation starts a child with the calling thread's
    /// mask, and the test runner's threads block SIGTERM (and SIGINT, SIGHUP, ...): a child started from one
    /// would never see the SIGTERM sent at its time limit.
    private static func withNoSignalsBlocked<T>(_ body: () throws -> T) rethrows -> T {
        var none = sigset_t()
        var saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        return try body()
    }
}

/// Reads a pipe to its end on a thread of its own, keeping what arrived.
private final class Drain: Sendable {
    private let data = Mutex(Data())
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while let chunk = try? handle.read(upToCount: 1 << 16), !chunk.isEmpty {
                data.withLock { $0.append(chunk) }
            }
            done.signal()
        }
    }

    /// Waits up to `limit` for the end of the pipe; false when it did not come.
    func finish(within limit: Duration) -> Bool { done.wait(timeout: .now() + limit.dispatchInterval) == .success }

    var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
}

extension Duration {
    fileprivate var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
