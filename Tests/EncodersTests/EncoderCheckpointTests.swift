@testable import Checkpoints
import Encoders
import Foundation
import StyleGAN
import TestSupport
import Testing
import Torch

private typealias Support = EncoderTestSupport

/// Reading the methods' containers: opts as dict or Namespace, method detection, every layout built as the
/// official code saves it (in memory, as `TorchCheckpoint.load` returns it) and round-tripped through safetensors.
@Suite("Encoder checkpoints")
struct EncoderCheckpointOptionsTests {
    init() throws { try Runtime.start() }

    static let opts: [(String, PickleValue)] = [
        ("encoder_type", .string("GradualStyleEncoder")), ("output_size", .int(1024)), ("start_from_latent_avg", .bool(true)),
        ("learning_rate", .float(1e-4)), ("resize_factors", .none), ("betas", .tuple([.float(0.95), .float(0.999)])),
        ("device", .string("cuda:0")), ("not_an_option", .global(module: "torch", name: "float32")),
    ]

    @Test func optionsReadFromDictAndNamespaceAlike() throws {
        let fromDict = try EncoderOptions(pickle: Support.dict(Self.opts))
        let fromNamespace = try EncoderOptions(pickle: Support.namespace(Self.opts))
        #expect(fromDict == fromNamespace)
        #expect(fromDict.values.count == 7)
        #expect(try fromDict.string("encoder_type") == "GradualStyleEncoder")
        #expect(try fromDict.int("output_size") == 1024)
        #expect(try fromDict.bool("start_from_latent_avg") == true)
        #expect(try fromDict.string("resize_factors") == nil && fromDict.int("absent") == nil)
        #expect(try EncoderOptions(json: fromDict.json()) == fromDict)
        #expect(Support.thrownMessage { _ = try fromDict.int("encoder_type") }
            == "opts.encoder_type should be an int, found GradualStyleEncoder")
        #expect(fromDict.summary(["encoder_type", "absent", "betas"]) == "encoder_type=GradualStyleEncoder, betas=[0.95, 0.999]")
    }

    /// A file with only the keys and opts detection looks at.
    static func file(_ opts: [String: EncoderOptions.Value] = [:], keys: [String: [Int]] = [:], recorded: String? = nil)
        throws -> EncoderCheckpointFile
    {
        let weights = StateDict(try keys.sorted { $0.key < $1.key }.map { ($0.key, try Tensor.zeros($0.value)) })
        return EncoderCheckpointFile(path: "model.pt", weights: weights, latentAvg: nil, options: EncoderOptions(opts),
                                     recordedMethod: recorded, otherContents: [])
    }

    @Test func methodIsDetectedFromOptsAndKeys() throws {
        func method(_ file: EncoderCheckpointFile) throws -> String { try EncoderCheckpoint.identify(file).1 }
        let type = { (name: String) in ["encoder_type": EncoderOptions.Value.string(name)] }
        #expect(try method(Self.file(keys: ["encoder_firststage.input_layer.0.weight": [64, 3, 3, 3]])) == "e2style")
        #expect(try method(Self.file(type("ProgressiveBackboneEncoder"))) == "restyle-e4e")
        #expect(try method(Self.file(type("ResNetBackboneEncoder"))) == "restyle-psp")
        #expect(try method(Self.file(type("GradualStyleEncoder").merging(["input_nc": .int(6)]) { $1 })) == "restyle-psp")
        #expect(try method(Self.file(type("GradualStyleEncoder"))) == "psp")
        #expect(try method(Self.file(type("BackboneEncoderUsingLastLayerIntoWPlus"))) == "psp")
        #expect(try method(Self.file(type("Encoder4Editing"))) == "e4e")
        #expect(try method(Self.file(type("SingleStyleCodeEncoder"))) == "e4e")
        #expect(try method(Self.file(keys: ["encoder.latlayer1.weight": [512, 256, 1, 1]])) == "psp")
        #expect(try method(Self.file(keys: ["encoder.input_layer.0.weight": [64, 6, 3, 3]])) == "restyle-psp")
        #expect(try method(Self.file(type("GradualStyleEncoder"), recorded: "e4e")) == "e4e")

        let unknown = Support.thrownMessage { _ = try method(Self.file(type("Foo"), keys: ["a.weight": [1]])) }
        #expect(unknown == "model.pt: not an encoder checkpoint of e2style, restyle-psp, restyle-e4e, fs, clcae, psp, e4e: "
            + "opts.encoder_type 'Foo'; 1 tensors (a.weight)")
        #expect(Support.thrownMessage { _ = try method(Self.file(recorded: "nope")) }
            == "model.pt: records encoder method 'nope', not one of e2style, restyle-psp, restyle-e4e, fs, clcae, psp, e4e")
    }

    @Test func unusableConfigurationsAreNamed() throws {
        let sketch = try Self.file(["encoder_type": .string("GradualStyleEncoder"), "input_nc": .int(19)])
        #expect(Support.thrownMessage { _ = try EncoderCheckpoint.load(sketch) } == "model.pt: this psp encoder takes "
            + "19-channel inputs (label or sketch maps); only image encoders (input_nc 3) invert photos: `stylegan restore` "
            + "translates its inputs")
        let fpn = try Self.file(["encoder_type": .string("ResNetGradualStyleEncoder"), "input_nc": .int(6)])
        #expect(Support.thrownMessage { _ = try EncoderCheckpoint.load(fpn) }?
            .hasPrefix("model.pt: ReStyle encoder_type 'ResNetGradualStyleEncoder' is not read") == true)
        let missing = Support.temporaryPath("missing.pt")
        #expect(Support.thrownMessage { _ = try EncoderCheckpoint.load(missing) } == "\(missing): no such file")
    }
}

