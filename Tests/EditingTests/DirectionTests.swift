import Checkpoints
@testable import Editing
import Foundation
import StyleGAN
import TestSupport
import Testing
import Torch

/// SeFa, GANSpace and direction files: unit vectors, the float64 eigenproblem, planted structure.
@Suite("Directions")
struct DirectionTests {
    let g: StyleGAN2Generator

    init() throws {
        try Runtime.start()
        g = try GeneratorCheckpoint.load(Fixtures.path("stylegan2-tiny64/generator.pt")).generator
    }

    @Test func seFaMatchesAFloat64EigendecompositionOfTheStackedModulations() throws {
        // A built here from the state-dict keys, rows normalised in Swift doubles: rows 0...8 are conv1 and
        // convs.0-7, row 9 the last ToRGB (to_rgbs.3); the ToRGBs before it take no part.
        let state = try g.stateDict().dictionary
        let keys = ["conv1.conv.modulation.weight"] + (0..<8).map { "convs.\($0).conv.modulation.weight" }
            + ["to_rgbs.3.conv.modulation.weight"]
        let d = 128
        var a: [[Double]] = []
        for key in keys {
            let w = try #require(state[key]).to(dtype: .float64)
            let values = try w.doubles()
            for r in 0..<w.size(0) {
                let row = Array(values[(r * d)..<((r + 1) * d)])
                let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
                a.append(row.map { $0 / norm })
            }
        }
        var m = [Double](repeating: 0, count: d * d)
        for row in a { for i in 0..<d { for j in 0..<d { m[i * d + j] += row[i] * row[j] } } }
        let f = try SeFa.factorize(g)
        #expect(f.rows == Array(0..<10))
        #expect(f.directions.shape == [d, d] && f.eigenvalues.shape == [d])
        let values = try f.eigenvalues.doubles()
        // trace(A^T A) = number of unit rows.
        let rowCount = Double(a.count)
        let trace: Double = values.reduce(0, +)
        #expect(abs(trace - rowCount) < 1e-8 * rowCount)
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 >= $1 }, "descending")
        let reference = try Linalg.eigh(Tensor(m, shape: [d, d])).values.flip([0]).doubles()
        for (ours, theirs) in zip(values, reference) { #expect(abs(ours - theirs) < 1e-9 * reference[0]) }
        let directions = try f.directions.to(dtype: .float64)
        for k in 0..<6 {
            let v = try directions.select(0, k).doubles()
            let mv = (0..<d).map { i in (0..<d).reduce(0) { $0 + m[i * d + $1] * v[$1] } }
            let residual = zip(mv, v).map { ($0 - values[k] * $1) * ($0 - values[k] * $1) }.reduce(0, +).squareRoot()
            #expect(residual < 1e-5 * values[0], "M v_\(k) = λ_\(k) v_\(k): residual \(residual)")
        }
        try expectClose(directions.matmul(directions.transpose(0, 1)), Tensor.eye(d, dtype: .float64), tol: 1e-6,
                        "SeFa directions are orthonormal")
    }

    @Test func seFaOnChosenLayers() throws {
        let f = try SeFa.factorize(g, rows: [0, 1, 2])
        #expect(abs(try f.eigenvalues.sum().item() - 192) < 1e-8)
        #expect(try unitError(f.directions) < 1e-6)
        #expect(throws: TorchError.self) { try SeFa.factorize(g, rows: [0, 10]) }
        #expect(throws: TorchError.self) { try SeFa.factorize(g, rows: [1, 1]) }
        #expect(throws: TorchError.self) { try SeFa.factorize(g, rows: []) }
    }

    @Test func pcaRecoversAPlantedDirection() throws {
        let d = 16
        let rng = try Generator(seed: 5)
        let r = try Tensor.randn([d], dtype: .float64, generator: rng)
        let u = try r / r.norm()
        let n = 25_000  // more than one chunk
        let along = try Tensor.randn([n, 1], dtype: .float64, generator: rng) * 3
        let samples = try Tensor.randn([n, d], dtype: .float64, generator: rng) * 0.1 + along * u.reshape([1, d]) + 5
        let c = try GANSpace.components(ofSamples: samples.to(dtype: .float32), count: 4)
        let first = try c.directions.select(0, 0).to(dtype: .float64)
        #expect(try (first * u).sum().abs().item() > 0.9999, "component 0 is the planted direction")
        #expect(abs(c.std[0] - 3) < 0.1, "its std is the planted 3, got \(c.std[0])")
        #expect(c.std.dropFirst().allSatisfy { abs($0 - 0.1) < 0.01 }, "the rest is the 0.1 noise: \(c.std)")
        #expect(try (c.mean.to(dtype: .float64) - 5).abs().max().item() < 0.1)
        #expect(try unitError(c.directions) < 1e-6, "unit components")
        #expect(c.samples == n && abs((c.explainedVarianceRatio?.first ?? .nan) - 9 / 9.16) < 0.01, "9 of 9 + 16 x 0.01")
    }

    /// GANSpace's `pca` estimator (decomposition.py + PCAEstimator) on the same samples: components with their
    /// signs, std, variance ratio and mean; its default `ipca` estimator signs components the same way and
    /// divides the variance by N - 1.
    @Test func pcaMatchesGANSpacesEstimators() throws {
        let ref = try OfficialReference.arrays()
        let c = try GANSpace.components(ofSamples: ref.ref("pca_x"), count: 5)
        try expectClose(c.directions, try ref.ref("pca_comp"), tol: 1e-5, "components and their signs")
        try expectClose(c.directions, try ref.ref("ipca_comp"), tol: 1e-5, "IPCA's signs")
        try expectClose(try Tensor(c.std), try ref.ref("pca_stdev").to(dtype: .float64), tol: 1e-5, "stdev")
        try expectClose(try Tensor(#require(c.explainedVarianceRatio)), try ref.ref("pca_var_ratio").to(dtype: .float64), tol: 1e-6, "var_ratio")
        try expectClose(try Tensor(#require(c.explainedVarianceRatio)), try ref.ref("ipca_var_ratio").to(dtype: .float64), tol: 1e-6, "IPCA var_ratio")
        try expectClose(c.mean, try ref.ref("pca_mean").reshape([-1]), tol: 1e-5, "mean")
        try expectClose(try Tensor(c.std) * (1500.0 / 1499).squareRoot(), try ref.ref("ipca_stdev").to(dtype: .float64), tol: 1e-5,
                        "IPCA: N - 1")
    }

    /// random_stdevs: the samples' spread along unit directions drawn from a generator seeded with 2.
    @Test func randomDirectionBaseline() throws {
        let x = try OfficialReference.arrays().ref("pca_x").to(dtype: .float64)
        let c = try GANSpace.components(ofSamples: x, count: 4)
        let r = try Tensor.randn([4, 12], dtype: .float64, generator: Generator(seed: 2))
        let unit = try r / r.norm(dims: [1], keepdim: true)
        let direct = try (x - x.mean([0])).matmul(unit.transpose(0, 1)).std([0], correction: 0)
        try expectClose(try Tensor(#require(c.randomStd)), direct, tol: 1e-9, "std along random directions")
        #expect(try #require(c.randomStd).allSatisfy { $0 < c.std[0] + 1e-9 }, "no direction spreads more than component 0")
    }

    @Test func chunkedCovarianceEqualsTheDirectOne() throws {
        let x = try Tensor.randn([1000, 6], dtype: .float64, generator: Generator(seed: 9)) * 2 + 100
        var acc = try CovarianceAccumulator(dimension: 6)
        for part in try x.split(size: 137) { try acc.add(part) }
        let centred = try x - x.mean([0])
        try expectClose(acc.covariance(), try centred.transpose(0, 1).matmul(centred) / 1000, tol: 1e-12, "covariance")
        try expectClose(acc.currentMean(), try x.mean([0]), tol: 1e-12, "mean")
    }

    @Test func ganSpaceFromTheGeneratorIsSeededAndUnit() throws {
        var calls: [Int] = []
        let a = try GANSpace.components(of: g, samples: 12_000, count: 5, seed: 3) { done, _ in calls.append(done) }
        let b = try GANSpace.components(of: g, samples: 12_000, count: 5, seed: 3)
        #expect(calls == [10_000, 12_000])
        try expectClose(a.directions, b.directions, tol: 0, "same seed, same components")
        #expect(try unitError(a.directions) < 1e-6)
        #expect(zip(a.std, a.std.dropFirst()).allSatisfy { $0 >= $1 })
        // The std is the samples' spread along the component: check on fresh samples.
        let w = try g.mapping(Tensor.randn([4000, 128], generator: Generator(seed: 77)))
        let projected = try (w - a.mean).matmul(a.directions.select(0, 0).reshape([128, 1]))
        #expect(abs(try projected.std([0], correction: 0).item() - a.std[0]) < 0.1 * a.std[0])
    }

    @Test func ganSpaceCacheRoundTripAndLayouts() throws {
        let c = try GANSpace.components(of: g, samples: 3000, count: 3, seed: 1)
        let path = temporary("components.npz")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try GANSpace.write(c, to: path)
        // Every array GANSpace's interactive.py and visualize.py read; for W the act_ arrays are the lat_ ones.
        let arrays = try NumPy.readArchive(path)
        #expect(Set(arrays.names) == ["act_comp", "act_mean", "act_stdev", "lat_comp", "lat_mean", "lat_stdev", "var_ratio", "random_stdevs"])
        #expect(arrays["lat_comp"]?.shape == [3, 1, 128] && arrays["lat_mean"]?.shape == [1, 128])
        #expect(arrays["act_comp"]?.shape == [3, 1, 128] && arrays["act_mean"]?.shape == [1, 128] && arrays["random_stdevs"]?.shape == [3])
        try expectClose(arrays["act_comp"]!, arrays["lat_comp"]!, tol: 0, "act_comp")
        try expectClose(arrays["act_stdev"]!, arrays["lat_stdev"]!, tol: 0, "act_stdev")
        let back = try GANSpace.load(path)
        try expectClose(try Tensor(#require(back.randomStd)), try Tensor(#require(c.randomStd)), tol: 1e-6, "random_stdevs")
        let first = try back.direction(0)
        #expect(first.method == .ganspace)
        try expectClose(first.centre!, c.mean, tol: 1e-6, "positions from lat_mean")
        try expectClose(back.directions, c.directions, tol: 1e-7, "lat_comp")
        #expect(zip(back.std, c.std).allSatisfy { abs($0 - $1) < 1e-5 * $1 })
        let direction = try back.direction(2)
        #expect(abs(direction.unit - c.std[2]) < 1e-5 * c.std[2] && direction.label == "ganspace2")
        #expect(throws: TorchError.self) { try back.direction(3) }
        // [K, D] components, not unit, as some exports have them; no var_ratio.
        try NumPy.writeArchive(["lat_comp": try c.directions * 2, "lat_mean": c.mean, "lat_stdev": try Tensor([1, 2, 3] as [Float])],
                               to: path)
        let plain = try GANSpace.load(path)
        try expectClose(plain.directions, c.directions, tol: 1e-6, "normalised")
        #expect(plain.explainedVarianceRatio == nil)
        try NumPy.writeArchive(["lat_comp": c.directions], to: path)
        let error = #expect(throws: CheckpointError.self) { try GANSpace.load(path) }
        #expect(error?.description.contains("lat_stdev") == true && error?.description.contains(path) == true)
        // decomposition.py without --use_w: Z components, lat_stdev all ones.
        try NumPy.writeArchive(["lat_comp": c.directions, "lat_mean": c.mean, "lat_stdev": try Tensor.ones([3])], to: path)
        let zSpace = #expect(throws: CheckpointError.self) { try GANSpace.load(path) }
        #expect(zSpace?.description.contains("--use_w") == true)
    }

    @Test func directionFilesAreUnitWithTheirSidecar() throws {
        let path = temporary("smile.npy")
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: DirectionFile.sidecarPath(for: path))
        }
        let raw = try Tensor.randn([128], generator: Generator(seed: 2)) * 7
        let sidecar = DirectionFile.Sidecar(method: "ganspace", generatorSHA256: "ab", index: 4, layers: [2, 3], std: 1.5,
                                            mean: (0..<128).map { Double($0) / 64 })
        try DirectionFile.write(raw, sidecar: sidecar, to: path)
        #expect(try NumPy.readArray(path).shape == [1, 128])
        let (direction, back) = try DirectionFile.read(path)
        #expect(back == sidecar)
        #expect(direction.unit == 1.5 && direction.rows == [2, 3] && direction.label.hasSuffix("smile") && direction.method == .ganspace)
        try expectClose(#require(direction.centre), try Tensor(#require(sidecar.mean)), tol: 1e-6, "GANSpace positions from the sidecar's mean")
        #expect(abs(try direction.vector.norm().item() - 1) < 1e-6)
        try expectClose(direction.vector, try raw / raw.norm(), tol: 1e-6, "same direction, unit length")
        // An InterFaceGAN boundary without sidecar: [1, D], unit strength, all rows.
        try FileManager.default.removeItem(atPath: DirectionFile.sidecarPath(for: path))
        let plain = try DirectionFile.read(path).direction
        #expect(plain.unit == 1 && plain.rows == nil && plain.method == .interfacegan)
        #expect(try #require(plain.centre).abs().max().item() == 0, "InterFaceGAN's boundary passes through the origin")
        for (shape, message) in [([2, 128], "[D] or [1, D]"), ([1, 128], "NaN"), ([128], "zero")] {
            let bad = message == "NaN" ? try Tensor.full(shape, .nan) : message == "zero" ? try Tensor.zeros(shape) : try Tensor.ones(shape)
            try NumPy.writeArray(bad, to: path)
            let error = #expect(throws: CheckpointError.self) { try DirectionFile.read(path) }
            #expect(error?.description.contains(path) == true && error?.description.contains(message) == true, "\(String(describing: error))")
        }
    }

    func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
    }
}

/// max over rows of | |row| - 1 |.
func unitError(_ rows: Tensor) throws -> Double {
    try (rows.to(dtype: .float64).norm(dims: [1]) - 1).abs().max().item()
}
