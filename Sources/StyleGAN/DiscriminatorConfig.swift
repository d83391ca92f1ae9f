import Torch

/// The architecture of a rosinality `Discriminator`: a 1x1 input layer at full resolution, one residual block per
/// halving down to 4x4, the minibatch standard-deviation feature, a 3x3 conv and two linear layers.
///
/// Checkpoints do not store it; `init(inferringFrom:)` reads it off the tensor shapes.
public struct DiscriminatorConfig: Codable, Equatable, Sendable {
    /// Input resolution, a power of two from 8 to 1024.
    public var size: Int
    /// Channels at each resolution 4, 8, ..., size.
    public var channels: [Int]
    /// Taps of the FIR filter before every stride-2 convolution.
    public var blurKernel: [Double]
    /// Samples per minibatch-stddev group (at most the batch; the batch must be a multiple of it).
    public var stddevGroup: Int
    /// Channel groups the standard deviation is taken over; each adds one feature map.
    public var stddevFeatures: Int

    public init(size: Int, channels: [Int], blurKernel: [Double] = [1, 3, 3, 1], stddevGroup: Int = 4,
                stddevFeatures: Int = 1) throws
    {
        self.size = size
        self.channels = channels
        self.blurKernel = blurKernel
        self.stddevGroup = stddevGroup
        self.stddevFeatures = stddevFeatures
        try validate()
    }

    /// rosinality's `Discriminator(size, channel_multiplier, blur_kernel)`, or any other channel plan.
    public init(size: Int, plan: ChannelPlan = .rosinality(), blurKernel: [Double] = [1, 3, 3, 1]) throws {
        guard size >= 8, size <= 1024, size.nonzeroBitCount == 1 else {
            throw TorchError("discriminator size must be a power of two from 8 to 1024, got \(size)")
        }
        try self.init(size: size, channels: plan.channels(upTo: size), blurKernel: blurKernel)
    }

    /// Channels at `resolution`.
    public func channels(at resolution: Int) -> Int { channels[resolution.trailingZeroBitCount - 2] }

    /// Number of residual blocks: one per halving from `size` to 4.
    public var blocks: Int { size.trailingZeroBitCount - 2 }

    public func validate() throws {
        guard size >= 8, size <= 1024, size.nonzeroBitCount == 1 else {
            throw TorchError("discriminator size must be a power of two from 8 to 1024, got \(size)")
        }
        let count = size.trailingZeroBitCount - 1
        guard channels.count == count, channels.allSatisfy({ $0 > 0 }) else {
            throw TorchError("discriminator of size \(size) needs \(count) positive channel counts, got \(channels)")
        }
        guard blurKernel.count >= 2 else { throw TorchError("blur kernel needs at least 2 taps, got \(blurKernel)") }
        guard stddevGroup > 0, stddevFeatures > 0, channels[0] % stddevFeatures == 0 else {
            throw TorchError("minibatch stddev needs a positive group and a feature count dividing the \(channels[0]) "
                + "channels at 4x4, got group \(stddevGroup), features \(stddevFeatures)")
        }
    }
}

extension DiscriminatorConfig {
    /// Reads the architecture off a rosinality discriminator state dict's shapes (keys without prefix).
    public init(inferringFrom shapes: [String: [Int]]) throws {
        func shape(_ key: String) throws -> [Int] {
            guard let s = shapes[key] else { throw TorchError("not a StyleGAN2 discriminator: no \"\(key)\" tensor") }
            return s
        }
        let input = try shape("convs.0.0.weight")
        guard input.count == 4, input[1] == 3 else {
            throw TorchError("not a StyleGAN2 discriminator: convs.0.0.weight is \(input), expected [C, 3, 1, 1]")
        }
        var blocks = 0
        while shapes["convs.\(blocks + 1).conv2.1.weight"] != nil { blocks += 1 }
        guard blocks >= 1 else { throw TorchError("not a StyleGAN2 discriminator: no residual block convs.1") }
        // Channels from full resolution down to 4x4, then reversed into the plan's order.
        var channels = [input[0]]
        for i in 1...blocks { channels.append(try shape("convs.\(i).conv2.1.weight")[0]) }
        let finalConv = try shape("final_conv.0.weight")
        guard finalConv.count == 4, finalConv[1] > channels.last! else {
            throw TorchError("not a StyleGAN2 discriminator: final_conv.0.weight is \(finalConv), expected "
                + "[C, \(channels.last!) + stddev features, 3, 3]")
        }
        var blur: [Double] = [1, 3, 3, 1]
        if let k = shapes["convs.1.conv2.0.kernel"], k.count == 2, k[0] == k[1] {
            blur = GeneratorConfig.binomialTaps(k[0])
        }
        try self.init(size: 4 << blocks, channels: channels.reversed(), blurKernel: blur,
                      stddevFeatures: finalConv[1] - channels.last!)
    }
}
