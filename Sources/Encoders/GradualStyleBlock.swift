import StyleGAN
import Torch

/// pSp's `GradualStyleBlock` ("map2style", also in e4e and ReStyle): log2(spatial) 3x3 stride-2 convs, each
/// followed by LeakyReLU(0.01), shrink a [N, 512, spatial, spatial] map to 1x1; an equalised linear (pSp's
/// `EqualLinear`, lr_mul 1, the math of rosinality's) then gives one style code.
///
/// Parameters with 512 channels: 9,701,888 (spatial 16, 4 convs), 12,061,696 (32, 5), 14,421,504 (64, 6).
public final class GradualStyleBlock: Module, Layer {
    public let outChannels: Int
    /// Conv2d at even indices, LeakyReLU at odd ones (`convs.0`, `convs.2`, ...).
    public let convs: Sequential
    public let linear: EqualLinear

    public init(_ inChannels: Int = 512, _ outChannels: Int = 512, spatial: Int) throws {
        guard spatial >= 2, spatial.nonzeroBitCount == 1 else {
            throw TorchError("GradualStyleBlock: spatial size must be a power of two >= 2, got \(spatial)")
        }
        self.outChannels = outChannels
        var layers: [any Layer] = []
        for i in 0..<spatial.trailingZeroBitCount {
            layers.append(try Conv2d(i == 0 ? inChannels : outChannels, outChannels, kernelSize: 3, stride: 2, padding: 1))
            layers.append(LeakyReLU())
        }
        convs = try Sequential(layers)
        linear = try EqualLinear(outChannels, outChannels)
        super.init()
        try register(module: "convs", convs)
        try register(module: "linear", linear)
    }

    /// [N, in, spatial, spatial] -> [N, out]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let pooled = try convs(x)
        guard pooled.size(2) == 1, pooled.size(3) == 1 else {
            throw TorchError("GradualStyleBlock: the convs reduce \(Array(x.shape.suffix(2))) to "
                + "\(Array(pooled.shape.suffix(2))), not 1x1; the encoder expects 256x256 images")
        }
        return try linear(pooled.flatten(from: 1))
    }
}
