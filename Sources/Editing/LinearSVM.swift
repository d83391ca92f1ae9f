import CLibLinear
import Torch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A trained two-class linear classifier (an SVM, or the class means' difference): the decision function w·x + b,
/// positive for the positive class.
struct LinearSVM {
    /// [D] float64, the normal of the decision boundary.
    let weights: [Double]
    let bias: Double

    /// x [N, D] on the raw codes, labels true = positive; both classes must be present. C = 1 as in both of
    /// scikit-learn's classifiers.
    init(_ x: Tensor, labels: [Bool], classifier: InterFaceGAN.Classifier, c: Double = 1) throws {
        guard x.rank == 2, x.size(0) == labels.count else {
            throw TorchError("SVM: samples [N, D] and N labels expected, got \(x.shape) and \(labels.count)")
        }
        guard labels.contains(true), labels.contains(false) else { throw TorchError("SVM: both classes are needed") }
        let data = try x.to(device: .cpu, dtype: .float64).contiguous()
        let y = labels.map { $0 ? 1.0 : -1.0 }
        switch classifier {
        case .svc:
            // scikit-learn's SVC defaults: tol = 1e-3.
            let solution = try SMOSolver.solve(data, y: y, c: c, tolerance: 1e-3)
            let coefficients = try Tensor(zip(solution.alpha, y).map { $0 * $1 }, shape: [labels.count, 1])
            weights = try data.transpose(0, 1).matmul(coefficients).reshape([-1]).doubles()
            bias = -solution.rho
        case .linearSVC:
            // scikit-learn's LinearSVC defaults: squared hinge, tol = 1e-4, intercept_scaling = 1.
            (weights, bias) = try LinearSVM.liblinear(data, y: y, c: c, tolerance: 1e-4)
        case .meanDifference:
            func mean(_ positive: Bool) throws -> Tensor {
                try data.indexSelect(0, Tensor(labels.indices.filter { labels[$0] == positive }.map(Int64.init))).mean([0])
            }
            let (positive, negative) = (try mean(true), try mean(false))
            weights = try (positive - negative).doubles()
            bias = -zip(weights, try ((positive + negative) / 2).doubles()).map { $0 * $1 }.reduce(0, +)
        }
    }

    /// liblinear's L2R_L2LOSS_SVC_DUAL with a constant feature 1 for the intercept (which is therefore
    /// regularised, as in LinearSVC). It holds the samples as sparse rows of 16-byte entries: 14,000 512-d
    /// training codes take about 0.1 GB.
    private static func liblinear(_ x: Tensor, y labels: [Double], c: Double, tolerance: Double) throws -> ([Double], Double) {
        let (n, d) = (x.size(0), x.size(1))
        let values = try x.doubles()
        // Sparse rows as liblinear takes them: D features (1-based), the bias feature, a -1 terminator.
        var nodes = [feature_node](repeating: feature_node(index: -1, value: 0), count: n * (d + 2))
        for i in 0..<n {
            for j in 0..<d { nodes[i * (d + 2) + j] = feature_node(index: Int32(j + 1), value: values[i * d + j]) }
            nodes[i * (d + 2) + d] = feature_node(index: Int32(d + 1), value: 1)
        }
        var y = labels
        let trained: [Double] = try nodes.withUnsafeMutableBufferPointer { nodeBuffer in
            var rows = (0..<n).map { Optional(nodeBuffer.baseAddress! + $0 * (d + 2)) }
            return try y.withUnsafeMutableBufferPointer { yBuffer in
                try rows.withUnsafeMutableBufferPointer { rowBuffer in
                    var prob = problem(l: Int32(n), n: Int32(d + 1), y: yBuffer.baseAddress, x: rowBuffer.baseAddress, bias: 1)
                    var param = parameter(solver_type: Int32(L2R_L2LOSS_SVC_DUAL), eps: tolerance, C: c, nr_weight: 0,
                                          weight_label: nil, weight: nil, p: 0.1, init_sol: nil)
                    if let message = check_parameter(&prob, &param) {
                        throw TorchError("liblinear: \(String(cString: message))")
                    }
                    // liblinear prints its iterations to stdout unless given a printer, and visits the samples
                    // in an order drawn from C's rand(): seed it so that the same data give the same boundary.
                    set_print_string_function { _ in }
                    srand(1)
                    guard let fitted = CLibLinear.train(&prob, &param) else { throw TorchError("liblinear: training failed") }
                    defer {
                        var owned: UnsafeMutablePointer<model>? = fitted
                        free_and_destroy_model(&owned)
                    }
                    // w is for the first label liblinear saw; flip it so that positive scores mean the positive class.
                    let sign: Double = fitted.pointee.label[0] == 1 ? 1 : -1
                    return (0...d).map { fitted.pointee.w[$0] * sign }
                }
            }
        }
        return (Array(trained[0..<d]), trained[d])
    }

    /// Decision values [N] for samples [N, D] (positive = the positive class).
    func decisions(_ x: Tensor) throws -> [Double] {
        let w = try Tensor(weights, shape: [weights.count, 1])
        return try (x.to(device: .cpu, dtype: .float64).matmul(w).reshape([-1]) + bias).doubles()
    }
}
