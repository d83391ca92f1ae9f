import Encoders
import StyleGAN
import TestSupport
import Testing
import Torch

extension PSPFamilyEncoderTests {
    /// pSp's GradualStyleEncoder(50, "ir_se") against `encoders/psp` and, with e4e's readout, Encoder4Editing against
    /// `encoders/e4e` (procedural weights, 18 styles); the pSp variants' layouts.
    @Suite("pSp")
    struct PSPEncoderTests {
        init() throws { try Runtime.start() }

        /// One network serves both fixtures: e4e's Encoder4Editing has pSp's keys in pSp's order, so the procedural
        /// fill gives both the same weights, and only the readout differs.
        @Test func pSpAndE4EMatchTheirFixtures() throws {
            let keys = try #require(Procedural.keyLists("encoders/psp/keys.json")["encoder"])
            let e4eKeys = try #require(Procedural.keyLists("encoders/e4e/keys.json")["encoder"])
            #expect(keys.map(\.name) == e4eKeys.map(\.name) && keys.map(\.shape) == e4eKeys.map(\.shape))
            let net = try GradualStyleEncoder()
            #expect(try EncoderTestSupport.hasKeys(net, keys))
            #expect(net.parameterCount == 267_136_704)
            #expect(EncoderTestSupport.parameterCount(keys) == 267_136_704)
            try net.load(stateDict: Procedural.stateDict(keys), strict: true)

            let cases = try Fixtures.cases("encoders/psp/cases.safetensors")
            let input = try #require(cases["input"])
            let codes = try withNoGrad { try net.styleCodes(input) }
            try EncoderTestSupport.expectParity(codes, try #require(cases["codes"]), "psp codes")

            let e4eCases = try Fixtures.cases("encoders/e4e/cases.safetensors")
            net.readout = .e4eInference
            let e4eCodes = try withNoGrad { try net.styleCodes(try #require(e4eCases["input"])) }
            try EncoderTestSupport.expectParity(e4eCodes, try #require(e4eCases["codes"]), "e4e codes")

            // A generator reading other codes than the encoder predicts is refused before any work.
            let g = try EncoderTestSupport.tinyGenerator()
            let encoder = try PSPEncoder(method: "psp", network: net, latentAvg: Tensor.randn([512]))
            let message = EncoderTestSupport.thrownMessage { _ = try encoder.encode(input, generator: g.generator) }
            #expect(message?.contains("predicts 18 codes of 512 dimensions") == true)
        }

        /// Narrow widths (`StyleEncoderConfiguration`) keep every official key name, with fewer body units and
        /// smaller shapes; the style blocks read 1/16, 1/8 and 1/4 of the input and predict codes of the style size.
        @Test func narrowEncodersKeepTheOfficialKeys() throws {
            let widths = StyleEncoderConfiguration.narrow(divisor: 16, styleDim: 24, inputSize: 64)
            #expect(widths.stages.map(\.depth) == [4, 8, 16, 32] && widths.stageEnds == [0, 1, 2, 3])
            #expect((0..<10).map(widths.styleMapSide) == [4, 4, 4, 8, 8, 8, 8, 16, 16, 16])
            let narrow = try GradualStyleEncoder(styleCount: 10, configuration: widths)
            let official = try GradualStyleEncoder(styleCount: 10)
            func pattern(_ name: String) -> String {
                name.split(separator: ".").map { $0.allSatisfy(\.isNumber) ? "N" : String($0) }.joined(separator: ".")
            }
            let narrowKeys = try Set(narrow.stateDict().names.map(pattern))
            #expect(narrowKeys == Set(try official.stateDict().names.map(pattern)))
            #expect(try narrow.stateDict().names.filter { $0.hasPrefix("body.") }.map { $0.split(separator: ".")[1] }
                .reduce(into: Set<Substring>()) { $0.insert($1) }.count == 4)
            #expect(try narrow.styleCodes(Tensor.randn([2, 3, 64, 64])).shape == [2, 10, 24])
            #expect(try BackboneEncoderUsingLastLayerIntoW(styleCount: 10, configuration: widths)
                .styleCodes(Tensor.randn([1, 3, 64, 64])).shape == [1, 10, 24])
            #expect(try BackboneEncoderUsingLastLayerIntoWPlus(styleCount: 10, configuration: widths)
                .styleCodes(Tensor.randn([1, 3, 64, 64])).shape == [1, 10, 24])
            var bad = widths
            bad.inputSize = 16
            #expect(EncoderTestSupport.thrownMessage { _ = try GradualStyleEncoder(configuration: bad) }?
                .contains("power of two of at least 32") == true)
            bad = widths
            bad.stages.removeLast()
            #expect(EncoderTestSupport.thrownMessage { try bad.validate() }?.contains("4 stages") == true)
            let json = try widths.optionValue()
            #expect(try StyleEncoderConfiguration.decode(option: json) == widths)
        }

