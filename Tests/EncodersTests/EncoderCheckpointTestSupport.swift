@testable import Checkpoints
import Encoders
import Foundation
import StyleGAN
import TestSupport
import Testing
import Torch

/// The pSp-family encoder suites, one at a time: each builds IR-SE50 networks of 0.1-1 GB, which together would
/// not fit beside the rest of the test run.
@Suite("pSp-family encoders", .serialized)
enum PSPFamilyEncoderTests {}

enum EncoderTestSupport {
    /// A StyleGAN2 generator with 512-d codes and 4 w+ rows (8x8 output), seeded: the smallest the encoders fit.
    /// Its average is random, not computed, to keep the tests quick.
    static func tinyGenerator(seed: UInt64 = 3) throws -> LoadedGenerator {
        let rng = try Torch.Generator(seed: seed)
        let g = try StyleGAN2Generator(GeneratorConfig(size: 8, styleDim: 512, nMLP: 2, channels: [16, 16]), generator: rng)
        g.eval()
        return LoadedGenerator(generator: g, latentAvg: try Tensor.randn([512], generator: rng), latentAvgComputed: false,
                               layout: "random weights (seed \(seed))", otherContents: [])
    }

    /// Procedural images [n, 3, height, 256] in [-0.9, 0.9].
    static func images(_ n: Int = 1, height: Int = 256) throws -> Tensor {
        try Procedural.input([n, 3, height, 256])
    }

    /// [1, 3, size, size] zeros with 1 at (row, column) in every channel: resampled, it shows the filter's taps.
    static func impulse(size: Int, row: Int, column: Int) throws -> Tensor {
        var values = [Float](repeating: 0, count: 3 * size * size)
        for channel in 0..<3 { values[(channel * size + row) * size + column] = 1 }
        return try Tensor(values, shape: [1, 3, size, size])
    }

    /// Checks that a resampled impulse (channel 0 of `x` [1, 3, H, W]) is the separable filter `taps` around
    /// (row, column) (rows and columns row - 1 ... row + 1) and zero elsewhere.
    static func expectImpulseResponse(_ x: Tensor, row: Int, column: Int, taps: [Float], _ what: String,
                                      sourceLocation: SourceLocation = #_sourceLocation) throws
    {
        let plane = try x.select(1, 0).squeeze(0)
        let around = try plane.narrow(0, start: row - 1, length: 3).narrow(1, start: column - 1, length: 3)
        let t = try Tensor(taps)
        try expectClose(around, try t.outer(t), tol: 1e-6, what, sourceLocation: sourceLocation)
        let total = taps.reduce(0, +)
        #expect(abs(try plane.sum().item() - Double(total * total)) < 1e-5, "\(what): mass outside the 3x3 taps",
                sourceLocation: sourceLocation)
    }

    /// Whether `network`'s state dict, less the batch-norm counters the fixtures leave out, is `keys` in order.
    static func hasKeys(_ network: Module, _ keys: [Procedural.Key]) throws -> Bool {
        let ours = try network.stateDict().filter { !$0.name.hasSuffix("num_batches_tracked") }
        return ours.map(\.name) == keys.map(\.name) && ours.map(\.tensor.shape) == keys.map(\.shape)
    }

    /// Trainable elements the keys list (running statistics left out).
    static func parameterCount(_ keys: [Procedural.Key]) -> Int {
        keys.filter { !$0.name.hasSuffix("running_mean") && !$0.name.hasSuffix("running_var") }
            .reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    /// Checks the fixture rule and prints the measured error, which the reports quote.
    static func expectParity(_ ours: Tensor, _ reference: Tensor, _ what: String,
                             sourceLocation: SourceLocation = #_sourceLocation) throws
    {
        try expectClose(ours, reference, what, sourceLocation: sourceLocation)
        let scale = max(1, try reference.abs().max().item())
        print("\(what): max |ours - ref| = \(try maxAbsDifference(ours, reference)) (max |ref| \(scale))")
    }

    /// The message of the error `body` throws, nil when it returns.
    static func thrownMessage(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as CheckpointError {
            return error.description
        } catch let error as TorchError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    /// A Python dict as `torch.save` would have pickled it.
    static func dict(_ entries: [(String, PickleValue)]) -> PickleValue {
        .dict(PickleDict(entries.map { (key: .string($0.0), value: $0.1) }))
    }

    /// An `argparse.Namespace` with these attributes.
    static func namespace(_ entries: [(String, PickleValue)]) -> PickleValue {
        .object(PickleObject(module: "argparse", name: "Namespace", arguments: [], keywordArguments: PickleDict([]),
                             state: dict(entries), listItems: [], dictItems: PickleDict([])))
    }

    /// A pSp-style container: `state_dict` with the encoder under `encoderPrefix` and the generator under
    /// `decoder.`, `latent_avg`, `opts`.
    static func container(encoder: Module, encoderPrefix: String = "encoder.", generator: LoadedGenerator?,
                          latentAvg: Tensor?, opts: PickleValue) throws -> PickleValue
    {
        var weights: [(String, PickleValue)] = try encoder.stateDict().map { (encoderPrefix + $0.name, .tensor($0.tensor)) }
        if let generator {
            weights += try generator.generator.stateDict().map { ("decoder." + $0.name, .tensor($0.tensor)) }
        }
        var top: [(String, PickleValue)] = [("state_dict", dict(weights)), ("opts", opts)]
        if let latentAvg { top.append(("latent_avg", .tensor(latentAvg))) }
        return dict(top)
    }

    /// Whether two modules hold the same state dict, key for key and value for value.
    static func sameWeights(_ a: Module, _ b: Module) throws -> Bool {
        let x = try a.stateDict()
        let y = try b.stateDict().dictionary
        guard x.count == y.count else { return false }
        return try x.allSatisfy { name, tensor in
            guard let other = y[name], other.shape == tensor.shape else { return false }
            return try maxAbsDifference(tensor, other) == 0
        }
    }

    /// A fresh path in the temporary folder, removed by the caller.
    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("encoders-\(UUID().uuidString)-\(name)").path
    }
}
