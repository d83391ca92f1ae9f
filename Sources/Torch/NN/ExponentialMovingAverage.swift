/// Keeps a second copy of a model (StyleGAN's `g_ema`) as an exponential moving average of the model's weights,
/// as rosinality's `accumulate(g_ema, g, decay)`: `ema = decay * ema + (1 - decay) * p` for every parameter,
/// with the same in-place operations (`mul_`, then `add_` with alpha `1 - decay`), so the averages round alike.
///
/// Parameters and buffers are paired by name once, at creation, and must have the same names and shapes.
public struct ExponentialMovingAverage {
    /// What happens to buffers (noise maps, running statistics) on each update.
    public enum Buffers: Sendable {
        /// Copied from the model, as StyleGAN2-ADA's training loop does.
        case copied
        /// Left as they are, as rosinality's `accumulate` does (it reads parameters only).
        case kept
    }

    public let ema: Module
    public let model: Module
    public let buffers: Buffers
    private let parameterPairs: [(ema: Tensor, model: Tensor)]
    private let bufferPairs: [(ema: Tensor, model: Tensor)]

    public init(ema: Module, model: Module, buffers: Buffers = .copied) throws {
        self.ema = ema
        self.model = model
        self.buffers = buffers
        parameterPairs = try Self.pairs(ema.namedParameters(), model.namedParameters(), kind: "parameter")
        bufferPairs = try Self.pairs(ema.namedBuffers(), model.namedBuffers(), kind: "buffer")
    }

    /// Moves every averaged parameter `1 - decay` of the way to the model's; `decay` 0 copies the model (as
    /// rosinality's `accumulate(g_ema, generator, 0)` does at the start of training).
    public func update(decay: Double) throws {
        guard (0...1).contains(decay) else { throw TorchError("EMA decay must be in [0, 1], got \(decay)") }
        try withNoGrad {
            for (average, current) in parameterPairs {
                try average.mul_(decay)
                try average.add_(current, alpha: 1 - decay)
            }
            if buffers == .copied {
                for (average, current) in bufferPairs { try average.copy_(current) }
            }
        }
    }

    private static func pairs(_ averages: [(name: String, tensor: Tensor)], _ currents: [(name: String, tensor: Tensor)],
                              kind: String) throws -> [(ema: Tensor, model: Tensor)]
    {
        let byName = Dictionary(currents.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        let averageNames = Set(averages.map(\.name))
        let missing = averages.map(\.name).filter { byName[$0] == nil }
        let extra = currents.map(\.name).filter { !averageNames.contains($0) }
        guard missing.isEmpty, extra.isEmpty else {
            throw TorchError("EMA: the average and the model differ in \(kind)s: only in the average "
                + "[\(missing.prefix(8).joined(separator: ", "))], only in the model "
                + "[\(extra.prefix(8).joined(separator: ", "))]")
        }
        return try averages.map { name, average in
            let current = byName[name]!
            guard average.shape == current.shape else {
                throw TorchError("EMA: \(kind) '\(name)' has shape \(average.shape) in the average, "
                    + "\(current.shape) in the model")
            }
            return (average, current)
        }
    }
}
