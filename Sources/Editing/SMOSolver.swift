import Torch

/// The C-SVC dual that libsvm solves for scikit-learn's `SVC(kernel='linear')`, the classifier InterFaceGAN's
/// `train_boundary` trains:
///
///     min ½ αᵀQα − Σα   subject to  Σ y_i α_i = 0,  0 ≤ α_i ≤ C,   Q_ij = y_i y_j x_i·x_j
///
/// The equality constraint is what leaves the intercept unregularised. This is libsvm's solver: sequential
/// minimal optimisation with its second-order working-set selection (Fan, Chen and Lin 2005), the same pair
/// updates and clipping, its stopping rule (maximal KKT violation below `tolerance`, libsvm's `eps`) and its
/// intercept ρ from the free support vectors. libsvm's shrinking (a speed-up) is left out, so the path can
/// differ from scikit-learn's by rounding; both stop within `tolerance` of the one optimum. Kernel columns are
/// computed on demand and cached (200 MB, scikit-learn's `cache_size`).
struct SMOSolver {
    struct Solution {
        /// Dual variables [N].
        let alpha: [Double]
        /// The decision function is w·x − rho.
        let rho: Double
    }

    /// x [N, D] float64 on the CPU, y ±1 per sample.
    static func solve(_ x: Tensor, y: [Double], c: Double, tolerance: Double, cacheBytes: Int = 200 << 20) throws -> Solution {
        var solver = try SMOSolver(x, y: y, c: c, cacheBytes: cacheBytes)
        let maxIterations = max(10_000_000, y.count > Int.max / 100 ? Int.max : 100 * y.count)
        var iterations = 0
        while let (i, j) = try solver.select(tolerance: tolerance) {
            iterations += 1
            guard iterations < maxIterations else {
                throw TorchError("SVM: no convergence after \(iterations) iterations (libsvm's limit)")
            }
            try solver.update(i, j)
        }
        return Solution(alpha: solver.alpha, rho: solver.rho())
    }

    private let x: Tensor
    private let y: [Double]
    private let c: Double
    /// Q_ii.
    private let diagonal: [Double]
    private var alpha: [Double]
    /// ∇ of the objective, Qα − 1.
    private var gradient: [Double]
    private var cache: ColumnCache
    private let tau = 1e-12

    private init(_ x: Tensor, y: [Double], c: Double, cacheBytes: Int) throws {
        let n = y.count
        self.x = x
        self.y = y
        self.c = c
        diagonal = try (x * x).sum([1]).doubles()
        alpha = [Double](repeating: 0, count: n)
        gradient = [Double](repeating: -1, count: n)
        cache = ColumnCache(capacity: max(2, cacheBytes / max(1, 8 * n)))
    }

    private func atUpper(_ t: Int) -> Bool { alpha[t] >= c }
    private func atLower(_ t: Int) -> Bool { alpha[t] <= 0 }

    /// Q_i, the i-th column of Q.
    private mutating func column(_ i: Int) throws -> [Double] {
        if let q = cache[i] { return q }
        let k = try x.matmul(x.select(0, i)).doubles()
        let yi = y[i]
        let q = zip(y, k).map { yi * $0 * $1 }
        cache[i] = q
        return q
    }

    /// libsvm's `select_working_set`: i violates the KKT conditions most, j gives the largest decrease of the
    /// objective with i; nil once the violation is below the tolerance.
    private mutating func select(tolerance: Double) throws -> (Int, Int)? {
        var gMax = -Double.infinity, gMax2 = -Double.infinity
        var iMax = -1, jMin = -1
        var objectiveMin = Double.infinity
        for t in 0..<y.count {
            if y[t] > 0 {
                if !atUpper(t), -gradient[t] >= gMax { gMax = -gradient[t]; iMax = t }
            } else if !atLower(t), gradient[t] >= gMax {
                gMax = gradient[t]; iMax = t
            }
        }
        guard iMax >= 0 else { return nil }
        let qi = try column(iMax)
        for j in 0..<y.count {
            let gradientDifference: Double
            let quadratic: Double
            if y[j] > 0 {
                guard !atLower(j) else { continue }
                gradientDifference = gMax + gradient[j]
                gMax2 = max(gMax2, gradient[j])
                quadratic = diagonal[iMax] + diagonal[j] - 2 * y[iMax] * qi[j]
            } else {
                guard !atUpper(j) else { continue }
                gradientDifference = gMax - gradient[j]
                gMax2 = max(gMax2, -gradient[j])
                quadratic = diagonal[iMax] + diagonal[j] + 2 * y[iMax] * qi[j]
            }
            guard gradientDifference > 0 else { continue }
            let decrease = -gradientDifference * gradientDifference / (quadratic > 0 ? quadratic : tau)
            if decrease <= objectiveMin { jMin = j; objectiveMin = decrease }
        }
        guard gMax + gMax2 >= tolerance, jMin >= 0 else { return nil }
        return (iMax, jMin)
    }

