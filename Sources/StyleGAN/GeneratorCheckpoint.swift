import Checkpoints
import Foundation
import Torch

/// A generator read from a checkpoint as users have it, with where each part came from.
public struct LoadedGenerator {
    public let generator: StyleGAN2Generator
    /// The average w [D]: the checkpoint's `latent_avg` when it has one, else the mean of mapping(z).
    public let latentAvg: Tensor
    /// Whether `latentAvg` was computed here rather than read.
    public let latentAvgComputed: Bool
    /// What the file is, e.g. "rosinality checkpoint (g_ema)" or "pSp/e4e container (decoder.)".
    public let layout: String
    /// Top-level entries of the file besides the generator (encoder weights, opts, ...), for `stylegan info`.
    public let otherContents: [String]

    public init(generator: StyleGAN2Generator, latentAvg: Tensor, latentAvgComputed: Bool, layout: String,
                otherContents: [String])
    {
        self.generator = generator
        self.latentAvg = latentAvg
        self.latentAvgComputed = latentAvgComputed
        self.layout = layout
        self.otherContents = otherContents
    }
}

/// Loads StyleGAN2 generators from rosinality `.pt` files, pSp/e4e/ReStyle/E2Style/CLCAE containers, NVIDIA
/// stylegan2-ada-pytorch `.pkl` snapshots and our canonical safetensors. The format follows the extension:
/// `.safetensors`, `.pkl`, anything else is read as a `torch.save` file.
public enum GeneratorCheckpoint {
    /// Metadata key under which `convert` records the architecture in safetensors.
    public static let configKey = "stylegan2.config"
    public static let latentAvgKey = "latent_avg"

    public static func load(_ path: String, device: Device = .cpu) throws -> LoadedGenerator {
        guard FileManager.default.fileExists(atPath: path) else { throw CheckpointError.io(file: path, message: "no such file") }
        let loaded = try CheckpointError.naming(path) {
            switch (path as NSString).pathExtension.lowercased() {
            case "safetensors": try loadSafetensors(path)
            case "pkl": try NvidiaCheckpoint.load(path)
            default: try loadTorch(path)
            }
        }
        if device != .cpu { try loaded.generator.to(device: device) }
        return loaded
    }

    private static func loadTorch(_ path: String) throws -> LoadedGenerator {
        let root = try TorchCheckpoint.load(path)
        guard case .dict(let top) = root else {
            throw CheckpointError.invalid(file: path, message: "expected a dict at the top level, found \(root.typeName)")
        }
        let keys = top.stringKeys
        var weights: [String: Tensor]
        var layout: String
        var used: Set<String>
        if let name = ["g_ema", "g"].first(where: { keys.contains($0) }) {
            weights = try root[name].stateDict().dictionary
            layout = "rosinality checkpoint (\(name))"
            used = [name, "latent_avg"]
        } else if keys.contains("state_dict") {
            let all = try root["state_dict"].stateDict().dictionary
            weights = strip(all, prefix: "decoder.")
            guard !weights.isEmpty else {
                throw CheckpointError.invalid(file: path, message: "state_dict holds no decoder.* generator weights")
            }
            layout = "encoder container (state_dict with decoder.* weights)"
            used = ["state_dict", "latent_avg"]
        } else {
            weights = try root.stateDict().dictionary
            layout = "bare generator state dict"
            used = Set(keys)
        }
        var latent: Tensor?
        if keys.contains("latent_avg"), case .tensor(let t) = try root["latent_avg"] { latent = t }
        var others = keys.filter { !used.contains($0) }
        if layout.hasPrefix("encoder"), let all = try? root["state_dict"].stateDict() {
            let encoderKeys = all.names.filter { !$0.hasPrefix("decoder.") }
            if !encoderKeys.isEmpty { others.insert("state_dict: \(encoderKeys.count) non-decoder tensors", at: 0) }
        }
        return try build(weights: weights, config: nil, latentAvg: latent, layout: layout, others: others)
    }

