import Checkpoints
import Foundation
import Torch
import Training

/// Knuth's MMIX linear congruential generator: a random stream whose whole state is one integer, saved in
/// checkpoints as the data position.
struct DataStream {
    var state: UInt64

    /// Uniform in [0, 1) with 24 bits (the high bits, the good ones of an LCG).
    mutating func uniform() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(state >> 40) / Float(1 << 24)
    }
}

/// The engine's stand-in trainer: linear regression on a random stream, SGD with momentum written out, and a
/// lazy L2 penalty every 3 steps. Weights, momentum and the stream's position go to a safetensors checkpoint.
final class RegressionTrainer: Trainer {
    struct Killed: Error {}

    let batchSize = 8
    let checkpointExtension = "safetensors"
    let weight: Tensor  // [4, 1]
    let bias: Tensor  // [1]
    private let velocity: [Tensor]
    private var data: DataStream
    private let trueWeight: Tensor  // [4, 1]

    /// The scalars of every step this object ran.
    private(set) var history: [[Scalar]] = []
    /// Runs before step `index` (to raise a signal or to die).
    var beforeStep: ((Int) throws -> Void)?
    /// Replaces `saveState` (to fail a write).
    var save: ((String, Int) throws -> Void)?
    /// Images every step reports.
    var reportImages = false

    init(seed: UInt64) throws {
        var start = DataStream(state: seed)
        weight = try Tensor((0..<4).map { _ in start.uniform() - 0.5 }, shape: [4, 1]).requiresGrad(true)
        bias = try Tensor.zeros([1]).requiresGrad(true)
        velocity = [try .zeros([4, 1]), try .zeros([1])]
        trueWeight = try Tensor([Float(1.5), -2, 0.25, 3], shape: [4, 1])
        data = DataStream(state: seed &+ 1)
    }

    func step(_ iteration: Iteration) throws -> StepReport {
        try beforeStep?(iteration.index)
        let x = try Tensor((0..<32).map { _ in data.uniform() * 2 - 1 }, shape: [8, 4])
        let noise = try Tensor((0..<8).map { _ in (data.uniform() - 0.5) * 0.1 }, shape: [8, 1])
        let target = try x.matmul(trueWeight) + noise + 0.5
        var loss = try (x.matmul(weight) + bias - target).square().mean()
        var scalars = [Scalar("mse", try loss.item())]
        if iteration.every(3) {
            let penalty = try weight.square().sum() * 0.03
            loss = try loss + penalty
            scalars.append(Scalar("l2", try penalty.item()))
        }
        try loss.backward()
        let parameters = [weight, bias]
        let gradients = try parameters.map { try $0.grad! }
        try iteration.group.allReduce(gradients, .mean)
        try withNoGrad {
            for (parameter, (gradient, buffer)) in zip(parameters, zip(gradients, velocity)) {
                try buffer.mul_(0.9)
                try buffer.add_(gradient)
                try parameter.add_(buffer, alpha: -0.05)
                try parameter.setGrad(nil)
            }
        }
        history.append(scalars)
        let images = reportImages ? [(tag: "weights", images: try Tensor.ones([2, 3, 4, 4]) * weight.sum().tanh().detach())] : []
        return StepReport(scalars: scalars, images: images)
    }

    func saveState(to path: String, iteration: Int) throws {
        if let save { return try save(path, iteration) }
        try Safetensors.write(
            ["weight": weight.detach(), "bias": bias.detach(), "velocity.weight": velocity[0], "velocity.bias": velocity[1]],
            metadata: ["data": String(data.state), "iteration": String(iteration)], to: path)
    }

    func loadState(from path: String) throws -> Int? {
        let file = try Safetensors.read(path)
        let tensors = file.tensors.dictionary
        for (name, target) in [("weight", weight), ("bias", bias), ("velocity.weight", velocity[0]), ("velocity.bias", velocity[1])] {
            guard let saved = tensors[name], saved.shape == target.shape else {
                throw TorchError("\(name) is missing or has another shape")
            }
            try withNoGrad { try target.copy_(saved) }
        }
        guard let position = file.metadata["data"].flatMap(UInt64.init) else { throw TorchError("no data position") }
        data.state = position
        return file.metadata["iteration"].flatMap(Int.init)
    }

    /// A 2 x 2 grid of 4 x 4 images whose shade follows the weights.
    func samples(at _: Int) throws -> Tensor? {
        try Tensor.ones([4, 3, 4, 4]) * weight.sum().tanh().detach()
    }

    func evaluate(at iteration: Int, group _: any ProcessGroup) throws -> [Scalar] {
        [Scalar("distance", try (weight - trueWeight).square().sum().item()), Scalar("evaluated", Double(iteration))]
    }

    /// Weights and momentum as bytes, for bitwise comparisons.
    func stateBytes() throws -> [[UInt8]] {
        try ([weight, bias] + velocity).map { try $0.detach().bytes() }
    }
}
