import Checkpoints
import Foundation
import Torch

/// What one entry of an evaluation produced: its measures and the pictures the report shows.
struct EntryResult {
    struct Record: Codable {
        var row: ReconstructionRow
        var points: [EditPoint]
        var notes: [String]
    }

    var record: Record
    /// The first images' reconstructions, [G, 3, S, S].
    var reconstructions: Tensor
    /// Per edited attribute, the first image at each strength, each [1, 3, S, S].
    var edits: [[Tensor]]
    var figureRows: EvaluationFigures.Rows?
}

/// Finished entries kept in the report folder's `entries/` while an evaluation runs, so that a run stopped half way
/// (Ctrl-C, a crash, a machine going down) continues where it was: an entry is reused only when the settings, the
/// model files (size and modification time) and the images are those of the run that made it.
struct EvaluationCache {
    let folder: String

    init(folder report: String, fingerprint: String) throws {
        folder = (report as NSString).appendingPathComponent("entries")
        let stamp = (folder as NSString).appendingPathComponent("fingerprint.txt")
        if (try? String(contentsOfFile: stamp, encoding: .utf8)) != fingerprint {
            try? FileManager.default.removeItem(atPath: folder)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try fingerprint.write(toFile: stamp, atomically: true, encoding: .utf8)
        }
    }

    private func path(_ entry: EvaluationEntry, _ suffix: String) -> String {
        let name = String(entry.description.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
        return (folder as NSString).appendingPathComponent(name + suffix)
    }

    func save(_ result: EntryResult, for entry: EvaluationEntry) throws {
        var tensors = ["reconstructions": result.reconstructions]
        for (a, frames) in result.edits.enumerated() {
            for (k, frame) in frames.enumerated() { tensors["edit.\(a).\(k)"] = frame }
        }
        if let rows = result.figureRows {
            for (k, t) in rows.components.enumerated() { tensors["components.\(k)"] = t }
            for (k, t) in rows.mixing.enumerated() { tensors["mixing.\(k)"] = t }
            for (k, t) in (rows.interpolation ?? []).enumerated() { tensors["interpolation.\(k)"] = t }
        }
        try Safetensors.write(tensors, metadata: [:], to: path(entry, ".safetensors"))
        // The record last: an entry counts as finished once it is there.
        let data = try JSONEncoder().encode(result.record)
        try data.write(to: URL(fileURLWithPath: path(entry, ".json")), options: .atomic)
    }

    /// The entry's finished result, or nil.
    func load(_ entry: EvaluationEntry) throws -> EntryResult? {
        guard let data = FileManager.default.contents(atPath: path(entry, ".json")),
              let record = try? JSONDecoder().decode(EntryResult.Record.self, from: data),
              let tensors = try? Safetensors.read(path(entry, ".safetensors")).tensors,
              let reconstructions = tensors["reconstructions"]
        else { return nil }
        func series(_ prefix: String) -> [Tensor] {
            var out: [Tensor] = []
            while let t = tensors["\(prefix).\(out.count)"] { out.append(t) }
            return out
        }
        var edits: [[Tensor]] = []
        while tensors["edit.\(edits.count).0"] != nil { edits.append(series("edit.\(edits.count)")) }
        let components = series("components")
        let interpolation = series("interpolation")
        let rows = components.isEmpty ? nil
            : EvaluationFigures.Rows(components: components, mixing: series("mixing"),
                                     interpolation: interpolation.isEmpty ? nil : interpolation)
        return EntryResult(record: record, reconstructions: reconstructions, edits: edits, figureRows: rows)
    }

    /// Removes the kept entries once the report is complete.
    func remove() throws {
        try FileManager.default.removeItem(atPath: folder)
    }
}
