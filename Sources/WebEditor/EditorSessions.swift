import Foundation
import Images

/// Who owns what: each browser gets a random session token (an HttpOnly cookie), and its uploads and inversions are
/// reachable only through it. Sessions expire after `limits.sessionLifetime` without a request; the least recently
/// used goes first when there are too many, and a session's oldest items go first when it has too many.
actor EditorSessions {
    struct Upload {
        let name: String
        let width: Int
        let height: Int
        let faces: [EditorEngine.Face]
    }

    private struct Session {
        var lastSeen: Date
        var uploads: [(id: String, upload: Upload)] = []
        var inversions: [String] = []
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
    /// inversions that expired meanwhile (for the engine to drop).
    func enter(_ token: String?, now: Date = Date()) -> (token: String, isNew: Bool, expired: [String]) {
        var expired: [String] = []
        for (key, session) in sessions where now.timeIntervalSince(session.lastSeen) > limits.sessionLifetime {
            expired += session.inversions
            sessions[key] = nil
        }
        if let token, sessions[token] != nil {
            sessions[token]!.lastSeen = now
            return (token, false, expired)
        }
        if sessions.count >= limits.maxSessions, let oldest = sessions.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
            expired += oldest.value.inversions
            sessions[oldest.key] = nil
        }
        let fresh = Self.newToken()
        sessions[fresh] = Session(lastSeen: now)
        return (fresh, true, expired)
    }

    func add(_ upload: Upload, to token: String) -> String {
        let id = Self.newToken()
        sessions[token]?.uploads.append((id, upload))
        if let count = sessions[token]?.uploads.count, count > limits.maxItemsPerSession { sessions[token]!.uploads.removeFirst() }
        return id
    }

    func upload(_ id: String, of token: String) -> Upload? {
        sessions[token]?.uploads.first { $0.id == id }?.upload
    }

    /// A new inversion id in the session, and the ids dropped to keep within the limit.
    func newInversion(in token: String) -> (id: String, dropped: [String]) {
        let id = Self.newToken()
        sessions[token]?.inversions.append(id)
        var dropped: [String] = []
        while let count = sessions[token]?.inversions.count, count > limits.maxItemsPerSession {
            dropped.append(sessions[token]!.inversions.removeFirst())
        }
        return (id, dropped)
    }

    func owns(_ id: String, _ token: String) -> Bool { sessions[token]?.inversions.contains(id) ?? false }

    var count: Int { sessions.count }
}
