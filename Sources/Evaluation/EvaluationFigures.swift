import Editing
import Images
import Inversion
import StyleGAN
import Torch

/// The classic figures of each method's first two inversions, beside the measured edits: GANSpace and SeFa
/// components, style mixing and interpolation. Edits of inversions with a feature (Feature-Style, CLCAE) move it
/// by the F-space rule, as every edit through `InversionEditor` does.
struct EvaluationFigures {
    /// GANSpace components 0 and 1 (±2 sigma on the coarse rows), SeFa directions 0 and 1 (±3 on every row).
    let directions: [(direction: LatentDirection, rows: RowWeights, strengths: [Double])]
    let coarse: RowWeights
    let fine: RowWeights
    /// Rows of images [1, 3, S, S], one row per method.
    var components: [[Tensor]] = []
    var mixing: [[Tensor]] = []
    var interpolation: [[Tensor]] = []
    /// Methods left out of the interpolation (their two inversions tuned two different generators).
    var skipped: [InversionMethod] = []

    static let componentColumns = 9
    static let mixingColumns = 4
    static let interpolationColumns = 5

    init(_ g: StyleGAN2Generator, samples: Int, seed: UInt64, device: Device) throws {
        let count = g.nLatent
        let coarseRows = Array(0..<Swift.min(4, count - 1))
        coarse = try RowWeights(rows: coarseRows, count: count)
        fine = try RowWeights(rows: Array(coarseRows.count..<count), count: count)
        let pca = try GANSpace.components(of: g, samples: samples, count: 2, seed: seed, device: device)
        let sefa = try SeFa.factorize(g)
        let all = try RowWeights.all(count)
        directions = [
            (try pca.direction(0, label: "GANSpace 0"), coarse, [-2, 2]),
            (try pca.direction(1, label: "GANSpace 1"), coarse, [-2, 2]),
            (try LatentDirection(vector: sefa.directions.select(0, 0), label: "SeFa 0"), all, [-3, 3]),
            (try LatentDirection(vector: sefa.directions.select(0, 1), label: "SeFa 1"), all, [-3, 3]),
        ]
    }

    /// One method's rows of the three figures.
    struct Rows {
        var components: [Tensor]
        var mixing: [Tensor]
        /// nil for the tuning methods (their two inversions tuned two different generators).
        var interpolation: [Tensor]?
    }

    /// The figures' rows for `method` from the editors of its first two inversions.
    func rows(_ method: InversionMethod, first a: InversionEditor, second b: InversionEditor) throws -> Rows {
        let w = try a.wPlus
        func render(_ code: Tensor) throws -> Tensor { try a.render(a.edited(code)).clamp(min: -1, max: 1) }
        var components = [try a.render(a.inversion).clamp(min: -1, max: 1)]
        for (direction, rows, strengths) in directions {
            for s in strengths { components.append(try render(DirectionEdit.apply(w, along: direction, strength: s, rows: rows))) }
        }
        let other = try b.wPlus
        let mixing = [components[0], try b.render(b.inversion).clamp(min: -1, max: 1),
                      try render(StyleMixing.apply(w, from: other, strength: 1, rows: coarse)),
                      try render(StyleMixing.apply(w, from: other, strength: 1, rows: fine))]
        let interpolation = method.family == .tuning ? nil
            : try InversionInterpolation.frames(from: a, to: b.inversion, count: Self.interpolationColumns)
                .map { try a.render($0).clamp(min: -1, max: 1) }
        return Rows(components: components, mixing: mixing, interpolation: interpolation)
    }

    /// Adds a method's rows to the figures.
    mutating func add(_ method: InversionMethod, _ rows: Rows) {
        components.append(rows.components)
        mixing.append(rows.mixing)
        if let row = rows.interpolation { interpolation.append(row) } else { skipped.append(method) }
    }

    /// Writes components.png, mixing.png and (when a method has one) interpolation.png into `folder`.
    func write(to folder: String, save: (Tensor, String) throws -> Void) throws {
        try save(imageGrid(components.flatMap { $0 }, columns: Self.componentColumns), "components.png")
        try save(imageGrid(mixing.flatMap { $0 }, columns: Self.mixingColumns), "mixing.png")
        if !interpolation.isEmpty {
            try save(imageGrid(interpolation.flatMap { $0 }, columns: Self.interpolationColumns), "interpolation.png")
        }
    }
}