    private static func loadSafetensors(_ path: String) throws -> LoadedGenerator {
        let file = try Safetensors.read(path)
        var weights = file.tensors.dictionary
        let latent = weights.removeValue(forKey: latentAvgKey)
        // An encoder container saved as safetensors keeps the generator under `decoder.`.
        if weights.keys.contains(where: { $0.hasPrefix("decoder.") }) {
            let others = weights.keys.filter { !$0.hasPrefix("decoder.") }.count
            return try build(weights: strip(weights, prefix: "decoder."), config: nil, latentAvg: latent,
                             layout: "encoder container (safetensors, decoder.* weights)",
                             others: others > 0 ? ["\(others) non-decoder tensors"] : [])
        }
        var config: GeneratorConfig?
        if let json = file.metadata[configKey] {
            config = try JSONDecoder().decode(GeneratorConfig.self, from: Data(json.utf8))
        }
        return try build(weights: weights, config: config, latentAvg: latent, layout: "safetensors", others: [])
    }

    static func strip(_ weights: [String: Tensor], prefix: String) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (key, value) in weights where key.hasPrefix(prefix) { out[String(key.dropFirst(prefix.count))] = value }
        return out
    }

    /// Builds the generator the weights describe and loads them strictly.
    static func build(weights: [String: Tensor], config: GeneratorConfig?, latentAvg: Tensor?, layout: String,
                      others: [String]) throws -> LoadedGenerator
    {
        let config = try config ?? GeneratorConfig(inferringFrom: weights.mapValues(\.shape))
        let generator = try StyleGAN2Generator(config)
        try generator.load(stateDict: weights, strict: true)
        generator.eval()
        var average = latentAvg
        if let a = average {
            // pSp-family files may store the average repeated per w+ row, [L, D].
            average = try a.rank == 2 ? a.mean([0]) : a.reshape([config.styleDim])
        }
        let computed = average == nil
        return LoadedGenerator(generator: generator, latentAvg: try average ?? generator.meanLatent(), latentAvgComputed: computed,
                               layout: layout, otherContents: others)
    }
}

extension GeneratorCheckpoint {
    /// Writes our canonical file: every weight under its rosinality key, `latent_avg`, and the architecture as
    /// JSON in the metadata, so the file loads without inference.
    /// Writes our canonical safetensors; `half` stores the weights as float16 (the shipped form; loading converts
    /// them back), latent_avg stays float32.
    public static func save(_ loaded: LoadedGenerator, to path: String, half: Bool = false) throws {
        var tensors = try loaded.generator.stateDict().dictionary
        if half { tensors = try Safetensors.halved(tensors) }
        tensors[latentAvgKey] = try loaded.latentAvg.to(device: .cpu, dtype: .float32)
        let config = try String(decoding: JSONEncoder().encode(loaded.generator.config), as: UTF8.self)
        try Safetensors.write(tensors, metadata: [configKey: config, "format": "stylegan2-rosinality"], to: path)
    }
}

/// What `stylegan info` prints about a generator file.
public struct GeneratorSummary {
    public let lines: [(String, String)]

    public init(_ loaded: LoadedGenerator) {
        let g = loaded.generator
        let c = g.config
        var lines: [(String, String)] = [
            ("layout", loaded.layout),
            ("resolution", "\(c.size)x\(c.size)"),
            ("style_dim", "\(c.styleDim)"),
            ("n_mlp", "\(c.nMLP)"),
            ("n_latent", "\(g.nLatent)"),
            ("channels", zip(GeneratorConfig.resolutions(upTo: c.size), c.channels).map { "\($0):\($1)" }
                .joined(separator: " ")),
            ("parameters", "\(g.parameterCount)"),
            ("latent_avg", loaded.latentAvgComputed ? "computed (mean of mapping(z) over 10,000 seeded z)" : "from file"),
        ]
        if let clamp = c.convClamp { lines.append(("conv_clamp", "\(clamp)")) }
        for other in loaded.otherContents { lines.append(("also holds", other)) }
        self.lines = lines
    }
}

extension LoadedGenerator {
    /// A generator with seeded random weights (rosinality's initialisation) and its mean latent.
    public static func random(_ config: GeneratorConfig, seed: UInt64) throws -> LoadedGenerator {
        let g = try StyleGAN2Generator(config, generator: Torch.Generator(seed: seed))
        g.eval()
        return LoadedGenerator(generator: g, latentAvg: try g.meanLatent(seed: seed), latentAvgComputed: true,
                               layout: "random weights (seed \(seed))", otherContents: [])
    }
}
