import Editing
import Foundation
import Hummingbird
import Images
import Inversion
import NIOCore
import Perception

/// The editor's HTTP server: the page at `/` and the JSON API under `/api` (docs/web.md). Requests are parsed and
/// checked here; the engine does the model work; the sessions decide who may read what.
public enum EditorServer {
    static let cookieName = "stylegan_session"

    /// The application on `host`:`port` (port 0: any free one; `onRunning` receives the port bound).
    public static func application(engine: EditorEngine, limits: EditorLimits = EditorLimits(), host: String = "127.0.0.1",
                                   port: Int = 8080, onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        let sessions = EditorSessions(limits: limits)
        let jobs = EditorJobs(engine: engine, limits: limits)
        let site = Site(sessions: sessions, engine: engine, jobs: jobs)
        let router = Router()
        router.get("/") { _, _ in try page() }
        router.get("/api/openapi.json") { _, _ in try resource("openapi.json", type: "application/json") }
        router.get("/api/info") { request, _ in
            try await site.respond(request) { _ in try json(await engine.info) }
        }
        router.post("/api/upload") { request, _ in
            try await site.respond(request) { token in
                var request = request
                let bytes = try await body(&request, limit: limits.uploadBytes)
                let contentType = request.headers[.contentType] ?? ""
                let part = try Multipart(body: bytes, contentType: contentType).parts.first { $0.name == "file" }
                guard let part else { throw EditorError(.badRequest, "the upload has no field \"file\"") }
                let photo = try decodePhoto([UInt8](part.body), limits: limits)
                let faces = try await engine.faces(in: photo, name: "upload")
                guard !faces.isEmpty else { throw EditorError(.unprocessable, "no face was found in the photo") }
                let (kept, scale) = try keptPhoto(photo, side: limits.keptPhotoSide)
                let id = await sessions.add(.init(name: part.filename ?? "upload", width: photo.width, height: photo.height,
                                                  faces: faces, photo: kept, scale: scale), to: token)
                return try json(UploadReply(upload: id, width: photo.width, height: photo.height,
                                            faces: faces.map { .init(box: $0.box, score: $0.score) }))
            }
        }
        router.post("/api/sample") { request, _ in
            try await site.respond(request) { token in
                var request = request
                let ask = try decode(SampleRequest.self, try await body(&request, limit: limits.jsonBytes))
                let face = try await engine.sample(ask.sample)
                let id = await sessions.add(.init(name: "testbed sample \(ask.sample)", width: face.image.width,
                                                  height: face.image.height, faces: [face], photo: nil, scale: 1), to: token)
                return try json(UploadReply(upload: id, width: face.image.width, height: face.image.height,
                                            faces: [.init(box: face.box, score: face.score)]))
            }
        }
        router.get("/api/uploads/:upload/faces/:face") { request, context in
            try await site.respond(request) { token in
                let (upload, index) = try await face(context, sessions, token)
                return binary(try EditorEngine.png(upload.faces[index].image), type: "image/png")
            }
        }
        router.post("/api/invert") { request, _ in
            try await site.respond(request) { token in
                var request = request
                let ask = try decode(InvertRequest.self, try await body(&request, limit: limits.jsonBytes))
                let (method, image) = try await site.source(ask.upload, ask.face, ask.method, token)
                let (id, dropped) = await sessions.newItem(in: token, source: (ask.upload, ask.face ?? 0))
                await site.forget(dropped)
                let summary = try await engine.invert(image, method: method, id: id)
                return try json(InversionReply(inversion: id, summary: summary))
            }
        }
        router.post("/api/jobs") { request, _ in
            try await site.respond(request) { token in
                var request = request
                let ask = try decode(JobRequest.self, try await body(&request, limit: limits.jsonBytes))
                let (method, image) = try await site.source(ask.upload, ask.face, ask.method, token)
                try await engine.requireJobMethod(method)
                let (id, dropped) = await sessions.newItem(in: token, source: (ask.upload, ask.face ?? 0), job: true)
                await site.forget(dropped)
                let job = try await jobs.submit(id: id, face: image, method: method, steps: ask.steps, pivotSteps: ask.pivot_steps,
                                                sessionJobs: sessions.jobs(of: token).filter { $0 != id })
                return try json(job.snapshot, status: .accepted)
            }
        }
        router.get("/api/jobs/:job") { request, context in
            try await site.respond(request) { token in try json(try await site.job(context, token).snapshot) }
        }
        router.post("/api/jobs/:job/cancel") { request, context in
            try await site.respond(request) { token in
                let job = try await site.job(context, token)
                job.cancel()
                return try json(job.snapshot)
            }
        }
        router.get("/api/jobs/:job/preview.png") { request, context in
            try await site.respond(request) { token in
                guard let bytes = try await site.job(context, token).preview else {
                    throw EditorError(.notFound, "the job has no preview yet")
                }
                return binary(bytes, type: "image/png")
            }
        }
        router.get("/api/jobs/:job/events") { request, context in
            try await site.respond(request) { token in events(try await site.job(context, token)) }
        }
        router.post("/api/seed") { request, _ in
            try await site.respond(request) { token in
                var request = request
                let ask = try decode(SeedRequest.self, try await body(&request, limit: limits.jsonBytes))
                guard (0...Int(UInt32.max)).contains(ask.seed) else { throw EditorError(.badRequest, "seed must be in 0...2^32-1") }
                let (id, dropped) = await sessions.newItem(in: token)
                await site.forget(dropped)
                return try json(InversionReply(inversion: id, summary: try await engine.seed(ask.seed, id: id)))
            }
        }
        router.post("/api/render") { request, _ in
            try await site.respond(request) { token in
                var request = request
                let ask = try decode(RenderBody.self, try await body(&request, limit: limits.jsonBytes))
                return binary(try await engine.render(site.renderRequest(ask, token)), type: "image/png")
            }
        }
        router.post("/api/pasteback") { request, _ in
            try await site.respond(request) { token in
                var request = request
                let ask = try decode(RenderBody.self, try await body(&request, limit: limits.jsonBytes))
                let render = try await site.renderRequest(ask, token)
                guard let (upload, index) = await sessions.source(of: ask.inversion, token), let photo = upload.photo,
                      let quad = upload.faces[index].quad
                else {
                    throw EditorError(.conflict, "inversion \(ask.inversion) was not made from a photo kept in this session "
                        + "(seeds and testbed samples have none to paste into)")
                }
                let png = try await engine.pasteBack(render, photo: photo, quad: quad.scaled(by: upload.scale))
                return binary(png, type: "image/png", download: "pasted.png")
            }
        }
        router.get("/api/inversions/:inversion/latent.npy") { request, context in
            try await site.respond(request) { token in
                let id = try context.parameters.require("inversion")
                try await site.requireOwned(id, token)
                return binary(try await engine.latent(id), type: "application/octet-stream", download: "latent.npy")
            }
        }
        router.get("/api/inversions/:inversion/inversion.safetensors") { request, context in
            try await site.respond(request) { token in
                let id = try context.parameters.require("inversion")
                try await site.requireOwned(id, token)
                return binary(try await engine.inversionFile(id), type: "application/octet-stream", download: "inversion.safetensors")
            }
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "stylegan serve"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) })
    }

    // MARK: replies

    struct UploadReply: Codable {
        struct Face: Codable { let box: [Double]; let score: Double }
        let upload: String
        let width: Int
        let height: Int
        let faces: [Face]
    }

    struct InvertRequest: Codable { let upload: String; let face: Int?; let method: String }
    struct JobRequest: Codable {
        let upload: String
        let face: Int?
        let method: String
        let steps: Int?
        let pivot_steps: Int?
    }

    struct SampleRequest: Codable { let sample: Int }
    struct SeedRequest: Codable { let seed: Int }

    /// `/api/render` and `/api/pasteback`: an inversion and its recipe; `mix` names another inversion or a seed.
    struct RenderBody: Codable {
        struct Mix: Codable { let inversion: String?; let seed: Int?; let layers: [Int]; let strength: Double? }
        struct Interpolate: Codable { let inversion: String; let t: Double }
        let inversion: String
        let directions: [String: Double]?
        let components: [EditRecipe.Component]?
        let mix: Mix?
        let interpolate: Interpolate?
        let truncation: Double?
    }

    struct InversionReply: Codable { let inversion: String; let summary: EditorEngine.InversionSummary }
    struct ErrorReply: Codable { let error: String }

    // MARK: plumbing

    /// What the handlers share: the sessions, the engine and the job queue.
    struct Site: Sendable {
        let sessions: EditorSessions
        let engine: EditorEngine
        let jobs: EditorJobs

        /// Runs `handler` in the request's session (made when it has none: the reply sets its cookie), turning
        /// refusals into JSON errors with their status.
        func respond(_ request: Request, _ handler: (String) async throws -> Response) async throws -> Response {
            let entered = await sessions.enter(request.cookies[cookieName]?.value)
            if !entered.expired.isEmpty { await forget(entered.expired) }
            var response: Response
            do {
                response = try await handler(entered.token)
            } catch let error as EditorError {
                response = try json(ErrorReply(error: error.message), status: HTTPResponse.Status(code: error.status.rawValue))
            } catch let error as DecodingError {
                response = try json(ErrorReply(error: "the request's JSON does not fit: \(error)"), status: .badRequest)
            } catch {
                response = try json(ErrorReply(error: "\(error)"), status: .unprocessableContent)
            }
            if entered.isNew {
                response.setCookie(Cookie(name: cookieName, value: entered.token, path: "/", httpOnly: true, sameSite: .strict))
            }
            response.headers[.cacheControl] = "no-store"
            return response
        }

        /// Drops expired or evicted items: their inversions, and their jobs (cancelled if running).
        func forget(_ ids: [String]) async {
            guard !ids.isEmpty else { return }
            await engine.forget(ids)
            await jobs.forget(ids)
        }

        func requireOwned(_ id: String, _ token: String) async throws {
            guard await sessions.owns(id, token) else { throw EditorError(.notFound, "no inversion \(id) in this session") }
        }

        /// The method and aligned face an inversion request names.
        func source(_ uploadID: String, _ face: Int?, _ methodName: String, _ token: String) async throws
            -> (InversionMethod, Image)
        {
            guard let method = InversionMethod(rawValue: methodName) else {
                throw EditorError(.badRequest, "unknown method \(methodName)")
            }
            guard let upload = await sessions.upload(uploadID, of: token) else {
                throw EditorError(.notFound, "no upload \(uploadID) in this session")
            }
            let index = face ?? 0
            guard upload.faces.indices.contains(index) else {
                throw EditorError(.badRequest, "the upload has \(upload.faces.count) faces; face \(index) is not one")
            }
            return (method, upload.faces[index].image)
        }

        /// The session's job `:job`.
        func job(_ context: BasicRequestContext, _ token: String) async throws -> EditorJob {
            let id = try context.parameters.require("job")
            guard await sessions.owns(id, token), let job = await jobs.job(id) else {
                throw EditorError(.notFound, "no job \(id) in this session")
            }
            return job
        }

        /// A render body checked against the session: every inversion it names must be the session's.
        func renderRequest(_ body: RenderBody, _ token: String) async throws -> EditorEngine.RenderRequest {
            try await requireOwned(body.inversion, token)
            var recipe = EditRecipe(directions: body.directions ?? [:], components: body.components ?? [],
                                    truncation: body.truncation ?? 1)
            var request = EditorEngine.RenderRequest(inversion: body.inversion)
            if let mix = body.mix {
                switch (mix.inversion, mix.seed) {
                case let (id?, nil):
                    try await requireOwned(id, token)
                    request.mixWith = .inversion(id)
                case let (nil, seed?): request.mixWith = .seed(seed)
                default: throw EditorError(.badRequest, "mix names either an inversion or a seed")
                }
                recipe.mix = EditRecipe.Mix(layers: mix.layers, strength: mix.strength ?? 1)
            }
            if let interpolate = body.interpolate {
                try await requireOwned(interpolate.inversion, token)
                request.interpolateTo = interpolate.inversion
                recipe.interpolation = interpolate.t
            }
            request.recipe = recipe
            return request
        }
    }

    /// Server-sent events of a job: its snapshot whenever it changes, until it finishes (the last event), the client
    /// leaves, or an hour passes.
    static func events(_ job: EditorJob) -> Response {
        let body = ResponseBody { writer in
            var last: EditorJob.Snapshot?
            let deadline = Date().addingTimeInterval(3600)
            while Date() < deadline {
                let now = job.snapshot
                if now != last {
                    let data = try JSONEncoder().encode(now)
                    try await writer.write(ByteBuffer(string: "event: \(now.isFinished ? "end" : "progress")\ndata: "
                        + String(decoding: data, as: UTF8.self) + "\n\n"))
                    last = now
                    if now.isFinished { break }
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    /// The photo an upload's bytes hold, checked before decoding: the kind from the bytes, the size from the header.
    static func decodePhoto(_ data: [UInt8], limits: EditorLimits) throws -> Image {
        guard let kind = ImageSniffer.kind(data) else {
            throw EditorError(.unsupportedMediaType, "the file is not a PNG or JPEG image (its bytes say so, whatever its name)")
        }
        guard let size = ImageSniffer.dimensions(data, kind: kind) else {
            throw EditorError(.unprocessable, "the \(kind.rawValue) file is damaged or cut short")
        }
        guard size.width > 0, size.height > 0, size.width * size.height <= limits.maxPixels else {
            throw EditorError(.payloadTooLarge, "the image is \(size.width)x\(size.height) pixels; the limit is "
                + "\(limits.maxPixels / 1_000_000) megapixels")
        }
        do { return try Image.decode(data) } catch {
            throw EditorError(.unprocessable, "the \(kind.rawValue) file cannot be decoded: \(error)")
        }
    }

    /// The photo kept for paste-back: at most `side` pixels on its longer side, and the factor it was scaled by.
    static func keptPhoto(_ photo: Image, side: Int) throws -> (Image, Double) {
        let longer = max(photo.width, photo.height)
        guard longer > side else { return (photo, 1) }
        let scale = Double(side) / Double(longer)
        let (w, h) = (max(1, Int((Double(photo.width) * scale).rounded())), max(1, Int((Double(photo.height) * scale).rounded())))
        return (try Image(tensor: resize(photo.tensor(), height: h, width: w).clamp(min: -1, max: 1)), scale)
    }

    static func body(_ request: inout Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw EditorError(.payloadTooLarge, "the request body is \(length) bytes; the limit is \(limit)")
        }
        do {
            return Array(try await request.collectBody(upTo: limit).readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw EditorError(.payloadTooLarge, "the request body is over the limit of \(limit) bytes")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    static func face(_ context: BasicRequestContext, _ sessions: EditorSessions, _ token: String) async throws
        -> (EditorSessions.Upload, Int)
    {
        let id = try context.parameters.require("upload")
        let name = try context.parameters.require("face")
        guard name.hasSuffix(".png"), let index = Int(name.dropLast(4)) else { throw EditorError(.notFound, "no such face image") }
        guard let upload = await sessions.upload(id, of: token), upload.faces.indices.contains(index) else {
            throw EditorError(.notFound, "no face \(index) of upload \(id) in this session")
        }
        return (upload, index)
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func binary(_ bytes: [UInt8], type: String, download: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: type]
        if let download { headers[.contentDisposition] = "attachment; filename=\"\(download)\"" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func page() throws -> Response {
        var response = try resource("index.html", type: "text/html; charset=utf-8")
        response.headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'"
        return response
    }

    /// A file of the bundle's Resources folder (its name fixed here, never taken from a request).
    static func resource(_ name: String, type: String) throws -> Response {
        let bytes = try [UInt8](Data(contentsOf: Bundle.module.bundleURL.appendingPathComponent("Resources/\(name)")))
        return Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension AlignmentQuad {
    /// The quad in an image scaled by `factor`.
    func scaled(by factor: Double) -> AlignmentQuad {
        guard factor != 1 else { return self }
        func point(_ p: FacePoint) -> FacePoint { FacePoint(x: p.x * factor, y: p.y * factor) }
        return AlignmentQuad(topLeft: point(topLeft), bottomLeft: point(bottomLeft), bottomRight: point(bottomRight),
                             topRight: point(topRight), size: size * factor)
    }
}
