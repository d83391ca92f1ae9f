import Encoders
import StyleGAN
import TestSupport
import Testing
import Torch

extension PSPFamilyEncoderTests {
    /// E2Style's first and refinement stages against `encoders/e2style`, and the multi-stage inversion.
    @Suite("E2Style")
    struct E2StyleEncoderTests {
        init() throws { try Runtime.start() }

        @Test func stagesMatchTheFixture() throws {
            let keyLists = try Procedural.keyLists("encoders/e2style/keys.json")
            let cases = try Fixtures.cases("encoders/e2style/cases.safetensors")
            let input = try #require(cases["input"])
            let previous = try #require(cases["previous_image"])

            let first = try E2StyleStageEncoder(inputChannels: 3)
            let firstKeys = try #require(keyLists["first_stage"])
            #expect(try EncoderTestSupport.hasKeys(first, firstKeys))
            #expect(first.parameterCount == 111_241_792)
            try first.load(stateDict: Procedural.stateDict(firstKeys), strict: true)
            let codesFirst = try withNoGrad { try first.styleCodes(input) }
            try EncoderTestSupport.expectParity(codesFirst, try #require(cases["codes_first"]), "e2style codes_first")

            let refine = try E2StyleStageEncoder(inputChannels: 6)
            let refineKeys = try #require(keyLists["refine_stage"])
            #expect(try EncoderTestSupport.hasKeys(refine, refineKeys))
            #expect(refine.parameterCount == 111_243_520)
            try refine.load(stateDict: Procedural.stateDict(refineKeys), strict: true)
            let codesRefine = try withNoGrad { try refine.styleCodes(Tensor.cat([input, previous], dim: 1)) }
            try EncoderTestSupport.expectParity(codesRefine, try #require(cases["codes_refine"]), "e2style codes_refine")
        }

        @Test func headsAreReadOffTheWeights() throws {
            let paper = try E2StyleStageEncoder(inputChannels: 3, heads: .paper)
            let shapes = try paper.stateDict().dictionary.mapValues(\.shape)
            #expect(shapes["output_layer_3.3.weight"] == [9 * 512, 256 * 7 * 7])
            #expect(shapes["output_layer_4.3.weight"] == [5 * 512, 128 * 5 * 5])
            #expect(shapes["output_layer_5.3.weight"] == [4 * 512, 64 * 3 * 3])
            #expect(try E2StyleStageEncoder.Heads(inferringFrom: shapes) == .paper)
            var broken = shapes
            broken["output_layer_4.3.weight"] = [2560, 1000]
            #expect(EncoderTestSupport.thrownMessage { _ = try E2StyleStageEncoder.Heads(inferringFrom: broken) }
                == "E2Style stage: output_layer_4.3.weight is [2560, 1000], expected [codes * 512, 128 * pool * pool]")
            let x = try EncoderTestSupport.images(2)
            #expect(try withNoGrad { try paper.styleCodes(x) }.shape == [2, 18, 512])
        }

        /// Each refinement stage encodes the image beside face_pool(G(codes so far)) and adds its residual.
        @Test func refinementFeedsBackTheReconstruction() throws {
            let heads = E2StyleStageEncoder.Heads(coarse: .init(codes: 2, pool: 7), medium: .init(codes: 1, pool: 7),
                                                  fine: .init(codes: 1, pool: 7))
            let first = try E2StyleStageEncoder(inputChannels: 3, heads: heads)
            let refine = try E2StyleStageEncoder(inputChannels: 6, heads: heads)
            let average = try Tensor.randn([512])
            let encoder = try E2StyleEncoder(firstStage: first, refineStages: [refine], latentAvg: average)
            #expect(encoder.stages == 2)
            let g = try EncoderTestSupport.tinyGenerator().generator
            let x = try EncoderTestSupport.images()
            let codes = try encoder.codesPerStage(x, generator: g)
            #expect(codes.count == 2)
            try withNoGrad {
                let c0 = try first.styleCodes(x) + average
                try expectClose(codes[0], c0, tol: 1e-6, "first stage + latent_avg")
                let reconstruction = try F.adaptiveAvgPool2d(g.synthesis(c0, noise: .const), (256, 256))
                let c1 = try c0 + refine.styleCodes(Tensor.cat([x, reconstruction], dim: 1))
                try expectClose(codes[1], c1, tol: 1e-5, "refinement stage")
            }
            let firstOnly = EncodingOptions(stages: 1)
            try expectClose(try encoder.encode(x, generator: g, options: firstOnly).wPlus, codes[0], tol: 0, "first stage only")
            #expect(try encoder.settings(firstOnly) == ["stages": "1"])
            #expect(EncoderTestSupport.thrownMessage { _ = try encoder.encode(x, generator: g, options: EncodingOptions(stages: 3)) }
                == "e2style: stages must be in 1...2 for this checkpoint, got 3")
            #expect(EncoderTestSupport.thrownMessage { _ = try encoder.encode(x, generator: g, options: EncodingOptions(iterations: 2)) }
                == "e2style: iterations apply to ReStyle encoders only")
        }
    }
}
