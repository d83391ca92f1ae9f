import StyleGAN
import Torch

/// An encoder network of the pSp framework (pSp, e4e, ReStyle, E2Style build on it): images in, one style code per
/// w+ row out, before any latent average is added.
public protocol StyleCodeNetwork: Module {
    /// Channels it takes: 3 for images, 6 for an image beside the current reconstruction (ReStyle, E2Style).
    var inputChannels: Int { get }
    /// Rows of the w+ codes it predicts (the generator's n_latent).
    var styleCount: Int { get }
    /// Length of each code: 512 for every official encoder, the generator's style dimension for narrow ones.
    var styleDim: Int { get }
    /// Side of the images it reads: 256 for every official encoder.
    var inputSize: Int { get }
    /// [N, inputChannels, H, W] -> [N, styleCount, styleDim]
    func styleCodes(_ x: Tensor) throws -> Tensor
}

extension StyleCodeNetwork {
    public var styleDim: Int { 512 }
    public var inputSize: Int { 256 }
}

/// pSp and e4e inversion: one pass of the encoder, plus `latent_avg` when the checkpoint was trained with
/// `start_from_latent_avg` (the reference's `forward`, which e4e inherits from pSp).
///
/// The codes do not depend on noise. pSp's and e4e's scripts render them with fresh noise (`randomize_noise=True`);
/// inversions here render with the generator's fixed maps (`NoiseMode.const`), as ReStyle's and E2Style's inference
/// does, so results are reproducible; only stochastic detail differs.
public final class PSPEncoder: InversionEncoder {
    /// "psp" or "e4e".
    public let method: String
    public let network: any StyleCodeNetwork
    /// [L, D], added to the codes; nil when the network predicts w+ directly.
    public let latentAvg: Tensor?
    public var inputSize: Int { network.inputSize }
    public var networks: [Module] { [network] }

    /// `latentAvg` may be [D], [1, D] or [L, D] (pSp files store the average repeated per row).
    public init(method: String, network: any StyleCodeNetwork, latentAvg: Tensor?) throws {
        guard network.inputChannels == 3 else {
            throw TorchError("\(method): the encoder takes \(network.inputChannels)-channel inputs, not images")
        }
        self.method = method
        self.network = network
        self.latentAvg = try latentAvg.map { try latentRows($0, count: network.styleCount) }
    }

    /// Images [N, 3, S, S] in [-1, 1] (S = `inputSize`, 256 for official encoders) -> w+ [N, L, D]; the generator
    /// only has to match L and D.
    public func encode(_ images: Tensor, generator: StyleGAN2Generator, options: EncodingOptions) throws -> EncoderOutput {
        try options.expectOnly([], for: method)
        try expectImages(images, channels: 3, height: inputSize, width: inputSize, for: method)
        try expectCompatible(generator, styleCount: network.styleCount, styleDim: network.styleDim, method: method)
        return try withNoGrad {
            let codes = try network.styleCodes(images.to(device: deviceOf(network)))
            return EncoderOutput(wPlus: try latentAvg.map { try codes + $0.to(device: codes.device) } ?? codes)
        }
    }
}

/// A latent average as [count, D]: [D] and [1, D] are repeated, [count, D] is kept.
func latentRows(_ average: Tensor, count: Int) throws -> Tensor {
    let s = average.shape
    switch s.count {
    case 1: return try average.unsqueeze(0).expand([count, s[0]]).contiguous()
    case 2 where s[0] == 1: return try average.expand([count, s[1]]).contiguous()
    case 2 where s[0] == count: return average
    default: throw TorchError("latent_avg must be [D], [1, D] or [\(count), D], got \(s)")
    }
}

/// Throws unless the generator reads `styleCount` codes of `styleDim` dimensions.
func expectCompatible(_ generator: StyleGAN2Generator, styleCount: Int, styleDim: Int = 512, method: String) throws {
    guard generator.nLatent == styleCount, generator.config.styleDim == styleDim else {
        throw TorchError("\(method): the encoder predicts \(styleCount) codes of \(styleDim) dimensions, the generator "
            + "(\(generator.config.size)x\(generator.config.size)) reads \(generator.nLatent) of \(generator.config.styleDim)")
    }
}

/// Where a network's weights live, so inputs follow them.
func deviceOf(_ network: Module) -> Device {
    network.parameters().first?.device ?? .cpu
}

/// What the pSp framework feeds back to its encoders: the generator's image for w+ codes, rendered with the
/// checkpoint's fixed noise (the official ReStyle and E2Style inference pass `randomize_noise=False`), then
/// `face_pool`, an adaptive average pool to side x side (256 for every official encoder):
/// [N, L, D] -> [N, 3, side, side] on the codes' device.
func renderFacePooled(_ codes: Tensor, generator: StyleGAN2Generator, side: Int = 256) throws -> Tensor {
    let image = try generator.synthesis(codes.to(device: deviceOf(generator)), noise: .const)
    return try F.adaptiveAvgPool2d(image, (side, side)).to(device: codes.device)
}
