@testable import Editing
import Foundation
import TestSupport
import Testing
import Torch

/// Boundaries from labelled codes (liblinear), label files, and conditional projection.
@Suite("InterFaceGAN")
struct InterFaceGANTests {
    init() throws { try Runtime.start() }

    /// Codes [n, d] around an offset, the planted unit normal, and x·normal for each code, with codes within
    /// `margin` of the plane through the offset left out.
    func separable(n: Int, d: Int, margin: Double, seed: UInt64) throws -> (Tensor, Tensor, [Double]) {
        let rng = try Generator(seed: seed)
        let raw = try Tensor.randn([d], dtype: .float64, generator: rng)
        let normal = try raw / raw.norm()
        let x = try Tensor.randn([n * 3, d], dtype: .float64, generator: rng) + 2
        let side = try (x - 2).matmul(normal.reshape([d, 1])).reshape([-1])
        let keep = try side.abs().gt(margin).nonzero().reshape([-1]).slice(0, 0, n)
        return (try x.indexSelect(0, keep), normal, try side.indexSelect(0, keep).doubles())
    }

    @Test func aBoundarySeparatesLinearlySeparableLabels() throws {
        let (x, planted, side) = try separable(n: 400, d: 24, margin: 0.5, seed: 1)
        let labels = side.map { $0 > 0 }
        let b = try InterFaceGAN.train(latents: x.to(dtype: .float32), labels: .binary(labels))
        #expect(b.normal.shape == [1, 24] && b.normal.dtype == .float32)
        #expect(abs(try b.normal.norm().item() - 1) < 1e-6, "unit normal")
        #expect(b.trainingAccuracy == 1 && b.validationAccuracy == 1)
        let positives = labels.filter { $0 }.count
        #expect(b.training.positives == Int(Double(positives) * 0.7) && b.training.positives + b.validation.positives == positives)
        // One threshold along the normal splits every code, training and held-out alike.
        let projected = try x.matmul(b.normal.to(dtype: .float64).reshape([24, 1])).reshape([-1]).doubles()
        let lowestPositive = zip(projected, labels).filter { $0.1 }.map(\.0).min()!
        let highestNegative = zip(projected, labels).filter { !$0.1 }.map(\.0).max()!
        #expect(lowestPositive > highestNegative)
        #expect(try (b.normal.to(dtype: .float64).reshape([-1]) * planted).sum().item() > 0.9, "close to the planted normal")
    }

    @Test func scoresChooseTheTopAndBottom() throws {
        let (x, planted, side) = try separable(n: 1000, d: 16, margin: 0, seed: 2)
        let b = try InterFaceGAN.train(latents: x, labels: .scores(side), options: .init(chosen: 0.2, splitRatio: 0.7, seed: 4))
        // InterFaceGAN's counts: chosen = int(1000 * 0.2) per class, int(200 * 0.7) of them for training.
        #expect(b.training == (140, 140) && b.validation == (60, 60))
        #expect(b.validationAccuracy == 1)
        #expect(try (b.normal.to(dtype: .float64).reshape([-1]) * planted).sum().item() > 0.9)
        let again = try InterFaceGAN.train(latents: x, labels: .scores(side), options: .init(chosen: 0.2, splitRatio: 0.7, seed: 4))
        try expectClose(again.normal, b.normal, tol: 0, "seeded split, same boundary")
        let counted = try InterFaceGAN.train(latents: x, labels: .scores(side), options: .init(chosen: 50))
        #expect(counted.training == (35, 35) && counted.validation == (15, 15))
    }

