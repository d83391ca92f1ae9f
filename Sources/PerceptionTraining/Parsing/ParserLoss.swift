import Foundation
import Torch

/// The losses the parsers' official training uses.
public enum ParserLoss {
    /// face-parsing.PyTorch's `OhemCELoss`: per-pixel cross-entropy, sorted; when the `minKept`-th largest
    /// exceeds −log(threshold), the mean over every pixel above it, else the mean of the `minKept` largest.
    /// logits [N, C, H, W], labels [N, H, W] int64 -> a scalar.
    public static func ohemCrossEntropy(_ logits: Tensor, _ labels: Tensor, threshold: Double, minKept: Int,
                                        weight: Tensor? = nil) throws -> Tensor
    {
        let losses = try F.crossEntropy(logits, labels, weight: weight, reduction: .none).flatten()
        let count = losses.size(0)
        let kept = max(min(minKept, count - 1), 0)
        let sorted = try losses.sort(descending: true).values
        let hardLimit = -Foundation.log(threshold)
        if try sorted.select(0, kept).item() > hardLimit {
            return try losses.maskedSelect(losses.gt(hardLimit)).mean()
        }
        return try sorted.narrow(0, start: 0, length: max(kept, 1)).mean()
    }

    /// The training loss for one batch: BiSeNet's OHEM cross-entropy summed over its three heads (as
    /// face-parsing.PyTorch's train.py: `lossp + loss2 + loss3`, n_min = batch · H · W / 16), or the U-Net's
    /// plain cross-entropy. Returns the total and each head's term.
    /// With `classWeightPower` > 0 the cross-entropy weighs classes by `classWeights`.
    public static func training(heads: [Tensor], labels: Tensor, network: ParserTrainingConfig.Network,
                                ohemThreshold: Double, classWeightPower: Double = 0) throws
        -> (total: Tensor, terms: [Tensor])
    {
        let weight = classWeightPower > 0
            ? try classWeights(labels, classCount: heads[0].size(1), power: classWeightPower) : nil
        let terms: [Tensor]
        switch network {
        case .bisenet:
            let minKept = labels.count / 16
            terms = try heads.map {
                try ohemCrossEntropy($0, labels, threshold: ohemThreshold, minKept: minKept, weight: weight)
            }
        case .unet:
            terms = try heads.map { try F.crossEntropy($0, labels, weight: weight) }
        }
        return (try terms.dropFirst().reduce(terms[0]) { try $0 + $1 }, terms)
    }

    /// (1 / share)^power for each class present in `labels` (int64 [N, H, W]), scaled so the pixels' mean
    /// weight is 1; absent classes weigh 0. -> [classCount] float32.
    public static func classWeights(_ labels: Tensor, classCount: Int, power: Double) throws -> Tensor {
        let total = Double(labels.count)
        let counts = try (0..<classCount).map { Double(try labels.eq(Double($0)).sum().itemInt()) }
        let raw = counts.map { $0 > 0 ? Foundation.pow(total / $0, power) : 0 }
        let mean = zip(raw, counts).map { $0 * $1 }.reduce(0, +) / total
        return try Tensor(raw.map { Float($0 / mean) }, shape: [classCount]).to(device: labels.device)
    }
}
