import Testing
import Torch

/// `ExponentialMovingAverage`: rosinality's `accumulate` on parameters; buffers copied or kept.
@Suite("Exponential moving average")
struct EMATests {
    /// A parameter "weight" [2, 3] and a buffer "noise" [3], from a seed.
    final class Tiny: Module {
        init(seed: UInt64, parameterShape: [Int] = [2, 3]) throws {
            super.init()
            let g = try Generator(seed: seed)
            try register(parameter: "weight", Tensor.randn(parameterShape, generator: g).requiresGrad(true))
            try register(buffer: "noise", Tensor.randn([3], generator: g))
        }
    }

    static func values(_ module: Module, _ name: String) throws -> [Float] {
        try #require((module.namedParameters() + module.namedBuffers()).first { $0.name == name }).tensor.floats()
    }

    @Test func parametersMoveOneMinusDecayTowardsTheModel() throws {
        let ema = try Tiny(seed: 1), model = try Tiny(seed: 2)
        let start = try Self.values(ema, "weight"), target = try Self.values(model, "weight")
        let average = try ExponentialMovingAverage(ema: ema, model: model)
        try average.update(decay: 0.9)
        let expected = zip(start, target).map { Double($0) * 0.9 + 0.1 * Double($1) }
        let found = try Self.values(ema, "weight")
        #expect(zip(found, expected).allSatisfy { abs(Double($0) - $1) <= 1e-6 })
        #expect(try Self.values(ema, "noise") == Self.values(model, "noise"))
        #expect(try Self.values(model, "weight") == target)

        try average.update(decay: 1)
        #expect(try Self.values(ema, "weight") == found)
        try average.update(decay: 0)
        #expect(try Self.values(ema, "weight") == target)
    }

    @Test func keptBuffersAreLeftAlone() throws {
        let ema = try Tiny(seed: 1), model = try Tiny(seed: 2)
        let noise = try Self.values(ema, "noise")
        try ExponentialMovingAverage(ema: ema, model: model, buffers: .kept).update(decay: 0.5)
        #expect(try Self.values(ema, "noise") == noise)
        #expect(try Self.values(ema, "weight") != Self.values(model, "weight"))
    }

    @Test func mismatchedModulesAreRefusedByName() throws {
        let shapeError = #expect(throws: TorchError.self) {
            try ExponentialMovingAverage(ema: Tiny(seed: 1), model: Tiny(seed: 2, parameterShape: [3, 2]))
        }
        #expect(shapeError?.message.contains("'weight' has shape [2, 3] in the average, [3, 2] in the model") == true)

        let wrapped = Module()
        try wrapped.register(module: "inner", Tiny(seed: 1))
        let nameError = #expect(throws: TorchError.self) { try ExponentialMovingAverage(ema: wrapped, model: Tiny(seed: 2)) }
        #expect(nameError?.message.contains("only in the average [inner.weight], only in the model [weight]") == true)
        #expect(throws: TorchError.self) { try ExponentialMovingAverage(ema: Tiny(seed: 1), model: Tiny(seed: 2)).update(decay: 1.5) }
    }
}
