import Foundation

/// What the server accepts and keeps: the bounds a public-facing demo needs.
public struct EditorLimits: Sendable {
    /// The largest upload body, in bytes (20 MB).
    public var uploadBytes = 20 * 1024 * 1024
    /// The most pixels an uploaded image may have, read from its header before it is decoded (decompression bombs).
    public var maxPixels = 40_000_000
    /// How long a session's uploads, inversions and jobs live after its last request.
    public var sessionLifetime: TimeInterval = 3600
    /// Sessions kept at once; the least recently used goes first.
    public var maxSessions = 64
    /// Inversions (and jobs) kept per session; the oldest goes first.
    public var maxItemsPerSession = 32
    /// Uploads kept per session; the oldest goes first. Each keeps its photo for paste-back.
    public var maxUploadsPerSession = 8
    /// The longest side of the photo kept for paste-back (larger photos are kept downscaled), bounding memory.
    public var keptPhotoSide = 2048
    /// The largest JSON request body.
    public var jsonBytes = 64 * 1024
    /// Optimisation jobs waiting to run, over all sessions (one runs at a time).
    public var maxQueuedJobs = 4
    /// Jobs a session may have queued or running at once.
    public var maxJobsPerSession = 2
    /// The most optimisation or tuning steps a job may ask for.
    public var maxJobSteps = 5000
    /// How often a running job's preview image is refreshed.
    public var previewInterval: TimeInterval = 0.25
    /// The most slider renders that share one generator pass.
    public var maxRenderBatch = 16

    public init() {}
}