extension PSPFamilyEncoderTests {
    /// Containers laid out as each official repository saves them, with small generators (4 w+ rows).
    @Suite("Encoder checkpoint containers")
    struct EncoderCheckpointContainerTests {
        init() throws { try Runtime.start() }

        /// pSp: opts dict, `latent_avg` [L, D]; the same file through `save` and back; missing and unexpected keys.
        @Test func pSpContainerRoundTrips() throws {
            let g = try Support.tinyGenerator()
            let net = try BackboneEncoderUsingLastLayerIntoW(styleCount: 4)
            let average = try Tensor.randn([4, 512])
            let opts = Support.dict([("encoder_type", .string("BackboneEncoderUsingLastLayerIntoW")), ("output_size", .int(8)),
                                     ("input_nc", .int(3)), ("start_from_latent_avg", .bool(true))])
            var root = try Support.container(encoder: net, generator: g, latentAvg: average, opts: opts)
            root = Support.dict(try root.dict().map { (try $0.key.string(), $0.value) } + [("global_step", .int(7))])
            let file = try EncoderCheckpointFile(path: "psp.pt", torch: root)
            let loaded = try EncoderCheckpoint.load(file)
            #expect(loaded.encoder.method == "psp" && loaded.encoder.inputSize == 256)
            let encoder = try #require(loaded.encoder as? PSPEncoder)
            #expect(try Support.sameWeights(encoder.network, net))
            let generator = try #require(loaded.generator)
            #expect(generator.generator.config == g.generator.config && !generator.latentAvgComputed)
            #expect(try Support.sameWeights(generator.generator, g.generator))
            let x = try Support.images()
            let wPlus = try encoder.encode(x, generator: generator.generator).wPlus
            try expectClose(wPlus, try withNoGrad { try net(x).unsqueeze(1) + average }, tol: 1e-6, "w + latent_avg rows")
            let summary = Dictionary(loaded.summary, uniquingKeysWith: { $0 + "; " + $1 })
            #expect(summary["method"] == "psp" && summary["styles"] == "4" && summary["also holds"] == "global_step")
            #expect(summary["latent_avg"] == "added, from the file, [4, 512]")
            #expect(summary["encoder parameters"] == "31212736")

            let path = Support.temporaryPath("psp.safetensors")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try EncoderCheckpoint.save(file, to: path)
            let reread = try EncoderCheckpoint.load(path)
            #expect(reread.encoder.method == "psp")
            try expectClose(try reread.encoder.encode(x, generator: generator.generator).wPlus, wPlus, tol: 0, "from safetensors")

            var broken = try root.dict().map { (try $0.key.string(), $0.value) }
            var weights = try root["state_dict"].dict().map { (try $0.key.string(), $0.value) }
            weights.removeAll { $0.0 == "encoder.linear.bias" }
            weights.append(("encoder.extra.weight", .tensor(try Tensor.zeros([1]))))
            broken[0] = ("state_dict", Support.dict(weights))
            let message = try #require(Support.thrownMessage {
                _ = try EncoderCheckpoint.load(EncoderCheckpointFile(path: "psp.pt", torch: Support.dict(broken)))
            })
            #expect(message.hasPrefix("psp.pt: encoder.* is not a psp BackboneEncoderUsingLastLayerIntoW state dict."))
            #expect(message.contains("Missing key(s) in state_dict: \"linear.bias\"."))
            #expect(message.contains("Unexpected key(s) in state_dict: \"extra.weight\"."))
        }

        /// e4e: opts as an argparse.Namespace; without `latent_avg` the average comes from the generator, as e4e's
        /// `mean_latent`; Encoder4Editing reads with every offset.
        @Test func e4eContainersReadTheirOpts() throws {
            let g = try Support.tinyGenerator()
            let single = try BackboneEncoderUsingLastLayerIntoW(styleCount: 4)
            let opts = Support.namespace([("encoder_type", .string("SingleStyleCodeEncoder")), ("stylegan_size", .int(8)),
                                          ("start_from_latent_avg", .bool(true))])
            let root = try Support.container(encoder: single, generator: g, latentAvg: nil, opts: opts)
            let loaded = try EncoderCheckpoint.load(EncoderCheckpointFile(path: "e4e.pt", torch: root))
            #expect(loaded.encoder.method == "e4e")
            let generator = try #require(loaded.generator)
            #expect(generator.latentAvgComputed)
            let x = try Support.images()
            let wPlus = try loaded.encoder.encode(x, generator: generator.generator).wPlus
            let expected = try withNoGrad { try (single(x) + generator.latentAvg).unsqueeze(1).expand([1, 4, 512]) }
            try expectClose(wPlus, expected, tol: 1e-6, "w + computed average")
            let summary = Dictionary(loaded.summary, uniquingKeysWith: { $0 + "; " + $1 })
            #expect(summary["latent_avg"] == "added, computed from the generator (mean of mapping(z), 10,000 seeded z)")

            let e4e = try GradualStyleEncoder(styleCount: 4)
            let e4eOpts = Support.dict([("encoder_type", .string("Encoder4Editing")), ("stylegan_size", .int(8))])
            let file = try EncoderCheckpointFile(path: "e4e.pt", torch: Support.container(
                encoder: e4e, generator: nil, latentAvg: Tensor.randn([4, 512]), opts: e4eOpts))
            let reread = try EncoderCheckpoint.load(file)
            let network = try #require((reread.encoder as? PSPEncoder)?.network as? GradualStyleEncoder)
            #expect(network.readout == .e4eInference && network.styleCount == 4)
            #expect(try Support.sameWeights(network, e4e))
            #expect((reread.encoder as? PSPEncoder)?.latentAvg == nil, "start_from_latent_avg is off")
            #expect(reread.generator == nil)
        }

        /// ReStyle: encoder type, iterations and the cars crop come from opts; the ResNet-34 layout loads.
        @Test func reStyleContainersConfigureTheIterations() throws {
            let g = try Support.tinyGenerator()
            let net = try ReStyleResNetEncoder(styleCount: 4, readout: .e4eInference)
            let average = try Tensor.randn([1, 512])
            let opts = Support.dict([("encoder_type", .string("ResNetProgressiveBackboneEncoder")), ("input_nc", .int(6)),
                                     ("output_size", .int(8)), ("n_iters_per_batch", .int(3)),
                                     ("dataset_type", .string("cars_encode"))])
            let file = try EncoderCheckpointFile(path: "restyle.pt", torch: Support.container(
                encoder: net, generator: g, latentAvg: average, opts: opts))
            let path = Support.temporaryPath("restyle.safetensors")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try EncoderCheckpoint.save(file, to: path)
            let loaded = try EncoderCheckpoint.load(path)
            let encoder = try #require(loaded.encoder as? ReStyleEncoder)
            #expect(encoder.method == "restyle-e4e" && encoder.iterations == 3 && encoder.reconstructionRows == 32..<224)
            let network = try #require(encoder.network as? ReStyleResNetEncoder)
            #expect(network.readout == .e4eInference)
            #expect(try Support.sameWeights(network, net))
            try expectClose(encoder.latentAvg, try average.expand([4, 512]), tol: 0, "latent_avg rows")
            let summary = Dictionary(loaded.summary, uniquingKeysWith: { $0 + "; " + $1 })
            #expect(summary["iterations"] == "3" && summary["input"] == "images 3x192x256 beside the reconstruction")
        }

        /// E2Style: the first stage and every refinement stage in the file, heads read off the weights.
        @Test func e2StyleContainersHoldEveryStage() throws {
            let g = try Support.tinyGenerator()
            let heads = E2StyleStageEncoder.Heads(coarse: .init(codes: 2, pool: 7), medium: .init(codes: 1, pool: 5),
                                                  fine: .init(codes: 1, pool: 3))
            let first = try E2StyleStageEncoder(inputChannels: 3, heads: heads)
            let refine = try E2StyleStageEncoder(inputChannels: 6, heads: heads)
            var weights: [(String, PickleValue)] = try first.stateDict().map { ("encoder_firststage." + $0.name, .tensor($0.tensor)) }
            weights += try refine.stateDict().map { ("encoder_refinestage_list.0." + $0.name, .tensor($0.tensor)) }
            weights += try g.generator.stateDict().map { ("decoder." + $0.name, .tensor($0.tensor)) }
            let root = Support.dict([("state_dict", Support.dict(weights)), ("latent_avg", .tensor(try Tensor.randn([4, 512]))),
                                     ("opts", Support.dict([("start_from_latent_avg", .bool(true)), ("training_stage", .int(2))]))])
            let loaded = try EncoderCheckpoint.load(EncoderCheckpointFile(path: "e2style.pt", torch: root))
            let encoder = try #require(loaded.encoder as? E2StyleEncoder)
            #expect(encoder.stages == 2 && encoder.refineStages.count == 1 && encoder.latentAvg != nil)
            #expect(encoder.firstStage.heads == heads)
            #expect(try Support.sameWeights(encoder.firstStage, first) && Support.sameWeights(encoder.refineStages[0], refine))
            let summary = Dictionary(loaded.summary, uniquingKeysWith: { $0 + "; " + $1 })
            #expect(summary["stages"] == "2: first + 1 refinement, all run")
            #expect(summary["heads"] == "2/1/1 codes pooled to 7/5/3")
        }
    }
}
