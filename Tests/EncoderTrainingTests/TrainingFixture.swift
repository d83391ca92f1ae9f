import Checkpoints
import Foundation
import Images
import Perception
import StyleGAN
import TestSupport
import Testing
import Torch

@testable import EncoderTraining

/// A training-step fixture in `Resources/NAME` (made by the official code; each README says how): its tensors, the
/// procedural networks its keys.json lists, and a stand-in dataset folder (the steps take the fixture's x).
struct TrainingFixture {
    let cases: [String: Tensor]
    let keys: [String: [Procedural.Key]]
    private let scratch: Scratch

    init(_ name: String) throws {
        let folder = Fixtures.packageRoot.appendingPathComponent("Tests/EncoderTrainingTests/Resources/\(name)").path
        cases = try Safetensors.read(folder + "/cases.safetensors").tensors.dictionary
        struct File: Decodable { let modules: [String: [Procedural.Key]] }
        keys = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/keys.json"))).modules
        scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        for i in 0..<2 { try Image(tensor: Tensor.zeros([1, 3, 8, 8])).write(to: "\(images)/\(i).png") }
    }

    /// Two blank images, for the trainer's data loader.
    var images: String { scratch.path("images") }

    func ref(_ key: String) throws -> Tensor { try #require(cases[key], "\(key) missing from the fixture") }

    /// `module` with the procedural fill of the network `name` of keys.json.
    func filled<M: Module>(_ module: M, _ name: String) throws -> M {
        try module.load(stateDict: Procedural.stateDict(try #require(keys[name], "keys.json lists no \(name)")), strict: true)
        return module
    }

    /// The generator of keys.json's `decoder` list, filled.
    func decoder() throws -> StyleGAN2Generator {
        let list = try #require(keys["decoder"])
        return try filled(StyleGAN2Generator(GeneratorConfig(
            inferringFrom: Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0.shape) }))), "decoder")
    }

    /// ArcFace (`facenet`, filled) and LPIPS-Alex on the shared fixture's random backbone, and `parser`.
    func lossNetworks(parser: UNetFaceParser? = nil, precision: ComputePrecision = .float32) throws -> EncoderLossNetworks {
        try EncoderLossNetworks(lpips: LPIPS(network: .alex, backbone: Fixtures.path("lpips-alex/alexnet_backbone.pt")),
                                identity: filled(IRSE50(), "facenet"), parser: parser, precision: precision)
    }

    /// |now - initial| summed over `initial`'s tensors, against their values in `now`.
    static func absDeltaSum(_ now: [String: Tensor], _ initial: [(String, Tensor)]) throws -> Double {
        try initial.reduce(0) { sum, entry in sum + (try (now[entry.0]! - entry.1).abs().to(dtype: .float64).sum().item()) }
    }
}
