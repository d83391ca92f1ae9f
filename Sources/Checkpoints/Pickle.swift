import Foundation

/// Reads plain pickle files (not torch.save archives), such as NVIDIA's StyleGAN2-ADA network snapshots,
/// with the same restricted unpickler: classes stay inert objects, and tensors saved through
/// `torch.storage._load_from_bytes` become tensors.
public enum Pickle {
    /// Reads the pickle at `path`.
    public static func load(_ path: String) throws -> PickleValue {
        let mapped = try MappedFile(path: path)
        return try withExtendedLifetime(mapped) { try decode(mapped.bytes, file: path) }
    }

    /// Reads a pickle held in memory; `name` stands for the file in errors.
    public static func decode(_ bytes: some ContiguousBytes, name: String) throws -> PickleValue {
        try bytes.withUnsafeBytes { try decode($0, file: name) }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws -> PickleValue {
        let reader = ByteReader(bytes, file: file, context: "pickle data")
        var unpickler = Unpickler(reader: reader, persistentLoad: { _, _ in
            throw CheckpointError.unsupported(file: file, message:
                "persistent ids in a plain pickle (torch.save files are read with TorchCheckpoint)")
        })
        let root = try unpickler.load()
        return try unpickler.arena.value(of: root)
    }
}