        /// Inputs are resized as the official `Resize((256, 256))` of PIL images: bilinear, antialiased. Halving a
        /// unit impulse at an even pixel gives taps (1/8, 3/8) (the bilinear kernel widened 2x), not the (1/2, 1/2)
        /// of plain bilinear nor bicubic's taps.
        @Test func inputsAreResizedAsTheOfficialTransforms() throws {
            let encoder = try PSPEncoder(method: "psp", network: BackboneEncoderUsingLastLayerIntoW(styleCount: 4),
                                         latentAvg: Tensor.zeros([512]))
            let x = try encoder.prepareInput(EncoderTestSupport.impulse(size: 512, row: 200, column: 300))
            #expect(x.shape == [1, 3, 256, 256])
            try EncoderTestSupport.expectImpulseResponse(x, row: 100, column: 150, taps: [1.0 / 8, 3.0 / 8, 0], "512 -> 256")
            let same = try EncoderTestSupport.images()
            try expectClose(try encoder.prepareInput(same), same, tol: 0, "256 stays")
            #expect(EncoderTestSupport.thrownMessage { _ = try encoder.prepareInput(Tensor.zeros([3, 64, 64])) }
                == "psp: expected images [N, 3, H, W], got [3, 64, 64]")
        }

        @Test func latentAverageIsAddedToEveryRow() throws {
            let net = try BackboneEncoderUsingLastLayerIntoW(styleCount: 4)
            #expect(net.parameterCount == 31_212_736)
            let g = try EncoderTestSupport.tinyGenerator()
            let x = try EncoderTestSupport.images()
            let average = try Tensor.randn([1, 512])
            let encoder = try PSPEncoder(method: "psp", network: net, latentAvg: average)
            let wPlus = try encoder.encode(x, generator: g.generator).wPlus
            let w = try withNoGrad { try net(x) }
            #expect(wPlus.shape == [1, 4, 512])
            for row in 0..<4 {
                try expectClose(wPlus.select(1, row), try w + average, tol: 1e-6, "row \(row) = w + latent_avg")
            }
            let small = try EncoderTestSupport.images(1, height: 128)
            #expect(EncoderTestSupport.thrownMessage { _ = try encoder.encode(small, generator: g.generator) }
                == "psp: expected images [N, 3, 256, 256], got [1, 3, 128, 256]")
        }

        @Test func intoWPlusLayout() throws {
            let net = try BackboneEncoderUsingLastLayerIntoWPlus(styleCount: 18)
            #expect(net.parameterCount == 48_524_480)
            let names = try net.stateDict().map(\.name).filter { !$0.hasPrefix("body.") }
            #expect(names.prefix(4) == ["input_layer.0.weight", "input_layer.1.weight", "input_layer.1.bias",
                                        "input_layer.1.running_mean"])
            #expect(names.contains("output_layer_2.0.running_var") && names.contains("output_layer_2.3.weight"))
            #expect(try net.stateDict().tensor("linear.weight").shape == [512 * 18, 512])
        }
    }
}
