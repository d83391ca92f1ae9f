import Foundation
import StyleGAN
import TestSupport
import Torch

/// What the Feature-Style and CLCAE tests share: a generator of their F space small enough to build in a test,
/// and scratch files.
enum FeatureSpaceTestSupport {
    /// A 1024 generator (18 w+ rows of 512) whose only wide layers are the 512x16x16 ones the encoders write to
    /// (narrow elsewhere, so that rendering x_avg stays cheap), with seeded weights and a procedural `latent_avg`.
    static func generator() throws -> LoadedGenerator {
        let config = try GeneratorConfig(size: 1024, styleDim: 512, nMLP: 1, channels: [8, 8, 512, 4, 2, 1, 1, 1, 1])
        let g = try StyleGAN2Generator(config, generator: Torch.Generator(seed: 7))
        g.eval()
        return LoadedGenerator(generator: g, latentAvg: try Procedural.input([512]), latentAvgComputed: false,
                               layout: "test", otherContents: [])
    }

    /// A path in the temporary folder, removed by the caller's `defer`.
    static func scratchPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
    }

    /// The message of the error `body` throws, nil when it does not throw.
    static func thrownMessage(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return String(describing: error)
        }
    }
}
