import Torch

/// How much of an edit each w+ row receives: the per-layer strength of GANSpace's layer-range edits, SeFa's
/// chosen layers and style mixing. 1 applies the edit fully to a row, 0 leaves the row as it is.
public struct RowWeights: Equatable, Sendable {
    /// One weight per w+ row.
    public let values: [Double]

    /// Any per-row weights; each must be finite.
    public init(values: [Double]) throws {
        guard !values.isEmpty else { throw TorchError("need one weight per w+ row, got none") }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw TorchError("weight \(bad) is \(values[bad]); weights must be finite")
        }
        self.values = values
    }

    /// 1 on `rows`, 0 on the other rows of a code with `count` rows.
    public init(rows: [Int], count: Int) throws {
        guard !rows.isEmpty else { throw TorchError("no w+ rows chosen") }
        if let bad = rows.first(where: { !(0..<count).contains($0) }) {
            throw TorchError("row \(bad) is outside 0...\(count - 1) (this generator's w+ has \(count) rows)")
        }
        let chosen = Set(rows)
        try self.init(values: (0..<count).map { chosen.contains($0) ? 1 : 0 })
    }

    /// Every one of `count` rows fully.
    public static func all(_ count: Int) throws -> RowWeights { try RowWeights(values: Array(repeating: 1, count: count)) }

    /// The rows with a non-zero weight.
    public var rows: [Int] { values.indices.filter { values[$0] != 0 } }

    /// [L, 1], to scale a per-row change [L, D].
    func column(dtype: DType, device: Device) throws -> Tensor {
        try Tensor(values, shape: [values.count, 1]).to(device: device, dtype: dtype)
    }

    /// Checks the weights fit a w+ code [L, D].
    func check(against wPlus: Tensor) throws {
        guard wPlus.rank == 2, wPlus.size(0) == values.count else {
            throw TorchError("row weights are for \(values.count) w+ rows, the code is \(wPlus.shape)")
        }
    }
}
