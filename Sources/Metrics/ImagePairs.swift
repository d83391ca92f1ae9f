import Foundation
import Images
import Torch

/// Reference and reconstructed images paired by file name (the stem: `001.jpg` pairs with `001.png`).
public struct ImagePairs {
    public struct Pair {
        public let name: String
        /// [1, 3, H, W] in [-1, 1]
        public let reference: Tensor
        /// [1, 3, H, W] in [-1, 1]
        public let reconstructed: Tensor
    }

    public let pairs: [Pair]

    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Reads both folders; every problem — a file with no partner, two files with one stem, an unreadable image,
    /// a size mismatch — is collected and reported together, naming the files.
    public init(reference: String, reconstructed: String) throws {
        let left = try ImagePairs.images(in: reference)
        let right = try ImagePairs.images(in: reconstructed)
        var problems: [String] = []
        for stem in left.keys.sorted() where right[stem] == nil {
            problems.append("\(left[stem]!): no reconstruction named \(stem).* in \(reconstructed)")
        }
        for stem in right.keys.sorted() where left[stem] == nil {
            problems.append("\(right[stem]!): no reference named \(stem).* in \(reference)")
        }
        var pairs: [Pair] = []
        for stem in left.keys.sorted() {
            guard let r = right[stem] else { continue }
            do {
                let a = try Image.read(path: left[stem]!)
                let b = try Image.read(path: r)
                guard a.width == b.width, a.height == b.height else {
                    problems.append("\(r): \(b.width)x\(b.height) but its reference \(left[stem]!) is \(a.width)x\(a.height)")
                    continue
                }
                pairs.append(Pair(name: stem, reference: try a.tensor(), reconstructed: try b.tensor()))
            } catch {
                problems.append("\(error)")
            }
        }
        guard problems.isEmpty else { throw ImagePairsError(problems: problems) }
        guard !pairs.isEmpty else { throw ImagePairsError(problems: ["\(reference): no images to evaluate"]) }
        self.pairs = pairs
    }

    /// Image files of a folder by stem.
    static func images(in folder: String) throws -> [String: String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ImagePairsError(problems: ["\(folder): not a folder"])
        }
        var byStem: [String: String] = [:]
        var problems: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() {
            let ext = (name as NSString).pathExtension.lowercased()
            guard imageExtensions.contains(ext) else { continue }
            let stem = (name as NSString).deletingPathExtension
            let path = (folder as NSString).appendingPathComponent(name)
            if let other = byStem[stem] {
                problems.append("\(path): same name as \(other); cannot tell which to pair")
            }
            byStem[stem] = path
        }
        guard problems.isEmpty else { throw ImagePairsError(problems: problems) }
        return byStem
    }
}

/// Everything wrong with a pair of folders, one line each.
public struct ImagePairsError: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}
