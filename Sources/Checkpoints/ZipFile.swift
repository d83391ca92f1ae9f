/// A zip archive on disk read member by member, such as a StyleGAN2-ADA dataset zip.
///
/// The file is memory-mapped, so a dataset of many gigabytes costs no memory until members are read; members
/// may be stored or DEFLATE-compressed and are checked against their CRC-32. Reading is safe from many threads.
public final class ZipFile: @unchecked Sendable {
    public let path: String
    /// Every member name (folders included, as they end in "/"), in the order of the central directory.
    public let names: [String]
    private let mapped: MappedFile
    private let archive: ZipArchive

    public init(path: String) throws {
        mapped = try MappedFile(path: path)
        guard ZipArchive.startsLikeZip(mapped.bytes) else {
            throw CheckpointError.invalid(file: path, message: "not a zip archive")
        }
        archive = try ZipArchive(mapped.bytes, file: path)
        names = archive.entries.map(\.name)
        self.path = path
    }

    /// The bytes of one member.
    public func contents(of name: String) throws -> [UInt8] {
        guard let entry = archive.entry(named: name) else {
            throw CheckpointError.lookup(file: path, message: "no member '\(name)' in the zip archive")
        }
        // Keep the mapping alive while its bytes are copied out.
        return try withExtendedLifetime(mapped) {
            entry.method == 8 ? try archive.inflated(entry) : Array(try archive.contents(of: entry, verify: true))
        }
    }

    /// Writes a zip archive of stored (uncompressed) members, in the given order, replacing `path` in one step.
    public static func write(_ members: [(name: String, bytes: [UInt8])], to path: String) throws {
        let out = try AtomicFile(path: path)
        var zip = ZipWriter(sink: out, file: path)
        for member in members {
            try member.bytes.withUnsafeBytes { try zip.add(member.name, $0) }
        }
        try zip.finish()
        try out.commit()
    }
}
