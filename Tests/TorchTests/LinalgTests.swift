import Testing
import Torch

@Suite("Linear algebra")
struct LinalgTests {
    @Test func eighOfASymmetricMatrix() throws {
        // [[2,1],[1,2]] has eigenvalues 1 and 3 with eigenvectors (1,-1)/sqrt2 and (1,1)/sqrt2.
        let a = try Tensor([Double(2), 1, 1, 2], shape: [2, 2])
        let (values, vectors) = try Linalg.eigh(a)
        #expect(close(try values.doubles(), [1, 3]))
        let v = try vectors.abs().doubles()
        #expect(close(v, [Double](repeating: (0.5).squareRoot(), count: 4)))
        // Q diag(L) Q^T rebuilds A.
        let rebuilt = try vectors.matmul(Tensor.eye(2, dtype: .float64) * values).matmul(vectors.transpose(0, 1))
        #expect(close(try rebuilt.doubles(), [2, 1, 1, 2]))
    }

    @Test func svdInvSolveDet() throws {
        let a = try Tensor([Double(4), 0, 0, 3], shape: [2, 2])
        let (u, s, vh) = try Linalg.svd(a)
        #expect(close(try s.doubles(), [4, 3]))
        #expect(close(try u.matmul(Tensor.eye(2, dtype: .float64) * s).matmul(vh).doubles(), [4, 0, 0, 3]))
        #expect(close(try Linalg.inv(a).doubles(), [0.25, 0, 0, 1.0 / 3]))
        #expect(close(try Linalg.solve(a, Tensor([Double(8), 9], shape: [2, 1])).doubles(), [2, 3]))
        #expect(close(try Linalg.det(a).doubles(), [12]))
        let spd = try Tensor([Double(4), 2, 2, 3], shape: [2, 2])
        let l = try Linalg.cholesky(spd)
        #expect(close(try l.matmul(l.transpose(0, 1)).doubles(), [4, 2, 2, 3]))
        let (q, r) = try Linalg.qr(spd)
        #expect(close(try q.matmul(r).doubles(), [4, 2, 2, 3]))
    }

    @Test func singularMatricesAreErrors() throws {
        let singular = try Tensor([Double(1), 2, 2, 4], shape: [2, 2])
        #expect(throws: TorchError.self) { try Linalg.inv(singular) }
        #expect(throws: TorchError.self) { try Linalg.eigh(Tensor.zeros([2, 3], dtype: .float64)) }
    }
}
