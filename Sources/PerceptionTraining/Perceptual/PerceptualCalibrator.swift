import Checkpoints
import Foundation
import Perception
import Testbed
import Torch
import Training

/// LPIPS's ranking head (`Dist2LogitLayer`, chn_mid 32): from the two distances of a triplet to the logit that the
/// second distortion is the closer one, through 1x1 convolutions over [d0, d1, d0 - d1, d0 / d1, d1 / d0].
public final class RankingHead: Module {
    public let model: Sequential

    public init(middle: Int = 32) throws {
        model = try Sequential(Conv2d(5, middle, kernelSize: 1), LeakyReLU(negativeSlope: 0.2), Conv2d(middle, middle, kernelSize: 1),
                               LeakyReLU(negativeSlope: 0.2), Conv2d(middle, 1, kernelSize: 1))
        super.init()
        try register(module: "model", model)
    }

    /// d0, d1 [N] -> logits [N].
    public func callAsFunction(_ d0: Tensor, _ d1: Tensor) throws -> Tensor {
        let eps = 0.1
        let x = try Tensor.stack([d0, d1, d0 - d1, d0 / (d1 + eps), d1 / (d0 + eps)], dim: 1)
        return try model(x.reshape([d0.size(0), 5, 1, 1])).reshape([d0.size(0)])
    }
}

/// Calibrates the testbed's LPIPS (`LPIPS(testbed:)`) on `PerceptualTriplets`: the five linear layers and the
/// ranking head learn with the BCE ranking loss while the attribute classifier stays frozen; the layers start at
/// one (the uncalibrated distance) and are clamped non-negative after each step as LPIPS's `clamp_weights`.
public final class PerceptualCalibrator: Trainer {
    public let config: PerceptualCalibrationConfig
    public let lpips: LPIPS
    public let rank: RankingHead
    public let optimizer: Adam
    public let device: Device
    let renderer: TestbedRenderer
    let train: PerceptualTriplets
    let test: PerceptualTriplets

    public var batchSize: Int { config.batch }
    public var checkpointExtension: String { "pt" }

    /// `classifier`: the trunk (the shipped attribute classifier), frozen here.
    public init(_ config: PerceptualCalibrationConfig, classifier: ResNet18Classifier, device: Device = .cpu) throws {
        try config.validate()
        self.config = config
        self.device = device
        try classifier.to(device: device)
        lpips = try LPIPS(testbed: classifier)
        for lin in lpips.lins { try lin.requiresGrad(true) }
        rank = try RankingHead()
        try SeededInit.apply(to: rank, seed: config.seed)
        try rank.to(device: device)
        optimizer = try Adam(lpips.lins.flatMap { $0.parameters() } + rank.parameters(), lr: config.learningRate)
        renderer = try TestbedRenderer(size: config.renderSize, device: device)
        let scales = FactorScales()
        train = PerceptualTriplets(split: .train, samples: config.trainSamples, seed: config.seed,
                                   tieMargin: config.tieMargin, scales: scales)
        test = PerceptualTriplets(split: .test, samples: TestbedSplit.test.count, seed: 0, tieMargin: config.tieMargin,
                                  scales: scales)
    }

    public func step(_ iteration: Iteration) throws -> StepReport {
        let start = iteration.index * config.batch
        let batch = try train.batch(start..<(start + config.batch), renderer: renderer)
        let lr = StepSchedule.learningRate(base: config.learningRate, index: iteration.index, total: iteration.total,
                                           warmup: config.warmup)
        StepSchedule.apply(lr, to: optimizer)
        let d0 = try lpips(batch.reference, batch.first)
        let d1 = try lpips(batch.reference, batch.second)
        let logits = try rank(d0, d1)
        let judge = try batch.judge.to(device: device)
        let loss = try (F.softplus(logits) - logits * judge).mean()
        try optimizer.zeroGrad()
        try loss.backward()
        try optimizer.step()
        try withNoGrad { for lin in lpips.lins { try lin.conv.weight.clamp_(min: 0) } }
        let agreement = try d1.lt(d0).to(dtype: .float32).eq(judge).to(dtype: .float32).mean().item()
        return StepReport(losses: ["bce": try loss.item(), "2afc": agreement, "lr": lr])
    }

