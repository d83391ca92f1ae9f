import StyleGAN
import Torch

/// The latent codes of one generator pass, as rosinality's `mixing_noise` and the generator's random inject index
/// choose them: with probability `mixing`, two z [N, D] whose w+ rows switch from the first to the second at a
/// random index in 1..<nLatent (style mixing); otherwise one z.
///
/// All draws come from one generator, in this order: the mixing decision (a uniform number), the codes (one
/// randn [2, N, D] when mixing, else [N, D]), then the inject index.
public struct LatentSample {
    /// One or two z codes [N, D].
    public var codes: [Tensor]
    /// Where the second code takes over (with two codes), else nil.
    public var injectIndex: Int?

    public init(codes: [Tensor], injectIndex: Int? = nil) {
        self.codes = codes
        self.injectIndex = injectIndex
    }

    public static func sample(batch: Int, styleDim: Int, nLatent: Int, mixing: Double, generator g: Torch.Generator,
                              device: Device = .cpu) throws -> LatentSample
    {
        guard (0...1).contains(mixing) else { throw TorchError("mixing probability must be in [0, 1], got \(mixing)") }
        guard batch > 0, styleDim > 0, nLatent >= 2 else {
            throw TorchError("latent sample needs a positive batch and style size and at least 2 w+ rows")
        }
        let mix = mixing > 0 ? try Tensor.rand([1], dtype: .float64, generator: g).item() < mixing : false
        guard mix else { return LatentSample(codes: try makeNoise(batch: batch, styleDim: styleDim, count: 1, generator: g, device: device)) }
        let codes = try makeNoise(batch: batch, styleDim: styleDim, count: 2, generator: g, device: device)
        let inject = try Tensor.randint(1, nLatent, [1], generator: g).itemInt()
        return LatentSample(codes: codes, injectIndex: inject)
    }
}

/// `count` z codes [N, D] from N(0, 1), as rosinality's `make_noise` (one randn [count, N, D] split when count > 1).
public func makeNoise(batch: Int, styleDim: Int, count: Int, generator: Torch.Generator, device: Device = .cpu) throws
    -> [Tensor]
{
    guard count > 0 else { throw TorchError("make_noise needs at least one code, got \(count)") }
    if count == 1 { return [try Tensor.randn([batch, styleDim], generator: generator).to(device: device)] }
    return try Tensor.randn([count, batch, styleDim], generator: generator).to(device: device).unbind(0)
}

extension StyleGAN2Generator {
    /// The w+ codes [N, nLatent, D] of a latent sample (mapping, then mixing at its inject index).
    public func latents(_ sample: LatentSample) throws -> Tensor {
        try latents(sample.codes, injectIndex: sample.injectIndex)
    }
}
