import Checkpoints
import Data
import Foundation
import Images
import Torch

/// The training-data layouts a testbed dataset is written in.
public enum TestbedDatasetFormat: String, Codable, CaseIterable, Sendable {
    /// `images/NNNNNN.png` with `images/dataset.json` (StyleGAN2-ADA labels).
    case folder
    /// `dataset.zip`: a StyleGAN2-ADA dataset zip, PNGs and `dataset.json`.
    case zip
    /// `dataset.lmdb`: rosinality's `prepare_data.py` layout, keys `{size}-{index:05d}` and `length`.
    case lmdb
}

/// What to render and how to write it. Every format also gets `masks/NNNNNN.png` (8-bit gray, FaceClass raw
/// values), `labels.csv` and `testbed.json`.
public struct TestbedDatasetOptions: Codable, Sendable, Equatable {
    public var count: Int
    public var size: Int
    /// Where in the split the dataset starts: at index `seed * count`, so seeds 0, 1, 2 ... of one count give
    /// disjoint, consecutive blocks of the split.
    public var seed: Int
    public var split: TestbedSplit
    public var format: TestbedDatasetFormat
    /// Photo-like degradations on every render (the `wild` split always has them).
    public var photoLike: Bool
    /// Replace an existing non-empty output (only once the new one is complete).
    public var overwrite: Bool
    /// Renders handed to the renderer at once (it paints them in cache-sized chunks).
    public var batchSize: Int

    public init(count: Int, size: Int, seed: Int = 0, split: TestbedSplit = .train, format: TestbedDatasetFormat = .folder,
                photoLike: Bool = false, overwrite: Bool = false, batchSize: Int = 64)
    {
        self.photoLike = photoLike
        self.count = count
        self.size = size
        self.seed = seed
        self.split = split
        self.format = format
        self.overwrite = overwrite
        self.batchSize = batchSize
    }

    /// The split indices rendered: `seed * count ..< (seed + 1) * count`.
    public var indices: Range<Int> { (seed * count)..<(seed * count + count) }

    /// Throws the first problem: a count below 1, an unknown size, a negative seed, a range past the split.
    public func validate() throws {
        guard count >= 1 else { throw TestbedError("the count must be at least 1, got \(count)") }
        guard TestbedRenderer.sizes.contains(size) else {
            throw TestbedError("unknown testbed size \(size); choose one of \(TestbedRenderer.sizes.map(String.init).joined(separator: ", "))")
        }
        guard seed >= 0 else { throw TestbedError("the seed must be 0 or more, got \(seed)") }
        guard batchSize >= 1 else { throw TestbedError("the batch size must be at least 1, got \(batchSize)") }
        let (product, overflow) = seed.multipliedReportingOverflow(by: count)
        guard !overflow, product <= split.count - count else {
            throw TestbedError("seed \(seed) with count \(count) runs past the \(split.rawValue) split's \(split.count) samples")
        }
    }
}

/// How a dataset write went: time spent rendering (tensors only) and in all.
public struct TestbedDatasetSummary: Sendable {
    public let count: Int
    public let renderSeconds: Double
    public let totalSeconds: Double

    /// Renders per second of rendering alone.
    public var rendersPerSecond: Double { Double(count) / max(renderSeconds, 1e-9) }
}

/// Writes testbed datasets that the training loaders (`ImageDataset.open`) read as they are.
public enum TestbedDataset {
    /// Renders `options.count` samples and writes them to the folder `path`, first into a temporary folder beside
    /// it, renamed into place when complete. An existing non-empty `path` is refused unless `options.overwrite`.
    /// - Parameter progress: (written, total) after each batch.
    @discardableResult
    public static func write(to path: String, options: TestbedDatasetOptions, device: Device = .cpu,
                             progress: ((Int, Int) -> Void)? = nil) throws -> TestbedDatasetSummary
    {
        let started = Date()
        try options.validate()
        let files = FileManager.default
        let target = URL(fileURLWithPath: path).standardizedFileURL
        let existing = try outputState(target.path)
        if existing == .nonEmpty && !options.overwrite {
            throw TestbedError(path: path, "exists and is not empty; pass --overwrite to replace it")
        }
        let parent = target.deletingLastPathComponent()
        guard files.fileExists(atPath: parent.path) else {
            throw TestbedError(path: path, "its parent folder \(parent.path) does not exist")
        }
        let stamp = "\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        let temporary = parent.appendingPathComponent(".\(target.lastPathComponent).\(stamp).tmp")
        do {
            try files.createDirectory(at: temporary, withIntermediateDirectories: false)
            let renderSeconds = try fill(temporary.path, options: options, device: device, progress: progress)
            try replace(target, with: temporary, stamp: stamp)
            return TestbedDatasetSummary(count: options.count, renderSeconds: renderSeconds,
                                         totalSeconds: Date().timeIntervalSince(started))
        } catch {
            try? files.removeItem(at: temporary)
            throw error
        }
    }

    private enum OutputState { case missing, empty, nonEmpty }

