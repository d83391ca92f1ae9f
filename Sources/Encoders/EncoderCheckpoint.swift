import Checkpoints
import Foundation
import StyleGAN
import Torch

/// An encoder read from a checkpoint as its authors published it.
public struct LoadedEncoder {
    public let encoder: any InversionEncoder
    /// The generator the file also holds (pSp-family containers keep it under `decoder.`); nil when it has none.
    public let generator: LoadedGenerator?
    /// (label, value) lines for `stylegan info`.
    public let summary: [(String, String)]

    public init(encoder: any InversionEncoder, generator: LoadedGenerator?, summary: [(String, String)]) {
        self.encoder = encoder
        self.generator = generator
        self.summary = summary
    }
}

/// One method's reader. `EncoderCheckpoint.loaders` lists them; the first whose `identify` names a method loads
/// the file.
public struct EncoderMethodLoader: Sendable {
    /// The `InversionEncoder.method` names it produces, as `EncoderCheckpoint.save` records them.
    public let methods: [String]
    /// The method a file holds when it is this reader's, judged from its opts and keys; nil when it is not.
    public let identify: @Sendable (EncoderCheckpointFile) throws -> String?
    /// Builds the encoder of `method` (one of `methods`) on `device`, with the file's generator if it has one.
    public let load: @Sendable (_ file: EncoderCheckpointFile, _ method: String, _ device: Device) throws -> LoadedEncoder

    public init(methods: [String], identify: @escaping @Sendable (EncoderCheckpointFile) throws -> String?,
                load: @escaping @Sendable (EncoderCheckpointFile, String, Device) throws -> LoadedEncoder)
    {
        self.methods = methods
        self.identify = identify
        self.load = load
    }
}

/// Loads the published encoder checkpoints of pSp, e4e, ReStyle and E2Style (and, through their loaders,
/// Feature-Style and CLCAE) from `torch.save` files as released, or from the safetensors files `save` writes.
public enum EncoderCheckpoint {
    /// Safetensors metadata naming the method and holding the opts as JSON.
    public static let methodKey = "method"
    public static let optionsKey = "opts"
    public static let latentAvgKey = "latent_avg"

    /// Tried in order: the first that identifies a file loads it, so more specific layouts come first.
    public static var loaders: [EncoderMethodLoader] {
        [
            .e2style,
            .reStyle,
            // Before pSp/e4e: CLCAE's encoder extends pSp's GradualStyleEncoder keys, which the pSp loader would
            // otherwise claim.
            .featureStyle,
            .clcae,
            .pSpFamily,
        ]
    }

    /// Reads the file at `path` (`.safetensors`, else `torch.save`), identifies its method and builds the encoder and
    /// the generator it holds on `device`. Errors name the file.
    public static func load(_ path: String, device: Device = .cpu) throws -> LoadedEncoder {
        guard FileManager.default.fileExists(atPath: path) else { throw CheckpointError.io(file: path, message: "no such file") }
        return try CheckpointError.naming(path) { try load(EncoderCheckpointFile(path: path), device: device) }
    }

    /// Builds the encoder of a file already read.
    public static func load(_ file: EncoderCheckpointFile, device: Device = .cpu) throws -> LoadedEncoder {
        try CheckpointError.naming(file.path) {
            let (loader, method) = try identify(file)
            return try loader.load(file, method, device)
        }
    }

    /// The reader and method of a file: the method `save` recorded, else the first reader that recognises it.
    public static func identify(_ file: EncoderCheckpointFile) throws -> (EncoderMethodLoader, String) {
        let known = loaders.flatMap(\.methods)
        if let recorded = file.recordedMethod {
            guard let loader = loaders.first(where: { $0.methods.contains(recorded) }) else {
                throw CheckpointError.unsupported(file: file.path, message:
                    "records encoder method '\(recorded)', not one of \(known.joined(separator: ", "))")
            }
            return (loader, recorded)
        }
        for loader in loaders {
            if let method = try loader.identify(file) { return (loader, method) }
        }
        let type = (try? file.options.string("encoder_type")).map { "opts.encoder_type '\($0)'" } ?? "no opts.encoder_type"
        let names = file.weights.names.prefix(6).joined(separator: ", ")
        throw CheckpointError.unsupported(file: file.path, message: "not an encoder checkpoint of \(known.joined(separator: ", ")): "
            + "\(type); \(file.weights.count) tensors (\(names)\(file.weights.count > 6 ? ", ..." : ""))")
    }

