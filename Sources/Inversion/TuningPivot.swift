import Encoders
import Foundation
import Images
import StyleGAN
import Torch

/// Where a tuning method's pivot comes from: an encoder's W+ code (GANI's e4e, the encoder+ methods) or a
/// projection of the target (PTI's W projector, GANI's stand-in W+ projector).
public enum TuningPivot {
    case encoder(any InversionEncoder, options: EncodingOptions, label: String)
    case projection(Projector.Options, loss: ImageLoss, note: String?)

    /// The pivot w+ [1, L, D] for `target`, with what made it (for the inversion record).
    func make(for target: Tensor, generator g: StyleGAN2Generator, control: InversionControl) throws
        -> (pivot: Tensor, record: [String: String])
    {
        switch self {
        case .encoder(let encoder, let options, let label):
            let output = try withInferenceMode { try encoder.encode(encoderInput(target, for: encoder), generator: g, options: options) }
            guard output.feature == nil else {
                throw InversionError.invalidOption("\(encoder.method) inverts into F space: its code alone is no tuning pivot")
            }
            try control.report(.pivot, 1, of: 1)
            var record = ["pivot": "encoder \(label)"]
            for (key, value) in try encoder.settings(options) { record["pivot.\(key)"] = value }
            return (try output.wPlus.detach().clone(), record)
        case .projection(let options, let loss, let note):
            let result = try Projector(generator: g, loss: loss, options: options).project(target) { step, value, image in
                try control.report(.pivot, step, of: options.steps, loss: value, image: image)
            }
            var record = ["pivot": options.wPlus ? "projector-w+" : "projector-w", "pivot.projector": try jsonString(options),
                          "pivot.losses": loss.description]
            if let note { record["pivot.note"] = note }
            return (result.wPlus, record)
        }
    }
}
