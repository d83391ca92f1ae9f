import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Drives a running editor over HTTP as `clients` people dragging sliders at once: each takes a seed in a session of
/// its own, then asks for `renders` edits one after another, each a new position of the `direction` slider (nil: the
/// truncation slider, which every generator has). The load test and the latency benchmark both use it.
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

    public func run(clients: Int, renders: Int, timeout: TimeInterval = 120) async -> Result {
        let started = Date()
        let outcomes = await withTaskGroup(of: ([Double], [String]).self) { group in
            for client in 0..<clients {
                group.addTask { await self.client(client, renders: renders, timeout: timeout) }
            }
            var all: [([Double], [String])] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        return Result(latencies: outcomes.flatMap(\.0), errors: outcomes.flatMap(\.1), seconds: Date().timeIntervalSince(started))
    }

    private func client(_ index: Int, renders: Int, timeout: TimeInterval) async -> ([Double], [String]) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        let session = URLSession(configuration: configuration)
        var cookie: String?
        func post(_ path: String, _ body: [String: Any]) async throws -> (Int, Data) {
            var request = URLRequest(url: base.appendingPathComponent(path))
            request.httpMethod = "POST"
            request.timeoutInterval = timeout
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            if let cookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
            let (data, response) = try await session.data(for: request)
            let http = response as! HTTPURLResponse
            if cookie == nil, let set = http.value(forHTTPHeaderField: "Set-Cookie") { cookie = set.split(separator: ";").first.map(String.init) }
            return (http.statusCode, data)
        }
        var latencies: [Double] = []
        var errors: [String] = []
        do {
            let (status, data) = try await post("api/seed", ["seed": index])
            guard status == 200, let reply = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let inversion = reply["inversion"] as? String
            else { return ([], ["client \(index): seed refused with \(status)"]) }
            for step in 0..<renders {
                let position = sin(Double(step + index) * 0.7)
                let body: [String: Any] = direction.map { ["inversion": inversion, "directions": [$0: 3 * position]] }
                    ?? ["inversion": inversion, "truncation": 0.75 + 0.25 * position]
                let started = Date()
                let (status, data) = try await post("api/render", body)
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
