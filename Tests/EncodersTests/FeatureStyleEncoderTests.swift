import Checkpoints
import Encoders
import Foundation
import StyleGAN
import TestSupport
import Testing
import Torch

/// The Feature-Style encoder against `encoders/fs`: fs_encoder_v2(n_styles 18, stride (2, 2)) in eval mode with
/// procedural weights.
@Suite("Feature-Style encoder")
struct FeatureStyleEncoderTests {
    let keys: [Procedural.Key]

    init() throws {
        try Runtime.start()
        keys = try #require(Procedural.keyLists("encoders/fs/keys.json")["encoder"])
    }

    @Test func keysAndParameterCountAreTheOfficialFilesAndInputsAreChecked() throws {
        let encoder = try FeatureStyleEncoder(latentAvg: Tensor.zeros([512]))
        let ours = try encoder.stateDict().filter { !$0.name.hasSuffix("num_batches_tracked") }
        #expect(ours.map(\.name) == keys.map(\.name))
        #expect(ours.map(\.tensor.shape) == keys.map(\.shape))
        #expect(encoder.parameterCount == FeatureStyleEncoder.officialParameterCount)

        let generator = try FeatureSpaceTestSupport.generator().generator
        let message = FeatureSpaceTestSupport.thrownMessage {
            _ = try encoder.encode(Tensor.zeros([1, 3, 300, 300]), generator: generator)
        }
        #expect(message?.contains("expected input [N, 3, 256, 256]") == true, "\(message ?? "no error")")
    }

