import Torch

/// Conditional editing (InterFaceGAN's `project_boundary`): remove from a primal direction its component
/// along condition directions, so moving along the result leaves those attributes' scores unchanged.
///
/// InterFaceGAN writes out one condition, n - (n·c) c, and two, n - α c1 - β c2 with (α, β) solving the 2x2
/// normal equations of unit c1, c2; both are the least-squares projection of n off span{c_i}. This does the
/// same for any number of conditions by modified Gram–Schmidt in float64: it gives that projection for one
/// and two conditions (up to InterFaceGAN's 1e-8 guard), and for N. Conditions need not be unit length; a
/// condition already in the span of the earlier ones adds nothing and is skipped.
public enum ConditionalDirection {
    /// primal [D] or [1, D], conditions each [D] or [1, D] -> the unit projection, shaped as `primal`.
    public static func project(_ primal: Tensor, onto conditions: [Tensor]) throws -> Tensor {
        let p = try flat(primal, "primal direction")
        let d = p.count
        var basis: [Tensor] = []
        for (i, condition) in conditions.enumerated() {
            var c = try flat(condition, "condition \(i)")
            guard c.count == d else {
                throw TorchError("condition \(i) has \(c.count) values, the primal direction \(d)")
            }
            for q in basis { c = try c - q * (c * q).sum() }
            let norm = try c.norm().item()
            // Relative to the input's size: a condition this close to the span of the others is dependent.
            guard norm > 1e-10 * max(1, try flat(condition, "").norm().item()) else { continue }
            basis.append(try c / norm)
        }
        var projected = p
        for q in basis { projected = try projected - q * (projected * q).sum() }
        let norm = try projected.norm().item()
        guard norm > 1e-8 * (try p.norm().item()) else {
            throw TorchError("the primal direction lies in the span of the conditions; nothing is left to edit")
        }
        return try (projected / norm).to(dtype: primal.dtype).reshape(primal.shape)
    }

    /// [D] or [1, D] -> [D] float64 on the CPU.
    private static func flat(_ t: Tensor, _ what: String) throws -> Tensor {
        guard t.rank == 1 || (t.rank == 2 && t.size(0) == 1) else {
            throw TorchError("\(what) must be [D] or [1, D], got \(t.shape)")
        }
        return try t.to(device: .cpu, dtype: .float64).reshape([-1])
    }
}
