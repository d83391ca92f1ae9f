import Foundation

/// A run's folder: `config.json` (the full configuration), `log.jsonl`, `checkpoint/NNNNNN.<ext>`,
/// `samples/NNNNNN.png` and TensorBoard's `events.out.tfevents.*` files.
public struct RunDirectory: Sendable {
    public let path: String

    public init(path: String) {
        // "runs/x/" and "runs/x" are one folder; the root stays "/".
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.path = trimmed
    }

    public var configFile: String { path + "/config.json" }
    public var logFile: String { path + "/log.jsonl" }
    public var checkpointFolder: String { path + "/checkpoint" }
    public var samplesFolder: String { path + "/samples" }

    /// The sample grid after `iteration` completed iterations.
    public func sampleFile(for iteration: Int) -> String {
        samplesFolder + "/" + iterationName(iteration) + ".png"
    }

    func checkpoints(fileExtension: String) -> CheckpointFolder {
        CheckpointFolder(path: checkpointFolder, fileExtension: fileExtension)
    }

    /// Creates the folder and its `checkpoint` and `samples` folders where missing and checks that files can be
    /// written in them, so a bad run folder fails before any training.
    func prepare() throws {
        guard !path.isEmpty else { throw TrainingError("the run folder has an empty name") }
        try FileSystem.makeFolders(path, what: "run folder")
        try FileSystem.checkWritable(path, what: "run folder")
        for (folder, what) in [(checkpointFolder, "checkpoint folder"), (samplesFolder, "samples folder")] {
            try FileSystem.makeFolders(folder, what: what)
            try FileSystem.checkWritable(folder, what: what)
        }
    }

    /// Writes `config` as pretty-printed JSON with sorted keys, replacing the file in one step.
    func writeConfig(_ config: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            var data = try encoder.encode(config)
            data.append(UInt8(ascii: "\n"))
            try data.write(to: URL(fileURLWithPath: configFile), options: .atomic)
        } catch {
            throw TrainingError(path: configFile, "cannot write the configuration: \(error)")
        }
    }
}

/// An iteration as files name it: six digits at least, as rosinality's `str(i).zfill(6)`.
func iterationName(_ iteration: Int) -> String { String(format: "%06d", iteration) }
