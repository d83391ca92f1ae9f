import Checkpoints
import Foundation
import Torch

/// The result of inverting one image, in one safetensors file:
///
/// - `w_plus` [L, D], always;
/// - `feature` [C, H, W] with its layer K and blend, for F-space methods (Feature-Style, CLCAE);
/// - `delta.<generator key>` tensors for generator-tuning methods (PTI, GANI), with their kind:
///   multiplicative (θ' = θ (1 + Δ), GANI) or additive (θ' = θ + Δ, PTI);
/// - `noise.<l>` [1, 1, R, R] noise maps when the method optimised them (the projector);
/// - `__metadata__`: method, options, the generator file's SHA-256, image size, seconds and the loss curve.
///
/// Rendering checks the SHA-256, so an inversion is never silently shown through another generator.
public struct InversionFile {
    public static let format = "stylegan-inversion/1"

    public enum DeltaKind: String, Codable, Sendable {
        case multiplicative, additive
    }

    public struct Metadata: Codable, Equatable, Sendable {
        public var method: String
        public var options: [String: String]
        public var generatorSHA256: String
        public var imageSize: Int
        public var seconds: Double
        public var lossCurve: [Double]

        public init(method: String, options: [String: String] = [:], generatorSHA256: String, imageSize: Int,
                    seconds: Double, lossCurve: [Double] = [])
        {
            self.method = method
            self.options = options
            self.generatorSHA256 = generatorSHA256
            self.imageSize = imageSize
            self.seconds = seconds
            self.lossCurve = lossCurve
        }
    }

    /// [L, D]
    public var wPlus: Tensor
    /// [C, H, W] for layer K (see `StyleGAN2Generator`), with the blend s of (1 - s) x + s f.
    public var feature: (layer: Int, tensor: Tensor, blend: Double)?
    /// Per-parameter generator changes keyed by the generator's state-dict key.
    public var deltas: (kind: DeltaKind, tensors: [String: Tensor])?
    /// Per-layer noise maps [1, 1, R, R] the inversion used instead of the generator's fixed ones.
    public var noiseMaps: [Tensor]?
    public var metadata: Metadata

    public init(wPlus: Tensor, feature: (layer: Int, tensor: Tensor, blend: Double)? = nil,
                deltas: (kind: DeltaKind, tensors: [String: Tensor])? = nil, noiseMaps: [Tensor]? = nil,
                metadata: Metadata)
    {
        self.wPlus = wPlus
        self.feature = feature
        self.deltas = deltas
        self.noiseMaps = noiseMaps
        self.metadata = metadata
    }

    public func write(to path: String) throws {
        var tensors: [String: Tensor] = ["w_plus": try wPlus.to(device: .cpu, dtype: .float32)]
        var meta: [String: String] = ["format": InversionFile.format]
        meta["metadata"] = String(decoding: try JSONEncoder().encode(metadata), as: UTF8.self)
        if let feature {
            tensors["feature"] = try feature.tensor.to(device: .cpu, dtype: .float32)
            meta["feature_layer"] = String(feature.layer)
            meta["feature_blend"] = String(feature.blend)
        }
        if let deltas {
            meta["delta_kind"] = deltas.kind.rawValue
            for (key, t) in deltas.tensors { tensors["delta." + key] = try t.to(device: .cpu, dtype: .float32) }
        }
        for (i, map) in (noiseMaps ?? []).enumerated() { tensors["noise.\(i)"] = try map.to(device: .cpu, dtype: .float32) }
        try Safetensors.write(tensors, metadata: meta, to: path)
    }

    public static func read(_ path: String) throws -> InversionFile {
        let file = try Safetensors.read(path)
        func invalid(_ message: String) -> CheckpointError { .invalid(file: path, message: message) }
        guard file.metadata["format"] == format else {
            throw invalid("not an inversion file (metadata format is \(file.metadata["format"] ?? "missing"), expected \(format))")
        }
        guard let json = file.metadata["metadata"],
              let metadata = try? JSONDecoder().decode(Metadata.self, from: Data(json.utf8))
        else { throw invalid("missing or malformed inversion metadata") }
        guard let wPlus = file.tensors["w_plus"], wPlus.rank == 2 else { throw invalid("w_plus must be a [L, D] tensor") }
        var result = InversionFile(wPlus: wPlus, metadata: metadata)
        if let f = file.tensors["feature"] {
            guard f.rank == 3, let layer = file.metadata["feature_layer"].flatMap(Int.init),
                  let blend = file.metadata["feature_blend"].flatMap(Double.init)
            else { throw invalid("feature must be [C, H, W] with feature_layer and feature_blend metadata") }
            result.feature = (layer, f, blend)
        }
        let deltaTensors = file.tensors.filter { $0.name.hasPrefix("delta.") }
        if !deltaTensors.isEmpty {
            guard let kind = file.metadata["delta_kind"].flatMap(DeltaKind.init(rawValue:)) else {
                throw invalid("generator deltas without a valid delta_kind")
            }
            var tensors: [String: Tensor] = [:]
            for (name, t) in deltaTensors { tensors[String(name.dropFirst("delta.".count))] = t }
            result.deltas = (kind, tensors)
        }
        var maps: [Tensor] = []
        while let map = file.tensors["noise.\(maps.count)"] { maps.append(map) }
        if !maps.isEmpty { result.noiseMaps = maps }
        return result
    }
}

extension StyleGAN2Generator {
    /// A copy of this generator with `deltas` applied to its parameters (tuned generators of PTI and GANI).
    public func applying(_ kind: InversionFile.DeltaKind, _ deltas: [String: Tensor]) throws -> StyleGAN2Generator {
        let tuned = try StyleGAN2Generator(config)
        var state = try stateDict().dictionary
        for (key, delta) in deltas {
            guard let base = state[key] else { throw TorchError("generator delta for unknown parameter \(key)") }
            guard delta.shape == base.shape else {
                throw TorchError("generator delta for \(key) is \(delta.shape), the parameter is \(base.shape)")
            }
            let d = try delta.to(device: base.device, dtype: base.dtype)
            state[key] = try kind == .multiplicative ? base * (d + 1) : base + d
        }
        try tuned.load(stateDict: state)
        try tuned.to(device: input.input.device)
        tuned.eval()
        return tuned
    }
}

extension LoadedGenerator {
    /// Regenerates the image [1, 3, S, S] of an inversion made with the generator file whose SHA-256 is `sha256`.
    /// The inversion's own noise maps are used when it has them, else `noise`.
    public func render(_ inversion: InversionFile, generatorSHA256 sha256: String, noise: NoiseMode = .const,
                       device: Device = .cpu) throws -> Tensor
    {
        guard inversion.metadata.generatorSHA256 == sha256 else {
            throw TorchError("this inversion was made with another generator (SHA-256 \(inversion.metadata.generatorSHA256.prefix(12))…, "
                + "this one is \(sha256.prefix(12))…); render it with the generator it was made with")
        }
        let g = try inversion.deltas.map { try generator.applying($0.kind, $0.tensors) } ?? generator
        let wPlus = try inversion.wPlus.unsqueeze(0).to(device: device)
        let feature = try inversion.feature.map {
            FeatureInjection(layer: $0.layer, tensor: try $0.tensor.unsqueeze(0).to(device: device), blend: $0.blend)
        }
        let maps = try inversion.noiseMaps.map { NoiseMode.explicit(try $0.map { try $0.to(device: device) }) }
        return try withInferenceMode { try g.synthesis(wPlus, noise: maps ?? noise, feature: feature) }
    }
}
