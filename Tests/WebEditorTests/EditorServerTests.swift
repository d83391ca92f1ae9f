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
    static let networks = Fixtures.packageRoot.appendingPathComponent("Models/testbed").path
    static let astronaut = Fixtures.packageRoot.appendingPathComponent("Sources/stylegan/Resources/astronaut.png").path

    /// A client with its own session cookie, set from the server's first reply; blocking, so that the suites running
    /// beside it on the shared concurrency pool cannot hold up its replies.
    typealias Client = BlockingHTTP

    static func object(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(String(decoding: data, as: UTF8.self))")
    }

    /// Runs `body` against `stylegan serve` on a free port (a child process, so that the tests running beside it in
    /// this process cannot starve the server's threads), then stops it.
    static func withServer(_ options: [String] = [], models: String = models, _ body: (Int) throws -> Void) throws {
        try withServerProcess(options, models: models) { port, _ in try body(port) }
    }

    /// `withServer`, with the server's process id.
    static func withServerProcess(_ options: [String] = [], models: String = models, _ body: (Int, Int32) throws -> Void)
        throws
    {
        let server = Process()
        server.executableURL = CLI.binary
        server.arguments = ["serve", "--port", "0", "--models", models, "--networks", networks, "--threads", "1"] + options
        let output = Pipe()
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            // SIGKILL: the server keeps nothing to flush, and a child started from a test's thread inherits a signal
            // mask that blocks SIGTERM.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        // The first line says where it listens: "serving the editor at http://127.0.0.1:PORT/"; it prints nothing else.
        var printed = ""
        while !printed.contains("serving the editor at") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }  // it exited
            printed += String(decoding: data, as: UTF8.self)
        }
        let address = try #require(printed.split(separator: "\n").first { $0.contains("serving the editor at") },
                                   "stylegan serve printed: \(printed)")
        let port = try #require(Int(address.split(separator: ":").last!.trimmingCharacters(in: CharacterSet(charactersIn: "/"))),
                                "\(address)")
        try body(port, server.processIdentifier)
    }

    /// The resident memory of process `pid`, in bytes (Linux).
    static func residentBytes(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        return try #require(Int(line.split(separator: " ").dropFirst().first ?? "")) * 1024
    }

    /// The whole path a page takes: upload, faces, invert, render with sliders, downloads.
    @Test func uploadInvertEditDownload() throws {
        try Self.withServer { port in
            let client = Client(port: port)
            var r = try client.send("")
            #expect(r.status == 200 && String(decoding: r.body, as: UTF8.self).contains("StyleGANKit editor"))
            // The OpenAPI document lists every route.
            let api = try Self.object(try client.send("api/openapi.json").body)
            let documented = Set(try #require(api["paths"] as? [String: Any]).keys)
            #expect(documented == ["/", "/api/openapi.json", "/api/info", "/api/upload", "/api/sample", "/api/uploads/{upload}/faces/{face}.png",
                                   "/api/invert", "/api/jobs", "/api/jobs/{job}", "/api/jobs/{job}/events", "/api/jobs/{job}/preview.png",
                                   "/api/jobs/{job}/cancel", "/api/seed", "/api/render", "/api/pasteback",
                                   "/api/inversions/{inversion}/latent.npy", "/api/inversions/{inversion}/inversion.safetensors"])
            r = try client.send("api/info")
            let info = try Self.object(r.body)
            let methods = try #require(info["methods"] as? [[String: String]])
            #expect(info["size"] as? Int == 64 && info["rows"] as? Int == 10 && methods.contains(["name": "e4e", "kind": "encoder"]))
            #expect(methods.contains(["name": "pti", "kind": "job"]) && methods.contains(["name": "encoder+gani", "kind": "job"]))
            #expect((info["directions"] as? [String])?.contains("smile") == true && info["detector"] as? String == "dlib")
            #expect(client.cookie?.hasPrefix("stylegan_session=") == true && r.headers["set-cookie"]?.contains("HttpOnly") == true)

            r = try client.upload(try Data(contentsOf: URL(fileURLWithPath: Self.astronaut)), filename: "../../etc/passwd")
            try #require(r.status == 200, "\(String(decoding: r.body, as: UTF8.self))")
            let upload = try Self.object(r.body)
            let faces = try #require(upload["faces"] as? [[String: Any]])
            #expect(faces.count == 2 && (faces[0]["box"] as? [Double]) == [175, 76, 265, 166])
            let uploadID = try #require(upload["upload"] as? String)
            r = try client.send("api/uploads/\(uploadID)/faces/0.png")
            #expect(r.status == 200 && r.headers["content-type"] == "image/png")
            #expect(try Image.decode([UInt8](r.body)).width == 64)

            r = try client.json("api/invert", ["upload": uploadID, "face": 0, "method": "e4e"])
            try #require(r.status == 200, "\(String(decoding: r.body, as: UTF8.self))")
            let inverted = try Self.object(r.body)
            let inversion = try #require(inverted["inversion"] as? String)
            let summary = try #require(inverted["summary"] as? [String: Any])
            #expect(summary["psnr"] is Double && summary["lpips"] is Double && summary["id"] is Double, "\(summary)")
            let plain = try client.json("api/render", ["inversion": inversion])
            let smiling = try client.json("api/render", ["inversion": inversion, "directions": ["smile": 2], "truncation": 0.8])
            #expect(plain.status == 200 && smiling.status == 200 && smiling.headers["content-type"] == "image/png")
            let (a, b) = (try Image.decode([UInt8](plain.body)), try Image.decode([UInt8](smiling.body)))
            #expect(a.width == 64 && b.width == 64 && a.pixels != b.pixels)

            r = try client.send("api/inversions/\(inversion)/latent.npy")
            let latent = try NumPy.decodeArray([UInt8](r.body), name: "latent.npy")
            #expect(r.status == 200 && latent.shape == [10, 128])
            r = try client.send("api/inversions/\(inversion)/inversion.safetensors")
            let scratch = try Scratch()
            try r.body.write(to: URL(fileURLWithPath: scratch.path("i.safetensors")))
            #expect(try InversionFile.read(scratch.path("i.safetensors")).metadata.method == "e4e")

            r = try client.json("api/seed", ["seed": 7])
            let seeded = try #require(try Self.object(r.body)["inversion"] as? String)
            #expect(try client.json("api/render", ["inversion": seeded]).status == 200)
        }
    }

    /// Uploads that are not what they claim, too large, damaged or faceless are refused with a status and a message,
    /// and JSON requests that do not fit are too.
    @Test func badRequestsAreRefused() throws {
        try Self.withServer(["--max-upload-mb", "1"]) { port in
            let client = Client(port: port)
            func refused(_ reply: (status: Int, body: Data, headers: [String: String]), _ status: Int, _ words: String) throws {
                let message = try Self.object(reply.body)["error"] as? String ?? ""
                #expect(reply.status == status && message.contains(words), "\(reply.status): \(message)")
            }
            let photo = try Data(contentsOf: URL(fileURLWithPath: Self.astronaut))
            try refused(try client.upload(Data("just text, not a picture".utf8), filename: "x.png"), 415, "not a PNG or JPEG")
            try refused(try client.upload(photo.prefix(4000)), 422, "cannot be decoded")
            try refused(try client.upload(photo.prefix(20)), 422, "damaged or cut short")
            // A PNG header that claims 20000 x 20000 pixels: refused before any decoding.
            var bomb = [UInt8](photo.prefix(33))
            bomb.replaceSubrange(16..<24, with: [0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20])
            try refused(try client.upload(Data(bomb)), 413, "megapixels")
            try refused(try client.upload(Data(count: 2 << 20)), 413, "limit")
            let gray = try Scratch()
            try Image(tensor: Tensor.zeros([1, 3, 96, 96])).write(to: gray.path("gray.png"))
            try refused(try client.upload(try Data(contentsOf: URL(fileURLWithPath: gray.path("gray.png")))), 422, "no face")
            try refused(try client.upload(photo, field: "image"), 400, "no field \"file\"")
            try refused(try client.send("api/upload", method: "POST", body: photo, type: "image/png"), 415, "multipart")
            try refused(try client.send("api/render", method: "POST", body: Data("{".utf8), type: "application/json"), 400, "JSON")
            try refused(try client.json("api/invert", ["upload": "nope", "method": "e4e"]), 404, "no upload")
            try refused(try client.json("api/invert", ["upload": "nope", "method": "magic"]), 400, "unknown method")
            let seeded = try Self.object(try client.json("api/seed", ["seed": 1]).body)["inversion"] as! String
            try refused(try client.json("api/render", ["inversion": seeded, "directions": ["wings": 1]]), 400, "no direction")
            try refused(try client.json("api/render", ["inversion": seeded, "truncation": 9]), 400, "truncation")
            #expect(try client.send("api/uploads/x/faces/../../0.png").status == 404)
        }
    }

    /// One session cannot reach another's uploads or inversions, and a session's oldest inversions go past its limit.
    @Test func sessionsAreIsolated() throws {
        try Self.withServer(["--max-items", "2"]) { port in
            let (alice, bob) = (Client(port: port), Client(port: port))
            var r = try alice.upload(try Data(contentsOf: URL(fileURLWithPath: Self.astronaut)))
            let upload = try #require(try Self.object(r.body)["upload"] as? String)
            r = try alice.json("api/seed", ["seed": 3])
            let inversion = try #require(try Self.object(r.body)["inversion"] as? String)
            _ = try bob.send("api/info")
            #expect(alice.cookie != bob.cookie)
            #expect(try bob.send("api/uploads/\(upload)/faces/0.png").status == 404)
            #expect(try bob.json("api/invert", ["upload": upload, "method": "e4e"]).status == 404)
            #expect(try bob.json("api/render", ["inversion": inversion]).status == 404)
            #expect(try bob.send("api/inversions/\(inversion)/latent.npy").status == 404)
            #expect(try alice.json("api/render", ["inversion": inversion]).status == 200)
            // Two more inversions push the first out of Alice's session.
            for seed in [4, 5] { _ = try alice.json("api/seed", ["seed": seed]) }
            #expect(try alice.json("api/render", ["inversion": inversion]).status == 404)
        }
    }

    /// Every kind of slider: GANSpace and SeFa components on a layer range, mixing with a seed or another inversion,
    /// interpolation; paste-back into the uploaded photo; testbed samples; and the refusals of each.
    @Test func editsOfEveryKind() throws {
        try Self.withServer { port in
            let client = Client(port: port)
            func image(_ reply: (status: Int, body: Data, headers: [String: String])) throws -> Image {
                try #require(reply.status == 200, "\(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
                return try Image.decode([UInt8](reply.body))
            }
            func refused(_ body: [String: Any], _ status: Int, _ words: String, path: String = "api/render") throws {
                let reply = try client.json(path, body)
                let message = try Self.object(reply.body)["error"] as? String ?? ""
                #expect(reply.status == status && message.contains(words), "\(reply.status): \(message)")
            }
            let a = try #require(try Self.object(try client.json("api/seed", ["seed": 11]).body)["inversion"] as? String)
            let b = try #require(try Self.object(try client.json("api/seed", ["seed": 12]).body)["inversion"] as? String)
            let plain = try image(try client.json("api/render", ["inversion": a]))
            let endB = try image(try client.json("api/render", ["inversion": b]))
            for edit: [String: Any] in [
                ["components": [["method": "ganspace", "index": 0, "strength": 2, "layers": [0, 3]]]],
                ["components": [["method": "sefa", "index": 1, "strength": 3]]],
                ["mix": ["seed": 5, "layers": [4, 9]]],
                ["mix": ["inversion": b, "layers": [0, 9], "strength": 0.5]],
                ["interpolate": ["inversion": b, "t": 0.5]],
            ] {
                let edited = try image(try client.json("api/render", edit.merging(["inversion": a]) { $1 }))
                #expect(edited.pixels != plain.pixels, "\(edit)")
            }
            // Mixing every row fully, or interpolating to the end, gives the other image.
            #expect(try image(try client.json("api/render", ["inversion": a, "mix": ["inversion": b, "layers": [0, 9]]])).pixels
                == endB.pixels)
            #expect(try image(try client.json("api/render", ["inversion": a, "interpolate": ["inversion": b, "t": 1]])).pixels
                == endB.pixels)
            try refused(["inversion": a, "components": [["method": "ganspace", "index": 99, "strength": 1]]], 400, "components 0...19")
            try refused(["inversion": a, "components": [["method": "sefa", "index": 0, "strength": 1, "layers": [5, 2]]]], 400, "layers")
            try refused(["inversion": a, "components": [["method": "sefa", "index": 0, "strength": 11]]], 400, "strength")
            try refused(["inversion": a, "mix": ["seed": 1, "inversion": b, "layers": [0, 1]]], 400, "either")
            try refused(["inversion": a, "interpolate": ["inversion": b, "t": 2]], 400, "interpolation")
            try refused(["inversion": a, "interpolate": ["inversion": "elsewhere", "t": 0.5]], 404, "no inversion")
            try refused(["inversion": a], 409, "paste", path: "api/pasteback")

            // Paste-back: the edit lands inside the photo's face region only.
            var r = try client.upload(try Data(contentsOf: URL(fileURLWithPath: Self.astronaut)))
            let upload = try #require(try Self.object(r.body)["upload"] as? String)
            r = try client.json("api/invert", ["upload": upload, "face": 0, "method": "psp"])
            let inversion = try #require(try Self.object(r.body)["inversion"] as? String)
            let pasted = try image(try client.json("api/pasteback", ["inversion": inversion, "directions": ["smile": 2]]))
            let photo = try Image.read(path: Self.astronaut)
            #expect(pasted.width == photo.width && pasted.height == photo.height)
            let difference = try (pasted.tensor() - photo.tensor()).abs().sum([1], keepdim: false)  // [1, H, W]
            #expect(try difference.narrow(1, start: 440, length: 72).narrow(2, start: 400, length: 112).max().item() == 0,
                    "the corner far from the face is untouched")
            #expect(try difference.narrow(1, start: 100, length: 40).narrow(2, start: 190, length: 60).max().item() > 0.1)

            // A testbed sample is an upload with one aligned face.
            r = try client.json("api/sample", ["sample": 3])
            let sample = try Self.object(r.body)
            #expect(r.status == 200 && (sample["faces"] as? [Any])?.count == 1 && sample["width"] as? Int == 64)
            try refused(["sample": 9999], 400, "sample", path: "api/sample")
        }
    }

    /// Optimisation methods run as jobs: progress and previews stream as server-sent events, the result is an
    /// inversion with scores, renders stay quick while a job runs, a job can be cancelled, and the queue is bounded.
    @Test func jobsStreamProgressAndCancel() throws {
        try Self.withServer(["--max-jobs", "1"]) { port in
            let client = Client(port: port)
            var r = try client.upload(try Data(contentsOf: URL(fileURLWithPath: Self.astronaut)))
            let upload = try #require(try Self.object(r.body)["upload"] as? String)
            r = try client.json("api/jobs", ["upload": upload, "method": "projector", "steps": 12])
            try #require(r.status == 202, "\(String(decoding: r.body, as: UTF8.self))")
            let job = try #require(try Self.object(r.body)["job"] as? String)
            // The stream ends with the job: every step as a progress event, then the end event with the summary.
            r = try client.send("api/jobs/\(job)/events")
            let stream = String(decoding: r.body, as: UTF8.self)
            #expect(r.status == 200 && r.headers["content-type"] == "text/event-stream")
            #expect(stream.contains("event: progress") && stream.contains("\"step\":12"), "\(stream.prefix(400))")
            let last = try #require(stream.components(separatedBy: "event: end\ndata: ").last?.split(separator: "\n").first)
            let end = try Self.object(Data(last.utf8))
            let summary = try #require(end["summary"] as? [String: Any], "\(end)")
            #expect(end["state"] as? String == "done" && summary["psnr"] is Double && summary["lpips"] is Double && summary["id"] is Double)
            #expect((end["preview"] as? Int ?? 0) >= 1)
            r = try client.send("api/jobs/\(job)/preview.png")
            #expect(try r.status == 200 && Image.decode([UInt8](r.body)).width == 64)
            #expect(try client.json("api/render", ["inversion": job, "directions": ["smile": 1]]).status == 200)
            r = try client.send("api/inversions/\(job)/inversion.safetensors")
            #expect(r.status == 200)

            // A long PTI job: renders stay quick beside it, and cancel stops it.
            r = try client.json("api/jobs", ["upload": upload, "method": "pti", "steps": 2000, "pivot_steps": 2000])
            let long = try #require(try Self.object(r.body)["job"] as? String)
            var state = try Self.object(try client.send("api/jobs/\(long)").body)
            let deadline = Date().addingTimeInterval(600)
            while (state["step"] as? Int ?? 0) < 2, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.2)
                state = try Self.object(try client.send("api/jobs/\(long)").body)
            }
            #expect(state["state"] as? String == "running", "\(state)")
            // A render is answered while the job still runs (it has thousands of steps to go), not after it.
            #expect(try client.json("api/render", ["inversion": job]).status == 200)
            state = try Self.object(try client.send("api/jobs/\(long)").body)
            #expect(state["state"] as? String == "running" && (state["step"] as? Int ?? 0) < 1000, "\(state)")
            // The queue holds one waiting job; this session may have two at once.
            let queued = try Self.object(try client.json("api/jobs", ["upload": upload, "method": "projector"]).body)
            r = try client.json("api/jobs", ["upload": upload, "method": "projector"])
            #expect(r.status == 429, "\(String(decoding: r.body, as: UTF8.self))")
            r = try client.json("api/jobs/\(try #require(queued["job"] as? String))/cancel", [:])
            #expect(try Self.object(r.body)["state"] as? String == "cancelled")
            _ = try client.json("api/jobs/\(long)/cancel", [:])
            r = try client.send("api/jobs/\(long)/events")
            #expect(String(decoding: r.body, as: UTF8.self).contains("\"state\":\"cancelled\""))
            #expect(try client.json("api/render", ["inversion": long]).status == 404)

            // Refusals: the wrong kind of method for each endpoint, steps out of range, another session's job.
            #expect(try client.json("api/jobs", ["upload": upload, "method": "e4e"]).status == 400)
            #expect(try client.json("api/invert", ["upload": upload, "method": "pti"]).status == 400)
            r = try client.json("api/jobs", ["upload": upload, "method": "projector", "steps": 0])
            #expect(r.status == 400 && String(decoding: r.body, as: UTF8.self).contains("steps must be in 1...5000"))
            let other = Client(port: port)
            #expect(try other.send("api/jobs/\(job)").status == 404)
            #expect(try other.json("api/jobs/\(job)/cancel", [:]).status == 404)
        }
    }

    /// Many clients dragging sliders at once on loopback: no request fails, and the server's memory does not grow
    /// from one round to the next (renders keep nothing).
    @Test func loadOfConcurrentSlidersHasNoErrorsAndNoGrowth() throws {
        try Self.withServerProcess { port, pid in
            let load = EditorLoadGenerator(port: port, direction: "smile")
            let warm = load.run(clients: 8, renders: 10, timeout: 600)
            #expect(warm.errors.isEmpty, "\(warm.errors.prefix(3))")
            let before = try Self.residentBytes(pid)
            var rounds: [Int] = []
            for _ in 0..<3 {
                let round = load.run(clients: 8, renders: 10, timeout: 600)
                #expect(round.errors.isEmpty && round.latencies.count == 80, "\(round.errors.prefix(3))")
                rounds.append(try Self.residentBytes(pid))
            }
            let growth = rounds.last! - before
            print("load: 4 x 80 renders by 8 clients; resident \(before >> 20) MB, then \(rounds.map { $0 >> 20 }) MB")
            #expect(growth < 32 << 20, "the server grew by \(growth >> 20) MB over 240 renders")
        }
    }

    /// Official-style files in place of a models folder: --checkpoint, --encoder and --directions; bad ones are named.
    @Test func modelFilesCanBeGivenOneByOne() throws {
        let empty = try Scratch()
        try Self.withServer(["--checkpoint", Self.models + "/generator.safetensors", "--encoder", "psp=\(Self.models)/psp.safetensors",
                                   "--directions", Self.models + "/directions", "--networks", "none"], models: empty.path("")) { port in
            let client = Client(port: port)
            let info = try Self.object(try client.send("api/info").body)
            #expect(info["methods"] as? [[String: String]] == [["name": "psp", "kind": "encoder"]], "\(info)")
            // Without the networks there are no optimisation methods: a job is refused when asked for.
            let sample = try #require(try Self.object(try client.json("api/sample", ["sample": 0]).body)["upload"] as? String)
            let refused = try client.json("api/jobs", ["upload": sample, "method": "projector"])
            #expect(refused.status == 400 && String(decoding: refused.body, as: UTF8.self).contains("not offered"))
            #expect((info["directions"] as? [String])?.contains("smile") == true)
        }
        for (options, words) in [(["--encoder", "magic=x.pt"], "expected METHOD=PATH"), (["--encoder", "pti=x.pt"], "encoder method"),
                                 (["--checkpoint", "/nonexistent/g.pt"], "/nonexistent/g.pt: no such file"),
                                 (["--networks", "/nonexistent/networks"], "/nonexistent/networks: no such folder")] {
            let result = try CLI.run(["serve", "--port", "0", "--models", Self.models] + options, timeout: .seconds(60))
            #expect(result.status != 0 && result.stderr.contains(words), "\(options): \(result.stderr)")
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

extension BlockingHTTP {
    convenience init(port: Int) {
        // Generous: under CI every suite runs at once on two cores.
        self.init(base: URL(string: "http://127.0.0.1:\(port)")!, timeout: 600)
    }

    func json(_ path: String, _ object: [String: Any]) throws -> (status: Int, body: Data, headers: [String: String]) {
        try send(path, method: "POST", body: try JSONSerialization.data(withJSONObject: object), type: "application/json")
    }

    /// A multipart upload of `bytes` in the field `field`.
    func upload(_ bytes: Data, filename: String = "photo.png", field: String = "file") throws
        -> (status: Int, body: Data, headers: [String: String])
    {
        let boundary = "----stylegan\(UUID().uuidString)"
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\n".utf8)
        body += Data("Content-Type: application/octet-stream\r\n\r\n".utf8) + bytes + Data("\r\n--\(boundary)--\r\n".utf8)
        return try send("api/upload", method: "POST", body: body, type: "multipart/form-data; boundary=\(boundary)")
    }
}
