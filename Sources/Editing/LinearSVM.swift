import CLibLinear
import Torch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A two-class linear SVM trained by liblinear: hinge loss with L2 regularisation (its L2R_L1LOSS_SVC_DUAL
/// solver), the objective of the `SVC(kernel='linear')` InterFaceGAN trains, with C = 1 as there.
///
/// liblinear also regularises the bias (it is a constant feature); SVC does not. Training on centred data
/// keeps the bias near 0, so the normal, which is what a boundary is, comes out as SVC's.
struct LinearSVM {
    /// [D] float64, the decision function's normal in the original coordinates.
    let weights: [Double]
    let bias: Double

    /// x [N, D], labels true = positive; both classes must be present.
    init(_ x: Tensor, labels: [Bool], c: Double = 1, tolerance: Double = 0.01) throws {
        guard x.rank == 2, x.size(0) == labels.count else {
            throw TorchError("SVM: samples [N, D] and N labels expected, got \(x.shape) and \(labels.count)")
        }
        guard labels.contains(true), labels.contains(false) else { throw TorchError("SVM: both classes are needed") }
        let (n, d) = (x.size(0), x.size(1))
        let data = try x.to(device: .cpu, dtype: .float64)
        let centre = try data.mean([0])
        let values = try (data - centre).contiguous().doubles()
        // Sparse rows as liblinear takes them: D features (1-based), the bias feature, a -1 terminator.
        var nodes = [feature_node](repeating: feature_node(index: -1, value: 0), count: n * (d + 2))
        for i in 0..<n {
            for j in 0..<d { nodes[i * (d + 2) + j] = feature_node(index: Int32(j + 1), value: values[i * d + j]) }
            nodes[i * (d + 2) + d] = feature_node(index: Int32(d + 1), value: 1)
        }
        var y = labels.map { $0 ? 1.0 : -1.0 }
        let trained: [Double] = try nodes.withUnsafeMutableBufferPointer { nodeBuffer in
            var rows = (0..<n).map { Optional(nodeBuffer.baseAddress! + $0 * (d + 2)) }
            return try y.withUnsafeMutableBufferPointer { yBuffer in
                try rows.withUnsafeMutableBufferPointer { rowBuffer in
                    var prob = problem(l: Int32(n), n: Int32(d + 1), y: yBuffer.baseAddress, x: rowBuffer.baseAddress, bias: 1)
                    var param = parameter(solver_type: Int32(L2R_L1LOSS_SVC_DUAL), eps: tolerance, C: c, nr_weight: 0,
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
        weights = Array(trained[0..<d])
        // Undo the centring: w·(x - c) + b = w·x + (b - w·c).
        let centreValues = try centre.doubles()
        bias = trained[d] - zip(weights, centreValues).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Decision values [N] for samples [N, D] (positive = the positive class).
    func decisions(_ x: Tensor) throws -> [Double] {
        let w = try Tensor(weights, shape: [weights.count, 1])
        return try (x.to(device: .cpu, dtype: .float64).matmul(w).reshape([-1]) + bias).doubles()
    }
}
