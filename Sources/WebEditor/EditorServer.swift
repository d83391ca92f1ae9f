import Foundation
import Hummingbird
import Images
import Inversion
import NIOCore

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
        let router = Router()
        router.get("/") { _, _ in try page() }
        router.get("/api/info") { request, _ in
            try await respond(request, sessions, engine) { _ in try json(await engine.info) }
        }
        router.post("/api/upload") { request, _ in
            try await respond(request, sessions, engine) { token in
                var request = request
                let bytes = try await body(&request, limit: limits.uploadBytes)
                let contentType = request.headers[.contentType] ?? ""
                let part = try Multipart(body: bytes, contentType: contentType).parts.first { $0.name == "file" }
                guard let part else { throw EditorError(.badRequest, "the upload has no field \"file\"") }
                let data = [UInt8](part.body)
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
                let photo: Image
                do { photo = try Image.decode(data) } catch {
                    throw EditorError(.unprocessable, "the \(kind.rawValue) file cannot be decoded: \(error)")
                }
                let faces = try await engine.faces(in: photo, name: "upload")
                guard !faces.isEmpty else { throw EditorError(.unprocessable, "no face was found in the photo") }
                let id = await sessions.add(.init(name: part.filename ?? "upload", width: photo.width, height: photo.height,
                                                  faces: faces), to: token)
                return try json(UploadReply(upload: id, width: photo.width, height: photo.height,
                                            faces: faces.map { .init(box: $0.box, score: $0.score) }))
            }
        }
        router.get("/api/uploads/:upload/faces/:face") { request, context in
            try await respond(request, sessions, engine) { token in
                let (upload, index) = try await face(context, sessions, token)
                return binary(try EditorEngine.png(upload.faces[index].image), type: "image/png")
            }
        }
        router.post("/api/invert") { request, context in
            try await respond(request, sessions, engine) { token in
                var request = request
                let ask = try decode(InvertRequest.self, try await body(&request, limit: limits.jsonBytes))
                guard let method = InversionMethod(rawValue: ask.method) else {
                    throw EditorError(.badRequest, "unknown method \(ask.method)")
                }
                guard let upload = await sessions.upload(ask.upload, of: token) else {
                    throw EditorError(.notFound, "no upload \(ask.upload) in this session")
                }
                guard upload.faces.indices.contains(ask.face ?? 0) else {
                    throw EditorError(.badRequest, "the upload has \(upload.faces.count) faces; face \(ask.face ?? 0) is not one")
                }
                let (id, dropped) = await sessions.newInversion(in: token)
                await engine.forget(dropped)
                let summary = try await engine.invert(upload.faces[ask.face ?? 0].image, method: method, id: id)
                return try json(InversionReply(inversion: id, summary: summary))
            }
        }
        router.post("/api/seed") { request, _ in
            try await respond(request, sessions, engine) { token in
                var request = request
                let ask = try decode(SeedRequest.self, try await body(&request, limit: limits.jsonBytes))
                guard (0...Int(UInt32.max)).contains(ask.seed) else { throw EditorError(.badRequest, "seed must be in 0...2^32-1") }
                let (id, dropped) = await sessions.newInversion(in: token)
                await engine.forget(dropped)
                return try json(InversionReply(inversion: id, summary: try await engine.seed(ask.seed, id: id)))
            }
        }
        router.post("/api/render") { request, _ in
            try await respond(request, sessions, engine) { token in
                var request = request
                let ask = try decode(RenderRequest.self, try await body(&request, limit: limits.jsonBytes))
                try await requireOwned(ask.inversion, sessions, token)
                return binary(try await engine.render(ask.inversion, edits: ask.edits ?? [:], truncation: ask.truncation ?? 1),
                              type: "image/png")
            }
        }
        router.get("/api/inversions/:inversion/latent.npy") { request, context in
            try await respond(request, sessions, engine) { token in
                let id = try context.parameters.require("inversion")
                try await requireOwned(id, sessions, token)
                return binary(try await engine.latent(id), type: "application/octet-stream", download: "latent.npy")
            }
        }
        router.get("/api/inversions/:inversion/inversion.safetensors") { request, context in
            try await respond(request, sessions, engine) { token in
                let id = try context.parameters.require("inversion")
                try await requireOwned(id, sessions, token)
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
    struct SeedRequest: Codable { let seed: Int }
    struct RenderRequest: Codable { let inversion: String; let edits: [String: Double]?; let truncation: Double? }
    struct InversionReply: Codable { let inversion: String; let summary: EditorEngine.InversionSummary }
    struct ErrorReply: Codable { let error: String }

    // MARK: plumbing

    /// Runs `handler` in the request's session (made when it has none: the reply sets its cookie), turning refusals
    /// into JSON errors with their status.
    static func respond(_ request: Request, _ sessions: EditorSessions, _ engine: EditorEngine,
                        _ handler: (String) async throws -> Response) async throws -> Response
    {
        let entered = await sessions.enter(request.cookies[cookieName]?.value)
        if !entered.expired.isEmpty { await engine.forget(entered.expired) }
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

    static func requireOwned(_ id: String, _ sessions: EditorSessions, _ token: String) async throws {
        guard await sessions.owns(id, token) else { throw EditorError(.notFound, "no inversion \(id) in this session") }
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
        let url = Bundle.module.bundleURL.appendingPathComponent("Resources/index.html")
        let bytes = try [UInt8](Data(contentsOf: url))
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
