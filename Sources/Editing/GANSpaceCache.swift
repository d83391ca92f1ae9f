import Checkpoints
import Torch

/// GANSpace's component cache files (`cache/components/*.npz`), as its `decomposition.py` writes them:
/// `lat_comp` [K, 1, D] (unit rows), `lat_mean` [1, D], `lat_stdev` [K], `var_ratio` [K], and the activation
/// counterparts (`act_comp`, `act_mean`, `act_stdev`), which W-space edits do not use.
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
        var comp = try array("lat_comp")
        if comp.rank == 3, comp.size(1) == 1 { comp = try comp.squeeze(1) }
        guard comp.rank == 2 else { throw invalid("lat_comp must be [K, 1, D] or [K, D], got \(comp.shape)") }
        let (k, d) = (comp.size(0), comp.size(1))
        let std = try array("lat_stdev")
        guard std.shape == [k] else { throw invalid("lat_stdev must be [\(k)], got \(std.shape)") }
        let mean = try array("lat_mean")
        guard mean.count == d else { throw invalid("lat_mean must hold \(d) values, got \(mean.shape)") }
        var ratio: [Double]?
        if let r = arrays["var_ratio"] {
            guard r.shape == [k] else { throw invalid("var_ratio must be [\(k)], got \(r.shape)") }
            ratio = try r.to(dtype: .float64).doubles()
        }
        guard try comp.isfinite().all().item() != 0, try mean.isfinite().all().item() != 0 else {
            throw invalid("lat_comp or lat_mean contains NaN or infinity")
        }
        let norms = try comp.norm(dims: [1], keepdim: true)
        guard try norms.min().item() > 0 else { throw invalid("lat_comp has a zero component") }
        do {
            return try Components(directions: (comp / norms).to(dtype: .float32), std: std.doubles(),
                                  mean: mean.reshape([d]).to(dtype: .float32), explainedVarianceRatio: ratio, samples: nil)
        } catch let error as TorchError {
            throw invalid(error.message)
        }
    }

    /// Writes components in GANSpace's cache layout (latent arrays only, uncompressed).
    public static func write(_ components: Components, to path: String) throws {
        let d = components.mean.count
        var arrays: [String: Tensor] = [
            "lat_comp": try components.directions.reshape([components.count, 1, d]),
            "lat_mean": try components.mean.reshape([1, d]),
            "lat_stdev": try Tensor(components.std.map(Float.init)),
        ]
        if let ratio = components.explainedVarianceRatio { arrays["var_ratio"] = try Tensor(ratio.map(Float.init)) }
        try NumPy.writeArchive(arrays, to: path)
    }
}
