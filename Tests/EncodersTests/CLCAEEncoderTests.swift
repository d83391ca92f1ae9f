import Checkpoints
import Encoders
import Foundation
import StyleGAN
import TestSupport
import Testing
import Torch

/// The CLCAE inversion encoder against `encoders/clcae`: GradualStyleEncoder(50, "ir_se", for_feature) for a 1024
/// generator, eval mode, procedural weights.
@Suite("CLCAE inversion encoder", .serialized)
struct CLCAEEncoderTests {
    init() throws { try Runtime.start() }

    /// A CLCAE model (AFPSP weights under `encoder.` and `decoder.`, `latent_avg`, opts) goes through the method
    /// loader; the offsets match the reference, and w+ and the feature are formed as the inference script forms them.
    @Test func loadsAModelAndMatchesTheReference() throws {
        let keys = try #require(Procedural.keyLists("encoders/clcae/keys.json")["inversion_encoder"])
        let generator = try FeatureSpaceTestSupport.generator()
        let (encoder, g) = try Self.loadFixtureModel(keys: keys, generator: generator)
        #expect(!g.latentAvgComputed && encoder.featureLayer == 5 && encoder.inputSize == 256)
        try expectClose(encoder.latentAvg, generator.latentAvg, tol: 0, "latent_avg")
        #expect(encoder.averageImage.shape == [1, 3, 256, 256])
        let ours = try encoder.encoder.stateDict().filter { !$0.name.hasSuffix("num_batches_tracked") }
        #expect(ours.map(\.name) == keys.map(\.name))
        #expect(encoder.encoder.parameterCount == CLCAE.GradualStyleEncoder.inversionParameterCount)

        let ref = try Fixtures.cases("encoders/clcae/cases.safetensors")
        let offsets = try withNoGrad { try encoder.encoder.offsets(try #require(ref["input"])) }
        let (latentOffset, baseOffset, featureOffset) = (try #require(ref["latent_offset"]), try #require(ref["base_offset"]),
                                                         try #require(ref["feature_offset"]))
        try expectClose(offsets.latentOffset, latentOffset, "latent_offset")
        try expectClose(offsets.baseOffset, baseOffset, "base_offset")
        try expectClose(try #require(offsets.featureOffset), featureOffset, "feature_offset")

        let out = try encoder.output(from: offsets)
        let expected = try latentOffset.squeeze(2) + (baseOffset + generator.latentAvg).unsqueeze(1)
        try expectClose(out.wPlus, expected, "w+ = latent_offset + base_offset + latent_avg")
        let feature = try #require(out.feature)
        #expect(feature.layer == 5 && feature.blend == 1)
        try expectClose(feature.tensor, featureOffset, "feature replacing layer 5")

        // CLCAE_w (its Table 2): the foundation code w = base_offset + latent_avg on every row, and no feature; the
        // option is CLCAE's alone.
        let foundation = try encoder.output(from: offsets, foundationCode: true)
        try expectClose(foundation.wPlus, try (baseOffset + generator.latentAvg).unsqueeze(1).expand(out.wPlus.shape),
                        "w on every row")
        #expect(foundation.feature == nil)
        #expect(try encoder.settings(EncodingOptions(foundationCode: true)) == ["output": "foundation code w"])
        #expect(throws: TorchError.self) { try EncodingOptions(foundationCode: true).expectOnly(["stages"], for: "e2style") }
    }

    /// The edit of `inference_edit.py`: the offset enters the encoder with w (against the official encoder's
    /// outputs for an edit offset, Resources/clcae-edit.safetensors), w+ and the feature are recomputed around the
    /// edited w, and the feature moves by G^5(w+') - G^5(w+) of the unedited inversion.
    @Test func editMovesTheFoundationCodeBeforeTheCrossAttentions() throws {
        let keys = try #require(Procedural.keyLists("encoders/clcae/keys.json")["inversion_encoder"])
        let generator = try FeatureSpaceTestSupport.generator()
        let (encoder, g) = try Self.loadFixtureModel(keys: keys, generator: generator)
        let cases = try Fixtures.cases("encoders/clcae/cases.safetensors")
        let path = Fixtures.packageRoot.appendingPathComponent("Tests/EncodersTests/Resources/clcae-edit.safetensors").path
        let edit = try Safetensors.read(path).tensors.dictionary
        let d = try #require(edit["edit_offset"])
        let (latentOffset, baseOffset, featureOffset) = (try #require(edit["latent_offset"]), try #require(edit["base_offset"]),
                                                         try #require(edit["feature_offset"]))
        // The reference's edit changes the rows and the feature by more than the tolerance, so matching it means
        // the offset went through the cross attentions.
        #expect(try maxAbsDifference(latentOffset, try #require(cases["latent_offset"])) > 1e-2)
        #expect(try maxAbsDifference(featureOffset, try #require(cases["feature_offset"])) > 1e-3)

        // The image whose difference to x_avg is the fixture's input.
        let image = try #require(cases["input"]) + encoder.averageImage
        let plain = try withNoGrad { try encoder.encode(image, generator: g.generator) }
        let edited = try withNoGrad { try encoder.edit(image, offset: d, generator: g.generator) }
        let wPlus = try latentOffset.squeeze(2) + (baseOffset + generator.latentAvg).unsqueeze(1)
        try EncoderTestSupport.expectParity(edited.wPlus, wPlus, "clcae edit w+")
        try expectClose(baseOffset, try #require(cases["base_offset"]) + d, tol: 1e-6, "the offset moves w")
        let shift = try withNoGrad {
            try g.generator.feature(atLayer: 5, edited.wPlus) - g.generator.feature(atLayer: 5, plain.wPlus)
        }
        #expect(try shift.abs().max().item() > 1e-2)
        let feature = try #require(edited.feature)
        #expect(feature.layer == 5 && feature.blend == 1)
        try EncoderTestSupport.expectParity(feature.tensor, try featureOffset + shift, "clcae edit feature")
        // Not the rule that adds the offset to the inversion's rows.
        #expect(try maxAbsDifference(edited.wPlus, try plain.wPlus + d.unsqueeze(1)) > 1e-2)

        // A zero offset, also as equal w+ rows, is the plain inversion; rows that differ are refused.
        let zero = try withNoGrad { try encoder.edit(image, offset: Tensor.zeros([1, 18, 512]), generator: g.generator) }
        try expectClose(zero.wPlus, plain.wPlus, tol: 1e-6, "zero edit w+")
        try expectClose(try #require(zero.feature).tensor, try #require(plain.feature).tensor, tol: 1e-6, "zero edit feature")
        let rows = try Tensor.arange(0, 18, dtype: .float32).reshape([1, 18, 1]).expand([1, 18, 512])
        let message = try #require(FeatureSpaceTestSupport.thrownMessage {
            _ = try encoder.edit(image, offset: rows, generator: g.generator)
        })
        #expect(message.contains("the offset's 18 rows differ"), "\(message)")
    }

    /// The encoder and generator of a CLCAE file holding the fixture's procedural weights and `generator`.
    static func loadFixtureModel(keys: [Procedural.Key], generator: LoadedGenerator) throws
        -> (encoder: CLCAEEncoder, generator: LoadedGenerator)
    {
        var tensors = try Procedural.stateDict(keys).map { ("encoder." + $0.key, $0.value) }
        tensors += try generator.generator.stateDict().map { ("decoder." + $0.name, $0.tensor) }
        let options = EncoderOptions(["output_size": .int(1024), "idx_k": .none, "learn_in_w": .bool(true),
                                      "dataset_type": .string("ffhq_encode_inversion")])
        var file: EncoderCheckpointFile? = EncoderCheckpointFile(
            path: "clcae.pt", weights: StateDict(tensors), latentAvg: try generator.latentAvg.reshape([1, 512]),
            options: options, recordedMethod: nil, otherContents: [])
        tensors = []
        #expect(try EncoderMethodLoader.clcae.identify(file!) == "clcae")
        let loaded = try EncoderMethodLoader.clcae.load(file!, "clcae", .cpu)
        file = nil
        return (try #require(loaded.encoder as? CLCAEEncoder), try #require(loaded.generator))
    }

    /// x_avg is the generator's image of `latent_avg` with its fixed noise, pooled to 256.
    @Test func averageImageIsTheGeneratorsAverageFace() throws {
        let loaded = try GeneratorCheckpoint.load(Fixtures.path("stylegan2-tiny64/generator.pt"))
        let g = loaded.generator
        let image = try withNoGrad { try g.synthesis(loaded.latentAvg.expand([1, g.nLatent, 128]), noise: .const) }
        let pooled = try CLCAEEncoder.averageImage(of: loaded)
        #expect(pooled.shape == [1, 3, 256, 256])
        try expectClose(pooled, try F.adaptiveAvgPool2d(image, (256, 256)), tol: 0, "x_avg")
    }

    /// `content_layer` has no conv to set the feature's channels when p1 is already the feature's side: such a design
    /// is refused with the way out, and one conv (p1 twice the side) serves.
    @Test func aFeatureOfOtherChannelsNeedsAContentConv() throws {
        let trunk = StyleEncoderConfiguration.narrow(divisor: 4, styleDim: 128, inputSize: 64)
        let flat = CLCAE.Design(trunk: trunk, featureChannels: 64, featureSize: 16)
        let message = try #require(FeatureSpaceTestSupport.thrownMessage { try flat.validate() })
        #expect(message.contains("keeps the code width (128 channels), but the layer has 64"), "\(message)")
        try CLCAE.Design(trunk: trunk, featureChannels: 128, featureSize: 16).validate()
        let wider = CLCAE.Design(trunk: .narrow(divisor: 4, styleDim: 128, inputSize: 128), featureChannels: 64, featureSize: 16)
        try wider.validate()
        let encoder = try CLCAE.GradualStyleEncoder(forImage: false, styleCount: 10, design: wider)
        #expect(encoder.content_layer?.convs.count == 2)  // one conv and its activation
    }

    @Test func refusesOtherFiles() throws {
        let path = FeatureSpaceTestSupport.scratchPath("clcae-stub.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let stub = ["encoder.styles_others.0.linear.bias": try Tensor.zeros([512])]
        func message(metadata: [String: String]) throws -> String {
            try Safetensors.write(stub, metadata: metadata, to: path)
            return try #require(FeatureSpaceTestSupport.thrownMessage { _ = try CLCAEEncoder.load(path: path) })
        }
        let cars = try message(metadata: ["opts": #"{"dataset_type": "car_encode_inversion"}"#])
        #expect(cars.contains("cars"), "\(cars)")
        let method = try message(metadata: ["method": "psp"])
        #expect(method.contains("a psp encoder file, not CLCAE"), "\(method)")
        let noDecoder = try message(metadata: [:])
        #expect(noDecoder.hasPrefix(path) && noDecoder.contains("decoder.*"), "\(noDecoder)")
    }
}
