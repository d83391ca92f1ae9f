import StyleGAN
import Torch

/// ReStyle inversion (pSp or e4e encoder): starting from the average latent and its image, each iteration encodes
/// the image beside the current reconstruction and adds the predicted residual to the codes; the generator
/// renders the new codes for the next iteration (fixed noise, then `face_pool` to 256), as the official
/// `run_on_batch`.
public final class ReStyleEncoder: InversionEncoder {
    /// "restyle-psp" or "restyle-e4e".
    public let method: String
    /// Takes 6 channels: image and reconstruction.
    public let network: any StyleCodeNetwork
    /// [L, D]: the first iteration's codes are relative to it.
    public let latentAvg: Tensor
    /// Refinement steps unless a run asks for others (the official `n_iters_per_batch`, 5 by default).
    public let iterations: Int
    /// Rows of the 256x256 pooled reconstruction the encoder sees: 32..<224 for the cars models, whose images are
    /// 192x256 (`dataset_type` cars_encode); nil for the whole square.
    public let reconstructionRows: Range<Int>?
    public var inputSize: Int { network.inputSize }
    public var networks: [Module] { [network] }

    /// G(latent_avg) face-pooled, for the generator it was rendered with.
    private weak var averageImageSource: StyleGAN2Generator?
    private var cachedAverageImage: Tensor?

    /// `latentAvg` may be [D], [1, D] or [L, D].
    public init(method: String, network: any StyleCodeNetwork, latentAvg: Tensor, iterations: Int = 5,
                reconstructionRows: Range<Int>? = nil) throws
    {
        guard network.inputChannels == 6 else {
            throw TorchError("\(method): a ReStyle encoder takes 6 channels (image and reconstruction), "
                + "this one \(network.inputChannels)")
        }
        self.method = method
        self.network = network
        self.latentAvg = try latentRows(latentAvg, count: network.styleCount)
        self.iterations = iterations
        self.reconstructionRows = reconstructionRows
    }

    /// The images' height: the input size (256), or the cropped rows' count.
    var inputHeight: Int { reconstructionRows?.count ?? inputSize }

    /// An antialiased bilinear resize to inputHeight x inputSize: the official `Resize((192, 256))` for the cars
    /// models, `Resize((256, 256))` otherwise.
    public func prepareInput(_ images: Tensor) throws -> Tensor {
        try resizeAsTorchvision(images, height: inputHeight, width: inputSize, for: method)
    }

    /// The codes after each iteration, [N, L, D] each, latent average included; `iterations` nil runs the
    /// checkpoint's count.
    public func codesPerIteration(_ images: Tensor, generator: StyleGAN2Generator, iterations: Int? = nil) throws
        -> [Tensor]
    {
        let iterations = iterations ?? self.iterations
        guard iterations >= 1 else { throw TorchError("\(method): iterations must be at least 1, got \(iterations)") }
        try expectImages(images, channels: 3, height: inputHeight, width: inputSize, for: method)
        try expectCompatible(generator, styleCount: network.styleCount, styleDim: network.styleDim, method: method)
        return try withNoGrad {
            let x = try images.to(device: deviceOf(network))
            var reconstruction = try averageImage(generator).to(device: x.device)
                .expand([x.size(0), 3, inputHeight, inputSize])
            var codes = try latentAvg.to(device: x.device).unsqueeze(0)
            var all: [Tensor] = []
            for i in 0..<iterations {
                codes = try network.styleCodes(Tensor.cat([x, reconstruction], dim: 1)) + codes
                all.append(codes)
                if i + 1 < iterations {
                    reconstruction = try crop(renderFacePooled(codes, generator: generator, side: inputSize))
                }
            }
            return all
        }
    }

    /// w+ after the last iteration.
    public func encode(_ images: Tensor, generator: StyleGAN2Generator, options: EncodingOptions) throws -> EncoderOutput {
        try options.expectOnly(["iterations"], for: method)
        return EncoderOutput(wPlus: try codesPerIteration(images, generator: generator, iterations: options.iterations).last!)
    }

    public func settings(_ options: EncodingOptions) throws -> [String: String] {
        try options.expectOnly(["iterations"], for: method)
        return ["iterations": "\(options.iterations ?? iterations)"]
    }

    /// The official `get_average_image`: G(latent_avg), face-pooled (and cropped for cars), [1, 3, H, S].
    private func averageImage(_ generator: StyleGAN2Generator) throws -> Tensor {
        if let cachedAverageImage, averageImageSource === generator { return cachedAverageImage }
        let image = try crop(renderFacePooled(latentAvg.unsqueeze(0), generator: generator, side: inputSize))
        (averageImageSource, cachedAverageImage) = (generator, image)
        return image
    }

    private func crop(_ image: Tensor) throws -> Tensor {
        guard let rows = reconstructionRows else { return image }
        return try image.slice(2, rows)
    }
}
