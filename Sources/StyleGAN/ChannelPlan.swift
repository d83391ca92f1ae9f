import Torch

/// How many channels a StyleGAN2 network has at each resolution, for generators and discriminators alike.
///
/// rosinality's plan at channel multiplier 2 equals StyleGAN2-ADA's at cbase 32768, cmax 512 (and multiplier 1 its
/// cbase 16384); both forms are here so narrow models for tests and small datasets can be described either way.
public enum ChannelPlan: Codable, Equatable, Sendable {
    /// rosinality's: 512 up to 32x32, then 256·m, 128·m, 64·m, 32·m, 16·m; every count divided by `divisor`
    /// (rounded down, at least 1).
    case rosinality(channelMultiplier: Int, divisor: Int)
    /// StyleGAN2-ADA's `--cbase`/`--cmax`: min(cbase / resolution, cmax).
    case stylegan2ADA(cbase: Int, cmax: Int)

    /// rosinality's plan at full width.
    public static func rosinality(channelMultiplier: Int = 2) -> ChannelPlan {
        .rosinality(channelMultiplier: channelMultiplier, divisor: 1)
    }

    /// Channels at `resolution` (a power of two from 4 to 1024).
    public func channels(at resolution: Int) -> Int {
        switch self {
        case .rosinality(let m, let divisor):
            let full = resolution <= 32 ? 512 : (256 * m * 64) / resolution
            return max(1, full / divisor)
        case .stylegan2ADA(let cbase, let cmax):
            return max(1, min(cbase / resolution, cmax))
        }
    }

    /// Channels at 4, 8, ..., size.
    public func channels(upTo size: Int) throws -> [Int] {
        try validate()
        return GeneratorConfig.resolutions(upTo: size).map(channels(at:))
    }

    public func validate() throws {
        switch self {
        case .rosinality(let m, let divisor):
            guard m > 0, divisor > 0 else {
                throw TorchError("channel multiplier and width divisor must be positive, got \(m) and \(divisor)")
            }
        case .stylegan2ADA(let cbase, let cmax):
            guard cbase > 0, cmax > 0 else { throw TorchError("cbase and cmax must be positive, got \(cbase) and \(cmax)") }
        }
    }
}

extension GeneratorConfig {
    /// A generator whose widths follow `plan` (rosinality's mapping network otherwise).
    public init(size: Int, styleDim: Int = 512, nMLP: Int = 8, plan: ChannelPlan) throws {
        guard size >= 8, size <= 1024, size.nonzeroBitCount == 1 else {
            throw TorchError("generator size must be a power of two from 8 to 1024, got \(size)")
        }
        try self.init(size: size, styleDim: styleDim, nMLP: nMLP, channels: plan.channels(upTo: size))
    }
}
