import CTorch

/// Linear algebra over the last two dimensions (batched), as `torch.linalg`.
public enum Linalg {
    /// Eigenvalues (ascending) and orthonormal eigenvectors (columns) of a symmetric matrix.
    public static func eigh(_ a: Tensor, upper: Bool = false) throws -> (values: Tensor, vectors: Tensor) {
        try Tensor.produce2(a) { ct_linalg_eigh(a.handle, upper ? 1 : 0, $0, $1) }
    }

    /// A = U diag(S) Vh.
    public static func svd(_ a: Tensor, fullMatrices: Bool = false) throws -> (u: Tensor, s: Tensor, vh: Tensor) {
        try withExtendedLifetime(a) {
            var u: OpaquePointer?
            var s: OpaquePointer?
            var vh: OpaquePointer?
            try check(ct_linalg_svd(a.handle, fullMatrices ? 1 : 0, &u, &s, &vh))
            return (Tensor(owning: u!), Tensor(owning: s!), Tensor(owning: vh!))
        }
    }

    public static func inv(_ a: Tensor) throws -> Tensor { try Tensor.produce(a) { ct_linalg_inv(a.handle, $0) } }

    /// X with A X = B.
    public static func solve(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try Tensor.produce(a, b) { ct_linalg_solve(a.handle, b.handle, $0) }
    }

    public static func det(_ a: Tensor) throws -> Tensor { try Tensor.produce(a) { ct_linalg_det(a.handle, $0) } }

    public static func cholesky(_ a: Tensor) throws -> Tensor {
        try Tensor.produce(a) { ct_linalg_cholesky(a.handle, $0) }
    }

    public static func qr(_ a: Tensor) throws -> (q: Tensor, r: Tensor) {
        try Tensor.produce2(a) { ct_linalg_qr(a.handle, $0, $1) }
    }
}
