import Foundation
import Torch

/// Reads files written by `torch.save`, without Python and without running anything in them.
///
/// Both formats are read: the zip archive of torch >= 1.6 (`<archive>/data.pkl` plus one record per
/// storage under `<archive>/data/`) and the older single stream (magic number, pickles, raw storages),
/// in which many published weights still ship. The result is the saved object as a `PickleValue`;
/// tensors are copied once from the mapped file into libtorch.
public enum TorchCheckpoint {
    /// Loads the checkpoint at `path`.
    public static func load(_ path: String) throws -> PickleValue {
        let mapped = try MappedFile(path: path)
        return try withExtendedLifetime(mapped) { try decode(mapped.bytes, file: path) }
    }

    /// Loads a checkpoint held in memory; `name` stands for the file in errors.
    public static func decode(_ bytes: some ContiguousBytes, name: String) throws -> PickleValue {
        try bytes.withUnsafeBytes { try decode($0, file: name) }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws -> PickleValue {
        if ZipArchive.startsLikeZip(bytes) { return try decodeZip(bytes, file: file) }
        let (arena, root) = try LegacyTorchFormat.graph(bytes, file: file, nesting: 0)
        return try arena.value(of: root)
    }

    /// The object of a zip archive's `<archive>/data.pkl`; `allowsGlobal` restricts the names its pickle may hold.
    static func decodeZip(_ bytes: UnsafeRawBufferPointer, file: String,
                          allowsGlobal: Unpickler.GlobalFilter? = nil) throws -> PickleValue
    {
        let archive = try ZipArchive(bytes, file: file)
        // torch names every record "<archive>/...", the folder being the file's stem at save time.
        let pickles = archive.entries.filter { entry in
            let parts = entry.name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl"
        }
        guard let pickle = pickles.first else {
            throw CheckpointError.invalid(file: file, message:
                "zip archive has no <archive>/data.pkl record; not a torch.save file")
        }
        guard pickles.count == 1 else {
            throw CheckpointError.invalid(file: file, message: "zip archive has \(pickles.count) data.pkl records")
        }
        let prefix = String(pickle.name.dropLast("data.pkl".count))

        var bigEndian = false
        if let record = archive.entry(named: prefix + "byteorder") {
            switch String(decoding: try archive.contents(of: record, verify: true), as: UTF8.self) {
            case "little": bigEndian = false
            case "big": bigEndian = true
            case let other:
                throw CheckpointError.invalid(file: file, message: "unknown byte order '\(other.prefix(20))'")
            }
        }

        var slots: [String: StorageSlot] = [:]
        let persistentLoad: Unpickler.PersistentLoad = { pid, arena in
            // ("storage", storage_type, key, location, numel), see torch/serialization.py
            guard let fields = arena.items(of: pid), fields.count == 5, arena.text(fields[0]) == "storage" else {
                throw CheckpointError.invalid(file: file, message: "persistent id is not a ('storage', ...) tuple of 5")
            }
            let dtype = try storageDType(fields[1], arena: arena, file: file)
            guard let key = arena.text(fields[2]), let numel = arena.int(fields[4]), numel >= 0 else {
                throw CheckpointError.invalid(file: file, message: "malformed storage persistent id")
            }
            let slot: StorageSlot
            if let existing = slots[key] {
                guard existing.dtype == dtype, existing.numel == numel else {
                    throw CheckpointError.invalid(file: file, message:
                        "storage '\(key)' is used with two different types or sizes")
                }
                slot = existing
            } else {
                let (byteCount, overflow) = numel.multipliedReportingOverflow(by: dtype.byteSize)
                let name = prefix + "data/" + key
                guard let record = archive.entry(named: name) else {
                    throw CheckpointError.invalid(file: file, message: "storage record '\(name)' is missing")
                }
                guard !overflow, record.size == byteCount else {
                    throw CheckpointError.invalid(file: file, message:
                        "storage record '\(name)' holds \(record.size) bytes, not \(numel) × \(dtype)")
                }
                slot = StorageSlot(key: key, dtype: dtype, numel: numel, byteCount: byteCount, bigEndian: bigEndian)
                slot.attach(try archive.contents(of: record, verify: false))
                slots[key] = slot
            }
            return arena.add(.storage(StorageRef(slot: slot, offset: 0, numel: numel)))
        }

        let data = try archive.contents(of: pickle, verify: true)
        let reader = ByteReader(data, file: file, context: "pickle data")
        var unpickler = Unpickler(reader: reader, persistentLoad: persistentLoad, allowsGlobal: allowsGlobal)
        let root = try unpickler.load()
        return try unpickler.arena.value(of: root)
    }

    /// The dtype a storage class global (`torch.FloatStorage`, `torch.UntypedStorage`) stands for.
    static func storageDType(_ id: PickleArena.ID, arena: PickleArena, file: String) throws -> DType {
        guard case .global(let module, let name) = arena[id], module.hasPrefix("torch") else {
            throw CheckpointError.invalid(file: file, message:
                "storage type is a \(arena.kind(id)), not a torch storage class")
        }
        guard let dtype = TorchNames.dtype(ofStorage: name) else {
            throw CheckpointError.unsupported(file: file, message: "storage type \(module).\(name)")
        }
        return dtype
    }
}
