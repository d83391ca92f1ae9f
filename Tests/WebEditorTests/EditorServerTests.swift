import Checkpoints
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Images
import StyleGAN
import TestSupport
import Testing
import Torch
@testable import WebEditor

/// `stylegan serve` over real HTTP on loopback, on the shipped testbed models: every endpoint, bad uploads, limits
/// and two sessions kept apart.
@Suite("web editor server", .serialized)
struct EditorServerTests {
    static let models = Fixtures.packageRoot.appendingPathComponent("Models/testbed64").path
    static let astronaut = Fixtures.packageRoot.appendingPathComponent("Sources/stylegan/Resources/astronaut.png").path

    /// A client with its own session cookie, set from the server's first reply.
    final class Client: @unchecked Sendable {
        let base: URL
        var cookie: String?
        let session: URLSession

        init(port: Int) {
            base = URL(string: "http://127.0.0.1:\(port)")!
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpShouldSetCookies = false
            configuration.httpCookieAcceptPolicy = .never
            session = URLSession(configuration: configuration)
        }

        func send(_ path: String, method: String = "GET", body: Data? = nil, type: String? = nil) async throws
            -> (status: Int, body: Data, headers: [String: String])
        {
            var request = URLRequest(url: base.appendingPathComponent(path))
            request.httpMethod = method
            request.httpBody = body
            request.timeoutInterval = 120
            if let type { request.setValue(type, forHTTPHeaderField: "Content-Type") }
            if let cookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
            let (data, response) = try await session.data(for: request)
            let http = response as! HTTPURLResponse
            var headers: [String: String] = [:]
            for (key, value) in http.allHeaderFields { headers[String(describing: key).lowercased()] = String(describing: value) }
            if cookie == nil, let set = headers["set-cookie"], let pair = set.split(separator: ";").first { cookie = String(pair) }
            return (http.statusCode, data, headers)
        }

        func json(_ path: String, _ object: [String: Any]) async throws -> (status: Int, body: Data, headers: [String: String]) {
            try await send(path, method: "POST", body: try JSONSerialization.data(withJSONObject: object), type: "application/json")
        }

        /// A multipart upload of `bytes` in the field `field`.
        func upload(_ bytes: Data, filename: String = "photo.png", field: String = "file") async throws
            -> (status: Int, body: Data, headers: [String: String])
        {
            let boundary = "----stylegan\(UUID().uuidString)"
            var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\n".utf8)
            body += Data("Content-Type: application/octet-stream\r\n\r\n".utf8) + bytes + Data("\r\n--\(boundary)--\r\n".utf8)
            return try await send("api/upload", method: "POST", body: body, type: "multipart/form-data; boundary=\(boundary)")
        }
    }

    static func object(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(String(decoding: data, as: UTF8.self))")
    }

