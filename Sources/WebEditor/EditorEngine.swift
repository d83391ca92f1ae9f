import Checkpoints
import Editing
import Foundation
import Images
import Inversion
import Perception
import StyleGAN
import Testbed
import Torch

/// The models behind the editor, loaded once and shared read-only by every session: the generator, the encoder of
/// each method given, the loss networks of the optimisation methods, the edit directions and the face aligner. An
/// actor, so its own model work runs one request at a time; optimisation jobs run beside it on their own thread
/// (`EditorJobs`), reading the same generator. Inversions live here by id (their tensors never leave it), and
/// everything handed out is plain data.
public actor EditorEngine {
    /// What the page offers.
    public struct Info: Codable, Sendable {
        public struct Method: Codable, Sendable {
            public let name: String
            /// "encoder" (one forward pass, answered at once) or "job" (an optimisation run in the background).
            public let kind: String
        }

        public let size: Int
        /// w+ rows, for layer ranges.
        public let rows: Int
        public let methods: [Method]
        public let directions: [String]
        /// GANSpace components and SeFa directions the sliders can reach.
        public let ganspace: Int
        public let sefa: Int
        public let detector: String
        /// Testbed samples that can be picked (0 when the generator is not a testbed size).
        public let samples: Int
    }

    /// A face found in an upload, aligned at the generator's size.
    public struct Face: Sendable {
        public let image: Image
        /// x1, y1, x2, y2 in the photo's pixels.
        public let box: [Double]
        public let score: Double
        /// The crop in the photo's pixels, for paste-back; nil for testbed samples (already aligned).
        public let quad: AlignmentQuad?
    }

    /// What an inversion gave.
    public struct InversionSummary: Codable, Equatable, Sendable {
        public let method: String
        public let seconds: Double
        public let psnr: Double?
        public let lpips: Double?
        /// Identity similarity with the input (cosine), when an identity network is loaded.
        public let id: Double?

        init(method: String, seconds: Double, scores: ReconstructionScores?) {
            (self.method, self.seconds) = (method, seconds)
            (psnr, lpips, id) = (scores?.psnr, scores?.lpips, scores?.id)
        }
    }

    /// GANSpace components offered (computed on first use from `ganspaceSamples` mapped codes).
    static let ganspaceCount = 20
    static let ganspaceSamples = 100_000
    /// Testbed samples offered (test split), when the generator's size is a testbed size.
    static let sampleCount = 64

    let loaded: LoadedGenerator
    let sha256: String
    let models: ModelsFolder
    let generatorPath: String
    let aligner: FaceAligner?
    let detector: String
    /// The testbed's perception networks (LPIPS, identity, parser) for the optimisation methods and the scores.
    let networks: LossNetworks?
    var palette: EditRecipe.Palette
    private var pipelines: [String: InversionPipeline] = [:]
    private var renderer: TestbedRenderer?

    /// An inversion with its editor (the generator that renders it, tuned deltas applied) and that generator's
    /// average w, which truncation pulls toward (an encoder file's own decoder has its own).
    struct Entry {
        let editor: InversionEditor
        let latentAvg: Tensor
    }

    var entries: [String: Entry] = [:]
    /// Renders waiting for the next generator pass (see `EditorEngine+Render`).
    var pending: [PendingRender] = []
    var draining = false
    let limits: EditorLimits

    /// `networks` is the folder of the testbed's perception networks (optimisation methods and ID scores need it).
    public init(models: ModelsFolder, networks networksFolder: String?, dlibModels: DlibModels = .locate(),
                limits: EditorLimits = EditorLimits()) throws
    {
        guard let generatorPath = models.generator else {
            throw EditorError(.notFound, "\(models.path): no generator file (generator.safetensors, .pt or .pkl)")
        }
        self.models = models
        self.generatorPath = generatorPath
        self.limits = limits
        loaded = try GeneratorCheckpoint.load(generatorPath)
        sha256 = try SHA256.hex(ofFile: generatorPath)
        var directions: [String: LatentDirection] = [:]
        for name in models.directionNames {
            directions[name] = try DirectionFile.read(ModelsFolder.direction(for: name, in: models.directions)!).direction
        }
        palette = EditRecipe.Palette(directions: directions, sefa: try SeFa.factorize(loaded.generator),
                                     latentAvg: loaded.latentAvg)
        networks = try networksFolder.map { try LossNetworks.testbed(folder: $0) }
        if FileManager.default.fileExists(atPath: dlibModels.landmarks68) {
            (aligner, detector) = (try FaceAligner(.dlib, dlibModels: dlibModels), "dlib")
        } else {
            (aligner, detector) = (try FaceAligner(.mtcnn), "mtcnn")
        }
    }

    /// The optimisation methods offered: all of them with the testbed's networks; the encoder-pivot ones need e4e.
    var jobMethods: [InversionMethod] {
        guard networks != nil else { return [] }
        return InversionMethod.allCases.filter { $0.family != .encoder && (!$0.needsEncoder || models.encoders[.e4e] != nil) }
    }

    public var info: Info {
        let g = loaded.generator
        let encoders = models.encoders.keys.map(\.rawValue).sorted().map { Info.Method(name: $0, kind: "encoder") }
        return Info(size: g.config.size, rows: g.nLatent, methods: encoders + jobMethods.map { Info.Method(name: $0.rawValue, kind: "job") },
                    directions: palette.directions.keys.sorted(), ganspace: Self.ganspaceCount, sefa: g.config.styleDim,
                    detector: detector, samples: TestbedRenderer.sizes.contains(g.config.size) ? Self.sampleCount : 0)
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
            return Face(image: result.image, box: [face.box.x1, face.box.y1, face.box.x2, face.box.y2], score: face.score,
                        quad: result.quad)
        }
    }

    /// Testbed sample `index` of the test split (identity `index`), rendered at the generator's size: already aligned.
    public func sample(_ index: Int) throws -> Face {
        let size = loaded.generator.config.size
        guard TestbedRenderer.sizes.contains(size) else {
            throw EditorError(.badRequest, "testbed samples exist at \(TestbedRenderer.sizes) pixels, not \(size)")
        }
        guard (0..<Self.sampleCount).contains(index) else {
            throw EditorError(.badRequest, "sample must be in 0...\(Self.sampleCount - 1)")
        }
        if renderer == nil { renderer = try TestbedRenderer(size: size) }
        let split = TestbedSplit.test
        let sample = split.sample(at: index * TestbedSplit.variationsPerIdentity + index % TestbedSplit.variationsPerIdentity)
        let image = try Image(tensor: renderer!.render([sample]).images.clamp(min: -1, max: 1))
        return Face(image: image, box: [0, 0, Double(size), Double(size)], score: 1, quad: nil)
    }

    /// Inverts an aligned face with `method`'s encoder and keeps the result as `id`.
    public func invert(_ face: Image, method: InversionMethod, id: String) throws -> InversionSummary {
        guard method.family == .encoder else {
            throw EditorError(.badRequest, "\(method.rawValue) is an optimisation: start it as a job (POST /api/jobs)")
        }
        let pipeline = try pipeline(method, steps: nil, pivotSteps: nil)
        let outcome = try pipeline.invert(pipeline.prepare(face, name: "upload"))
        try keep(pipeline.inversionFile(outcome), as: id, pipeline: pipeline)
        return InversionSummary(method: method.rawValue, seconds: outcome.seconds, scores: outcome.scores)
    }

    /// The generator's own image of `seed`, kept as an inversion (its w repeated over the layers) under `id`.
    public func seed(_ seed: Int, id: String) throws -> InversionSummary {
        let file = InversionFile(wPlus: try seedCode(seed), metadata: InversionFile.Metadata(
            method: "seed", options: ["seed": "\(seed)"], generatorSHA256: sha256, imageSize: loaded.generator.config.size,
            seconds: 0))
        entries[id] = Entry(editor: try InversionEditor(loaded, inversion: file, generatorSHA256: sha256), latentAvg: loaded.latentAvg)
        return InversionSummary(method: "seed", seconds: 0, scores: nil)
    }

    /// w+ [L, D] of `seed`: mapping(z(seed)) repeated over the rows.
    func seedCode(_ seed: Int) throws -> Tensor {
        guard (0...Int(UInt32.max)).contains(seed) else { throw EditorError(.badRequest, "seed must be in 0...2^32-1") }
        let g = loaded.generator
        let w = try withInferenceMode { try g.mapping(g.z(seeds: [seed])) }  // [1, D]
        return try w.expand([g.nLatent, g.config.styleDim]).contiguous()
    }

    // MARK: jobs

    /// What a job runs off the actor: its pipeline and prepared target. The pipeline reads the shared generator and
    /// networks only (PTI and GANI tune copies), which libtorch allows beside the actor's renders.
    struct JobWork: @unchecked Sendable {
        let pipeline: InversionPipeline
        let target: Tensor
        let method: InversionMethod

        func run(_ control: InversionControl) throws -> Finished {
            Finished(outcome: try pipeline.invert(target, control: control))
        }
    }

    /// A finished job's outcome, handed back to the actor.
    struct Finished: @unchecked Sendable {
        let outcome: InversionOutcome
    }

    /// Refuses a method that cannot run as a job here.
    func requireJobMethod(_ method: InversionMethod) throws {
        guard jobMethods.contains(method) else {
            throw EditorError(.badRequest, method.family == .encoder
                ? "\(method.rawValue) is an encoder: invert with POST /api/invert"
                : "\(method.rawValue) is not offered; the optimisation methods are \(jobMethods.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// Sets up an optimisation inversion of `face` (steps nil: the method's own).
    func jobWork(_ face: Image, method: InversionMethod, steps: Int?, pivotSteps: Int?) throws -> JobWork {
        try requireJobMethod(method)
        let pipeline = try pipeline(method, steps: steps, pivotSteps: pivotSteps)
        return JobWork(pipeline: pipeline, target: try pipeline.prepare(face, name: "upload"), method: method)
    }

    /// Keeps a finished job's inversion as `id`.
    func finish(_ work: JobWork, _ finished: Finished, id: String) throws -> InversionSummary {
        try keep(work.pipeline.inversionFile(finished.outcome), as: id, pipeline: work.pipeline)
        return InversionSummary(method: work.method.rawValue, seconds: finished.outcome.seconds, scores: finished.outcome.scores)
    }

    /// PNG bytes of an image [1, 3, H, W] in [-1, 1] (clamped).
    nonisolated static func png(_ image: Tensor) throws -> [UInt8] {
        try png(Image(tensor: image.to(dtype: .float32).clamp(min: -1, max: 1)))
    }

    // MARK: downloads

    /// Inversion `id`'s w+ as a NumPy array [L, D] (float32).
    public func latent(_ id: String) throws -> [UInt8] {
        try NumPy.encodeArray(entry(id).editor.inversion.wPlus)
    }

    /// Inversion `id` as the `stylegan` inversion file (safetensors), which `stylegan render` and `edit` read.
    public func inversionFile(_ id: String) throws -> [UInt8] {
        let file = try entry(id).editor.inversion
        return try Self.viaFile("inversion.safetensors") { try file.write(to: $0) }
    }

    /// Drops expired inversions.
    public func forget(_ ids: [String]) {
        for id in ids { entries[id] = nil }
    }

    public var inversionCount: Int { entries.count }

    func entry(_ id: String) throws -> Entry {
        guard let entry = entries[id] else { throw EditorError(.notFound, "no inversion \(id) in this session") }
        return entry
    }

    private func keep(_ file: InversionFile, as id: String, pipeline: InversionPipeline) throws {
        // Rendered by the generator it was inverted into (an encoder file's own decoder when it holds one).
        entries[id] = Entry(editor: try InversionEditor(pipeline.generator, inversion: file, generatorSHA256: pipeline.generatorSHA256),
                            latentAvg: pipeline.generator.latentAvg)
    }

    /// The pipeline of `method` with these steps, made once. Encoders read their file; the optimisation methods share
    /// the loaded generator and the testbed's networks, and take e4e's code as their pivot where the method does.
    private func pipeline(_ method: InversionMethod, steps: Int?, pivotSteps: Int?) throws -> InversionPipeline {
        let key = "\(method.rawValue)/\(steps ?? 0)/\(pivotSteps ?? 0)"
        if let pipeline = pipelines[key] { return pipeline }
        var settings = InversionSettings(method: method)
        settings.align = false  // the editor aligns uploads itself, so the page can show and choose the faces
        settings.steps = steps
        let e4ePivot = method.family != .encoder && method.acceptsEncoder ? models.encoders[.e4e] : nil
        settings.pivotSteps = method.projectsPivot && e4ePivot == nil ? pivotSteps : nil
        let pipeline: InversionPipeline
        if method.family == .encoder {
            guard let encoder = models.encoders[method] else {
                throw EditorError(.badRequest, "no \(method.rawValue) encoder is loaded; the methods are "
                    + info.methods.map(\.name).joined(separator: ", "))
            }
            pipeline = try InversionPipeline.load(settings, checkpoint: generatorPath, encoder: encoder, networks: networks)
        } else {
            guard let networks else { throw EditorError(.badRequest, "\(method.rawValue) needs the testbed's networks (--networks)") }
            settings = settings.onTestbed
            if let e4e = e4ePivot {
                pipeline = try InversionPipeline.load(settings, checkpoint: generatorPath, encoder: e4e, networks: networks)
            } else {
                pipeline = try InversionPipeline(settings, generator: loaded, generatorPath: generatorPath, generatorSHA256: sha256,
                                                 encoder: nil, networks: networks, aligner: nil)
            }
        }
        if pipelines.count >= 32 { pipelines.removeAll() }  // steps vary per job: keep the cache bounded
        pipelines[key] = pipeline
        return pipeline
    }

    /// PNG bytes of `image`.
    nonisolated static func png(_ image: Image) throws -> [UInt8] { try viaFile("image.png") { try image.write(to: $0) } }

    /// The bytes a writer puts in a private temporary file, which is then removed.
    nonisolated static func viaFile(_ name: String, _ write: (String) throws -> Void) throws -> [UInt8] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stylegan-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent(name).path
        try write(path)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
