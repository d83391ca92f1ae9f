import Torch

/// How an encoder of the pSp framework turns its style blocks' outputs into w+ rows: independently (pSp), or as
/// e4e's one base code plus per-row offsets, which keeps the codes close to W and so easier to edit.
public enum StyleReadout: Equatable, Sendable {
    /// pSp: row i is block i's output.
    case independent
    /// e4e: row 0 is block 0's output w0; row i is w0 + block i's output for 1 <= i <= stage (e4e's
    /// `progressive_stage`), the remaining rows w0.
    case progressive(stage: Int)

    /// e4e's `ProgressiveStage.Inference` (18): every row gets its offset.
    public static let e4eInference = StyleReadout.progressive(stage: 18)

    /// The rows [N, count, D] from `block(i)` [N, D]; blocks whose output is unused are never run.
    func rows(count: Int, block: (Int) throws -> Tensor) throws -> Tensor {
        switch self {
        case .independent:
            return try Tensor.stack((0..<count).map(block), dim: 1)
        case .progressive(let stage):
            let w0 = try block(0)
            let offsets = min(stage + 1, count)
            let rows = try (0..<count).map { i in i == 0 || i >= offsets ? w0 : try w0 + block(i) }
            return try Tensor.stack(rows, dim: 1)
        }
    }
}