    /// The share of the first `config.evaluationTriplets` test-split triplets on which `distance` agrees with the
    /// judge (BAPPS's 2AFC score with hard judgements).
    public func twoAlternativeScore(_ distance: (Tensor, Tensor) throws -> Tensor, chunk: Int = 100) throws -> Double {
        try Self.twoAlternativeScore(distance, triplets: test, count: config.evaluationTriplets, renderer: renderer,
                                     chunk: chunk)
    }

    /// The share of the first `count` of `triplets` on which `distance` ([N, 3, S, S] pairs -> [N]) agrees with the
    /// judge: any distance's 2AFC score on the testbed.
    public static func twoAlternativeScore(_ distance: (Tensor, Tensor) throws -> Tensor, triplets: PerceptualTriplets,
                                           count: Int, renderer: TestbedRenderer, chunk: Int = 100) throws -> Double
    {
        var agreed = 0.0
        try withNoGrad {
            for start in stride(from: 0, to: count, by: chunk) {
                let batch = try triplets.batch(start..<Swift.min(count, start + chunk), renderer: renderer)
                let d0 = try distance(batch.reference, batch.first), d1 = try distance(batch.reference, batch.second)
                agreed += try d1.lt(d0).to(dtype: .float32).eq(batch.judge.to(device: d0.device)).to(dtype: .float64)
                    .sum().item()
            }
        }
        return agreed / Double(count)
    }

    public func evaluate(at _: Int, group _: any ProcessGroup) throws -> [Scalar] {
        [Scalar("two_afc", try twoAlternativeScore { try self.lpips($0, $1) })]
    }

    // MARK: files

    var modules: [(String, Module)] { lpips.lins.enumerated().map { ("lin\($0.offset)", $0.element) } + [("rank", rank)] }

    public func saveState(to path: String, iteration: Int) throws {
        try TrainingCheckpoint.save(modules: modules, optimizer: optimizer, config: config, iteration: iteration,
                                    to: path)
    }

    public func loadState(from path: String) throws -> Int? {
        try TrainingCheckpoint.load(modules: modules, optimizer: optimizer, config: config, from: path)
    }

    /// The linear layers as `LPIPS(testbed:linearLayers:)` reads them: `lin{k}.model.1.weight`, float32 (they are
    /// a few hundred values), with the trunk's width in the metadata.
    public func exportWeights(to path: String) throws {
        var tensors: [String: Tensor] = [:]
        for (k, lin) in lpips.lins.enumerated() { tensors["lin\(k).model.1.weight"] = try lin.conv.weight.detach().to(device: .cpu) }
        let width = lpips.lins.first.map { $0.conv.weight.size(1) } ?? 0
        try Safetensors.write(tensors, metadata: ["trunk": "testbed attribute classifier", "trunk_width": String(width)],
                              to: path)
    }
}

extension PerceptualCalibrator: PerceptionTrainer {
    public var configuration: any Encodable { config }

    /// 2AFC agreement of the calibrated distance, of the uncalibrated one (all layer weights one) and of the pixels'
    /// mean squared error, on the same test triplets.
    public func testReport() throws -> [Scalar] {
        guard let classifier = lpips.net as? ResNet18Classifier else { return [] }
        let uncalibrated = try LPIPS(testbed: classifier)
        return [Scalar("two_afc", try twoAlternativeScore { try self.lpips($0, $1) }),
                Scalar("two_afc_uncalibrated", try twoAlternativeScore { try uncalibrated($0, $1) }),
                Scalar("two_afc_l2", try twoAlternativeScore { try ($0 - $1).square().mean([1, 2, 3]) })]
    }
}
