import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Drives a running editor over HTTP as `clients` people dragging sliders at once: each takes a seed in a session of
/// its own, then asks for `renders` edits one after another, each a new position of the `direction` slider (nil: the
/// truncation slider, which every generator has). The load test and the latency benchmark both use it. Each client is
/// a thread of its own making blocking requests, so a busy Swift concurrency pool in the caller cannot delay them.
public struct EditorLoadGenerator: Sendable {
    public struct Result: Sendable {
        /// Seconds per render request, end to end.
        public var latencies: [Double]
        /// What went wrong, one line per failed request.
        public var errors: [String]
        public var seconds: Double

        /// The q-quantile (0...1) of the latencies, nearest rank.
        public func quantile(_ q: Double) -> Double {
            let sorted = latencies.sorted()
            guard !sorted.isEmpty else { return .nan }
            return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
        }
    }

    public let base: URL
    public let direction: String?

    public init(port: Int, direction: String? = nil) {
        base = URL(string: "http://127.0.0.1:\(port)")!
        self.direction = direction
    }

    /// Runs the clients and waits for all of them.
    public func run(clients: Int, renders: Int, timeout: TimeInterval = 120) -> Result {
        let started = Date()
        let collected = Collected()
        let group = DispatchGroup()
        for index in 0..<clients {
            group.enter()
            Thread {
                let outcome = client(index, renders: renders, timeout: timeout)
                collected.add(outcome)
                group.leave()
            }.start()
        }
        group.wait()
        let all = collected.all
        return Result(latencies: all.flatMap(\.0), errors: all.flatMap(\.1), seconds: Date().timeIntervalSince(started))
    }

    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var outcomes: [([Double], [String])] = []
        func add(_ outcome: ([Double], [String])) { lock.withLock { outcomes.append(outcome) } }
        var all: [([Double], [String])] { lock.withLock { outcomes } }
    }

    private func client(_ index: Int, renders: Int, timeout: TimeInterval) -> ([Double], [String]) {
        let http = BlockingHTTP(base: base, timeout: timeout)
        var latencies: [Double] = []
        var errors: [String] = []
        do {
            let (status, data) = try http.post("api/seed", ["seed": index])
            guard status == 200, let reply = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let inversion = reply["inversion"] as? String
            else { return ([], ["client \(index): seed refused with \(status)"]) }
            for step in 0..<renders {
                let position = sin(Double(step + index) * 0.7)
                let body: [String: Any] = direction.map { ["inversion": inversion, "directions": [$0: 3 * position]] }
                    ?? ["inversion": inversion, "truncation": 0.75 + 0.25 * position]
                let started = Date()
                let (status, data) = try http.post("api/render", body)
                latencies.append(Date().timeIntervalSince(started))
                if status != 200 || data.count < 8 || data.prefix(4) != Data([0x89, 0x50, 0x4E, 0x47]) {
                    errors.append("client \(index) render \(step): \(status), \(data.count) bytes")
                }
            }
        } catch {
            errors.append("client \(index): \(error)")
        }
        return (latencies, errors)
    }
}

/// One session's blocking requests: the reply is awaited on the calling thread, and the session cookie the first reply
/// sets is sent with every later request.
final class BlockingHTTP: @unchecked Sendable {
    let base: URL
    let timeout: TimeInterval
    private let session: URLSession
    private(set) var cookie: String?

    init(base: URL, timeout: TimeInterval) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        (self.base, self.timeout, session) = (base, timeout, URLSession(configuration: configuration))
    }

    /// `method path` with `body` of content type `type`: the status, the body and the headers (names lowercased).
    func send(_ path: String, method: String = "GET", body: Data? = nil, type: String? = nil) throws
        -> (status: Int, body: Data, headers: [String: String])
    {
        var request = URLRequest(url: base.appendingPathComponent(path))
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = timeout
        if let type { request.setValue(type, forHTTPHeaderField: "Content-Type") }
        if let cookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
        let reply = Reply()
        session.dataTask(with: request) { data, response, error in
            reply.set(error.map { .failure($0) } ?? .success((data ?? Data(), response)))
        }.resume()
        let (data, response) = try reply.wait()
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers[String(describing: key).lowercased()] = String(describing: value) }
        if cookie == nil, let set = headers["set-cookie"] { cookie = set.split(separator: ";").first.map(String.init) }
        return (http.statusCode, data, headers)
    }

    /// POST of `body` as JSON: the status and the body.
    func post(_ path: String, _ body: [String: Any]) throws -> (Int, Data) {
        let reply = try send(path, method: "POST", body: JSONSerialization.data(withJSONObject: body), type: "application/json")
        return (reply.status, reply.body)
    }

    /// A reply handed from URLSession's queue to the waiting thread.
    private final class Reply: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var result: Swift.Result<(Data, URLResponse?), any Error>?
        func set(_ value: Swift.Result<(Data, URLResponse?), any Error>) {
            result = value
            done.signal()
        }
        func wait() throws -> (Data, URLResponse?) {
            done.wait()
            return try result!.get()
        }
    }
}