    /// libsvm's two-variable step on (α_i, α_j), clipped to the box, and the gradient update.
    private mutating func update(_ i: Int, _ j: Int) throws {
        let qi = try column(i), qj = try column(j)
        let (oldI, oldJ) = (alpha[i], alpha[j])
        if y[i] != y[j] {
            let quadratic = diagonal[i] + diagonal[j] + 2 * qi[j]
            let delta = (-gradient[i] - gradient[j]) / (quadratic > 0 ? quadratic : tau)
            let difference = alpha[i] - alpha[j]
            alpha[i] += delta
            alpha[j] += delta
            if difference > 0 {
                if alpha[j] < 0 { alpha[j] = 0; alpha[i] = difference }
            } else if alpha[i] < 0 {
                alpha[i] = 0; alpha[j] = -difference
            }
            if difference > 0 {  // C_i - C_j = 0: one C for both classes
                if alpha[i] > c { alpha[i] = c; alpha[j] = c - difference }
            } else if alpha[j] > c {
                alpha[j] = c; alpha[i] = c + difference
            }
        } else {
            let quadratic = diagonal[i] + diagonal[j] - 2 * qi[j]
            let delta = (gradient[i] - gradient[j]) / (quadratic > 0 ? quadratic : tau)
            let sum = alpha[i] + alpha[j]
            alpha[i] -= delta
            alpha[j] += delta
            if sum > c {
                if alpha[i] > c { alpha[i] = c; alpha[j] = sum - c }
            } else if alpha[j] < 0 {
                alpha[j] = 0; alpha[i] = sum
            }
            if sum > c {
                if alpha[j] > c { alpha[j] = c; alpha[i] = sum - c }
            } else if alpha[i] < 0 {
                alpha[i] = 0; alpha[j] = sum
            }
        }
        let (deltaI, deltaJ) = (alpha[i] - oldI, alpha[j] - oldJ)
        gradient.withUnsafeMutableBufferPointer { g in
            for k in g.indices { g[k] += qi[k] * deltaI + qj[k] * deltaJ }
        }
    }

    /// libsvm's `calculate_rho`: the mean of y_i ∇_i over the free variables, else the middle of the bounds.
    private func rho() -> Double {
        var upper = Double.infinity, lower = -Double.infinity
        var freeSum = 0.0, free = 0
        for t in 0..<y.count {
            let yg = y[t] * gradient[t]
            if atUpper(t) {
                if y[t] < 0 { upper = min(upper, yg) } else { lower = max(lower, yg) }
            } else if atLower(t) {
                if y[t] > 0 { upper = min(upper, yg) } else { lower = max(lower, yg) }
            } else {
                free += 1
                freeSum += yg
            }
        }
        return free > 0 ? freeSum / Double(free) : (upper + lower) / 2
    }

    /// Kernel columns by sample index, least recently used dropped first.
    private struct ColumnCache {
        let capacity: Int
        private var columns: [Int: (values: [Double], used: Int)] = [:]
        private var clock = 0

        init(capacity: Int) { self.capacity = capacity }

        subscript(i: Int) -> [Double]? {
            mutating get {
                guard let entry = columns[i] else { return nil }
                clock += 1
                columns[i] = (entry.values, clock)
                return entry.values
            }
            set {
                guard let newValue else { return }
                if columns.count >= capacity, let oldest = columns.min(by: { $0.value.used < $1.value.used })?.key {
                    columns[oldest] = nil
                }
                clock += 1
                columns[i] = (newValue, clock)
            }
        }
    }
}