    /// Loaded through the public loader (encoder file + generator file), the codes before `latent_avg` and the
    /// feature match the reference; w+ adds the generator's `latent_avg`, and the feature replaces layer 5.
    @Test func loadsThePairAndMatchesTheReference() throws {
        let encoderPath = FeatureSpaceTestSupport.scratchPath("fs-encoder.safetensors")
        let generatorPath = FeatureSpaceTestSupport.scratchPath("fs-generator.safetensors")
        defer {
            try? FileManager.default.removeItem(atPath: encoderPath)
            try? FileManager.default.removeItem(atPath: generatorPath)
        }
        let generator = try FeatureSpaceTestSupport.generator()
        try GeneratorCheckpoint.save(generator, to: generatorPath)
        try Safetensors.write(Procedural.stateDict(keys), metadata: ["method": "fs"], to: encoderPath)

        let loaded = try FeatureStyleEncoder.load(encoder: encoderPath, generator: generatorPath)
        let encoder = try #require(loaded.encoder as? FeatureStyleEncoder)
        let g = try #require(loaded.generator)
        #expect(encoder.styleCount == 18 && encoder.method == "fs" && encoder.inputSize == 256)
        try expectClose(encoder.latentAvg, generator.latentAvg, tol: 0, "latent_avg from the generator file")

        let ref = try Fixtures.cases("encoders/fs/cases.safetensors")
        let input = try #require(ref["input"])
        let out = try withNoGrad { try encoder.encode(input, generator: g.generator) }
        try expectClose(out.wPlus - g.latentAvg, try #require(ref["codes"]), "codes")
        let feature = try #require(out.feature)
        #expect(feature.layer == 5 && feature.blend == 1)
        try expectClose(feature.tensor, try #require(ref["feature"]), "feature")

        // A 512 image is halved with bilinear resampling first; nearest-upsampled input halves back exactly.
        let large = try F.interpolate(input, size: (512, 512), mode: .nearest)
        let fromLarge = try withNoGrad { try encoder.encode(large, generator: g.generator) }
        try expectClose(fromLarge.wPlus, out.wPlus, tol: 1e-6, "w+ from a 512 input")
    }

    /// The official `test.py`'s input path: any image resized to 1024 (torchvision bilinear), then the trainer's two
    /// bilinear halvings to 256. A unit impulse at an even pixel of a 512 image, enlarged 2x, spreads over taps
    /// (1/4, 3/4, 3/4, 1/4); halving gives (1/8, 3/4, 1/8) and halving again (1/16, 7/16), where one antialiased
    /// resize to 256 would give (1/8, 3/8).
    @Test func preparesInputsAsTheOfficialTestScript() throws {
        let encoder = try FeatureStyleEncoder(latentAvg: Tensor.zeros([512]))
        #expect(encoder.imageSize == 1024)
        let x = try encoder.prepareInput(EncoderTestSupport.impulse(size: 512, row: 200, column: 300))
        #expect(x.shape == [1, 3, 256, 256])
        try EncoderTestSupport.expectImpulseResponse(x, row: 100, column: 150, taps: [1.0 / 16, 7.0 / 16, 0], "512 -> 256")

        // A 1024 image is only halved twice: 4x4 means. A 256 image is enlarged and halved back, so it changes.
        let large = try Procedural.input([1, 3, 1024, 1024])
        try expectClose(try encoder.prepareInput(large), try F.avgPool2d(large, kernel: (4, 4)), tol: 1e-6, "1024 -> 256")
        let small = try Procedural.input([1, 3, 256, 256])
        let back = try encoder.prepareInput(small)
        let change = try maxAbsDifference(back, small)
        #expect(back.shape == [1, 3, 256, 256] && change > 1e-2)
    }

    /// A stub with the keys that identify the encoder and give its widths (and shapes that would never load).
    func stub() throws -> [String: Tensor] {
        var tensors = ["styles.0.weight": try Tensor.zeros([512, 8640]), "content_layer.1.weight": try Tensor.zeros([512, 1]),
                       "conv.0.weight": try Tensor.zeros([64, 1])]
        for (stage, width) in [64, 128, 256, 512].enumerated() {
            tensors["block_\(stage + 1).0.conv1.weight"] = try Tensor.zeros([width, 1])
        }
        for i in 1..<18 { tensors["styles.\(i).weight"] = try Tensor.zeros([1]) }
        return tensors
    }

    @Test func refusesMismatchedFiles() throws {
        let encoderPath = FeatureSpaceTestSupport.scratchPath("fs-stub.safetensors")
        defer { try? FileManager.default.removeItem(atPath: encoderPath) }
        try Safetensors.write(stub(), to: encoderPath)
        let tiny = try Fixtures.path("stylegan2-tiny64/generator.pt")
        let wrongGenerator = try #require(FeatureSpaceTestSupport.thrownMessage {
            _ = try FeatureStyleEncoder.load(encoder: encoderPath, generator: tiny)
        })
        #expect(wrongGenerator.hasPrefix(tiny) && wrongGenerator.contains("reads 10 rows of 128"), "\(wrongGenerator)")

        try Safetensors.write(["conv.0.weight": Tensor.zeros([64, 3, 3, 3])], to: encoderPath)
        let notAnEncoder = try #require(FeatureSpaceTestSupport.thrownMessage {
            _ = try FeatureStyleEncoder.load(encoder: encoderPath, generator: tiny)
        })
        #expect(notAnEncoder.hasPrefix(encoderPath) && notAnEncoder.contains("not a Feature-Style encoder"), "\(notAnEncoder)")

        try Safetensors.write(stub(), metadata: ["method": "psp"], to: encoderPath)
        let otherMethod = try #require(FeatureSpaceTestSupport.thrownMessage {
            _ = try FeatureStyleEncoder.load(encoder: encoderPath, generator: tiny)
        })
        #expect(otherMethod.contains("a psp encoder file, not Feature-Style"), "\(otherMethod)")
    }

    /// Through `EncoderCheckpoint` the file is recognised by its keys, but without a generator it needs `latent_avg`.
    @Test func methodLoaderIdentifiesTheFileAndNeedsTheAverage() throws {
        let options = EncoderOptions()
        let file = EncoderCheckpointFile(path: "fs.pth", weights: StateDict(try stub().map { ($0.key, $0.value) }),
                                         latentAvg: nil, options: options, recordedMethod: nil, otherContents: [])
        #expect(try EncoderMethodLoader.featureStyle.identify(file) == "fs")
        let prefixed = EncoderCheckpointFile(path: "psp.pt", weights: StateDict(try stub().map { ("encoder." + $0.key, $0.value) }),
                                             latentAvg: nil, options: options, recordedMethod: nil, otherContents: [])
        #expect(try EncoderMethodLoader.featureStyle.identify(prefixed) == nil)
        let message = FeatureSpaceTestSupport.thrownMessage { _ = try EncoderMethodLoader.featureStyle.load(file, "fs", .cpu) }
        #expect(message?.contains("holds no latent_avg") == true, "\(message ?? "no error")")
    }
}
