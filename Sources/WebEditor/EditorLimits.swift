import Foundation

/// What the server accepts and keeps: the bounds a public-facing demo needs.
public struct EditorLimits: Sendable {
    /// The largest upload body, in bytes (20 MB).
    public var uploadBytes = 20 * 1024 * 1024
    /// The most pixels an uploaded image may have, read from its header before it is decoded (decompression bombs).
    public var maxPixels = 40_000_000
    /// How long a session's uploads and inversions live after its last request.
    public var sessionLifetime: TimeInterval = 3600
    /// Sessions kept at once; the least recently used goes first.
    public var maxSessions = 64
    /// Uploads and inversions kept per session; the oldest goes first.
    public var maxItemsPerSession = 32
    /// The largest JSON request body.
    public var jsonBytes = 64 * 1024

    public init() {}
}
