import Foundation
import Images
import Testbed
import Torch

/// The held-out images every method inverts, with the renderer's ground truth when they are testbed renders.
public struct EvaluationImages {
    /// [N, 3, S, S] in [-1, 1].
    public let images: Tensor
    /// How the report names each image (file name, or split and index).
    public let names: [String]
    /// The faces drawn, for ground-truth attributes and counterfactual edits; nil for image folders.
    public let faces: [TestbedFace]?
    /// Where they came from, for the report.
    public let source: String

    public var count: Int { names.count }
    public var size: Int { images.size(3) }

    /// `count` renders of `split` at `size` pixels, one per identity (identity i, variation i mod 16), so that no two
    /// images show the same person and every variation index appears.
    public static func testbed(_ split: TestbedSplit, count: Int, size: Int, device: Device = .cpu) throws
        -> EvaluationImages
    {
        let samples = (0..<count).map { i in
            split.sample(at: i * TestbedSplit.variationsPerIdentity + i % TestbedSplit.variationsPerIdentity)
        }
        let batch = try TestbedRenderer(size: size, device: device).render(samples)
        return EvaluationImages(images: batch.images, names: samples.map { "\(split.rawValue)-\($0.identity)-\($0.variation)" },
                                faces: samples.map(\.face), source: "testbed \(split.rawValue) split, \(count) identities")
    }

    /// The first `count` images of `folder` by name (PNG or JPEG), centre-cropped and resized to `size`.
    public static func folder(_ folder: String, count: Int, size: Int, device: Device = .cpu) throws -> EvaluationImages {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EvaluationError("\(folder): no such folder")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter {
            ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased())
        }.sorted()
        guard names.count >= count else {
            throw EvaluationError("\(folder): \(names.count) PNG or JPEG images, the evaluation asks for \(count)")
        }
        let chosen = Array(names.prefix(count))
        let images = try chosen.map { name in
            let image = try Image.read(path: (folder as NSString).appendingPathComponent(name)).tensor()
            return try resize(centerCrop(image), height: size, width: size)
        }
        return EvaluationImages(images: try Tensor.cat(images).to(device: device), names: chosen, faces: nil,
                                source: "\(count) images of \((folder as NSString).lastPathComponent)")
    }
}
