import Foundation
import Torch

/// The labels a boundary is trained from, one per latent code, read from CSV.
///
/// One row per code, in the order of the codes; the value is the row's last field, so "0", "1", "idx,label"
/// and "file,score" rows all work. A first row whose last field is not a number is a header and is skipped.
/// Values that are all 0 or 1 are binary labels; any other numbers are attribute scores, as InterFaceGAN's
/// predictors give, of which the highest and lowest become the positives and negatives.
public enum AttributeLabels {
    public enum Values: Equatable, Sendable {
        case binary([Bool])
        case scores([Double])

        public var count: Int {
            switch self {
            case .binary(let b): b.count
            case .scores(let s): s.count
            }
        }
    }

    /// Parses CSV text; `name` stands for the file in errors.
    public static func parse(_ text: String, name: String) throws -> Values {
        var values: [Double] = []
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        for (number, line) in lines.enumerated() where !line.isEmpty {
            let field = line.split(separator: ",", omittingEmptySubsequences: false).last!
                .trimmingCharacters(in: CharacterSet(charactersIn: " \t\""))
            guard let value = Double(field), value.isFinite else {
                if values.isEmpty && number == 0 { continue }  // a header
                throw TorchError("\(name): line \(number + 1): '\(field)' is not a finite number")
            }
            values.append(value)
        }
        guard !values.isEmpty else { throw TorchError("\(name): no labels") }
        if values.allSatisfy({ $0 == 0 || $0 == 1 }) { return .binary(values.map { $0 == 1 }) }
        return .scores(values)
    }

    public static func read(_ path: String) throws -> Values {
        guard let data = FileManager.default.contents(atPath: path) else { throw TorchError("\(path): cannot read the file") }
        return try parse(String(decoding: data, as: UTF8.self), name: path)
    }
}
