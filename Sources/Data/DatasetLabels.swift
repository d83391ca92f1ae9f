import Foundation

/// Conditioning labels of a dataset, one per image, as StyleGAN2-ADA reads them from `dataset.json`.
public enum DatasetLabels: Equatable, Sendable {
    /// Class indices (integers in `dataset.json`); networks see them one-hot over `dimension` = largest + 1.
    case classes([Int])
    /// Float vectors, all of length `dimension`.
    case vectors([[Float]])

    /// The length of the label vector a network is given.
    public var dimension: Int {
        switch self {
        case .classes(let classes): (classes.max() ?? -1) + 1
        case .vectors(let vectors): vectors.first?.count ?? 0
        }
    }

    /// The label of image `index` as a network is given it (StyleGAN2-ADA's `get_label`).
    public func vector(at index: Int) -> [Float] {
        switch self {
        case .classes(let classes):
            var onehot = [Float](repeating: 0, count: dimension)
            onehot[classes[index]] = 1
            return onehot
        case .vectors(let vectors): return vectors[index]
        }
    }

    /// The labels of `names` (in that order) from a `dataset.json` file: `{"labels": [[name, label], ...]}`,
    /// or `{"labels": null}` for none (nil). Integers are classes, lists of numbers vectors, as
    /// StyleGAN2-ADA's `np.array(labels)` makes them int64 or float32.
    public static func read(datasetJSON bytes: [UInt8], names: [String], file: String) throws -> DatasetLabels? {
        func bad(_ message: String) -> DataError { DataError(.badLabels, path: file, message) }
        let document: DatasetJSON
        do {
            document = try JSONDecoder().decode(DatasetJSON.self, from: Foundation.Data(bytes))
        } catch let error as DecodingError {
            throw bad("not a dataset.json of the form {\"labels\": [[name, label], ...]}: \(error.summary)")
        }
        guard let entries = document.labels else { return nil }
        // As Python's dict(labels): a later entry for the same name wins.
        var byName: [String: RawLabel] = [:]
        for entry in entries { byName[entry.name] = entry.label }
        let labels = try names.map { name in
            guard let label = byName[name] else { throw bad("no label for '\(name)'") }
            return label
        }
        if labels.allSatisfy({ if case .class = $0 { true } else { false } }) {
            let classes = labels.map { if case .class(let c) = $0 { c } else { 0 } }
            if let negative = zip(names, classes).first(where: { $0.1 < 0 }) {
                throw bad("label \(negative.1) of '\(negative.0)' is negative; class labels start at 0")
            }
            return .classes(classes)
        }
        let vectors = try zip(names, labels).map { name, label in
            guard case .vector(let vector) = label else {
                throw bad("'\(name)' has a class label where the others have vectors")
            }
            return vector
        }
        let length = vectors.first?.count ?? 0
        if let other = zip(names, vectors).first(where: { $0.1.count != length }) {
            throw bad("'\(other.0)' has a label of \(other.1.count) numbers where '\(names[0])' has \(length)")
        }
        return .vectors(vectors)
    }
}

private struct DatasetJSON: Decodable {
    let labels: [Entry]?

    struct Entry: Decodable {
        let name: String
        let label: RawLabel

        init(from decoder: any Decoder) throws {
            var pair = try decoder.unkeyedContainer()
            name = try pair.decode(String.self)
            label = try pair.decode(RawLabel.self)
            guard pair.isAtEnd else {
                throw DecodingError.dataCorruptedError(in: pair, debugDescription: "a label entry is [name, label]")
            }
        }
    }
}

private enum RawLabel: Decodable {
    case `class`(Int)
    case vector([Float])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self = .class(value)
        } else if let vector = try? container.decode([Float].self) {
            self = .vector(vector)
        } else {
            throw DecodingError.dataCorruptedError(in: container,
                                                   debugDescription: "a label is an integer class or a list of numbers")
        }
    }
}

extension DecodingError {
    /// Where in the document and what: "labels[3][1]: a label is an integer class or a list of numbers".
    var summary: String {
        let context: Context? = switch self {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c): c
        @unknown default: nil
        }
        guard let context else { return String(describing: self) }
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        let reason = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return (path.isEmpty ? "" : String(path.drop { $0 == "." }) + ": ") + (reason ?? context.debugDescription)
    }
}