    /// Writes `file` as safetensors: its tensors under the same keys, `latent_avg`, and the method and opts (JSON) in
    /// the metadata, so `load` reads it back without guessing.
    /// `half` stores the weights as float16 (the shipped form; loading converts them back), latent_avg stays float32.
    public static func save(_ file: EncoderCheckpointFile, to path: String, half: Bool = false) throws {
        let (_, method) = try identify(file)
        var tensors = half ? try Safetensors.halved(file.weights.dictionary) : file.weights.dictionary
        tensors[latentAvgKey] = try file.latentAvg?.to(device: .cpu, dtype: .float32)
        try Safetensors.write(tensors, metadata: [methodKey: method, optionsKey: try file.options.json()], to: path)
    }

    /// pSp's n_styles for a generator of `outputSize`: 2 log2(size) - 2 (18 at 1024).
    public static func styleCount(outputSize: Int) throws -> Int {
        guard outputSize >= 8, outputSize.nonzeroBitCount == 1 else {
            throw CheckpointError.invalid(file: "", message: "output size must be a power of two >= 8, got \(outputSize)")
        }
        return 2 * outputSize.trailingZeroBitCount - 2
    }
}

/// A checkpoint's parts as every method's reader sees them, whichever format it came in.
public struct EncoderCheckpointFile {
    /// The path as given, for messages.
    public let path: String
    /// Tensors under the file's own keys (`encoder.`, `decoder.`, ... prefixes kept): a container's `state_dict`,
    /// a bare state dict, or a safetensors file's tensors.
    public let weights: StateDict
    /// The top-level `latent_avg`: [D], [1, D] or [L, D].
    public let latentAvg: Tensor?
    public let options: EncoderOptions
    /// The method `EncoderCheckpoint.save` recorded; nil for `torch.save` files.
    public let recordedMethod: String?
    /// Top-level entries besides `state_dict`, `latent_avg` and `opts`, for `stylegan info`.
    public let otherContents: [String]

    /// Reads `.safetensors` files as `EncoderCheckpoint.save` writes them and anything else as `torch.save`.
    public init(path: String) throws {
        if path.lowercased().hasSuffix(".safetensors") {
            let file = try Safetensors.read(path)
            var weights = file.tensors
            let average = weights[EncoderCheckpoint.latentAvgKey]
            weights[EncoderCheckpoint.latentAvgKey] = nil
            let options = try file.metadata[EncoderCheckpoint.optionsKey].map { try EncoderOptions(json: $0) }
            self.init(path: path, weights: weights, latentAvg: average, options: options ?? EncoderOptions(),
                      recordedMethod: file.metadata[EncoderCheckpoint.methodKey], otherContents: [])
        } else {
            try self.init(path: path, torch: TorchCheckpoint.load(path))
        }
    }

    /// A `torch.save` value: a container dict (`state_dict`, `latent_avg`, `opts`, ...) or a bare state dict.
    public init(path: String, torch root: PickleValue) throws {
        guard case .dict(let top) = root else {
            throw CheckpointError.invalid(file: path, message: "expected a dict at the top level, found \(root.typeName)")
        }
        var weights = try (top["state_dict"] ?? root).stateDict()
        var average = try top["latent_avg"]?.tensor()
        if average == nil, let bare = weights[EncoderCheckpoint.latentAvgKey] {
            average = bare
            weights[EncoderCheckpoint.latentAvgKey] = nil
        }
        let options = try top["opts"].map { try EncoderOptions(pickle: $0) }
        let used: Set = ["state_dict", "latent_avg", "opts"]
        let others = top["state_dict"] == nil ? [] : top.stringKeys.filter { !used.contains($0) }
        self.init(path: path, weights: weights, latentAvg: average, options: options ?? EncoderOptions(),
                  recordedMethod: nil, otherContents: others)
    }

