import Foundation
import Encoders
import Inversion
import Perception
import StyleGAN
import TestSupport
import Testing
import Torch

/// The library's one inversion entry point: method policy, settings checks, pivots, progress and cancellation.
@Suite("Inversion pipeline")
struct InversionPipelineTests {
    init() throws { try Runtime.start() }

    /// A pipeline on the bundled 64x64 generator with the given networks, no alignment.
    static func pipeline(_ settings: InversionSettings, networks: LossNetworks = LossNetworks()) throws -> InversionPipeline {
        var settings = settings
        settings.align = false
        return try InversionPipeline(settings, generator: TuningFixture.generator(), generatorPath: TuningFixture.generatorPath,
                                     generatorSHA256: TuningFixture.sha256(), encoder: nil, networks: networks,
                                     aligner: nil)
    }

    static func settings(_ method: InversionMethod, losses: Set<LossTerm>? = nil, pivot: Set<LossTerm>? = nil,
                         steps: Int? = nil, pivotSteps: Int? = nil) -> InversionSettings
    {
        var s = InversionSettings(method: method)
        s.losses = losses
        s.pivotLosses = pivot
        s.steps = steps
        s.pivotSteps = pivotSteps
        return s
    }

    static func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return "\(error)" }
        return nil
    }

    // MARK: policy

    @Test func methodDefaultsAreThePublishedOnes() {
        #expect(InversionSettings(method: .projector).resolvedLosses == [.lpips])
        #expect(InversionSettings(method: .pti).resolvedLosses == [.l2, .lpips])
        #expect(InversionSettings(method: .pti).resolvedPivotLosses == [.vgg])
        #expect(InversionSettings(method: .gani).resolvedLosses == [.l2, .lpips, .id, .parsing])
        var cars = InversionSettings(method: .gani)
        cars.domain = .cars
        #expect(cars.resolvedLosses == [.l2, .lpips, .id])
        #expect(InversionMethod.allCases.filter { $0.family == .encoder }.allSatisfy { $0.defaultLosses.isEmpty })
        #expect(Set(InversionMethod.allCases.map(\.rawValue)) == ["projector", "projector-w", "image2stylegan", "pti", "gani",
            "psp", "e4e", "restyle-psp", "restyle-e4e", "e2style", "fs", "clcae", "encoder+pti", "encoder+gani"])
    }

    @Test func lossTermsParseAsTypes() throws {
        #expect(try LossTerm.parse("l2,lpips") == [.l2, .lpips])
        #expect(LossTerm.list([.parsing, .l2, .id]) == "l2,id,parsing")
        #expect(Self.message { _ = try LossTerm.parse("l2,ssim") }?.contains("unknown loss term 'ssim'") == true)
        #expect(Self.message { _ = try LossTerm.parse("l2,l2") }?.contains("given twice") == true)
        #expect(Self.message { _ = try LossTerm.parse("") } != nil)
    }

    @Test func settingsAreCheckedAgainstTheMethod() {
        var s = Self.settings(.projector, losses: [.id])
        #expect(Self.message { try s.validate() } == "projector cannot use --losses id; its terms are l2,lpips,vgg")
        s = Self.settings(.psp, steps: 10)
        #expect(Self.message { try s.validate() } == "psp is an encoder: it takes no losses or steps")
        s = Self.settings(.gani, losses: [.l2, .parsing])
        s.domain = .churches
        #expect(Self.message { try s.validate() } == "GANI's churches domain has no parsing term (Table 1)")
        s = Self.settings(.projector, steps: 1_000_000)
        #expect(Self.message { try s.validate() } == "--steps must be in 1...100000, got 1000000")
        s = Self.settings(.encoderPTI, pivot: [.l2])
        #expect(Self.message { try s.validate() }?.contains("projects no pivot") == true)
        s = Self.settings(.psp)
        s.encoder = EncodingOptions(iterations: 3)
        #expect(Self.message { try s.validate() } == "--iterations applies to restyle-psp and restyle-e4e")
        s = Self.settings(.projector, losses: [.l2])
        s.identityNetwork = .dlib
        #expect(Self.message { try s.validate() }?.contains("--id-network dlib is the network of GANI's id term") == true)
        s = Self.settings(.gani, losses: [.l2, .id])
        s.identityNetwork = .dlib
        #expect(Self.message { try s.validate() } == nil)
        #expect(LossNetworks.requiredWeights(for: s, hasEncoderPivot: true).contains(.dlibFaceRecognition))
        s.align = false
        s.detector = .mtcnn
        #expect(Self.message { try s.validate() } == "--detector goes with alignment (drop --no-align)")
    }

    /// PTI's pivot is the StyleGAN2-ADA VGG16 distance by default: without `vgg16.pt` the run fails at load, naming it.
    @Test func ptiPivotNeedsTheStyleGANVGG() throws {
        let folder = try Scratch()
        let message = Self.message {
            _ = try LossNetworks.load(for: Self.settings(.pti, losses: [.l2]), hasEncoderPivot: false,
                                      weights: WeightFiles(folder: folder.url.path), device: .cpu)
        }
        #expect(message?.contains("vgg16.pt") == true && message?.contains("PTI's pivot") == true, "\(message ?? "")")
        // With an encoder pivot no projection runs, so nothing is needed.
        let networks = try LossNetworks.load(for: Self.settings(.encoderPTI, losses: [.l2]), hasEncoderPivot: true,
                                             weights: WeightFiles(folder: folder.url.path), device: .cpu)
        #expect(networks.featureVGG == nil && networks.lpipsVGG == nil)
    }

    /// With the StyleGAN2-ADA VGG16 at hand (random weights here, its LPIPS channel weights made non-negative as the
    /// published ones are), PTI projects its pivot in W on that distance alone.
    @Test func ptiProjectsItsPivotOnTheVGGDistance() throws {
        let settings = Self.settings(.pti, losses: [.l2], steps: 1, pivotSteps: 2)
        let vgg = try VGG16FeatureDistance()
        try withNoGrad {
            for (name, p) in vgg.namedParameters() where name.contains("lin") { try p.copy_(p.abs()) }
        }
        var networks = LossNetworks()
        networks.featureVGG = vgg
        let pipeline = try Self.pipeline(settings, networks: networks)
        let target = try TuningFixture.cases()[0].target
        let outcome = try pipeline.invert(target)
        #expect(outcome.record["pivot"] == "projector-w" && outcome.record["pivot.losses"] == "vgg")
        // The term is the distance of the two images' features, the target's computed once.
        let term = ImageLoss.featureVGG(vgg)
        let image = try withNoGrad { try pipeline.generator.generator.synthesis(outcome.wPlus) }
        let expected = try withNoGrad { try vgg.distance(vgg.features(image), vgg.features(target)).item() }
        for _ in 0..<2 { #expect(abs(try withNoGrad { try term.compute(image, target).item() } - expected) <= 1e-6 * expected) }
    }

    /// PTI tunes on MSE + LPIPS-Alex at full resolution with the 0.06 early stop on that LPIPS value.
    @Test func ptiTuningLossIsFullResolutionAlexLPIPS() throws {
        var networks = LossNetworks()
        networks.lpipsAlex = try LPIPS(network: .alex, backbone: Fixtures.path("lpips-alex/alexnet_backbone.pt"))
        let pipeline = try Self.pipeline(Self.settings(.pti, pivot: [.l2]), networks: networks)
        let inverter = try #require(pipeline.inverter as? TuningInverter)
        guard case .pti(let options, let loss) = inverter.algorithm else { Issue.record("not PTI"); return }
        #expect(options == .reference && options.lpipsThreshold == 0.06)
        #expect(loss.terms.map(\.label) == ["l2", "lpips"])
        // At 512 pixels the term sees the full image (the projector's LPIPS would pool to 256 first).
        let x = try Tensor.rand([1, 3, 512, 512], generator: Generator(seed: 1)) * 2 - 1
        let y = try Tensor.rand([1, 3, 512, 512], generator: Generator(seed: 2)) * 2 - 1
        let full = try withNoGrad { try networks.lpipsAlex!(x, y).sum().item() }
        let pooled = try withNoGrad { try ImageLoss.lpips(networks.lpipsAlex!).compute(x, y).item() }
        let term = try withNoGrad { try loss.terms[1].compute(x, y).item() }
        #expect(abs(term - full) < 1e-6 && abs(term - pooled) > 1e-4)
        guard case .projection(let pivotOptions, let pivotLoss, _) = inverter.pivot else { Issue.record("no projection"); return }
        #expect(!pivotOptions.wPlus && pivotOptions.steps == 450 && pivotOptions.meanSamples == 600 && pivotOptions.mse == 1)
        #expect(pivotLoss.terms.isEmpty)
    }

    /// The projector's MSE (rosinality's `--mse`) compares the images average-pooled to 256, as the reference does.
    @Test func projectorMSEIsOnThe256PooledImages() throws {
        let config = try GeneratorConfig(size: 512, styleDim: 16, nMLP: 2, channels: [8, 8, 8, 8, 8, 8, 8, 8])
        let g = try LoadedGenerator.random(config, seed: 3).generator
        var options = Projector.Options()
        options.steps = 1
        options.noise = 0
        options.noiseRegularize = 0
        options.optimizeNoise = false
        options.mse = 1
        options.wPlus = true
        let start = try g.mapping(Tensor.randn([1, 16], generator: Generator(seed: 4))).unsqueeze(1).repeat([1, g.nLatent, 1])
        let target = try Tensor.rand([1, 3, 512, 512], generator: Generator(seed: 5)) * 2 - 1
        let result = try Projector(generator: g, loss: ImageLoss(terms: []), options: options).project(target, start: start)
        let image = try withNoGrad { try g.synthesis(start, noise: .const) }
        let pooled = try F.mseLoss(F.avgPool2d(image, kernel: (2, 2)), F.avgPool2d(target, kernel: (2, 2))).item()
        let full = try F.mseLoss(image, target).item()
        #expect(abs(result.lossCurve[0] - pooled) < 1e-5 * pooled && abs(full - pooled) > 1e-3 * pooled,
                "curve \(result.lossCurve[0]) pooled \(pooled) full \(full)")
    }

    // MARK: running

    /// Every optimisation and tuning method runs through the one pipeline and returns one outcome type that writes
    /// a file reproducing its image.
    @Test(arguments: [InversionMethod.projector, .projectorW, .image2StyleGAN, .pti, .gani])
    func everyOptimizationMethodRunsThroughThePipeline(_ method: InversionMethod) throws {
        let tuning = method.family == .tuning
        let pipeline = try Self.pipeline(Self.settings(method, losses: [.l2], pivot: tuning ? [.l2] : nil, steps: 3,
                                                       pivotSteps: tuning ? 3 : nil))
        let target = try TuningFixture.cases()[1].target
        var reports: [InversionProgress] = []
        let outcome = try pipeline.invert(target, control: InversionControl(progress: { reports.append($0) }))
        #expect(outcome.method == method && outcome.wPlus.shape == [1, 10, 64] && outcome.image.shape == [1, 3, 64, 64])
        #expect(outcome.lossCurve.count == 3 && outcome.record["losses"] == "l2")
        #expect(outcome.scores.map { $0.psnr.isFinite && $0.ssim != nil && $0.lpips == nil } == true)
        #expect(reports.last?.step == 3 && reports.last?.total == 3)
        #expect(reports.contains { $0.stage == (tuning ? .tuning : .optimization) })
        // Each step hands over the image it rendered, for live previews.
        #expect(reports.allSatisfy { $0.image?.shape == [1, 3, 64, 64] && $0.image?.requiresGrad == false })
        if tuning {
            #expect(reports.first?.stage == .pivot && outcome.timings[.pivot] != nil)
            #expect(outcome.deltas?.kind == (method == .pti ? .additive : .multiplicative))
        }
        let file = try pipeline.inversionFile(outcome)
        let sha = try TuningFixture.sha256()
        #expect(file.metadata.method == method.rawValue && file.metadata.generatorSHA256 == sha)
        let rendered = try pipeline.generator.render(file, generatorSHA256: pipeline.generatorSHA256)
        try expectClose(rendered, outcome.image, tol: 1e-5, "\(method.rawValue): the file reproduces the reconstruction")
    }

    /// GANI without an e4e file says so and projects its pivot in W+, recorded in the inversion.
    @Test func ganiWithoutE4EFallsBackToTheProjectorAndSaysSo() throws {
        let pipeline = try Self.pipeline(Self.settings(.gani, losses: [.l2], pivot: [.l2], steps: 1, pivotSteps: 2))
        #expect(pipeline.notes.count == 1 && pipeline.notes[0].contains("no e4e encoder given"))
        let outcome = try pipeline.invert(TuningFixture.cases()[0].target)
        #expect(outcome.record["pivot"] == "projector-w+" && outcome.record["pivot.note"]?.contains("e4e") == true)
        var wild = Self.settings(.gani, losses: [.l2], pivot: [.l2], steps: 1, pivotSteps: 2)
        wild.domain = .wild
        let w = try #require(try Self.pipeline(wild).inverter as? TuningInverter)
        guard case .projection(let options, _, _) = w.pivot else { Issue.record("no projection"); return }
        #expect(!options.wPlus)
    }

    @Test func cancellationStopsTheRun() throws {
        let pipeline = try Self.pipeline(Self.settings(.projector, losses: [.l2], steps: 50))
        var steps = 0
        let control = InversionControl(progress: { steps = $0.step }, isCancelled: { steps >= 3 })
        #expect(throws: InversionError.cancelled) { _ = try pipeline.invert(TuningFixture.cases()[0].target, control: control) }
        #expect(steps == 3)
    }

    @Test func targetsOfTheWrongShapeAreRefused() throws {
        let pipeline = try Self.pipeline(Self.settings(.projector, losses: [.l2], steps: 1))
        #expect(Self.message { _ = try pipeline.invert(Tensor.zeros([1, 3, 32, 32])) }
            == "an inversion target must be [1, 3, 64, 64], got [1, 3, 32, 32]")
    }
}

