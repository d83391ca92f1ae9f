import Encoders
import StyleGAN
import TestSupport
import Testing
import Torch

extension PSPFamilyEncoderTests {
    /// ReStyle's encoders (no fixture: their layouts are checked against pSp's keys and torchvision's ResNet-34
    /// naming) and its iterative refinement.
    @Suite("ReStyle")
    struct ReStyleEncoderTests {
        init() throws { try Runtime.start() }

        @Test func backboneEncoderHasPSPsTrunkAndStyleKeys() throws {
            let psp = try #require(Procedural.keyLists("encoders/psp/keys.json")["encoder"])
            let net = try ReStyleBackboneEncoder(styleCount: 18)
            #expect(net.parameterCount == 205_585_792)
            let ours = try net.stateDict().filter { !$0.name.hasSuffix("num_batches_tracked") }
            // The trunk's keys are pSp's, with six input channels; every style is pSp's 16x16 block (styles.0).
            let trunk = psp.filter { $0.name.hasPrefix("input_layer.") || $0.name.hasPrefix("body.") }
            let block = psp.filter { $0.name.hasPrefix("styles.0.") }
            var expected = trunk.map { ($0.name, $0.name == "input_layer.0.weight" ? [64, 6, 3, 3] : $0.shape) }
            for i in 0..<18 {
                expected += block.map { ("styles.\(i)." + $0.name.dropFirst("styles.0.".count), $0.shape) }
            }
            #expect(ours.map(\.name) == expected.map(\.0))
            #expect(ours.map(\.tensor.shape) == expected.map(\.1))
        }

        @Test func resNetEncoderHasTorchvisionNames() throws {
            let net = try ReStyleResNetEncoder(styleCount: 18, readout: .e4eInference)
            #expect(net.parameterCount == 195_928_128)
            let names = Set(try net.stateDict().map(\.name))
            for key in ["conv1.weight", "bn1.running_var", "relu.weight", "body.0.conv1.weight", "body.0.bn2.bias",
                        "body.3.downsample.0.weight", "body.7.downsample.1.running_mean", "body.13.downsample.0.weight",
                        "body.15.conv2.weight", "styles.17.linear.bias"]
            {
                #expect(names.contains(key), "missing \(key)")
            }
            #expect(!names.contains("body.1.downsample.0.weight") && !names.contains("body.16.conv1.weight"))
            #expect(try net.stateDict().tensor("conv1.weight").shape == [64, 6, 7, 7])
            #expect(try net.stateDict().tensor("body.13.downsample.0.weight").shape == [512, 256, 1, 1])

            let small = try ReStyleResNetEncoder(styleCount: 4, readout: .progressive(stage: 1))
            let codes = try withNoGrad { try small.styleCodes(Procedural.input([2, 6, 256, 256])) }
            #expect(codes.shape == [2, 4, 512])
            try expectClose(codes.select(1, 2), codes.select(1, 0), tol: 0, "row 2 = w0 at stage 1")
            #expect(try maxAbsDifference(codes.select(1, 1), codes.select(1, 0)) > 0)
        }

        /// Iteration 0 encodes the image beside G(latent_avg); each next one beside face_pool(G(codes so far)),
        /// adding the residual to the codes.
        @Test func iterationsRefineFromTheAverage() throws {
            let net = try ReStyleBackboneEncoder(styleCount: 4)
            let average = try Tensor.randn([4, 512])
            let encoder = try ReStyleEncoder(method: "restyle-psp", network: net, latentAvg: average, iterations: 2)
            let g = try EncoderTestSupport.tinyGenerator().generator
            let x = try EncoderTestSupport.images()
            let codes = try encoder.codesPerIteration(x, generator: g)
            #expect(codes.count == 2)
            try withNoGrad {
                func facePool(_ w: Tensor) throws -> Tensor {
                    try F.adaptiveAvgPool2d(g.synthesis(w, noise: .const), (256, 256))
                }
                let c0 = try net.styleCodes(Tensor.cat([x, facePool(average.unsqueeze(0))], dim: 1)) + average
                try expectClose(codes[0], c0, tol: 1e-5, "iteration 0")
                let c1 = try net.styleCodes(Tensor.cat([x, facePool(c0)], dim: 1)) + c0
                try expectClose(codes[1], c1, tol: 1e-5, "iteration 1")
            }
            try expectClose(try encoder.encode(x, generator: g).wPlus, codes[1], tol: 0, "encode = last iteration")
            let one = EncodingOptions(iterations: 1)
            try expectClose(try encoder.encode(x, generator: g, options: one).wPlus, codes[0], tol: 0, "iterations as a value")
            #expect(try encoder.settings(one) == ["iterations": "1"] && encoder.settings(EncodingOptions()) == ["iterations": "2"])
            #expect(EncoderTestSupport.thrownMessage { _ = try encoder.encode(x, generator: g, options: EncodingOptions(stages: 1)) }
                == "restyle-psp: stages apply to E2Style encoders only")
        }

        @Test func carsModelsSeeTheCroppedFrame() throws {
            let net = try ReStyleResNetEncoder(styleCount: 4)
            let encoder = try ReStyleEncoder(method: "restyle-psp", network: net, latentAvg: Tensor.randn([512]),
                                             iterations: 2, reconstructionRows: 32..<224)
            let g = try EncoderTestSupport.tinyGenerator().generator
            let codes = try encoder.encode(EncoderTestSupport.images(1, height: 192), generator: g).wPlus
            #expect(codes.shape == [1, 4, 512])
            // The official cars transform: Resize((192, 256)).
            let prepared = try encoder.prepareInput(EncoderTestSupport.impulse(size: 512, row: 200, column: 300))
            #expect(prepared.shape == [1, 3, 192, 256])
            #expect(EncoderTestSupport.thrownMessage { _ = try encoder.encode(EncoderTestSupport.images(), generator: g) }
                == "restyle-psp: expected images [N, 3, 192, 256], got [1, 3, 256, 256]")
            #expect(EncoderTestSupport.thrownMessage {
                _ = try ReStyleEncoder(method: "restyle-psp", network: BackboneEncoderUsingLastLayerIntoW(styleCount: 4),
                                       latentAvg: Tensor.randn([512]))
            } == "restyle-psp: a ReStyle encoder takes 6 channels (image and reconstruction), this one 3")
        }
    }
}
