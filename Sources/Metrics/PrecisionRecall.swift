import Torch

extension Metrics {
    /// Improved precision and recall (Kynkäänniemi et al. 2019): each set's manifold is the union of balls around its
    /// features, each ball reaching that feature's k-th nearest neighbour in its own set (itself not counted).
    ///
    ///     precision = share of generated features inside the real manifold   (are the samples realistic?)
    ///     recall    = share of real features inside the generated manifold   (is the data covered?)
    ///
    /// real [N, D], generated [M, D] -> (precision, recall) in [0, 1]; distances in float64, computed `chunk` rows
    /// at a time so memory stays at chunk × max(N, M) values. The paper uses k = 3 on VGG16 features.
    public static func precisionRecall(real: Tensor, generated: Tensor, k: Int = 3, chunk: Int = 1024) throws
        -> (precision: Double, recall: Double)
    {
        guard real.rank == 2, generated.rank == 2, real.size(1) == generated.size(1), k >= 1,
              real.size(0) > k, generated.size(0) > k
        else {
            throw TorchError("precision/recall: expected features [N, D] and [M, D] with N, M > k = \(k), got "
                + "\(real.shape) and \(generated.shape)")
        }
        let a = try real.to(dtype: .float64), b = try generated.to(dtype: .float64)
        let radiiA = try kthNeighbourDistances(a, k: k, chunk: chunk)
        let radiiB = try kthNeighbourDistances(b, k: k, chunk: chunk)
        return (try coveredShare(b, by: a, radii: radiiA, chunk: chunk),
                try coveredShare(a, by: b, radii: radiiB, chunk: chunk))
    }

    /// Squared Euclidean distances [n, m] between rows of x [n, D] and y [m, D].
    static func squaredDistances(_ x: Tensor, _ y: Tensor) throws -> Tensor {
        let xx = try x.square().sum([1], keepdim: true)  // [n, 1]
        let yy = try y.square().sum([1]).unsqueeze(0)  // [1, m]
        return try (xx + yy - x.matmul(y.transpose(0, 1)) * 2).clamp(min: 0)
    }

    /// The distance from each row of x [N, D] to its k-th nearest other row: [N].
    static func kthNeighbourDistances(_ x: Tensor, k: Int, chunk: Int) throws -> Tensor {
        var parts: [Tensor] = []
        for start in stride(from: 0, to: x.size(0), by: chunk) {
            let rows = try x.narrow(0, start: start, length: min(chunk, x.size(0) - start))
            // The k + 1 smallest: the row itself (distance 0) and its k nearest neighbours.
            let nearest = try squaredDistances(rows, x).topk(k + 1, dim: 1, largest: false, sorted: true).values
            parts.append(try nearest.narrow(1, start: k, length: 1).squeeze(1))
        }
        return try Tensor.cat(parts).sqrt()
    }

    /// The share of rows of x [N, D] within radius[j] of some row j of y [M, D].
    static func coveredShare(_ x: Tensor, by y: Tensor, radii: Tensor, chunk: Int) throws -> Double {
        let limit = try radii.square().unsqueeze(0)  // [1, M]
        var inside = 0.0
        for start in stride(from: 0, to: x.size(0), by: chunk) {
            let rows = try x.narrow(0, start: start, length: min(chunk, x.size(0) - start))
            let within = try squaredDistances(rows, y).le(limit).any([1])  // [n]
            inside += try within.to(dtype: .float64).sum().item()
        }
        return inside / Double(x.size(0))
    }
}
