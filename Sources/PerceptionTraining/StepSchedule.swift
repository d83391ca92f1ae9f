import Foundation
import Torch

/// What every perception trainer derives from the iteration alone, so a resumed run repeats the uninterrupted
/// one without saving any random state: the step's random stream and its learning rate.
enum StepSchedule {
    /// A generator for step `index` of a run seeded with `seed` (SplitMix64 of both).
    static func generator(seed: UInt64, index: Int) throws -> Torch.Generator {
        try Torch.Generator(seed: mix(seed: seed, index: index))
    }

    /// SplitMix64 of `seed` and `index`: a well-spread 64-bit value for each pair.
    static func mix(seed: UInt64, index: Int) -> UInt64 {
        var generator = SplitMix(state: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(truncatingIfNeeded: index))
        return generator.next()
    }

    /// Linear warm-up over the first `warmup` steps, then cosine decay to zero at `total`.
    static func learningRate(base: Double, index: Int, total: Int, warmup: Int) -> Double {
        if index < warmup { return base * Double(index + 1) / Double(warmup) }
        let progress = Double(index - warmup) / Double(Swift.max(1, total - warmup))
        return base * 0.5 * (1 + Foundation.cos(Double.pi * Swift.min(1, progress)))
    }

    /// Sets every parameter group of `optimizer` to `lr`.
    static func apply(_ lr: Double, to optimizer: Adam) {
        for i in optimizer.paramGroups.indices { optimizer.paramGroups[i].lr = lr }
    }
}

/// PyTorch's default initialisation of every convolution and linear layer (He uniform with a = √5, bias
/// U(±1/√fan_in)) drawn from one seeded generator, so a run's starting weights depend on its seed alone, not on
/// what else used the global generator.
enum SeededInit {
    static func apply(to module: Module, seed: UInt64) throws {
        let generator = try Torch.Generator(seed: seed)
        for (_, layer) in module.namedModules() {
            let weightAndBias: (Tensor, Tensor?)? = switch layer {
            case let conv as Conv2d: (conv.weight, conv.bias)
            case let linear as Linear: (linear.weight, linear.bias)
            default: nil
            }
            guard let (weight, bias) = weightAndBias else { continue }
            try Init.kaimingUniform_(weight, a: 5.0.squareRoot(), generator: generator)
            if let bias {
                try Init.uniform_(bias, bound: 1 / Double(try Init.fans(weight.shape).fanIn).squareRoot(),
                                  generator: generator)
            }
        }
    }
}
