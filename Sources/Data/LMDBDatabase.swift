import CLMDB

/// An LMDB environment opened read-only without a lock file, as rosinality's `MultiResolutionDataset`
/// opens one. Reads are safe from many threads; no process may write the database while it is open.
///
/// LMDB's own consistency checks on a damaged file end in an error here, never in `abort()` (see clmdb.h).
public final class LMDBDatabase: @unchecked Sendable {
    /// The folder holding `data.mdb`, or the data file itself, as the caller named it.
    public let path: String
    private let env: OpaquePointer

    public init(path: String) throws {
        var env: OpaquePointer?
        try lmdbCall(path: path) { clmdb_open_read(path, &env, $0, $1) }
        self.env = env!
        self.path = path
    }

    deinit { clmdb_close(env) }

    /// The value stored under `key`, or nil when there is none.
    public func value(for key: [UInt8]) throws -> [UInt8]? {
        var value: UnsafeMutableRawPointer?
        var size = 0
        let status = try lmdbCall(path: path, allowNotFound: true) { message, capacity in
            key.withUnsafeBytes { clmdb_get(env, $0.baseAddress, $0.count, &value, &size, message, capacity) }
        }
        return status == CLMDB_NOT_FOUND ? nil : takeBuffer(value, size)
    }

    public func value(for key: String) throws -> [UInt8]? { try value(for: Array(key.utf8)) }

    /// The first key after `key` in LMDB's bytewise order (the first of all for nil), or nil past the last.
    public func key(after key: [UInt8]?) throws -> [UInt8]? {
        var found: UnsafeMutableRawPointer?
        var size = 0
        let status = try lmdbCall(path: path, allowNotFound: true) { message, capacity in
            if let key {
                key.withUnsafeBytes { clmdb_next_key(env, $0.baseAddress, $0.count, &found, &size, message, capacity) }
            } else {
                clmdb_next_key(env, nil, 0, &found, &size, message, capacity)
            }
        }
        return status == CLMDB_NOT_FOUND ? nil : takeBuffer(found, size)
    }
}

/// Copies a buffer from the shim and frees it.
private func takeBuffer(_ pointer: UnsafeMutableRawPointer?, _ size: Int) -> [UInt8] {
    defer { clmdb_free(pointer) }
    guard let pointer else { return [] }
    return Array(UnsafeRawBufferPointer(start: pointer, count: size))
}

/// Runs a shim call with room for its message; a failure becomes a `DataError` about `path` (`.cannotWrite`
/// for a writer's calls).
@discardableResult
func lmdbCall(path: String, allowNotFound: Bool = false, writing: Bool = false,
              _ call: (UnsafeMutablePointer<CChar>, Int) -> clmdb_status) throws -> clmdb_status
{
    var message = [CChar](repeating: 0, count: 512)
    let status = message.withUnsafeMutableBufferPointer { call($0.baseAddress!, $0.count) }
    if status == CLMDB_OK || (allowNotFound && status == CLMDB_NOT_FOUND) { return status }
    let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let kind: DataError.Kind = if writing { .cannotWrite } else {
        switch status {
        case CLMDB_ERR_OPEN: .notFound
        case CLMDB_ERR_INVALID: .notADataset
        default: .unreadableDataset
        }
    }
    throw DataError(kind, path: path, text.isEmpty ? "LMDB call failed" : text)
}