    public init(path: String, weights: StateDict, latentAvg: Tensor?, options: EncoderOptions, recordedMethod: String?,
                otherContents: [String])
    {
        self.path = path
        self.weights = weights
        self.latentAvg = latentAvg
        self.options = options
        self.recordedMethod = recordedMethod
        self.otherContents = otherContents
    }

    public func shape(_ key: String) -> [Int]? { weights[key]?.shape }

    public func contains(prefix: String) -> Bool { weights.names.contains { $0.hasPrefix(prefix) } }

    /// The tensors under `prefix`, with it removed.
    public func weights(under prefix: String) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, tensor) in weights where name.hasPrefix(prefix) { out[String(name.dropFirst(prefix.count))] = tensor }
        return out
    }

    /// Loads `network` strictly from the tensors under `prefix`; a mismatch fails naming the file, `name` and every
    /// missing, unexpected and mis-shaped key at once.
    public func load(_ network: Module, prefix: String, as name: String) throws {
        do {
            try network.load(stateDict: weights(under: prefix), strict: true)
        } catch let error as StateDictError {
            throw CheckpointError.invalid(file: path, message: "\(prefix)* is not a \(name) state dict.\n\(error.description)")
        }
    }

    /// The StyleGAN2 generator under `prefix` (the pSp family's `decoder.`), its architecture read off the shapes and
    /// its latent average the file's (else computed from the mapping); nil when the file holds none. The generator
    /// goes to `device`, the average stays on the CPU, as `GeneratorCheckpoint.load` leaves them.
    public func generator(prefix: String = "decoder.", device: Device = .cpu) throws -> LoadedGenerator? {
        let decoder = weights(under: prefix)
        guard !decoder.isEmpty else { return nil }
        let config = try GeneratorConfig(inferringFrom: decoder.mapValues(\.shape))
        let g = try StyleGAN2Generator(config)
        try load(g, prefix: prefix, as: "StyleGAN2 generator")
        g.eval()
        // pSp-family files store the average repeated per w+ row, [L, D].
        let average = try latentAvg.map { try $0.rank == 2 ? $0.mean([0]) : $0.reshape([config.styleDim]) }
        let loaded = LoadedGenerator(generator: g, latentAvg: try average ?? g.meanLatent(), latentAvgComputed: average == nil,
                                     layout: "encoder container (\(prefix)* weights)", otherContents: [])
        try g.to(device: device)
        return loaded
    }

    /// The latent average an encoder adds, [rows, D], and where it came from: the file's `latent_avg`, else the
    /// generator's (e4e computes `mean_latent` when a file has none); nil when there is neither.
    public func latentAverage(rows: Int, generator: LoadedGenerator?) throws -> (Tensor, String)? {
        if let latentAvg { return (try latentRows(latentAvg, count: rows), "from the file, \(latentAvg.shape)") }
        guard let generator else { return nil }
        return (try latentRows(generator.latentAvg, count: rows),
                generator.latentAvgComputed ? "computed from the generator (mean of mapping(z), 10,000 seeded z)"
                    : "the generator's")
    }

    /// What `stylegan info` prints: the method's own `lines` between the lines every method shares.
    public func summary(method: String, network: String, parameters: Int, lines: [(String, String)],
                        optionKeys: [String], generator: LoadedGenerator?) -> [(String, String)]
    {
        var out: [(String, String)] = [("method", method), ("encoder", network), ("encoder parameters", "\(parameters)")]
        out += lines
        let opts = options.summary(optionKeys)
        if !opts.isEmpty { out.append(("opts", opts)) }
        if let generator {
            let c = generator.generator.config
            out.append(("generator", "\(c.size)x\(c.size), \(generator.generator.parameterCount) parameters (\(generator.layout))"))
        } else {
            out.append(("generator", "none in the file"))
        }
        for other in otherContents { out.append(("also holds", other)) }
        return out
    }
}
