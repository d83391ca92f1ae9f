import Foundation

/// How the loop shows its progress on stderr.
public enum ProgressMode: Equatable, Sendable {
    /// `bar` on a terminal, else `lines` every 5 s.
    case automatic
    /// One line redrawn in place (for a terminal).
    case bar
    /// A line every `interval` seconds (for pipes and log files).
    case lines(interval: Double)
    /// Nothing.
    case quiet

    /// What `automatic` means for this process.
    var resolved: ProgressMode {
        guard self == .automatic else { return self }
        return isatty(STDERR_FILENO) != 0 ? .bar : .lines(interval: 5)
    }
}

/// One progress line: `iter 1200/800000  kimg 19.2  3.41 it/s  ETA 2d 17:03:21  d 1.235  g 0.8765`.
struct ProgressLine: CustomStringConvertible {
    var iteration: Int
    var total: Int
    var kimg: Double
    /// Iterations per second; nil before it can be measured.
    var rate: Double?
    var scalars: [Scalar]

    var description: String {
        var parts = ["iter \(iteration)/\(total)", "kimg " + String(format: "%.1f", kimg)]
        if let rate, rate > 0, rate.isFinite {
            parts.append(String(format: rate < 10 ? "%.2f it/s" : "%.1f it/s", rate))
            parts.append("ETA " + Self.duration(Double(max(0, total - iteration)) / rate))
        } else {
            parts.append("-- it/s")
            parts.append("ETA --")
        }
        parts += scalars.map { "\($0.name) " + String(format: "%.4g", $0.value) }
        return parts.joined(separator: "  ")
    }

    /// `m:ss`, `h:mm:ss`, or `Nd hh:mm:ss`, rounded to whole seconds.
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let (days, hours, minutes, secs) = (total / 86400, total / 3600 % 24, total / 60 % 60, total % 60)
        if days > 0 { return String(format: "%dd %02d:%02d:%02d", days, hours, minutes, secs) }
        if hours > 0 { return String(format: "%d:%02d:%02d", hours, minutes, secs) }
        return String(format: "%d:%02d", minutes, secs)
    }
}

/// Shows progress lines and messages as the mode says: the bar redrawn at most 10 times a second, lines every
/// interval (so a run shorter than it prints no progress), nothing when quiet. The rate counts the iterations
/// run in this session since its first report.
final class ProgressReporter {
    private let mode: ProgressMode
    private let now: () -> Double
    private let output: (String) -> Void
    private var start: (time: Double, iteration: Int)?
    private var lastShown: Double?
    private var barShown = false

    init(mode: ProgressMode, now: @escaping () -> Double = { Date().timeIntervalSince1970 },
         output: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) })
    {
        self.mode = mode.resolved
        self.now = now
        self.output = output
    }

    /// Starts the clock at the iteration the session starts from.
    func begin(at iteration: Int) { start = (now(), iteration) }

    func update(iteration: Int, total: Int, kimg: Double, scalars: [Scalar]) {
        let time = now()
        let line = ProgressLine(iteration: iteration, total: total, kimg: kimg, rate: rate(at: time, iteration),
                                scalars: scalars)
        switch mode {
        case .quiet, .automatic:
            return
        case .bar:
            guard iteration == total || time - (lastShown ?? -.infinity) >= 0.1 else { return }
            output("\r\(line)\u{1B}[K")
            barShown = true
        case .lines(let interval):
            guard time - (lastShown ?? start?.time ?? time) >= interval else { return }
            output("\(line)\n")
        }
        lastShown = time
    }

    /// A line of its own (resumption, interruption, where the checkpoint went); nothing when quiet.
    func message(_ text: String) {
        guard mode != .quiet else { return }
        endBar()
        output(text + "\n")
    }

    /// Ends the bar's line.
    func finish() { endBar() }

    private func endBar() {
        if barShown { output("\n") }
        barShown = false
    }

    private func rate(at time: Double, _ iteration: Int) -> Double? {
        guard let start, time > start.time, iteration > start.iteration else { return nil }
        return Double(iteration - start.iteration) / (time - start.time)
    }
}
