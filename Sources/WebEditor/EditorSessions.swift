import Foundation
import Images
import Perception

/// Who owns what: each browser gets a random session token (an HttpOnly cookie), and its uploads, inversions and
/// jobs are reachable only through it. Sessions expire after `limits.sessionLifetime` without a request; the least
/// recently used goes first when there are too many, and a session's oldest items go first when it has too many.
actor EditorSessions {
    struct Upload {
        let name: String
        let width: Int
        let height: Int
        let faces: [EditorEngine.Face]
        /// The photo as kept for paste-back (at most `limits.keptPhotoSide` on its longer side) and the factor from
        /// the upload's pixels to its own; nil for testbed samples.
        let photo: Image?
        let scale: Double
    }

    private struct Session {
        var lastSeen: Date
        var uploads: [(id: String, upload: Upload)] = []
        /// Inversion ids, oldest first; a job's id is the id of the inversion it makes.
        var items: [String] = []
        var jobs: Set<String> = []
        /// The upload and face an inversion was made from (paste-back).
        var sources: [String: (upload: String, face: Int)] = [:]
    }

    let limits: EditorLimits
    private var sessions: [String: Session] = [:]

    init(limits: EditorLimits) { self.limits = limits }

    /// 128 random bits as hex, for tokens and ids.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
    }

    /// The session of `token`, created when absent or unknown; returns its token, whether it is new, and the
    /// items (inversions and jobs) that expired meanwhile, for the engine and the job queue to drop.
    func enter(_ token: String?, now: Date = Date()) -> (token: String, isNew: Bool, expired: [String]) {
        var expired: [String] = []
        for (key, session) in sessions where now.timeIntervalSince(session.lastSeen) > limits.sessionLifetime {
            expired += session.items
            sessions[key] = nil
        }
        if let token, sessions[token] != nil {
            sessions[token]!.lastSeen = now
            return (token, false, expired)
        }
        if sessions.count >= limits.maxSessions, let oldest = sessions.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
            expired += oldest.value.items
            sessions[oldest.key] = nil
        }
        let fresh = Self.newToken()
        sessions[fresh] = Session(lastSeen: now)
        return (fresh, true, expired)
    }

    func add(_ upload: Upload, to token: String) -> String {
        let id = Self.newToken()
        sessions[token]?.uploads.append((id, upload))
        while let count = sessions[token]?.uploads.count, count > limits.maxUploadsPerSession {
            sessions[token]!.uploads.removeFirst()
        }
        return id
    }

    func upload(_ id: String, of token: String) -> Upload? {
        sessions[token]?.uploads.first { $0.id == id }?.upload
    }

    /// A new inversion (or job) id in the session, made from `source` (upload, face) if any, and the ids dropped to
    /// keep within the limit.
    func newItem(in token: String, source: (upload: String, face: Int)? = nil, job: Bool = false) -> (id: String, dropped: [String]) {
        let id = Self.newToken()
        guard sessions[token] != nil else { return (id, []) }
        sessions[token]!.items.append(id)
        if job { sessions[token]!.jobs.insert(id) }
        if let source { sessions[token]!.sources[id] = source }
        var dropped: [String] = []
        while sessions[token]!.items.count > limits.maxItemsPerSession {
            let old = sessions[token]!.items.removeFirst()
            sessions[token]!.jobs.remove(old)
            sessions[token]!.sources[old] = nil
            dropped.append(old)
        }
        return (id, dropped)
    }

    func owns(_ id: String, _ token: String) -> Bool { sessions[token]?.items.contains(id) ?? false }

    /// The session's job ids.
    func jobs(of token: String) -> [String] { Array(sessions[token]?.jobs ?? []) }

    /// The upload and face inversion `id` was made from, while the upload is kept.
    func source(of id: String, _ token: String) -> (upload: Upload, face: Int)? {
        guard let session = sessions[token], let source = session.sources[id],
              let upload = session.uploads.first(where: { $0.id == source.upload })?.upload
        else { return nil }
        return (upload, source.face)
    }

    var count: Int { sessions.count }
}
