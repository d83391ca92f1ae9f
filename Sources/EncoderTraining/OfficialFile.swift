import Checkpoints
import Foundation

/// The files the official scripts read beside our checkpoints (`best_model.pt`, `enc.pth.tar`, CLCAE's encoder
/// pairs): written under a temporary name and renamed into place, so a crash never leaves half a file.
enum OfficialFile {
    static func write(_ value: CheckpointValue, to path: String) throws {
        try write(to: path) { try TorchCheckpoint.save(value, to: $0) }
    }

    /// `body` writes the file at the temporary path it is given.
    static func write(to path: String, _ body: (String) throws -> Void) throws {
        let temporary = path + ".partial"
        do {
            try body(temporary)
            guard rename(temporary, path) == 0 else { throw EncoderTrainingError(String(cString: strerror(errno))) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw EncoderTrainingError("\(path): cannot write: \(error)")
        }
    }
}
