/// `RUN/checkpoint`: one file per saved iteration, `NNNNNN.<ext>` (six digits at least, as rosinality's
/// `str(i).zfill(6)`), each written under a temporary name and renamed into place once complete.
struct CheckpointFolder {
    let path: String
    let fileExtension: String

    /// The checkpoint file for `iteration` completed iterations.
    func file(for iteration: Int) -> String { "\(path)/\(iterationName(iteration)).\(fileExtension)" }

    /// The checkpoints present, oldest first; other files (and temporary ones) are ignored.
    func list() throws -> [(iteration: Int, path: String)] {
        let suffix = "." + fileExtension
        return try FileSystem.contents(of: path).compactMap { name -> (Int, String)? in
            guard name.hasSuffix(suffix) else { return nil }
            let stem = name.dropLast(suffix.count)
            guard stem.count >= 6, stem.allSatisfy(\.isASCIIDigit), let iteration = Int(stem) else { return nil }
            return (iteration, "\(path)/\(name)")
        }.sorted { $0.0 < $1.0 }
    }

    /// Removes what killed runs left: temporary checkpoints (and the temporary files of their writers).
    func removeLeftovers() throws {
        for name in try FileSystem.contents(of: path) where name.hasPrefix(".") && name.contains(Self.partialMarker) {
            FileSystem.remove("\(path)/\(name)")
        }
    }

    /// Writes the checkpoint of `iteration` through `write`, which must create the file at the path it is given,
    /// then syncs it and renames it into place; on failure the temporary file goes and older checkpoints stay.
    /// Afterwards only the newest `keep` checkpoints up to this one remain (nil keeps all).
    func save(iteration: Int, keep: Int?, write: (String) throws -> Void) throws -> String {
        let final = file(for: iteration)
        let temporary = "\(path)/.\(iterationName(iteration))\(Self.partialMarker)\(fileExtension)"
        FileSystem.remove(temporary)
        do {
            try write(temporary)
            guard FileSystem.kind(of: temporary) == .other else {
                throw TrainingError(path: temporary, "the trainer wrote no file")
            }
            try FileSystem.sync(temporary)
            try FileSystem.move(temporary, to: final)
            try FileSystem.sync(path, folder: true)
        } catch {
            FileSystem.remove(temporary)
            let kept = (try? list())?.last.map { "; the last good one, \($0.path), is kept" } ?? ""
            throw TrainingError(path: final, "cannot write the checkpoint: \(error)\(kept)")
        }
        if let keep {
            for old in try list().filter({ $0.iteration <= iteration }).dropLast(keep) { FileSystem.remove(old.path) }
        }
        return final
    }

    /// In the names of temporary checkpoints, `.000100.partial.pt`, and in nothing the loop keeps.
    private static let partialMarker = ".partial."
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
