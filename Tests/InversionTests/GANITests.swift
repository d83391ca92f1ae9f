import Foundation
import Inversion
import Perception
import StyleGAN
import TestSupport
import Testing
import Torch

@Suite("GANI")
struct GANITests {
    init() throws { try Runtime.start() }

    // MARK: modules

    /// The count depends only on the shapes: the 1024 config-f generator is never allocated.
    @Test func parameterCountOfThe1024Generator() {
        let config = GeneratorConfig.ffhq1024
        let shapes = GANI.convShapes(config)
        #expect(shapes.count == config.numLayers)
        #expect(shapes.filter { $0 == GANI.ConvShape(outChannels: 512, inChannels: 512) }.count == 9)
        #expect(GANI.sharedShapes(config).map(\.description)
            == ["512->512", "512->256", "256->256", "256->128", "128->128", "128->64", "64->64", "64->32", "32->32"])
        #expect(GANI.parameterCount(config, blocks: 1) == 1_396_658)
        #expect(GANI.parameterCount(config, blocks: 2) == 2_793_316)
    }

    /// On a real generator the modules `tune` builds have exactly the formula's parameters.
    @Test(arguments: [1, 2]) func modulesOfARealGeneratorMatchTheFormula(_ blocks: Int) throws {
        let loaded = try TuningFixture.generator()
        let c = try TuningFixture.cases()[0]
        var options = GANI.Options.faces
        options.steps = 0
        options.blocks = blocks
        options.evaluationSamples = 0
        let result = try GANI(generator: loaded, imageLoss: ImageLoss(terms: [ImageLoss.l2()]), options: options)
            .tune(target: c.target, pivot: c.pivot)
        // Demo channels 64, 64, 48, 32, 32: shapes 64->64, 64->48, 48->48, 48->32, 32->32.
        #expect(result.modules.map(\.channels) == [64, 64, 48, 48, 32])
        #expect(result.modules.reduce(0) { $0 + $1.parameterCount } == GANI.parameterCount(loaded.generator.config, blocks: blocks))
        #expect(GANI.parameterCount(loaded.generator.config, blocks: 1) == 27_914)
        #expect(result.deltas.count == loaded.generator.numLayers)
    }

    @Test func scaleNormGradients() throws {
        let norm = try ScaleNorm(scale: 1.7, dtype: .float64)
        let x = try Tensor.randn([5, 7], dtype: .float64, generator: Generator(seed: 1)) * 1e-3
        let result = try GradCheck.verify(inputs: [x], parameters: [("g", norm.g)]) { try norm($0[0]) }
        #expect(result.passed)
        // Rows come out with length g whatever their scale.
        let lengths = try norm(x).norm(2, dims: [-1])
        try expectClose(lengths, Tensor.full([5], 1.7, dtype: .float64), tol: 1e-12, "row lengths")
    }

    @Test func moduleGradients() throws {
        let module = try GradientModificationModule(channels: 4, blocks: 2, dtype: .float64, generator: Generator(seed: 2))
        #expect(module.parameterCount == GradientModificationModule.parameterCount(channels: 4, blocks: 2))
        let gradient = try Tensor.randn([1, 3, 4, 3, 3], dtype: .float64, generator: Generator(seed: 3)) * 0.1
        let result = try GradCheck.verify(inputs: [gradient], parameters: module.namedParameters()) {
            try module.delta(forGradient: $0[0])
        }
        #expect(result.reports.count == 1 + 2 * 5)
    }

    /// Δθ[0, o, :, i, j] is M applied to the gradient's row [0, o, :, i, j].
    @Test func deltaLaysTheGradientOutAsInputChannelRows() throws {
        let module = try GradientModificationModule(channels: 6, generator: Generator(seed: 4))
        let gradient = try Tensor.randn([1, 5, 6, 3, 3], generator: Generator(seed: 5))
        let delta = try module.delta(forGradient: gradient)
        #expect(delta.shape == gradient.shape)
        for (o, i, j) in [(0, 0, 0), (4, 2, 1), (2, 1, 2)] {
            let row = try gradient.select(0, 0).select(0, o).select(1, i).select(1, j)  // [6]
            let expected = try module(row.unsqueeze(0)).squeeze(0)
            try expectClose(delta.select(0, 0).select(0, o).select(1, i).select(1, j), expected, tol: 1e-6, "row \(o), \(i), \(j)")
        }
    }

    /// Synthesis with substituted weights θ (1 + Δ) equals the generator that `applying` rebuilds.
    @Test func substitutedWeightsMatchTheRebuiltGenerator() throws {
        let g = try TuningFixture.generator().generator
        let rng = try Generator(seed: 6)
        var deltas: [String: Tensor] = [:]
        var weights: [Tensor?] = Array(repeating: nil, count: g.numLayers)
        for k in [1, 3, 4, 9] {
            let delta = try Tensor.randn(g.convWeight(layer: k).shape, generator: rng) * 0.05
            deltas[StyleGAN2Generator.convWeightKey(layer: k)] = delta
            weights[k - 1] = try g.convWeight(layer: k) * (delta + 1)
        }
        let wPlus = try g.mapping(Tensor.randn([2, g.config.styleDim], generator: rng)).unsqueeze(1).repeat([1, g.nLatent, 1])
        let tuned = try g.applying(.multiplicative, deltas)
        try withNoGrad {
            try expectClose(g.synthesis(wPlus, convWeights: weights), tuned.synthesis(wPlus), tol: 1e-5, "batch of 2")
            let one = try wPlus.slice(0, 0, 1)
            try expectClose(g.synthesis(one, convWeights: weights), tuned.synthesis(one), tol: 1e-5, "batch of 1")
            let none = [Tensor?](repeating: nil, count: g.numLayers)
            try expectClose(g.synthesis(one, convWeights: none), g.synthesis(one), tol: 0, "no substitution")
        }
        #expect(throws: TorchError.self) { try g.synthesis(wPlus, convWeights: []) }
    }

    // MARK: options and loss

    /// Table 1 of the paper, read column by column: Iterations, λe, λl, λ1, λ2, λ3, λ4.
    @Test func domainPresetsAreTableOne() throws {
        let faces = GANI.Options.faces
        #expect(faces.steps == 300 && faces.lr == 1e-3 && faces.blocks == 1 && faces.reconstruction == .l2)
        #expect([faces.imageWeight, faces.localityWeight, faces.reconstructionWeight, faces.lpipsWeight,
                 faces.identityWeight, faces.parsingWeight] == [1.0, 0.2, 1.0, 0.8, 0.1, 1.0])
        #expect(faces.gradientAt == .original && faces.detachGradient)
        let wild = GANI.Options.wild
        #expect(wild.steps == 300 && wild.reconstruction == .l2 && wild.parsingWeight == 1.0)
        #expect(GANI.Options.cars.steps == 400 && GANI.Options.churches.steps == 800 && GANI.Options.horses.steps == 800)
        for other in [GANI.Options.cars, .churches, .horses] {
            #expect(other.reconstruction == .smoothL1(beta: 0.1) && other.parsingWeight == 0)
            #expect([other.imageWeight, other.localityWeight, other.reconstructionWeight, other.lpipsWeight,
                     other.identityWeight] == [1.0, 0.2, 1.0, 0.8, 0.1])
        }
        let back = try JSONDecoder().decode(GANI.Options.self, from: JSONEncoder().encode(GANI.Options.cars))
        #expect(back == .cars)
    }

    /// Absent networks and zero weights leave their terms out.
    @Test func imageLossTerms() throws {
        #expect(GANI.imageLoss(options: .faces).terms.map(\.label) == ["l2"])
        #expect(GANI.imageLoss(options: .cars).terms.map(\.label) == ["smooth-l1"])
        let lpips = try LPIPS(network: .alex, backbone: Fixtures.path("lpips-alex/alexnet_backbone.pt"))
        let loss = GANI.imageLoss(options: .faces, lpips: lpips)
        #expect(loss.terms.map(\.label) == ["l2", "lpips"] && loss.terms.map(\.weight) == [1.0, 0.8])
        let c = try TuningFixture.cases()[1]
        let (total, parts) = try loss(c.target, c.target)
        #expect(try total.item() == 0 && parts.count == 2)
    }

    /// L_FP reads the U-Net parser's five contracting-path features (not BiSeNet's output maps): Σ_i (1 − cos) over
    /// the features at 256 pixels, averaged over the batch.
    @Test func parsingTermIsTheUNetFeatureDistance() throws {
        let parser = try UNetFaceParser(device: .cpu)
        let rng = try Generator(seed: 11)
        for p in parser.parameters() { try withNoGrad { try p.copy_(Tensor.randn(p.shape, generator: rng) * 0.1) } }
        let x = try Tensor.rand([2, 3, 64, 64], generator: rng) * 2 - 1
        let y = try Tensor.rand([2, 3, 64, 64], generator: rng) * 2 - 1
        let loss = GANI.imageLoss(options: .faces, parsing: parser)
        #expect(loss.terms.map(\.label) == ["l2", "parsing"] && loss.terms.map(\.weight) == [1.0, 1.0])
        let value = try GANI.parsingDistance(parser, x, y)
        let (fx, fy) = try withNoGrad {
            (try parser(F.interpolate(x, size: (256, 256), mode: .bilinear, alignCorners: false)),
             try parser(F.interpolate(y, size: (256, 256), mode: .bilinear, alignCorners: false)))
        }
        #expect(fx.count == 5)
        var expected = 0.0
        for (a, b) in zip(fx, fy) {
            let cosine = try (a * b).sum([1]) / (a.norm(2, dims: [1]) * b.norm(2, dims: [1]))
            expected += try (1 - cosine).mean().item()
        }
        #expect(abs(try value.item() - expected) < 1e-5 * max(1, expected))
        #expect(try GANI.parsingDistance(parser, x, x).item() < 1e-5)
    }

    // MARK: tuning

    /// The faces preset as it is (300 steps, Table 1's λ_e 1.0, λ_l 0.2), MSE as the only image term. Here GANI
    /// reaches locality PSNRs of about 29.7 and 26.7 dB on the two targets: the paper's weights favour the
    /// reconstruction five times more than the locality term.
    @Test(arguments: [0, 1]) func tuningBeatsTheProjectorAndStaysLocal(_ index: Int) throws {
        let c = try TuningFixture.cases()[index]
        let options = GANI.Options.faces
        let result = try GANI(generator: TuningFixture.generator(), imageLoss: ImageLoss(terms: [ImageLoss.l2()]),
                              options: options).tune(target: c.target, pivot: c.pivot)
        let l2 = try TuningFixture.l2(result.image, c.target)
        print("GANI on \(c.name): L2 projector \(c.projectorL2) -> GANI \(l2), locality PSNR \(result.localityPSNR) dB")
        #expect(l2 < 0.5 * c.projectorL2, "\(c.name): GANI \(l2) vs projector \(c.projectorL2)")
        #expect(result.localityPSNR > 25, "\(c.name): locality PSNR \(result.localityPSNR) dB")
        #expect(result.lossCurve.count == 300)
        let deltas = try result.deltas.values.map { try $0.abs().mean().item() }
        #expect(deltas.allSatisfy { $0 < 0.05 }, "mean |Δθ| per layer \(deltas)")
    }

    /// Without the locality term (λ_l = 0) the tuned generator drifts further from the frozen one. λ_e = 1 for 100
    /// steps so that the drift shows.
    @Test func localityTermKeepsFreshSamplesClose() throws {
        let c = try TuningFixture.cases()[0]
        var psnr: [Double] = []
        for weight in [1.0, 0] {
            var options = GANI.Options.faces
            options.steps = 100
            options.imageWeight = 1
            options.localityWeight = weight
            let result = try GANI(generator: TuningFixture.generator(), imageLoss: ImageLoss(terms: [ImageLoss.l2()]),
                                  options: options).tune(target: c.target, pivot: c.pivot)
            psnr.append(result.localityPSNR)
            print("GANI, λ_e 1, λ_l \(weight): L2 \(try TuningFixture.l2(result.image, c.target)), locality PSNR \(result.localityPSNR) dB")
        }
        #expect(psnr[0] > psnr[1] + 1, "locality PSNR with the term \(psnr[0]) dB, without \(psnr[1]) dB")
    }

    /// Where the gradient is taken: original weights, current tuned weights, and current weights with the
    /// gradient kept differentiable (second order). λ_e = 1 for 100 steps so that the three separate.
    @Test func gradientPoints() throws {
        let c = try TuningFixture.cases()[0]
        let loaded = try TuningFixture.generator()
        var results: [String: Double] = [:]
        for (point, detach) in [(GANI.GradientPoint.original, true), (.current, true), (.current, false)] {
            var options = GANI.Options.faces
            options.steps = 100
            options.imageWeight = 1
            options.gradientAt = point
            options.detachGradient = detach
            options.evaluationSamples = 4
            let result = try GANI(generator: loaded, imageLoss: ImageLoss(terms: [ImageLoss.l2()]), options: options)
                .tune(target: c.target, pivot: c.pivot)
            let l2 = try TuningFixture.l2(result.image, c.target)
            results["\(point)\(detach ? "" : " (not detached)")"] = l2
            #expect(l2 < 0.9 * c.projectorL2, "\(point), detached \(detach): \(l2) vs projector \(c.projectorL2)")
        }
        print("GANI L2 by gradient point (projector \(c.projectorL2)): \(results)")
    }

    /// The pivot and multiplicative deltas written to an inversion file render the tuned image again.
    @Test func multiplicativeDeltasRoundTripThroughTheInversionFile() throws {
        let c = try TuningFixture.cases()[1]
        let loaded = try TuningFixture.generator()
        var options = GANI.Options.faces
        options.steps = 10
        options.evaluationSamples = 0
        let result = try GANI(generator: loaded, imageLoss: ImageLoss(terms: [ImageLoss.l2()]), options: options)
            .tune(target: c.target, pivot: c.pivot)
        let sha = try TuningFixture.sha256()
        let path = PTITests.temporary("gani.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try result.inversionFile(generatorSHA256: sha, options: options, seconds: 1).write(to: path)
        let back = try InversionFile.read(path)
        #expect(back.metadata.method == "gani" && back.metadata.options["gradientAt"] == "original")
        #expect(back.deltas?.kind == .multiplicative)
        #expect(Set(try #require(back.deltas).tensors.keys) == Set((1...9).map { StyleGAN2Generator.convWeightKey(layer: $0) }))
        try expectClose(loaded.render(back, generatorSHA256: sha), result.image, tol: 1e-5, "rendered GANI inversion")
    }
}
