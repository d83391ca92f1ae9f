import Torch

/// The images of the classic StyleGAN figures, as batches ready to be laid out in grids.
extension LoadedGenerator {
    /// One image per seed: [N, 3, S, S].
    public func seedSheet(_ seeds: [Int], truncation: Double = 1) throws -> Tensor {
        try render(generator.z(seeds: seeds), space: .z, truncation: truncation).images
    }

    /// Row r holds seed r at each psi: [seeds * psis, 3, S, S], row-major.
    public func truncationSweep(seeds: [Int], psis: [Double]) throws -> Tensor {
        let w = try render(generator.z(seeds: seeds), space: .z).latents
        let avg = latentAvg
        var rows: [Tensor] = []
        for i in 0..<seeds.count {
            let wi = try w.slice(0, i, i + 1)
            let codes = try Tensor.cat(psis.map { try avg + (wi - avg) * $0 })
            rows.append(try render(codes, space: .w).images)
        }
        return try Tensor.cat(rows)
    }

    /// The style-mixing figure: a blank corner, the `sources` along the top row, the `destinations` down the
    /// first column, and each cell the destination's codes with rows `layers` taken from the source.
    /// Returns [(destinations + 1) * (sources + 1), 3, S, S], row-major; the corner is blank (-1).
    public func mixingGrid(sources: [Int], destinations: [Int], layers: Range<Int>, truncation: Double = 1) throws
        -> Tensor
    {
        let g = generator
        guard layers.lowerBound >= 0, layers.upperBound <= g.nLatent, !layers.isEmpty else {
            throw TorchError("mixing layers \(layers) must lie in 0..<\(g.nLatent)")
        }
        let src = try render(g.z(seeds: sources), space: .z, truncation: truncation)
        let dst = try render(g.z(seeds: destinations), space: .z, truncation: truncation)
        let size = g.config.size
        var cells = [try Tensor.full([1, 3, size, size], -1)]
        cells.append(src.images)
        for d in 0..<destinations.count {
            cells.append(try dst.images.slice(0, d, d + 1))
            var mixed: [Tensor] = []
            for s in 0..<sources.count {
                let plus = try dst.latents.slice(0, d, d + 1).unsqueeze(1).repeat([1, g.nLatent, 1])
                let sourceRows = try src.latents.slice(0, s, s + 1).unsqueeze(1).expand([1, layers.count, g.config.styleDim])
                let parts = [try plus.slice(1, 0, layers.lowerBound), sourceRows,
                             try plus.slice(1, layers.upperBound, g.nLatent)]
                mixed.append(try Tensor.cat(parts, dim: 1))
            }
            cells.append(try render(Tensor.cat(mixed), space: .w).images)
        }
        return try Tensor.cat(cells)
    }
}
