#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLMDB

/// Writes a new LMDB database (a folder holding `data.mdb`), as Python's `lmdb` does for rosinality's
/// `prepare_data.py`; `LMDBSource.write` lays a dataset out in its keys.
///
/// Everything goes into one transaction in a temporary folder beside `path`, which `commit` renames into
/// place: a reader never sees a half-written database, and an uncommitted writer leaves nothing behind.
public final class LMDBWriter {
    public let path: String
    private let temporary: String
    private var env: OpaquePointer?

    /// - Parameter mapSize: the most the data may take (address space, not disk; `prepare_data.py` reserves
    ///   1 TiB).
    public init(path: String, mapSize: Int = 1 << 40) throws {
        guard PathKind(path) == .missing else {
            throw DataError(.cannotWrite, path: path, "already exists; an LMDB database is written to a new path")
        }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        temporary = folder + ".\(base).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        guard mkdir(temporary, 0o755) == 0 else {
            throw DataError(.cannotWrite, path: path,
                            "cannot create a temporary folder beside it: \(String(cString: strerror(errno)))")
        }
        self.path = path
        do {
            try lmdbCall(path: path, writing: true) { clmdb_create(temporary, UInt64(mapSize), &env, $0, $1) }
        } catch {
            removeTemporary()
            throw error
        }
    }

    deinit {
        if env != nil {
            clmdb_close(env)
            removeTemporary()
        }
    }

    /// Stores `value` under `key`, replacing an earlier value.
    public func put(_ value: [UInt8], for key: [UInt8]) throws {
        guard let env else { throw DataError(.cannotWrite, path: path, "committed already") }
        try lmdbCall(path: path, writing: true) { message, capacity in
            key.withUnsafeBytes { k in
                value.withUnsafeBytes { v in clmdb_put(env, k.baseAddress, k.count, v.baseAddress, v.count, message, capacity) }
            }
        }
    }

    public func put(_ value: [UInt8], for key: String) throws { try put(value, for: Array(key.utf8)) }

    /// Commits, flushes and moves the database to `path`.
    public func commit() throws {
        guard let env else { throw DataError(.cannotWrite, path: path, "committed already") }
        try lmdbCall(path: path, writing: true) { clmdb_commit(env, $0, $1) }
        clmdb_close(env)
        self.env = nil
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            removeTemporary()
            throw DataError(.cannotWrite, path: path, "cannot move the database into place: \(reason)")
        }
    }

    private func removeTemporary() {
        unlink(temporary + "/data.mdb")
        unlink(temporary + "/lock.mdb")
        rmdir(temporary)
    }
}