    /// `train_boundary` with split_ratio 1 (the SVM then sees every chosen code, so NumPy's shuffle cannot
    /// change the result): the normal of SVC(kernel='linear') on the raw codes, and the count it logs for the
    /// codes between the two ends.
    @Test func scoresTrainTheBoundaryOfInterFaceGANsSVC() throws {
        let ref = try OfficialReference.arrays()
        let x = try ref.ref("svm_x")
        let scores = try ref.ref("svm_scores").doubles()
        for (name, chosen) in [("ratio", 0.25), ("count", 40)] {
            let b = try InterFaceGAN.train(latents: x, labels: .scores(scores), options: .init(chosen: chosen, splitRatio: 1))
            // scikit-learn stops libsvm at a KKT violation of 1e-3, as this solver does: both lie that close to
            // the optimum, not on one path.
            try expectClose(b.normal, try ref.ref("svc_\(name)"), tol: 2e-3, "SVC boundary, chosen \(chosen)")
            let remaining = try ref.ref("svc_\(name)_remaining").doubles()
            #expect(b.remaining == Int(remaining[1]) && b.validationAccuracy == nil)
            #expect(b.remainingAccuracy == remaining[0] / remaining[1], "\(name): \(String(describing: b.remainingAccuracy))")
        }
        // invalid_value: the marked codes take no part, not even in the ratio.
        let marked = try ref.ref("svm_scores_invalid").doubles()
        let b = try InterFaceGAN.train(latents: x, labels: .scores(marked),
                                       options: .init(chosen: 0.25, splitRatio: 1, invalidValue: -100))
        try expectClose(b.normal, try ref.ref("svc_invalid"), tol: 2e-3, "boundary without the invalid codes")
        let remaining = try ref.ref("svc_invalid_remaining").doubles()
        #expect(b.training.positives == Int(Double(240 - 35) * 0.25) && b.remaining == Int(remaining[1]))
        #expect(b.remainingAccuracy == remaining[0] / remaining[1])
        #expect(throws: TorchError.self) {
            try InterFaceGAN.train(latents: x, labels: .binary(scores.map { $0 > 0 }), options: .init(invalidValue: 0))
        }
    }

    /// The solver run to a tight tolerance against SVC(kernel='linear', tol=1e-12): the same optimum, normal
    /// and unregularised intercept.
    @Test func smoSolverReachesTheSVCOptimum() throws {
        let ref = try OfficialReference.arrays()
        let x = try ref.ref("svm_x").to(dtype: .float64)
        let scores = try ref.ref("svm_scores").doubles()
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let chosen = try x.indexSelect(0, Tensor((order.prefix(60) + order.suffix(60)).map(Int64.init)))
        let y = (0..<120).map { $0 < 60 ? 1.0 : -1.0 }
        let solution = try SMOSolver.solve(chosen, y: y, c: 1, tolerance: 1e-12)
        #expect(solution.alpha.allSatisfy { (0...1).contains($0) }, "box constraints")
        #expect(abs(zip(solution.alpha, y).map { $0 * $1 }.reduce(0, +)) < 1e-9, "Σ y α = 0")
        let w = try chosen.transpose(0, 1).matmul(Tensor(zip(solution.alpha, y).map { $0 * $1 }, shape: [120, 1])).reshape([-1])
        let norm = try w.norm().item()
        try expectClose(w / norm, try ref.ref("svc_ratio_tight").reshape([-1]), tol: 1e-6, "normal")
        let intercept = try ref.ref("svc_ratio_intercept").doubles()[0]
        #expect(abs(-solution.rho / norm - intercept) < 1e-6, "b/|w| \(-solution.rho / norm) vs \(intercept)")
        // The default tolerance, libsvm's 1e-3, stops close to it.
        let svm = try LinearSVM(chosen, labels: y.map { $0 > 0 }, classifier: .svc)
        try expectClose(try Tensor(svm.weights) / (try Tensor(svm.weights).norm()), w / norm, tol: 2e-3, "default tolerance")
    }

    /// The other classifier: LinearSVC's squared hinge with a regularised intercept.
    @Test func linearSVCIsTheOtherClassifier() throws {
        let ref = try OfficialReference.arrays()
        let x = try ref.ref("svm_x")
        let scores = try ref.ref("svm_scores").doubles()
        let options = InterFaceGAN.TrainingOptions(chosen: 0.25, splitRatio: 1, classifier: .linearSVC)
        let linear = try InterFaceGAN.train(latents: x, labels: .scores(scores), options: options)
        try expectClose(linear.normal, try ref.ref("linearsvc_ratio"), tol: 1e-3, "LinearSVC boundary")
        let svc = try InterFaceGAN.train(latents: x, labels: .scores(scores), options: .init(chosen: 0.25, splitRatio: 1))
        #expect(try maxAbsDifference(linear.normal, svc.normal) > 1e-2, "the two classifiers disagree on these codes")
        #expect(InterFaceGAN.TrainingOptions().classifier == .svc, "InterFaceGAN's SVC is the default")
    }

    /// The class means' difference: with every chosen code in training, the normal is exactly the normalised
    /// difference of the two classes' means and the boundary lies halfway between them. On codes spread widely along
    /// one axis and hardly along another, with the classes apart along both, it follows the wide axis, where the
    /// SVM's max-margin normal leans on the narrow one.
    @Test func meanDifferenceFollowsTheCodesSpread() throws {
        let rng = try Generator(seed: 5)
        let n = 400
        let labels = (0..<n).map { $0 % 2 == 0 }
        let sign = try Tensor(labels.map { $0 ? 1.0 : -1.0 }, shape: [n, 1])
        // Axis 0: spread 3, classes at ±1; axis 1: spread 0.02, classes at ±0.1; 6 further axes of noise.
        let scale = try Tensor([3.0, 0.02, 1, 1, 1, 1, 1, 1], shape: [1, 8])
        let offset = try Tensor([1.0, 0.1, 0, 0, 0, 0, 0, 0], shape: [1, 8])
        let x = try Tensor.randn([n, 8], dtype: .float64, generator: rng) * scale + sign * offset
        let options = InterFaceGAN.TrainingOptions(splitRatio: 1, classifier: .meanDifference)
        let b = try InterFaceGAN.train(latents: x, labels: .binary(labels), options: options)
        let index = { (flag: Bool) in try Tensor(labels.indices.filter { labels[$0] == flag }.map(Int64.init)) }
        let difference = try x.indexSelect(0, index(true)).mean([0]) - x.indexSelect(0, index(false)).mean([0])
        try expectClose(b.normal.reshape([-1]), try (difference / difference.norm()).to(dtype: .float32), tol: 1e-6,
                        "normalised mean difference")
        let svm = try LinearSVM(x, labels: labels, classifier: .meanDifference)
        let midpoint = try (x.indexSelect(0, index(true)).mean([0]) + x.indexSelect(0, index(false)).mean([0])) / 2
        #expect(abs(try svm.decisions(midpoint.reshape([1, 8]))[0]) < 1e-9, "the boundary passes through the midpoint")
        let svc = try InterFaceGAN.train(latents: x, labels: .binary(labels), options: .init(splitRatio: 1))
        let wide = { (b: InterFaceGAN.Boundary) in try abs(b.normal.reshape([-1]).select(0, 0).item()) }
        let narrow = { (b: InterFaceGAN.Boundary) in try abs(b.normal.reshape([-1]).select(0, 1).item()) }
        #expect(try wide(b) > 0.9 && narrow(b) < 0.2, "along the wide axis")
        #expect(try narrow(svc) > wide(svc), "the SVM leans on the narrow axis")
    }

    @Test func badTrainingInputs() throws {
        let x = try Tensor.randn([10, 4])
        #expect(throws: TorchError.self) { try InterFaceGAN.train(latents: x, labels: .binary(Array(repeating: true, count: 9))) }
        #expect(throws: TorchError.self) { try InterFaceGAN.train(latents: x, labels: .binary(Array(repeating: true, count: 10))) }
        #expect(throws: TorchError.self) { try InterFaceGAN.train(latents: x.unsqueeze(0), labels: .binary([true])) }
        let error = #expect(throws: TorchError.self) {
            try InterFaceGAN.train(latents: x, labels: .binary([true] + Array(repeating: false, count: 9)))
        }
        #expect(error?.message.contains("too few") == true)
    }

    @Test func labelFiles() throws {
        #expect(try AttributeLabels.parse("label\n1\n0\n1\n", name: "l.csv") == .binary([true, false, true]))
        #expect(try AttributeLabels.parse("idx,score\n0,0.25\n1,-1.5\r\n\n", name: "l.csv") == .scores([0.25, -1.5]))
        #expect(try AttributeLabels.parse("0\n1", name: "l.csv") == .binary([false, true]))
        let error = #expect(throws: TorchError.self) { try AttributeLabels.parse("1\nyes\n0\n", name: "l.csv") }
        #expect(error?.message.contains("l.csv: line 2") == true)
        #expect(throws: TorchError.self) { try AttributeLabels.parse("label\n", name: "l.csv") }
        #expect(throws: TorchError.self) { try AttributeLabels.parse("1\nnan\n", name: "l.csv") }
    }

    /// `project_boundary` for one, two and three conditions.
    @Test func conditionalProjectionMatchesProjectBoundary() throws {
        let ref = try OfficialReference.arrays()
        let p = try ref.ref("proj_primal")
        let conditions = try ref.ref("proj_conditions").split(size: 1)
        for k in 1...3 {
            try expectClose(ConditionalDirection.project(p, onto: Array(conditions.prefix(k))), try ref.ref("proj_\(k)"), tol: 1e-7,
                            "\(k) conditions")
        }
    }

    @Test func conditionalProjectionIsOrthogonalToTheConditions() throws {
        let rng = try Generator(seed: 3)
        func unit() throws -> Tensor { let v = try Tensor.randn([1, 32], dtype: .float64, generator: rng); return try v / v.norm() }
        let (p, c1, c2, c3) = (try unit(), try unit(), try unit(), try unit())
        func dot(_ a: Tensor, _ b: Tensor) throws -> Double { try (a * b).sum().item() }
        // InterFaceGAN's closed forms for one and two unit conditions.
        let one = try p - c1 * dot(p, c1)
        let (pc1, pc2, c12) = (try dot(p, c1), try dot(p, c2), try dot(c1, c2))
        let alpha = (pc1 - pc2 * c12) / (1 - c12 * c12 + 1e-8)
        let beta = (pc2 - pc1 * c12) / (1 - c12 * c12 + 1e-8)
        let two = try p - c1 * alpha - c2 * beta
        try expectClose(ConditionalDirection.project(p, onto: [c1]), try one / one.norm(), tol: 1e-12, "one condition")
        try expectClose(ConditionalDirection.project(p, onto: [c1, c2]), try two / two.norm(), tol: 1e-7, "two conditions")
        // Any number, any length, a dependent one among them.
        let conditions = [try c1 * 3, c2, c3, try c1 + c2]
        let n = try ConditionalDirection.project(p.to(dtype: .float32), onto: conditions)
        #expect(n.shape == [1, 32] && n.dtype == .float32)
        #expect(abs(try n.to(dtype: .float64).norm().item() - 1) < 1e-6)
        for (i, c) in conditions.enumerated() {
            #expect(abs(try dot(n.to(dtype: .float64), c)) < 1e-6, "orthogonal to condition \(i)")
        }
        #expect(try dot(n.to(dtype: .float64), p) > 0, "still points along the primal")
        let inSpan = try c1 * 2 - c2
        #expect(throws: TorchError.self) { try ConditionalDirection.project(inSpan, onto: [c1, c2]) }
        #expect(throws: TorchError.self) { try ConditionalDirection.project(p, onto: [try Tensor.ones([1, 31])]) }
        let direction = try LatentDirection(vector: p, unit: 2, label: "p").conditioned(on: [c1])
        #expect(direction.unit == 2)
        #expect(abs(try dot(direction.vector.to(dtype: .float64).reshape([1, 32]), c1)) < 1e-6)
    }
}
