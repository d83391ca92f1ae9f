import Torch

/// The stream `torch.save` wrote before 1.6 (and still writes inside `torch.storage._load_from_bytes` blobs):
/// five pickles in a row — magic number, protocol version, system info, the object (storages as
/// persistent ids), the list of storage keys — then each storage as an int64 element count and raw bytes.
enum LegacyTorchFormat {
    static let magicNumber = "119547037146038801333356" // 0x1950a86a20f9469cfc6c
    static let protocolVersion = 1001

    /// Reads the stream and returns the object's graph with every storage attached to its bytes,
    /// which stay borrowed from `bytes`.
    static func graph(_ bytes: UnsafeRawBufferPointer, file: String, nesting: Int) throws
        -> (PickleArena, PickleArena.ID)
    {
        if bytes.count >= 262, bytes[257..<262].elementsEqual("ustar".utf8) {
            throw CheckpointError.unsupported(file: file, message: "tar-format checkpoint (PyTorch before 0.4)")
        }
        guard bytes.first == Opcode.proto else {
            throw CheckpointError.invalid(file: file, message:
                "not a PyTorch checkpoint: neither a zip archive nor a legacy torch.save stream")
        }
        var reader = ByteReader(bytes, file: file, context: "legacy checkpoint header")
        let header = try plainValue(&reader, nesting: nesting)
        guard case .bigInt(let magic) = header, magic.description == magicNumber else {
            throw CheckpointError.invalid(file: file, message: "not a PyTorch checkpoint: legacy magic number missing")
        }
        guard case .int(protocolVersion) = try plainValue(&reader, nesting: nesting) else {
            throw CheckpointError.unsupported(file: file, message: "legacy checkpoint protocol version is not 1001")
        }
        if case .dict(let info) = try plainValue(&reader, nesting: nesting),
           case .bool(false)? = info["little_endian"]
        {
            throw CheckpointError.unsupported(file: file, message: "legacy checkpoint written on a big-endian machine")
        }

        var slots: [String: StorageSlot] = [:]
        let persistentLoad: Unpickler.PersistentLoad = { pid, arena in
            try storage(pid, arena: &arena, slots: &slots, file: file)
        }
        reader.context = "legacy checkpoint pickle"
        var unpickler = Unpickler(reader: reader, persistentLoad: persistentLoad, nesting: nesting)
        let root = try unpickler.load()
        reader = unpickler.reader

        reader.context = "legacy checkpoint storage list"
        let keys = try plainValue(&reader, nesting: nesting)
        guard case .list(let keyValues) = keys else {
            throw CheckpointError.invalid(file: file, message: "legacy storage key list is a \(keys.typeName)")
        }
        reader.context = "legacy checkpoint storage data"
        for keyValue in keyValues {
            guard case .string(let key) = keyValue, let slot = slots[key] else {
                throw CheckpointError.invalid(file: file, message: "legacy storage list names an unknown storage")
            }
            guard !slot.hasData else {
                throw CheckpointError.invalid(file: file, message: "legacy storage list names storage '\(key)' twice")
            }
            let count = try reader.u64()
            guard count == UInt64(slot.numel) else {
                throw CheckpointError.invalid(file: file, message:
                    "legacy storage '\(key)' has \(count) elements in the data but \(slot.numel) in the pickle")
            }
            slot.attach(try reader.take(slot.byteCount))
        }
        if let missing = slots.values.first(where: { !$0.hasData }) {
            throw CheckpointError.invalid(file: file, message: "legacy storage '\(missing.key)' has no data")
        }
        return (unpickler.arena, root)
    }

    /// One of the small header pickles, which may hold no storages.
    private static func plainValue(_ reader: inout ByteReader, nesting: Int) throws -> PickleValue {
        let file = reader.file
        var unpickler = Unpickler(reader: reader, persistentLoad: { _, _ in
            throw CheckpointError.invalid(file: file, message: "unexpected persistent id in a legacy header pickle")
        }, nesting: nesting)
        let root = try unpickler.load()
        reader = unpickler.reader
        return try unpickler.arena.value(of: root)
    }

    /// Resolves ("storage", storage_type, root_key, location, numel, view_metadata) and ("module", class, ...).
    private static func storage(_ pid: PickleArena.ID, arena: inout PickleArena, slots: inout [String: StorageSlot],
                                file: String) throws -> PickleArena.ID
    {
        func bad(_ message: String) -> CheckpointError { .invalid(file: file, message: message) }
        guard let fields = arena.items(of: pid), let kind = fields.first.flatMap({ arena.text($0) }) else {
            throw bad("persistent id is not a tuple")
        }
        if kind == "module", fields.count >= 2 { return fields[1] }
        guard kind == "storage", fields.count == 6 else { throw bad("unknown persistent id '\(kind.prefix(40))'") }
        let dtype = try TorchCheckpoint.storageDType(fields[1], arena: arena, file: file)
        guard let key = arena.text(fields[2]), let numel = arena.int(fields[4]), numel >= 0 else {
            throw bad("malformed storage persistent id")
        }
        let slot: StorageSlot
        if let existing = slots[key] {
            guard existing.dtype == dtype, existing.numel == numel else {
                throw bad("storage '\(key)' is used with two different types or sizes")
            }
            slot = existing
        } else {
            let (byteCount, overflow) = numel.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow else { throw bad("storage '\(key)' of \(numel) elements overflows") }
            slot = StorageSlot(key: key, dtype: dtype, numel: numel, byteCount: byteCount, bigEndian: false)
            slots[key] = slot
        }
        var offset = 0, viewNumel = numel
        if case .value(.none) = arena[fields[5]] {
        } else {
            // (view_key, offset, size): a window of the root storage, in its elements.
            guard let view = arena.items(of: fields[5]), view.count == 3,
                  let start = arena.int(view[1]), let size = arena.int(view[2]),
                  start >= 0, size >= 0, start <= numel, size <= numel - start
            else { throw bad("malformed storage view of '\(key)'") }
            offset = start
            viewNumel = size
        }
        return arena.add(.storage(StorageRef(slot: slot, offset: offset, numel: viewNumel)))
    }
}
