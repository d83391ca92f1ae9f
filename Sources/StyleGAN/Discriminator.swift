import Torch

/// The StyleGAN2 discriminator in rosinality's layout (`convs`, `final_conv`, `final_linear`), whose state-dict keys
/// are those of model.py: `convs.0.0.weight` (the 1x1 input layer), `convs.1.conv1.0.weight` (residual blocks),
/// `final_conv.0.weight`, `final_linear.0.weight`, ...
public final class Discriminator: Module {
    public let config: DiscriminatorConfig
    /// The input layer (`convs.0`, a `ConvLayer`) then one `ResBlock` per halving (`convs.1` ...).
    public let convs: ModuleList<Module>
    public let input: ConvLayer
    public let blocks: [ResBlock]
    /// 3x3 conv over the 4x4 features plus the minibatch-stddev maps.
    public let final_conv: ConvLayer
    /// EqualLinear(16 C, C) with fused leaky ReLU, then EqualLinear(C, 1).
    public let final_linear: Sequential

    public init(_ config: DiscriminatorConfig, generator: Torch.Generator? = nil) throws {
        try config.validate()
        self.config = config
        let k = config.blurKernel
        input = try ConvLayer(3, config.channels(at: config.size), kernelSize: 1, blurKernel: k, generator: generator)
        var blocks: [ResBlock] = []
        var resolution = config.size
        while resolution > 4 {
            blocks.append(try ResBlock(config.channels(at: resolution), config.channels(at: resolution / 2),
                                       blurKernel: k, generator: generator))
            resolution /= 2
        }
        self.blocks = blocks
        convs = try ModuleList([input as Module] + blocks)
        let c4 = config.channels(at: 4)
        final_conv = try ConvLayer(c4 + config.stddevFeatures, c4, kernelSize: 3, blurKernel: k, generator: generator)
        final_linear = try Sequential(EqualLinear(c4 * 16, c4, activated: true, generator: generator),
                                      EqualLinear(c4, 1, generator: generator))
        super.init()
        try register(module: "convs", convs)
        try register(module: "final_conv", final_conv)
        try register(module: "final_linear", final_linear)
    }

    /// Images [N, 3, size, size] -> logits [N, 1] (positive: real). The batch must be a multiple of
    /// min(N, `stddevGroup`).
    /// `compute`: the dtype the convolutions run in (the images' by default); the logits come back in the parameters'.
    public func callAsFunction(_ images: Tensor, compute: DType? = nil) throws -> Tensor {
        try expectInput(images, ["N", 3, .size(config.size), .size(config.size)], name: "images")
        // NHWC memory: the depthwise blurs before each downsampling run several times faster on it.
        var out = try input(images.to(dtype: compute ?? images.dtype).channelsLast())
        for block in blocks { out = try block(out) }
        out = try minibatchStddev(out, group: config.stddevGroup, features: config.stddevFeatures)
        out = try final_conv(out)
        return try final_linear(out.reshape([images.size(0), -1]))
    }

    /// Floating-point operations of one forward pass: 2 per multiply-add of the convolutions and linear layers
    /// (blur, activations and the stddev feature not counted).
    public func flops(batch: Int) -> Int {
        var total = input.flops(batch: batch, size: config.size)
        for (i, block) in blocks.enumerated() { total += block.flops(batch: batch, size: config.size >> i) }
        total += final_conv.flops(batch: batch, size: 4)
        let c4 = config.channels(at: 4)
        return total + 2 * batch * (c4 * 16 * c4 + c4)
    }
}
