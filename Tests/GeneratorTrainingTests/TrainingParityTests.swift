import Foundation
import GeneratorTraining
import StyleGAN
import TestSupport
import Testing
import Torch
import Training

/// One step of rosinality's train.py (fixture stylegan2-training64): the discriminator's outputs and loss, R1, the
/// generator's loss with style mixing and the path-length penalty, with every parameter gradient, each within
/// 1e-4 x max(1, max |ref|). Shapes and constants come from the fixture's config.json.
@Suite("TrainingParity (stylegan2-training64)")
struct TrainingParityTests {
    struct Config: Decodable {
        let size: Int
        let channel_multiplier: Int
        let ch_div: Int
        let batch: Int
        let d_params: Int
    }

    // rosinality's defaults, with which the fixture's lazy-regularisation gradients were taken.
    static let r1 = 10.0, dRegEvery = 16.0, pathRegularize = 2.0, gRegEvery = 4.0
    static let injectIndex = 3, meanPathLengthBefore = 0.5

    let config: Config
    let g: StyleGAN2Generator
    let d: Discriminator
    let cases: [String: Tensor]

    init() throws {
        try Runtime.start()
        let folder = "stylegan2-training64/"
        config = try JSONDecoder().decode(
            Config.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path(folder + "config.json"))))
        g = try GeneratorCheckpoint.load(Fixtures.path(folder + "generator.pt")).generator
        d = try DiscriminatorCheckpoint.load(Fixtures.path(folder + "discriminator.pt"))
        cases = try Fixtures.cases(folder + "cases.safetensors")
    }

    func ref(_ key: String) throws -> Tensor {
        guard let t = cases[key] else { throw TorchError("fixture case \(key) missing") }
        return t
    }

    /// Every parameter's gradient against `prefix.<name>`; the fixture must hold one for each parameter and no other.
    /// A parameter the loss does not reach has no gradient here, and must have a zero one there (the reference adds
    /// 0 x an output to its lazy losses so that every parameter gets one).
    func expectGradients(of module: Module, _ prefix: String) throws {
        let parameters = module.namedParameters()
        let expected = Set(cases.keys.filter { $0.hasPrefix(prefix + ".") })
        #expect(Set(parameters.map { prefix + "." + $0.name }) == expected, "\(prefix): parameter names")
        for (name, p) in parameters {
            let grad = try p.grad ?? p.zerosLike()
            try expectClose(grad, try ref(prefix + "." + name), "\(prefix).\(name)")
        }
    }

    @Test func discriminatorIsTheFixturesArchitecture() throws {
        let plan = ChannelPlan.rosinality(channelMultiplier: config.channel_multiplier, divisor: config.ch_div)
        #expect(d.config == (try DiscriminatorConfig(size: config.size, plan: plan)))
        #expect(d.parameterCount == config.d_params)
    }

    @Test func discriminatorOutputsLossAndGradients() throws {
        let fake = try g([ref("z")])
        try expectClose(fake, try ref("fake"), "fake = G([z])")
        let realPred = try d(ref("real"))
        let fakePred = try d(fake.detach())
        try expectClose(realPred, try ref("d_real_pred"), "D(real)")
        try expectClose(fakePred, try ref("d_fake_pred"), "D(fake)")
        let loss = try GANLoss.discriminatorLogistic(realPredictions: realPred, fakePredictions: fakePred)
        try expectClose(loss.reshape([1]), try ref("d_loss"), "d_loss")
        try loss.backward()
        try expectGradients(of: d, "grad_d_loss")
    }

    @Test func r1PenaltyAndItsGradients() throws {
        let real = try ref("real").clone().requiresGrad(true)
        let r1 = try GANLoss.r1Penalty(realPredictions: d(real), realImages: real)
        try expectClose(r1.reshape([1]), try ref("r1_loss"), "r1_loss")
        try (r1 * (Self.r1 / 2 * Self.dRegEvery)).backward()
        try expectGradients(of: d, "grad_d_r1")
    }

    @Test func generatorLossWithStyleMixing() throws {
        let sample = LatentSample(codes: [try ref("z"), try ref("z_mix_second")], injectIndex: Self.injectIndex)
        let fakeMix = try g.synthesis(g.latents(sample))
        try expectClose(fakeMix, try ref("fake_mix"), "fake_mix")
        let loss = try GANLoss.generatorNonSaturating(fakePredictions: d(fakeMix))
        try expectClose(loss.reshape([1]), try ref("g_loss"), "g_loss")
        try loss.backward()
        try expectGradients(of: g, "grad_g_loss")
    }

    @Test func pathLengthPenaltyAndItsGradients() throws {
        let half = config.batch / 2
        let latents = try g.latents([ref("z").slice(0, 0, half)])
        let images = try g.synthesis(latents)
        var regularizer = PathLengthRegularizer(meanPathLength: Self.meanPathLengthBefore)
        let result = try regularizer.penalty(images: images, latents: latents, direction: ref("path_noise"))
        try expectClose(result.pathLengths, try ref("path_lengths"), "path_lengths")
        try expectClose(try Tensor([Float(result.pathMean)]), try ref("path_mean"), "path_mean")
        #expect(regularizer.meanPathLength == result.pathMean)
        try expectClose(result.penalty.reshape([1]), try ref("path_penalty"), "path_penalty")
        try (result.penalty * (Self.pathRegularize * Self.gRegEvery)).backward()
        try expectGradients(of: g, "grad_g_path")
    }
}
