import Foundation

/// Progress of a long step on stderr: a bar redrawn in place on a terminal; otherwise (a pipe, a log file) a
/// line every few seconds and a last one when such a run ends, so that a short run prints nothing; with
/// `--quiet`, nothing. Library progress callbacks feed it: `progress: Progress(label: "x").update`.
final class Progress {
    enum Style: Equatable {
        case bar
        case lines(interval: Double)
        case silent

        /// The bar when stderr is a terminal, else lines every `interval` seconds.
        static func forStandardError(interval: Double) -> Style {
            isatty(STDERR_FILENO) != 0 ? .bar : .lines(interval: interval)
        }
    }

    /// Set once by `RuntimeOptions.start()` from `--quiet` and `--progress-interval`.
    nonisolated(unsafe) static var style = Style.forStandardError(interval: 5)

    let label: String
    private let style: Style
    private let started = Date()
    private var lastLine: Date?

    init(label: String, style: Style = Progress.style) {
        self.label = label
        self.style = style
    }

    func update(_ done: Int, _ total: Int) { update(done, total, detail: nil) }

    /// `done` of `total` steps, with an optional note (a loss, a file name). Called from one thread.
    func update(_ done: Int, _ total: Int, detail: String?) {
        let suffix = detail.map { " \($0)" } ?? ""
        let finished = done >= total
        switch style {
        case .silent:
            return
        case .bar:
            let width = 30
            let filled = total <= 0 ? width : min(width, max(0, done) * width / total)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            write("\r\(label) [\(bar)] \(done)/\(total)\(suffix)" + (finished ? "\n" : ""))
        case .lines(let interval):
            let now = Date()
            let due = now.timeIntervalSince(lastLine ?? started) >= interval
            // The last line only after earlier ones, so a run shorter than the interval stays silent.
            guard due || (finished && lastLine != nil) else { return }
            lastLine = now
            let percent = total <= 0 ? 100 : 100 * done / total
            let seconds = String(format: "%.1f", now.timeIntervalSince(started))
            write("\(label): \(done)/\(total) (\(percent)%) \(seconds) s\(suffix)\n")
        }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
