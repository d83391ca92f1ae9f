import Torch

/// ADA's adaptive augmentation probability, as rosinality's `AdaptiveAugment`: the overfitting heuristic
/// r_t = E[sign(D(real))] is accumulated over `updateEvery` discriminator steps; then p moves up when r_t exceeds the
/// target (and down otherwise) by the number of predictions seen / `length`, clamped to [0, 1]. At the defaults p
/// can go from 0 to 1 in `length` (500k) images.
///
/// A value type whose whole state (p, the running sums, the step counter) is Codable, so a resumed run continues
/// exactly where it stopped.
public struct AdaptiveAugment: Codable, Equatable, Sendable {
    /// The r_t the probability is steered toward (`--ada_target`).
    public var target: Double
    /// Images for p to move by 1 (`--ada_length`).
    public var length: Double
    /// Discriminator steps between updates (`--ada_every`, 256; rosinality's train.py builds its `AdaptiveAugment`
    /// with 8 whatever the flag says).
    public var updateEvery: Int
    /// The current augmentation probability.
    public private(set) var p: Double
    /// r_t at the last update (rosinality's `r_t_stat`), 0 before the first.
    public private(set) var rt: Double
    /// Sum of sign(D(real)) and number of predictions since the last update.
    public private(set) var signSum: Double
    public private(set) var predictions: Int
    /// Steps since the last update.
    public private(set) var steps: Int

    public init(target: Double = 0.6, length: Double = 500_000, updateEvery: Int = 256, p: Double = 0) throws {
        guard length > 0, updateEvery > 0 else {
            throw TorchError("adaptive augmentation needs a positive length and update interval, got \(length), \(updateEvery)")
        }
        guard (0...1).contains(p) else { throw TorchError("augmentation probability must be in [0, 1], got \(p)") }
        self.target = target
        self.length = length
        self.updateEvery = updateEvery
        self.p = p
        rt = 0
        signSum = 0
        predictions = 0
        steps = 0
    }

    /// Records one step's real-image logits [N, 1] (or [N]) and returns p, updated every `updateEvery` steps.
    /// Data-parallel runs sum `signSum` and `predictions` over processes before the update, as rosinality does.
    @discardableResult
    public mutating func tune(realPredictions: Tensor) throws -> Double {
        let signs = try withNoGrad { try realPredictions.detach().sign().sum().item() }
        return update(signSum: signs, predictions: realPredictions.size(0))
    }

    /// `tune` with the step's sum of signs and prediction count already reduced.
    @discardableResult
    public mutating func update(signSum signs: Double, predictions count: Int) -> Double {
        signSum += signs
        predictions += count
        steps += 1
        guard steps % updateEvery == 0 else { return p }
        rt = signSum / Double(predictions)
        let direction: Double = rt > target ? 1 : -1
        p = min(1, max(0, p + direction * Double(predictions) / length))
        signSum = 0
        predictions = 0
        steps = 0
        return p
    }
}
