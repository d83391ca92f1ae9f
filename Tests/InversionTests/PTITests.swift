import Foundation
import Inversion
import Perception
import StyleGAN
import TestSupport
import Testing
import Torch

@Suite("PTI")
struct PTITests {
    init() throws { try Runtime.start() }

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
    }

    @Test func referenceOptionsAreThePublishedOnes() throws {
        let o = PTI.Options.reference
        #expect(o.steps == 350 && o.lr == 3e-4 && o.lpipsThreshold == 0.06)
        #expect(!o.locality && o.localityAlpha == 30 && o.localityWeight == 0.1 && o.localitySamples == 1)
        #expect(o.localityInterval == 1 && o.localityTruncation == 0.5)
        #expect(o.projector.steps == 450 && o.projector.lr == 0.01 && o.projector.meanSamples == 600)
        #expect(!o.projector.wPlus && o.projector.optimizeNoise)
        #expect(PTI.Options.regularized.locality)
        let back = try JSONDecoder().decode(PTI.Options.self, from: JSONEncoder().encode(PTI.Options.regularized))
        #expect(back == .regularized)
    }

    /// 100 steps (of the published 350) at the published learning rate, MSE only.
    @Test(arguments: [0, 1]) func tuningBeatsTheProjector(_ index: Int) throws {
        let c = try TuningFixture.cases()[index]
        let loaded = try TuningFixture.generator()
        var options = PTI.Options.reference
        options.steps = 100
        let result = try PTI(generator: loaded, loss: ImageLoss(terms: [ImageLoss.l2()]), options: options)
            .tune(target: c.target, pivot: c.pivot)
        let l2 = try TuningFixture.l2(result.image, c.target)
        print("PTI on \(c.name): L2 projector \(c.projectorL2) -> PTI \(l2), locality PSNR \(result.localityPSNR) dB")
        #expect(l2 < 0.2 * c.projectorL2, "\(c.name): PTI \(l2) vs projector \(c.projectorL2)")
        #expect(result.steps == 100 && result.lossCurve.count == 100)
        #expect(try #require(result.lossCurve.last) < #require(result.lossCurve.first))
        // Every synthesis parameter moves, the mapping never does, and the given generator is untouched.
        let synthesis = loaded.generator.namedParameters().filter { !$0.name.hasPrefix("style.") }
        #expect(Set(result.deltas.keys) == Set(synthesis.map(\.name)))
        #expect(try maxAbsDifference(loaded.generator.synthesis(c.pivot), TuningFixture.generator().generator.synthesis(c.pivot)) == 0)
        try expectClose(result.generator.synthesis(c.pivot), result.image, tol: 0, "tuned generator's image")
    }

    /// The regulariser keeps the tuned generator closer to the frozen one away from the pivot.
    @Test func localityRegularizerKeepsTheGeneratorCloser() throws {
        let c = try TuningFixture.cases()[0]
        let loaded = try TuningFixture.generator()
        var options = PTI.Options.reference
        options.steps = 100
        let loss = ImageLoss(terms: [ImageLoss.l2()])
        let plain = try PTI(generator: loaded, loss: loss, options: options).tune(target: c.target, pivot: c.pivot)
        options.locality = true
        let regularized = try PTI(generator: loaded, loss: loss, options: options).tune(target: c.target, pivot: c.pivot)
        print("PTI locality PSNR \(plain.localityPSNR) dB without the regulariser, \(regularized.localityPSNR) dB with it; "
            + "L2 \(try TuningFixture.l2(plain.image, c.target)) vs \(try TuningFixture.l2(regularized.image, c.target))")
        #expect(regularized.localityPSNR > plain.localityPSNR + 2)
        #expect(try TuningFixture.l2(regularized.image, c.target) < c.projectorL2)
    }

    /// The LPIPS threshold is checked before each update (with the fixture's random-backbone LPIPS).
    @Test func lpipsThresholdStopsTheTuning() throws {
        let c = try TuningFixture.cases()[1]
        let loaded = try TuningFixture.generator()
        let lpips = try LPIPS(network: .alex, backbone: Fixtures.path("lpips-alex/alexnet_backbone.pt"))
        var options = PTI.Options.reference
        options.steps = 3
        options.lpipsThreshold = 1e9
        let stopped = try PTI(generator: loaded, loss: PTI.referenceLoss(lpips: lpips), options: options)
            .tune(target: c.target, pivot: c.pivot)
        #expect(stopped.steps == 0 && stopped.lossCurve.count == 1 && stopped.deltas.isEmpty)
        try expectClose(stopped.image, loaded.generator.synthesis(c.pivot), tol: 0, "untuned image")
        options.lpipsThreshold = nil
        let ran = try PTI(generator: loaded, loss: PTI.referenceLoss(lpips: lpips), options: options)
            .tune(target: c.target, pivot: c.pivot)
        #expect(ran.steps == 3 && !ran.deltas.isEmpty)
    }

    /// The pivot and additive deltas written to an inversion file render the tuned image again.
    @Test func additiveDeltasRoundTripThroughTheInversionFile() throws {
        let c = try TuningFixture.cases()[0]
        let loaded = try TuningFixture.generator()
        var options = PTI.Options.reference
        options.steps = 10
        options.evaluationSamples = 0
        let result = try PTI(generator: loaded, loss: ImageLoss(terms: [ImageLoss.l2()]), options: options)
            .tune(target: c.target, pivot: c.pivot)
        let sha = try TuningFixture.sha256()
        let path = Self.temporary("pti.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try result.inversionFile(generatorSHA256: sha, options: options, seconds: 1).write(to: path)
        let back = try InversionFile.read(path)
        #expect(back.metadata.method == "pti" && back.metadata.options["steps"] == "10")
        #expect(back.metadata.options["locality"] == "false")
        #expect(back.deltas?.kind == .additive && back.deltas?.tensors.count == result.deltas.count)
        try expectClose(loaded.render(back, generatorSHA256: sha), result.image, tol: 1e-5, "rendered PTI inversion")
        // The file's code is a pivot for another tuning; an inversion with deltas is not.
        try expectClose(InversionFile(wPlus: back.wPlus, metadata: back.metadata).tuningPivot(), c.pivot, tol: 0, "pivot")
        #expect(throws: TorchError.self) { try back.tuningPivot() }
    }

    @Test func wrongInputsAreRejected() throws {
        let c = try TuningFixture.cases()[0]
        let pti = PTI(generator: try TuningFixture.generator(), loss: ImageLoss(terms: [ImageLoss.l2()]))
        #expect(throws: TorchError.self) { try pti.tune(target: c.target.repeat([2, 1, 1, 1]), pivot: c.pivot) }
        #expect(throws: TorchError.self) { try pti.tune(target: c.target, pivot: Tensor.zeros([1, 7])) }
    }
}
