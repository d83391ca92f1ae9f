import Foundation
import StyleGAN
import Torch

/// Which phase of a generator-tuning inversion (PTI, GANI) a progress report is about.
public enum TuningStage: String, Sendable {
    /// Projecting the target to find the pivot (only when no pivot is given).
    case pivot
    /// Tuning the generator around the pivot.
    case tuning
}

extension InversionFile {
    /// This inversion's code as a tuning pivot, w+ [1, L, D]. An inversion whose image also depends on an
    /// injected feature or on generator deltas is refused: the pivot alone would not reproduce it. Its noise maps,
    /// if any, are not carried over: tuning renders with the generator's fixed noise, as PTI discards the
    /// projector's maps.
    public func tuningPivot() throws -> Tensor {
        guard feature == nil, deltas == nil else {
            throw TorchError("a tuning pivot must be a plain w+ inversion; this one (\(metadata.method)) also has "
                + (feature != nil ? "an injected feature" : "generator deltas"))
        }
        return try wPlus.unsqueeze(0)
    }
}

/// What PTI and GANI share: the pivot, target checks, the locality measurement and the options as metadata.
enum Tuning {
    /// The pivot as w+ [1, L, D] on the target's device: the given w [1, D] (repeated) or w+ [1, L, D], or the
    /// projector's result for `target` when none is given.
    static func pivot(_ given: Tensor?, target: Tensor, generator g: StyleGAN2Generator, loss: ImageLoss,
                      projector: Projector.Options, progress: (TuningStage, Int, Double, Tensor) throws -> Void) throws -> Tensor
    {
        guard let given else {
            return try Projector(generator: g, loss: loss, options: projector)
                .project(target) { try progress(.pivot, $0, $1, $2) }.wPlus
        }
        let (l, d) = (g.nLatent, g.config.styleDim)
        let pivot = try given.detach().to(device: target.device, dtype: target.dtype)
        switch pivot.shape {
        case [1, d]: return try pivot.unsqueeze(1).repeat([1, l, 1])
        case [1, l, d]: return pivot
        default: throw TorchError("a pivot must be w [1, \(d)] or w+ [1, \(l), \(d)], got \(pivot.shape)")
        }
    }

    /// Generator tuning inverts one image at a time: the tuned weights belong to it.
    static func checkTarget(_ target: Tensor, size: Int) throws {
        guard target.shape == [1, 3, size, size] else {
            throw TorchError("a generator-tuning target must be one image [1, 3, \(size), \(size)], got \(target.shape)")
        }
    }

    /// PSNR in dB of images in [-1, 1] (clamped), as 10 log10(1 / MSE) on the [0, 1] scale.
    static func psnr(_ a: Tensor, _ b: Tensor) throws -> Double {
        let mse = try ((a.clamp(min: -1, max: 1) - b.clamp(min: -1, max: 1)) / 2).square().mean().item()
        return 10 * log10(1 / Swift.max(mse, 1e-20))
    }

    /// Mean PSNR between the frozen generator's images and `tuned`'s of `samples` fresh w = mapping(z) (const
    /// noise): how much the tuning changed the generator away from the pivot.
    static func localityPSNR(frozen g: StyleGAN2Generator, samples: Int, seed: UInt64, device: Device,
                             tuned: (Tensor) throws -> Tensor) throws -> Double
    {
        guard samples > 0 else { return .nan }
        let rng = try Torch.Generator(seed: seed)
        return try withNoGrad {
            var total = 0.0
            for _ in 0..<samples {
                let z = try Tensor.randn([1, g.config.styleDim], generator: rng).to(device: device)
                let wPlus = try g.mapping(z).unsqueeze(1).repeat([1, g.nLatent, 1])
                total += try psnr(tuned(wPlus), g.synthesis(wPlus))
            }
            return total / Double(samples)
        }
    }

    /// An options struct as flat metadata strings: each top-level field, strings as they are, anything else as JSON.
    static func metadata(_ options: some Encodable) throws -> [String: String] {
        let data = try JSONEncoder().encode(options)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var out: [String: String] = [:]
        for (key, value) in object {
            if let string = value as? String {
                out[key] = string
            } else {
                let json = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
                out[key] = String(decoding: json, as: UTF8.self)
            }
        }
        return out
    }
}
