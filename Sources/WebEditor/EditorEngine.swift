import Checkpoints
import Editing
import Foundation
import Images
import Inversion
import Perception
import StyleGAN
import Torch

/// The models behind the editor, loaded once and shared read-only by every session: the generator, the encoder of
/// each method given, the InterFaceGAN directions, and the face aligner. An actor, so model work runs one request at
/// a time; inversions live here by id (their tensors never leave it), and everything handed out is plain data.
public actor EditorEngine {
    /// Where the models are: a generator, encoder files by method, a folder of `interfacegan_NAME.npy` boundaries.
    public struct Models: Sendable {
        public var generator: String
        public var encoders: [InversionMethod: String]
        public var directions: String?

        public init(generator: String, encoders: [InversionMethod: String] = [:], directions: String? = nil) {
            (self.generator, self.encoders, self.directions) = (generator, encoders, directions)
        }

        /// The shipped layout (`Models/testbed64`): generator.safetensors, METHOD.safetensors, directions/.
        public static func folder(_ folder: String) throws -> Models {
            let manager = FileManager.default
            func find(_ stem: String) -> String? {
                ["safetensors", "pt", "pth", "pth.tar", "pkl"].map { (folder as NSString).appendingPathComponent("\(stem).\($0)") }
                    .first { manager.fileExists(atPath: $0) }
            }
            guard let generator = find("generator") else {
                throw EditorError(.notFound, "\(folder): no generator file (generator.safetensors, .pt or .pkl)")
            }
            var encoders: [InversionMethod: String] = [:]
            for method in InversionMethod.allCases where method.family == .encoder { encoders[method] = find(method.rawValue) }
            let directions = (folder as NSString).appendingPathComponent("directions")
            return Models(generator: generator, encoders: encoders, directions: manager.fileExists(atPath: directions) ? directions : nil)
        }
    }

    /// What the page offers.
    public struct Info: Codable, Sendable {
        public let size: Int
        public let methods: [String]
        public let directions: [String]
        public let detector: String
    }

    /// A face found in an upload, aligned at the generator's size.
    public struct Face: Sendable {
        public let image: Image
        /// x1, y1, x2, y2 in the photo's pixels.
        public let box: [Double]
        public let score: Double
    }

    /// What an inversion gave.
    public struct InversionSummary: Codable, Sendable {
        public let method: String
        public let seconds: Double
        public let psnr: Double?
        public let lpips: Double?
    }

    let loaded: LoadedGenerator
    let sha256: String
    let models: Models
    let aligner: FaceAligner?
    let detector: String
    let directions: [String: LatentDirection]
    private var pipelines: [InversionMethod: InversionPipeline] = [:]
    /// An inversion with the generator that renders it and that generator's average w (for truncation).
    private struct Entry {
        let file: InversionFile
        let editor: InversionEditor
        let latentAvg: Tensor
    }

    private var entries: [String: Entry] = [:]

    public init(models: Models, dlibModels: DlibModels = .locate()) throws {
        self.models = models
        loaded = try GeneratorCheckpoint.load(models.generator)
        sha256 = try SHA256.hex(ofFile: models.generator)
        var directions: [String: LatentDirection] = [:]
        if let folder = models.directions {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            where name.hasPrefix("interfacegan_") && name.hasSuffix(".npy") {
                let attribute = String(name.dropFirst("interfacegan_".count).dropLast(".npy".count))
                directions[attribute] = try DirectionFile.read((folder as NSString).appendingPathComponent(name)).direction
            }
        }
        self.directions = directions
        if FileManager.default.fileExists(atPath: dlibModels.landmarks68) {
            (aligner, detector) = (try FaceAligner(.dlib, dlibModels: dlibModels), "dlib")
        } else {
            (aligner, detector) = (try FaceAligner(.mtcnn), "mtcnn")
        }
    }

    public var info: Info {
        Info(size: loaded.generator.config.size, methods: models.encoders.keys.map(\.rawValue).sorted(),
             directions: directions.keys.sorted(), detector: detector)
    }

    /// Every face of `photo`, largest first, aligned as the official script aligns them.
    public func faces(in photo: Image, name: String) throws -> [Face] {
        guard let aligner else { throw EditorError(.internalError, "no face aligner is loaded") }
        let results: [FaceAligner.Result]
        do {
            // One detection for every face.
            results = try aligner.alignAll(photo, name: name, outputSize: loaded.generator.config.size, maxFaces: .max,
                                           supersampling: 1)
        } catch let error as FaceAlignmentError where error.kind == .noFace {
            return []
        }
        return results.map { result in
            let face = result.face
            return Face(image: result.image, box: [face.box.x1, face.box.y1, face.box.x2, face.box.y2], score: face.score)
        }
    }

    /// Inverts an aligned face with `method`'s encoder and keeps the result as `id`.
    public func invert(_ face: Image, method: InversionMethod, id: String) throws -> InversionSummary {
        let pipeline = try pipeline(method)
        let outcome = try pipeline.invert(pipeline.prepare(face, name: "upload"))
        // Rendered by the generator it was inverted into (an encoder file's own decoder when it holds one).
        try keep(pipeline.inversionFile(outcome), as: id, generator: pipeline.generator, sha256: pipeline.generatorSHA256)
        return InversionSummary(method: method.rawValue, seconds: outcome.seconds, psnr: outcome.scores?.psnr,
                                lpips: outcome.scores?.lpips)
    }

    /// The generator's own image of `seed`, kept as an inversion (its w repeated over the layers) under `id`.
    public func seed(_ seed: Int, id: String) throws -> InversionSummary {
        let g = loaded.generator
        let w = try withInferenceMode { try g.mapping(g.z(seeds: [seed])) }  // [1, D]
        let wPlus = try w.expand([g.nLatent, g.config.styleDim]).contiguous()
        let file = InversionFile(wPlus: wPlus, metadata: InversionFile.Metadata(
            method: "seed", options: ["seed": "\(seed)"], generatorSHA256: sha256, imageSize: g.config.size, seconds: 0))
        try keep(file, as: id, generator: loaded, sha256: sha256)
        return InversionSummary(method: "seed", seconds: 0, psnr: nil, lpips: nil)
    }

    /// The image of inversion `id` moved along the named directions (strength each) and truncated toward the
    /// average by `truncation` (1: none), as PNG bytes.
    public func render(_ id: String, edits: [String: Double], truncation: Double) throws -> [UInt8] {
        guard let entry = entries[id] else { throw EditorError(.notFound, "no inversion \(id) in this session") }
        let editor = entry.editor
        guard (0...2).contains(truncation) else { throw EditorError(.badRequest, "truncation must be in 0...2, got \(truncation)") }
        var wPlus = try editor.wPlus
        let rows = try RowWeights.all(editor.generator.nLatent)
        for (name, strength) in edits.sorted(by: { $0.key < $1.key }) {
            guard let direction = directions[name] else { throw EditorError(.badRequest, "no direction named \(name)") }
            guard strength.isFinite, abs(strength) <= 10 else { throw EditorError(.badRequest, "\(name): strength must be in -10...10") }
            if strength != 0 { wPlus = try DirectionEdit.apply(wPlus, along: direction, strength: strength, rows: rows) }
        }
        if truncation != 1 {
            let average = try entry.latentAvg.to(dtype: .float32).reshape([1, -1])
            wPlus = try average + (wPlus - average) * truncation
        }
        let image = try editor.render(editor.edited(wPlus))
        return try Self.png(Image(tensor: image.clamp(min: -1, max: 1)))
    }

    /// Inversion `id`'s w+ as a NumPy array [L, D] (float32).
    public func latent(_ id: String) throws -> [UInt8] {
        guard let entry = entries[id] else { throw EditorError(.notFound, "no inversion \(id) in this session") }
        return try NumPy.encodeArray(entry.file.wPlus)
    }

    /// Inversion `id` as the `stylegan` inversion file (safetensors), which `stylegan render` and `edit` read.
    public func inversionFile(_ id: String) throws -> [UInt8] {
        guard let entry = entries[id] else { throw EditorError(.notFound, "no inversion \(id) in this session") }
        return try Self.viaFile("inversion.safetensors") { try entry.file.write(to: $0) }
    }

    /// Drops expired inversions.
    public func forget(_ ids: [String]) {
        for id in ids { entries[id] = nil }
    }

    public var inversionCount: Int { entries.count }

    private func keep(_ file: InversionFile, as id: String, generator: LoadedGenerator, sha256: String) throws {
        entries[id] = Entry(file: file, editor: try InversionEditor(generator, inversion: file, generatorSHA256: sha256),
                            latentAvg: generator.latentAvg)
    }

    private func pipeline(_ method: InversionMethod) throws -> InversionPipeline {
        if let pipeline = pipelines[method] { return pipeline }
        guard method.family == .encoder, let encoder = models.encoders[method] else {
            throw EditorError(.badRequest, "no \(method.rawValue) encoder is loaded; the methods are \(info.methods.joined(separator: ", "))")
        }
        var settings = InversionSettings(method: method)
        settings.align = false  // the editor aligns uploads itself, so the page can show and choose the faces
        let pipeline = try InversionPipeline.load(settings, checkpoint: models.generator, encoder: encoder)
        pipelines[method] = pipeline
        return pipeline
    }

    /// PNG bytes of `image`.
    static func png(_ image: Image) throws -> [UInt8] { try viaFile("image.png") { try image.write(to: $0) } }

    /// The bytes a writer puts in a private temporary file, which is then removed.
    static func viaFile(_ name: String, _ write: (String) throws -> Void) throws -> [UInt8] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylegan-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent(name).path
        try write(path)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
