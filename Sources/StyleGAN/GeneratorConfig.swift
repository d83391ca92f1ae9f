import Torch

/// The architecture of a rosinality-layout StyleGAN2 generator.
///
/// Checkpoints do not store it, so `init(inferringFrom:)` reads it off the tensor shapes; the presets name the
/// published configurations.
public struct GeneratorConfig: Codable, Equatable, Sendable {
    /// Output resolution, a power of two from 8 to 1024.
    public var size: Int
    public var styleDim: Int
    public var nMLP: Int
    /// Channels at each resolution 4, 8, ..., size.
    public var channels: [Int]
    public var blurKernel: [Double]
    public var lrMLP: Double
    /// NVIDIA's `conv_clamp`: activations clamped to ±clamp after each styled conv, RGB after each ToRGB bias.
    /// rosinality's generator has none (nil).
    public var convClamp: Double?

    public init(size: Int, styleDim: Int = 512, nMLP: Int = 8, channels: [Int], blurKernel: [Double] = [1, 3, 3, 1],
                lrMLP: Double = 0.01, convClamp: Double? = nil) throws
    {
        self.size = size
        self.styleDim = styleDim
        self.nMLP = nMLP
        self.channels = channels
        self.blurKernel = blurKernel
        self.lrMLP = lrMLP
        self.convClamp = convClamp
        try validate()
    }

    /// rosinality's channel plan: 512 up to 32x32, then 256·m, 128·m, 64·m, 32·m, 16·m.
    public init(size: Int, styleDim: Int = 512, nMLP: Int = 8, channelMultiplier: Int = 2) throws {
        let plan = [4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * channelMultiplier, 128: 128 * channelMultiplier,
                    256: 64 * channelMultiplier, 512: 32 * channelMultiplier, 1024: 16 * channelMultiplier]
        let resolutions = GeneratorConfig.resolutions(upTo: size)
        try self.init(size: size, styleDim: styleDim, nMLP: nMLP, channels: resolutions.map { plan[$0] ?? 0 })
    }

    /// FFHQ 1024 (config-f), the generator of pSp, e4e, ReStyle, HyperStyle, Feature-Style, CLCAE and E2Style.
    public static var ffhq1024: GeneratorConfig { try! GeneratorConfig(size: 1024) }
    /// FFHQ 256, channel multiplier 2.
    public static var ffhq256: GeneratorConfig { try! GeneratorConfig(size: 256) }
    /// Stanford Cars 512 (config-f; images are 512x384 inside a 512 square).
    public static var cars512: GeneratorConfig { try! GeneratorConfig(size: 512) }
    /// LSUN Church 256 (config-f).
    public static var church256: GeneratorConfig { try! GeneratorConfig(size: 256) }
    /// LSUN Horse 256 (config-f).
    public static var horse256: GeneratorConfig { try! GeneratorConfig(size: 256) }

    public static let presets: [String: GeneratorConfig] = [
        "ffhq-1024": .ffhq1024, "ffhq-256": .ffhq256, "cars-512": .cars512, "church-256": .church256,
        "horse-256": .horse256,
    ]

    /// Resolutions 4, 8, ..., size.
    static func resolutions(upTo size: Int) -> [Int] {
        var r: [Int] = []
        var s = 4
        while s <= size {
            r.append(s)
            s *= 2
        }
        return r
    }

    var logSize: Int { size.trailingZeroBitCount }
    /// Number of w codes the synthesis network reads: 2 per resolution above 4, plus 2.
    public var nLatent: Int { logSize * 2 - 2 }
    /// Number of styled convs (and noise maps).
    public var numLayers: Int { (logSize - 2) * 2 + 1 }
    /// Side of each layer's noise map (`noises.noise_i` is [1, 1, R, R]): 4, 8, 8, 16, 16, ...
    public var noiseSides: [Int] { (0..<numLayers).map { 4 << (($0 + 1) / 2) } }

    /// Binomial filter taps of length n ([1, 3, 3, 1] for 4).
    static func binomialTaps(_ n: Int) -> [Double] {
        var taps: [Double] = [1]
        for _ in 1..<max(n, 1) { taps = zip(taps + [0], [0] + taps).map { $0 + $1 } }
        return taps
    }

    public func validate() throws {
        guard size >= 8, size <= 1024, size.nonzeroBitCount == 1 else {
            throw TorchError("generator size must be a power of two from 8 to 1024, got \(size)")
        }
        guard styleDim > 0, nMLP > 0 else {
            throw TorchError("generator style_dim and n_mlp must be positive, got \(styleDim), \(nMLP)")
        }
        guard channels.count == logSize - 1, channels.allSatisfy({ $0 > 0 }) else {
            throw TorchError("generator of size \(size) needs \(logSize - 1) positive channel counts, got \(channels)")
        }
        guard blurKernel.count >= 2 else { throw TorchError("blur kernel needs at least 2 taps, got \(blurKernel)") }
        if let convClamp, !(convClamp > 0) { throw TorchError("conv_clamp must be positive, got \(convClamp)") }
    }
}

extension GeneratorConfig {
    /// Reads the architecture off a rosinality state dict's shapes (keys without prefix).
    public init(inferringFrom shapes: [String: [Int]]) throws {
        func shape(_ key: String) throws -> [Int] {
            guard let s = shapes[key] else { throw TorchError("not a StyleGAN2 generator: no \"\(key)\" tensor") }
            return s
        }
        let style = try shape("style.1.weight")
        guard style.count == 2, style[0] == style[1] else {
            throw TorchError("not a StyleGAN2 generator: style.1.weight is \(style), expected [D, D]")
        }
        var nMLP = 0
        while shapes["style.\(nMLP + 1).weight"] != nil { nMLP += 1 }
        var rgbs = 0
        while shapes["to_rgbs.\(rgbs).conv.weight"] != nil { rgbs += 1 }
        let size = 4 << rgbs
        var channels = [try shape("conv1.conv.weight")[1]]
        for i in 0..<rgbs { channels.append(try shape("convs.\(2 * i).conv.weight")[1]) }
        // The checkpoint carries the blur kernel's values as buffers; only its tap count shapes the padding.
        var blur: [Double] = [1, 3, 3, 1]
        if let k = shapes["convs.0.conv.blur.kernel"], k.count == 2, k[0] == k[1] {
            blur = GeneratorConfig.binomialTaps(k[0])
        }
        try self.init(size: size, styleDim: style[0], nMLP: nMLP, channels: channels, blurKernel: blur)
    }
}
