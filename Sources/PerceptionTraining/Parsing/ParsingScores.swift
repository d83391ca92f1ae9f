import Foundation
import Testbed

/// Pixel counts of a parser against ground truth, per class: the intersection and union of predicted and true
/// regions, and the true pixels. Accumulates over batches with `+`.
public struct ParsingScores: Equatable, Sendable {
    public var intersections: [Int]
    public var unions: [Int]
    /// Ground-truth pixels of each class.
    public var truePixels: [Int]

    public init(classCount: Int) {
        intersections = Array(repeating: 0, count: classCount)
        unions = intersections
        truePixels = intersections
    }

    public var classCount: Int { intersections.count }

    /// Classes with ground-truth pixels in the scored set; the mean runs over these.
    public var presentClasses: [Int] { (0..<classCount).filter { truePixels[$0] > 0 } }

    /// Intersection over union of class `c`, or nil when neither prediction nor truth has it.
    public func iou(_ c: Int) -> Double? { unions[c] > 0 ? Double(intersections[c]) / Double(unions[c]) : nil }

    /// Mean IoU over the classes present in the ground truth (0 when none is).
    public var meanIoU: Double {
        let present = presentClasses
        guard !present.isEmpty else { return 0 }
        return present.map { iou($0) ?? 0 }.reduce(0, +) / Double(present.count)
    }

    public static func + (a: ParsingScores, b: ParsingScores) -> ParsingScores {
        precondition(a.classCount == b.classCount, "scores of \(a.classCount) and \(b.classCount) classes")
        var sum = a
        for c in 0..<a.classCount {
            sum.intersections[c] += b.intersections[c]
            sum.unions[c] += b.unions[c]
            sum.truePixels[c] += b.truePixels[c]
        }
        return sum
    }

    /// A Markdown table: one row per class present (its CelebAMask-HQ name, IoU, share of pixels), then the mean.
    public func table() -> String {
        let total = max(truePixels.reduce(0, +), 1)
        var lines = ["| class | IoU | pixels |", "|---|---:|---:|"]
        for c in presentClasses {
            let name = FaceClass(rawValue: c).map { "\($0)" } ?? "class \(c)"
            lines.append(String(format: "| %@ | %.3f | %.2f%% |", name, iou(c) ?? 0,
                                100 * Double(truePixels[c]) / Double(total)))
        }
        lines.append(String(format: "| **mean (%d classes)** | **%.3f** | |", presentClasses.count, meanIoU))
        return lines.joined(separator: "\n") + "\n"
    }
}
