import Testbed
import Torch

/// Scores face parsers by intersection over union against the testbed's masks.
public enum ParserEvaluation {
    /// Per-class counts for predicted and true labels, both [N, H, W] int64 class ids in 0..<classCount.
    public static func scores(predicted: Tensor, target: Tensor, classCount: Int) throws -> ParsingScores {
        guard predicted.shape == target.shape else {
            throw TorchError("ParserEvaluation: predicted labels \(predicted.shape) and target \(target.shape) differ")
        }
        var result = ParsingScores(classCount: classCount)
        for c in 0..<classCount {
            let p = try predicted.eq(Double(c)), t = try target.eq(Double(c))
            result.intersections[c] = try p.logicalAnd(t).sum().itemInt()
            result.unions[c] = try p.logicalOr(t).sum().itemInt()
            result.truePixels[c] = try t.sum().itemInt()
        }
        return result
    }

    /// Mean IoU over the classes present in `target` (see `ParsingScores.meanIoU`).
    public static func meanIoU(predicted: Tensor, target: Tensor, classCount: Int) throws -> Double {
        try scores(predicted: predicted, target: target, classCount: classCount).meanIoU
    }

    /// Scores `parser` on the first `count` renders of `split` at `size` pixels, `batch` at a time.
    public static func evaluate(_ parser: FaceParserModel, split: TestbedSplit = .test, count: Int, size: Int,
                                batch: Int = 32, device: Device = .cpu) throws -> ParsingScores
    {
        let renderer = try TestbedRenderer(size: size, device: device)
        var total = ParsingScores(classCount: parser.classCount)
        for start in stride(from: 0, to: count, by: batch) {
            let rendered = try renderer.render(split: split, indices: start..<min(start + batch, count))
            total = total + (try scores(predicted: parser.labels(rendered.images.to(device: device)),
                                        target: rendered.masks.to(device: device), classCount: parser.classCount))
        }
        return total
    }
}
