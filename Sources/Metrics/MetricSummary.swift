import Foundation

/// One row of an evaluation: a metric's mean and standard deviation over the images, as pSp's evaluation prints
/// "mean+-std".
public struct MetricSummary: Codable, Equatable, Sendable {
    public let name: String
    /// Images (or sequences) the values came from.
    public let count: Int
    public let mean: Double
    /// Population standard deviation (divisor N), as `np.std` in pSp's scripts/calc_losses_on_images.py.
    public let std: Double

    /// Summarises per-image `values`. Infinite values (PSNR of identical images) are kept, so the mean is infinite
    /// and the std undefined (NaN) rather than silently leaving those images out.
    public init(name: String, values: [Double]) throws {
        guard !values.isEmpty else { throw MetricSummaryError("\(name): no values to summarise") }
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        self.name = name
        count = values.count
        self.mean = mean
        std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
    }

    /// The rows as a plain-text table (metric, mean, std, count), numbers with `decimals` digits after the point.
    public static func table(_ rows: [MetricSummary], decimals: Int = 4) -> String {
        let cells = [["metric", "mean", "std", "count"]] + rows.map {
            [$0.name, String(format: "%.\(decimals)f", $0.mean), String(format: "%.\(decimals)f", $0.std),
             String($0.count)]
        }
        let widths = (0..<4).map { column in cells.map { $0[column].count }.max()! }
        return cells.map { row in
            zip(row, widths).enumerated().map { column, cell in
                let padding = String(repeating: " ", count: cell.1 - cell.0.count)
                return column == 0 ? cell.0 + padding : padding + cell.0
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// The rows as a JSON array with sorted keys. JSON has no literal for infinity or NaN, so such numbers are
    /// written as the strings "inf", "-inf" and "nan".
    public static func json(_ rows: [MetricSummary]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf",
                                                                      negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(rows), as: UTF8.self)
    }
}

/// Why a summary could not be made.
public struct MetricSummaryError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}