    private static func outputState(_ path: String) throws -> OutputState {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return .missing }
        guard isFolder.boolValue else { return .nonEmpty }
        return try FileManager.default.contentsOfDirectory(atPath: path).isEmpty ? .empty : .nonEmpty
    }

    /// Moves the finished folder into place; an old output is moved aside first and removed after.
    private static func replace(_ target: URL, with temporary: URL, stamp: String) throws {
        let files = FileManager.default
        var old: URL?
        if try outputState(target.path) != .missing {
            let aside = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).\(stamp).old")
            try files.moveItem(at: target, to: aside)
            old = aside
        }
        do {
            try files.moveItem(at: temporary, to: target)
        } catch {
            if let old { try? files.moveItem(at: old, to: target) }
            throw error
        }
        if let old { try? files.removeItem(at: old) }
    }

    /// Writes the dataset's files into the (empty) folder `root`; returns the seconds spent rendering.
    private static func fill(_ root: String, options: TestbedDatasetOptions, device: Device,
                             progress: ((Int, Int) -> Void)?) throws -> Double
    {
        var renderSeconds = 0.0
        let files = FileManager.default
        let renderer = try TestbedRenderer(size: options.size, device: device, degradeAll: options.photoLike)
        let images = root + "/images", masks = root + "/masks"
        try files.createDirectory(atPath: images, withIntermediateDirectories: false)
        try files.createDirectory(atPath: masks, withIntermediateDirectories: false)
        var rows: [LabelRow] = []
        var start = options.indices.lowerBound
        while start < options.indices.upperBound {
            let end = min(start + options.batchSize, options.indices.upperBound)
            let renderStart = Date()
            let batch = try renderer.render(split: options.split, indices: start..<end)
            renderSeconds += Date().timeIntervalSince(renderStart)
            // 8-bit samples for the whole batch at once, rounded as `Image(tensor:)` rounds.
            let samples = try ((batch.images.to(device: .cpu, dtype: .float64).clamp(min: -1, max: 1) + 1) * 127.5 + 0.5)
                .floor().to(dtype: .uint8).permute([0, 2, 3, 1]).contiguous().bytes()
            let labels = try batch.masks.to(device: .cpu, dtype: .uint8).contiguous().bytes()
            let attributes = try batch.attributes.to(device: .cpu).floats()
            let width = TestbedAttribute.allCases.count, plane = options.size * options.size
            for k in 0..<(end - start) {
                let index = start + k
                let name = fileName(index - options.indices.lowerBound)
                let picture = try Image(width: options.size, height: options.size, channels: 3, bitDepth: 8,
                                        pixels: samples[(3 * k * plane)..<(3 * (k + 1) * plane)].map(UInt16.init))
                try picture.write(to: "\(images)/\(name)")
                let mask = try Image(width: options.size, height: options.size, channels: 1, bitDepth: 8,
                                     pixels: labels[(k * plane)..<((k + 1) * plane)].map(UInt16.init))
                try mask.write(to: "\(masks)/\(name)")
                rows.append(LabelRow(name: name, sample: options.split.sample(at: index), index: index,
                                     attributes: Array(attributes[(k * width)..<((k + 1) * width)])))
            }
            start = end
            progress?(start - options.indices.lowerBound, options.count)
        }
        try write(text: LabelRow.csv(rows), to: root + "/labels.csv")
        try write(text: metadata(options), to: root + "/testbed.json")
        let labelFile = LabelRow.datasetJSON(rows)
        switch options.format {
        case .folder:
            try write(text: labelFile, to: images + "/dataset.json")
        case .zip:
            var members = try rows.map { row in (name: row.name, bytes: try read(images + "/" + row.name)) }
            members.append((name: "dataset.json", bytes: Array(labelFile.utf8)))
            try Checkpoints.ZipFile.write(members, to: root + "/dataset.zip")
            try files.removeItem(atPath: images)
        case .lmdb:
            try LMDBSource.write(to: root + "/dataset.lmdb", sizes: [options.size], count: rows.count) { index, _ in
                try read(images + "/" + rows[index].name)
            }
            try files.removeItem(atPath: images)
        }
        return renderSeconds
    }

    /// `000123.png`: the position in the dataset, six digits or more.
    static func fileName(_ position: Int) -> String {
        let digits = String(position)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".png"
    }

    private static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Foundation.Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private static func write(text: String, to path: String) throws {
        try Foundation.Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// What the dataset holds (not how it was written: batch size and overwriting leave the bytes alone), and the
    /// names of the attribute columns and mask classes.
    private static func metadata(_ options: TestbedDatasetOptions) throws -> String {
        struct Metadata: Encodable {
            let split: TestbedSplit
            let count: Int
            let size: Int
            let seed: Int
            let format: TestbedDatasetFormat
            let photoLike: Bool
            let firstIndex: Int
            let attributes: [String]
            let classes: [String]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let value = Metadata(split: options.split, count: options.count, size: options.size, seed: options.seed,
                             format: options.format, photoLike: options.photoLike || options.split.isDegraded,
                             firstIndex: options.indices.lowerBound,
                             attributes: TestbedAttribute.allCases.map(\.rawValue),
                             classes: FaceClass.allCases.map { "\($0)" })
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}

/// One image's row of `labels.csv` and entry of `dataset.json`.
struct LabelRow {
    let name: String
    let sample: TestbedSample
    let index: Int
    let attributes: [Float]

    static func csv(_ rows: [LabelRow]) -> String {
        var text = (["file", "split", "index", "identity", "variation"] + TestbedAttribute.allCases.map(\.rawValue))
            .joined(separator: ",") + "\n"
        for row in rows {
            text += ([row.name, row.sample.split.rawValue, String(row.index), String(row.sample.identity),
                      String(row.sample.variation)] + row.attributes.map { "\($0)" }).joined(separator: ",") + "\n"
        }
        return text
    }

    /// StyleGAN2-ADA's `{"labels": [[name, [attributes...]], ...]}`.
    static func datasetJSON(_ rows: [LabelRow]) -> String {
        let entries = rows.map { row in
            "[\"\(row.name)\", [" + row.attributes.map { "\($0)" }.joined(separator: ", ") + "]]"
        }
        return "{\"labels\": [\n" + entries.joined(separator: ",\n") + "\n]}\n"
    }
}