    /// Runs `body` against `stylegan serve` on a free port (a child process, so that the tests running beside it in
    /// this process cannot starve the server's threads), then stops it.
    static func withServer(_ options: [String] = [], _ body: (Int) async throws -> Void) async throws {
        let server = Process()
        server.executableURL = CLI.binary
        server.arguments = ["serve", "--port", "0", "--models", models, "--threads", "1"] + options
        let output = Pipe()
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            let deadline = Date().addingTimeInterval(5)
            while server.isRunning, Date() < deadline { usleep(20_000) }
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
            server.waitUntilExit()
        }
        // The first line says where it listens: "serving the editor at http://127.0.0.1:PORT/".
        let printed = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            DispatchQueue.global().async {
                var text = ""
                let deadline = Date().addingTimeInterval(180)
                while !text.contains("serving the editor at"), Date() < deadline {
                    let data = output.fileHandleForReading.availableData
                    if data.isEmpty { break }  // it exited
                    text += String(decoding: data, as: UTF8.self)
                }
                continuation.resume(returning: text)
            }
        }
        let address = try #require(printed.split(separator: "\n").first { $0.contains("serving the editor at") },
                                   "stylegan serve printed: \(printed)")
        let port = try #require(Int(address.split(separator: ":").last!.trimmingCharacters(in: CharacterSet(charactersIn: "/"))),
                                "\(address)")
        try await body(port)
    }

    /// The whole path a page takes: upload, faces, invert, render with sliders, downloads.
    @Test func uploadInvertEditDownload() async throws {
        try await Self.withServer { port in
            let client = Client(port: port)
            var r = try await client.send("")
            #expect(r.status == 200 && String(decoding: r.body, as: UTF8.self).contains("StyleGANKit editor"))
            r = try await client.send("api/info")
            let info = try Self.object(r.body)
            #expect(info["size"] as? Int == 64 && (info["methods"] as? [String])?.contains("e4e") == true)
            #expect((info["directions"] as? [String])?.contains("smile") == true && info["detector"] as? String == "dlib")
            #expect(client.cookie?.hasPrefix("stylegan_session=") == true && r.headers["set-cookie"]?.contains("HttpOnly") == true)

            r = try await client.upload(try Data(contentsOf: URL(fileURLWithPath: Self.astronaut)), filename: "../../etc/passwd")
            try #require(r.status == 200, "\(String(decoding: r.body, as: UTF8.self))")
            let upload = try Self.object(r.body)
            let faces = try #require(upload["faces"] as? [[String: Any]])
            #expect(faces.count == 2 && (faces[0]["box"] as? [Double]) == [175, 76, 265, 166])
            let uploadID = try #require(upload["upload"] as? String)
            r = try await client.send("api/uploads/\(uploadID)/faces/0.png")
            #expect(r.status == 200 && r.headers["content-type"] == "image/png")
            #expect(try Image.decode([UInt8](r.body)).width == 64)

            r = try await client.json("api/invert", ["upload": uploadID, "face": 0, "method": "e4e"])
            try #require(r.status == 200, "\(String(decoding: r.body, as: UTF8.self))")
            let inversion = try #require(try Self.object(r.body)["inversion"] as? String)
            let plain = try await client.json("api/render", ["inversion": inversion])
            let smiling = try await client.json("api/render", ["inversion": inversion, "edits": ["smile": 2], "truncation": 0.8])
            #expect(plain.status == 200 && smiling.status == 200 && smiling.headers["content-type"] == "image/png")
            let (a, b) = (try Image.decode([UInt8](plain.body)), try Image.decode([UInt8](smiling.body)))
            #expect(a.width == 64 && b.width == 64 && a.pixels != b.pixels)

            r = try await client.send("api/inversions/\(inversion)/latent.npy")
            let latent = try NumPy.decodeArray([UInt8](r.body), name: "latent.npy")
            #expect(r.status == 200 && latent.shape == [10, 128])
            r = try await client.send("api/inversions/\(inversion)/inversion.safetensors")
            let scratch = try Scratch()
            try r.body.write(to: URL(fileURLWithPath: scratch.path("i.safetensors")))
            #expect(try InversionFile.read(scratch.path("i.safetensors")).metadata.method == "e4e")

            r = try await client.json("api/seed", ["seed": 7])
            let seeded = try #require(try Self.object(r.body)["inversion"] as? String)
            #expect(try await client.json("api/render", ["inversion": seeded]).status == 200)
        }
    }

    /// Uploads that are not what they claim, too large, damaged or faceless are refused with a status and a message,
    /// and JSON requests that do not fit are too.
    @Test func badRequestsAreRefused() async throws {
        try await Self.withServer(["--max-upload-mb", "1"]) { port in
            let client = Client(port: port)
            func refused(_ reply: (status: Int, body: Data, headers: [String: String]), _ status: Int, _ words: String) throws {
                let message = try Self.object(reply.body)["error"] as? String ?? ""
                #expect(reply.status == status && message.contains(words), "\(reply.status): \(message)")
            }
            let photo = try Data(contentsOf: URL(fileURLWithPath: Self.astronaut))
            try refused(try await client.upload(Data("just text, not a picture".utf8), filename: "x.png"), 415, "not a PNG or JPEG")
            try refused(try await client.upload(photo.prefix(4000)), 422, "cannot be decoded")
            try refused(try await client.upload(photo.prefix(20)), 422, "damaged or cut short")
            // A PNG header that claims 20000 x 20000 pixels: refused before any decoding.
            var bomb = [UInt8](photo.prefix(33))
            bomb.replaceSubrange(16..<24, with: [0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20])
            try refused(try await client.upload(Data(bomb)), 413, "megapixels")
            try refused(try await client.upload(Data(count: 2 << 20)), 413, "limit")
            let gray = try Scratch()
            try Image(tensor: Tensor.zeros([1, 3, 96, 96])).write(to: gray.path("gray.png"))
            try refused(try await client.upload(try Data(contentsOf: URL(fileURLWithPath: gray.path("gray.png")))), 422, "no face")
            try refused(try await client.upload(photo, field: "image"), 400, "no field \"file\"")
            try refused(try await client.send("api/upload", method: "POST", body: photo, type: "image/png"), 415, "multipart")
            try refused(try await client.send("api/render", method: "POST", body: Data("{".utf8), type: "application/json"), 400, "JSON")
            try refused(try await client.json("api/invert", ["upload": "nope", "method": "e4e"]), 404, "no upload")
            try refused(try await client.json("api/invert", ["upload": "nope", "method": "magic"]), 400, "unknown method")
            let seeded = try Self.object(try await client.json("api/seed", ["seed": 1]).body)["inversion"] as! String
            try refused(try await client.json("api/render", ["inversion": seeded, "edits": ["wings": 1]]), 400, "no direction")
            try refused(try await client.json("api/render", ["inversion": seeded, "truncation": 9]), 400, "truncation")
            #expect(try await client.send("api/uploads/x/faces/../../0.png").status == 404)
        }
    }

    /// One session cannot reach another's uploads or inversions, and a session's oldest inversions go past its limit.
    @Test func sessionsAreIsolated() async throws {
        try await Self.withServer(["--max-items", "2"]) { port in
            let (alice, bob) = (Client(port: port), Client(port: port))
            var r = try await alice.upload(try Data(contentsOf: URL(fileURLWithPath: Self.astronaut)))
            let upload = try #require(try Self.object(r.body)["upload"] as? String)
            r = try await alice.json("api/seed", ["seed": 3])
            let inversion = try #require(try Self.object(r.body)["inversion"] as? String)
            _ = try await bob.send("api/info")
            #expect(alice.cookie != bob.cookie)
            #expect(try await bob.send("api/uploads/\(upload)/faces/0.png").status == 404)
            #expect(try await bob.json("api/invert", ["upload": upload, "method": "e4e"]).status == 404)
            #expect(try await bob.json("api/render", ["inversion": inversion]).status == 404)
            #expect(try await bob.send("api/inversions/\(inversion)/latent.npy").status == 404)
            #expect(try await alice.json("api/render", ["inversion": inversion]).status == 200)
            // Two more inversions push the first out of Alice's session.
            for seed in [4, 5] { _ = try await alice.json("api/seed", ["seed": seed]) }
            #expect(try await alice.json("api/render", ["inversion": inversion]).status == 404)
        }
    }

    /// The multipart parser takes well-formed bodies and refuses cut or malformed ones.
    @Test func multipartIsParsedStrictly() throws {
        let body = Array("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nDATA\r\n--b--\r\n".utf8)
        let parts = try Multipart(body: body, contentType: "multipart/form-data; boundary=b").parts
        #expect(parts.count == 1 && parts[0].name == "file" && parts[0].filename == "a.png" && Array(parts[0].body) == Array("DATA".utf8))
        #expect(throws: EditorError.self) { try Multipart(body: Array(body.prefix(40)), contentType: "multipart/form-data; boundary=b") }
        #expect(throws: EditorError.self) { try Multipart(body: body, contentType: "multipart/form-data") }
        #expect(throws: EditorError.self) { try Multipart(body: body, contentType: "text/plain; boundary=b") }
    }
}
