import Foundation
import Inversion

/// The files an evaluation reads: the generator, each encoder method's file, the testbed's perception networks and,
/// optionally, InterFaceGAN boundaries. `shipped` is the trained testbed set in the package's Models folder.
public struct EvaluationModels: Sendable {
    /// A generator checkpoint in any layout `GeneratorCheckpoint` reads.
    public var generator: String
    /// Encoder files by method, in any layout `InversionPipeline` reads; GANI takes the e4e file as its pivot.
    public var encoders: [InversionMethod: String]
    /// The folder of the testbed's networks (attributes, lpips, identity, unet .safetensors).
    public var networks: String
    /// A folder of `interfacegan_ATTRIBUTE.npy` boundaries; an edit without one has its boundary fitted.
    public var directions: String?

    public init(generator: String, encoders: [InversionMethod: String] = [:], networks: String, directions: String? = nil) {
        self.generator = generator
        self.encoders = encoders
        self.networks = networks
        self.directions = directions
    }

    /// The models folder layout (`ModelsFolder`); nil generator when the folder has none.
    public static func folder(_ folder: String, networks: String) -> (generator: String?, models: EvaluationModels) {
        let layout = ModelsFolder(folder)
        return (layout.generator, EvaluationModels(generator: layout.generator ?? "", encoders: layout.encoders,
                                                   networks: networks, directions: layout.directions))
    }

    /// The encoder file a method needs, or the error naming the method; nil for the methods that need none.
    func encoder(for method: InversionMethod) throws -> String? {
        if method == .gani { return encoders[.e4e] }
        guard method.needsEncoder else { return nil }
        guard let path = encoders[method] else {
            throw EvaluationError("\(method.rawValue) needs an encoder file (--encoder \(method.rawValue)=PATH)")
        }
        return path
    }

    /// The boundary file of `attribute`, when the directions folder has one.
    public func direction(for attribute: String) -> String? { ModelsFolder.direction(for: attribute, in: directions) }

    /// Every file the evaluation of `methods` will read, checked before any work: the missing ones named in one error.
    func check(_ methods: [InversionMethod]) throws {
        var missing: [String] = []
        var files = [generator] + ["attributes", "lpips", "identity", "unet"].map {
            (networks as NSString).appendingPathComponent("\($0).safetensors")
        }
        for method in methods {
            do {
                if let file = try encoder(for: method) { files.append(file) }
            } catch let error as EvaluationError {
                missing.append(error.description)
            }
        }
        missing += files.filter { !FileManager.default.fileExists(atPath: $0) }.map { "\($0): no such file" }
        guard missing.isEmpty else { throw EvaluationError(Array(Set(missing)).sorted().joined(separator: "\n")) }
    }
}
