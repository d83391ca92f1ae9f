import Foundation

/// `log.jsonl`: one JSON object per logged iteration, e.g.
/// `{"iteration":100,"kimg":1.6,"wall_time":1767225600.5,"losses":{"d":1.38,"g":0.69},"metrics":{"fid":41.2}}`.
///
/// Keys keep the order the trainer reports them in; "metrics" appears on evaluated iterations. Non-finite
/// numbers are written as `NaN`, `Infinity` and `-Infinity`, which Python's `json` reads.
final class TrainingLog {
    private let file: AppendFile

    /// Opens the log of a run starting after `iteration` completed iterations: lines of later iterations (from a
    /// run killed after its last checkpoint) and a torn last line are dropped, so a resumed run's log reads as an
    /// uninterrupted run's; a fresh run (iteration 0) starts an empty log.
    init(path: String, resumingAt iteration: Int) throws {
        var kept = Data()
        if iteration > 0, FileSystem.kind(of: path) == .other {
            guard let old = FileManager.default.contents(atPath: path) else {
                throw TrainingError(path: path, "cannot read the log of the resumed run")
            }
            for line in old.split(separator: UInt8(ascii: "\n")) {
                guard let logged = Self.iteration(of: line), logged <= iteration else { continue }
                kept.append(line)
                kept.append(UInt8(ascii: "\n"))
            }
        }
        do {
            try kept.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw TrainingError(path: path, "cannot write the log: \(error)")
        }
        file = try AppendFile(path: path)
    }

    func append(iteration: Int, kimg: Double, wallTime: Double, losses: [Scalar], metrics: [Scalar]) throws {
        var line = "{\"iteration\":\(iteration),\"kimg\":\(Self.number(kimg)),\"wall_time\":\(Self.number(wallTime))"
        line += ",\"losses\":" + Self.object(losses)
        if !metrics.isEmpty { line += ",\"metrics\":" + Self.object(metrics) }
        try file.write(Array((line + "}\n").utf8))
    }

    /// The iteration of a complete line of this format; nil for a torn or foreign line.
    private static func iteration(of line: Data) -> Int? {
        let prefix = Array("{\"iteration\":".utf8)
        guard line.starts(with: prefix), line.last == UInt8(ascii: "}") else { return nil }
        let digits = line.dropFirst(prefix.count).prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        return Int(String(decoding: digits, as: UTF8.self))
    }

    private static func object(_ scalars: [Scalar]) -> String {
        "{" + scalars.map { quoted($0.name) + ":" + number($0.value) }.joined(separator: ",") + "}"
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        return "\(value)"
    }

    private static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}
