import Foundation
import StyleGAN
import Torch

/// PTI and GANI (and their encoder-pivot forms) as an `Inverter`: a pivot, then the generator tuned around it.
public struct TuningInverter: Inverter {
    public enum Algorithm {
        case pti(PTI.Options, loss: ImageLoss)
        case gani(GANI.Options, loss: ImageLoss)
    }

    public let method: InversionMethod
    public let generator: LoadedGenerator
    public let pivot: TuningPivot
    public let algorithm: Algorithm

    public init(method: InversionMethod, generator: LoadedGenerator, pivot: TuningPivot, algorithm: Algorithm) {
        self.method = method
        self.generator = generator
        self.pivot = pivot
        self.algorithm = algorithm
    }

    public func invert(_ target: Tensor, control: InversionControl) throws -> InversionOutcome {
        var started = Date()
        let (code, pivotRecord) = try pivot.make(for: target, generator: generator.generator, control: control)
        let pivotSeconds = Date().timeIntervalSince(started)
        started = Date()
        let report = { (total: Int) in
            { (_: TuningStage, step: Int, value: Double, image: Tensor) throws in
                try control.report(.tuning, step, of: total, loss: value, image: image)
            }
        }
        var outcome: InversionOutcome
        switch algorithm {
        case .pti(let options, let loss):
            let result = try PTI(generator: generator, loss: loss, options: options)
                .tune(target: target, pivot: code, progress: report(options.steps))
            outcome = InversionOutcome(method: method, wPlus: result.pivot, deltas: (.additive, result.deltas), image: result.image,
                                       lossCurve: result.lossCurve, record: try Tuning.metadata(options))
            outcome.record["losses"] = loss.description
            outcome.record["updates"] = "\(result.steps)"
        case .gani(let options, let loss):
            let result = try GANI(generator: generator, imageLoss: loss, options: options)
                .tune(target: target, pivot: code, progress: report(options.steps))
            outcome = InversionOutcome(method: method, wPlus: result.pivot, deltas: (.multiplicative, result.deltas),
                                       image: result.image, lossCurve: result.lossCurve, record: try Tuning.metadata(options))
            outcome.record["losses"] = loss.description
        }
        outcome.timings = [.pivot: pivotSeconds, .tuning: Date().timeIntervalSince(started)]
        outcome.record.merge(pivotRecord) { $1 }
        return outcome
    }
}
