#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// SIGINT and SIGTERM while a loop runs: the first one only sets a flag, so the step in progress finishes and
/// the loop writes a checkpoint before it returns; the handler then resets itself, so a second signal stops
/// the process at once. Loops may run concurrently: the handlers are installed while any of them runs.
enum InterruptTrap {
    static let signals: [Int32] = [SIGINT, SIGTERM]

    /// The signal received since the first running loop started, 0 for none.
    static var received: Int32 { interruptFlag.load(ordering: .relaxed) }

    /// Installs the handlers for the duration of `body`.
    static func during<R>(_ body: () throws -> R) rethrows -> R {
        install()
        defer { uninstall() }
        return try body()
    }

    private static let installed = Mutex<(loops: Int, previous: [Int32: sigaction])>((0, [:]))

    private static func install() {
        _ = interruptFlag.load(ordering: .relaxed)  // initialised here, never first in the handler
        installed.withLock { state in
            state.loops += 1
            guard state.loops == 1 else { return }
            interruptFlag.store(0, ordering: .relaxed)
            for signal in signals {
                var action = sigaction()
                action.__sigaction_handler.sa_handler = { interruptFlag.store($0, ordering: .relaxed) }
                action.sa_flags = SA_RESTART | Int32(truncatingIfNeeded: SA_RESETHAND)
                sigemptyset(&action.sa_mask)
                var previous = sigaction()
                sigaction(signal, &action, &previous)
                state.previous[signal] = previous
            }
        }
    }

    private static func uninstall() {
        installed.withLock { state in
            state.loops -= 1
            guard state.loops == 0 else { return }
            for (signal, previous) in state.previous {
                var action = previous
                sigaction(signal, &action, nil)
            }
            state.previous = [:]
        }
    }
}

/// The signal number the handler stores; a global, as a C function pointer cannot capture anything.
private let interruptFlag = Atomic<Int32>(0)
