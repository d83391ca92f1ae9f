import Checkpoints
import Torch

/// GANSpace's component cache files (`cache/components/*.npz`), as its `decomposition.py` writes them:
/// `lat_comp` [K, 1, D] (unit rows), `lat_mean` [1, D], `lat_stdev` [K], `var_ratio` [K], `random_stdevs`
/// [K], and the activation arrays `act_comp`, `act_mean`, `act_stdev`. A latent edit (its `interactive.py`,
/// `visualize.py` and notebooks) reads `lat_comp`, `lat_stdev` and `lat_mean`; for W, where GANSpace
/// decomposes the latents themselves, the activation arrays hold the same components.
extension GANSpace {
    /// Reads the latent components of a GANSpace cache; `lat_comp` may also be [K, D].
    public static func load(_ path: String) throws -> Components {
        // GANSpace writes its caches with np.savez_compressed; the reader inflates them.
        let arrays = try NumPy.readArchive(path)
        func invalid(_ message: String) -> CheckpointError { .invalid(file: path, message: message) }
        func array(_ key: String) throws -> Tensor {
            guard let t = arrays[key] else { throw invalid("not a GANSpace cache: no '\(key)' array") }
            return try t.to(dtype: .float64)
        }
        func optional(_ key: String, count k: Int) throws -> [Double]? {
            guard let t = arrays[key] else { return nil }
            guard t.shape == [k] else { throw invalid("\(key) must be [\(k)], got \(t.shape)") }
            return try t.to(dtype: .float64).doubles()
        }
        var comp = try array("lat_comp")
        if comp.rank == 3, comp.size(1) == 1 { comp = try comp.squeeze(1) }
        guard comp.rank == 2 else { throw invalid("lat_comp must be [K, 1, D] or [K, D], got \(comp.shape)") }
        let (k, d) = (comp.size(0), comp.size(1))
        let std = try array("lat_stdev")
        guard std.shape == [k] else { throw invalid("lat_stdev must be [\(k)], got \(std.shape)") }
        // decomposition.py writes lat_stdev = 1 unless --use_w: such components live in Z, not in W.
        guard try std.ne(1).any().item() != 0 else {
            throw invalid("lat_stdev is all ones, which GANSpace writes for Z-space components (computed without "
                + "--use_w); W edits need a cache computed with --use_w")
        }
        let mean = try array("lat_mean")
        guard mean.count == d else { throw invalid("lat_mean must hold \(d) values, got \(mean.shape)") }
        guard try comp.isfinite().all().item() != 0, try mean.isfinite().all().item() != 0 else {
            throw invalid("lat_comp or lat_mean contains NaN or infinity")
        }
        let norms = try comp.norm(dims: [1], keepdim: true)
        guard try norms.min().item() > 0 else { throw invalid("lat_comp has a zero component") }
        do {
            return try Components(directions: (comp / norms).to(dtype: .float32), std: std.doubles(),
                                  mean: mean.reshape([d]).to(dtype: .float32),
                                  explainedVarianceRatio: try optional("var_ratio", count: k), samples: nil,
                                  randomStd: try optional("random_stdevs", count: k))
        } catch let error as TorchError {
            throw invalid(error.message)
        }
    }

    /// Writes components in GANSpace's cache layout for W, every array its tools read (uncompressed).
    public static func write(_ components: Components, to path: String) throws {
        let (k, d) = (components.count, components.mean.count)
        let comp = try components.directions.reshape([k, 1, d])
        let mean = try components.mean.reshape([1, d])
        let std = try Tensor(components.std.map(Float.init))
        var arrays: [String: Tensor] = [
            "act_comp": comp, "act_mean": mean, "act_stdev": std,
            "lat_comp": comp, "lat_mean": mean, "lat_stdev": std,
        ]
        if let ratio = components.explainedVarianceRatio { arrays["var_ratio"] = try Tensor(ratio.map(Float.init)) }
        if let random = components.randomStd { arrays["random_stdevs"] = try Tensor(random.map(Float.init)) }
        try NumPy.writeArchive(arrays, to: path)
    }
}
