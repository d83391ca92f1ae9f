import StyleGAN
import Torch

/// SeFa (closed-form factorisation): directions in W that the chosen layers' style modulations amplify most,
/// found from the weights alone.
///
/// As SeFa's `factorize_weight`: the modulation weights of the chosen layers ([C, D] each, rows = input
/// channels of the modulated conv) are stacked into A [ΣC, D], every row normalised to unit length, and the
/// directions are the eigenvectors of A^T A, largest eigenvalue first (SeFa takes numpy's `eig` order, which
/// LAPACK does not promise to sort; here they are sorted). Edits add `strength` times a direction to the
/// same w+ rows (`code[:, layers] += boundary * d`).
///
/// Layers are w+ rows, numbered as in SeFa's StyleGAN2 (and InterFaceGAN's): row r < L - 1 is the styled conv
/// it drives (row 0 `conv1`, row r `convs[r - 1]`), and the last row L - 1, which drives no conv, is the
/// final ToRGB. SeFa's default, all layers, is rows 0..<L; the other ToRGB layers are never included.
public enum SeFa {
    public struct Factorization {
        /// [D, D]: row k is direction k, unit length, float32.
        public let directions: Tensor
        /// [D] descending, float64.
        public let eigenvalues: Tensor
        /// The w+ rows factorised.
        public let rows: [Int]
    }

    /// The modulation weight [C, D] that reads w+ row `row`.
    public static func modulationWeight(_ g: StyleGAN2Generator, row: Int) throws -> Tensor {
        guard (0..<g.nLatent).contains(row) else {
            throw TorchError("SeFa layer \(row) is outside 0...\(g.nLatent - 1) (this generator's w+ has \(g.nLatent) rows)")
        }
        if row == g.nLatent - 1 { return g.to_rgbs[g.to_rgbs.count - 1].conv.modulation.weight }
        return row == 0 ? g.conv1.conv.modulation.weight : g.convs[row - 1].conv.modulation.weight
    }

    /// Factorises the modulations of `rows` (default: all rows), in float64.
    public static func factorize(_ g: StyleGAN2Generator, rows: [Int]? = nil) throws -> Factorization {
        let rows = rows ?? Array(0..<g.nLatent)
        guard !rows.isEmpty, Set(rows).count == rows.count else {
            throw TorchError("SeFa needs distinct layers, got \(rows)")
        }
        let a = try Tensor.cat(rows.map { try modulationWeight(g, row: $0).to(device: .cpu, dtype: .float64) })
        let normalised = try a / a.norm(dims: [1], keepdim: true)
        let (values, vectors) = try Linalg.eigh(normalised.transpose(0, 1).matmul(normalised))
        // eigh is ascending with vectors in columns: flip to descending, rows = directions.
        let directions = try Signs.canonical(vectors.flip([1]).transpose(0, 1))
        return Factorization(directions: try directions.to(dtype: .float32), eigenvalues: try values.flip([0]), rows: rows)
    }
}
