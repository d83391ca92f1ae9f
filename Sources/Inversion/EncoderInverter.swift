import Encoders
import Foundation
import Images
import StyleGAN
import Torch

/// A published encoder (pSp, e4e, ReStyle, E2Style, Feature-Style, CLCAE) as an `Inverter`: one forward pass,
/// rendered with the generator's fixed noise (and the F-space feature where the encoder gives one).
public struct EncoderInverter: Inverter {
    public let method: InversionMethod
    public let encoder: any InversionEncoder
    public let options: EncodingOptions
    public let generator: StyleGAN2Generator
    /// How the inversion record names the encoder (its file).
    public let label: String

    public init(method: InversionMethod, encoder: any InversionEncoder, options: EncodingOptions = EncodingOptions(),
                generator: StyleGAN2Generator, label: String) throws
    {
        guard method.encoderMethod == encoder.method else {
            throw InversionError.invalidOption("\(label): this is a \(encoder.method) encoder, not \(method.rawValue)")
        }
        _ = try encoder.settings(options)
        self.method = method
        self.encoder = encoder
        self.options = options
        self.generator = generator
        self.label = label
    }

    public func invert(_ target: Tensor, control: InversionControl) throws -> InversionOutcome {
        try control.checkCancelled()
        let started = Date()
        let (output, image) = try withInferenceMode {
            let output = try encoder.encode(encoderInput(target, for: encoder), generator: generator, options: options)
            return (output, try generator.synthesis(output.wPlus, noise: .const, feature: output.feature))
        }
        try control.report(.encoding, 1, of: 1)
        var record = ["encoder": label]
        for (key, value) in try encoder.settings(options) { record[key] = value }
        return InversionOutcome(method: method, wPlus: output.wPlus, feature: output.feature, image: image,
                                timings: [.encoding: Date().timeIntervalSince(started)], record: record)
    }
}

/// The target [1, 3, S, S] as `encoder` takes it: resampled as the method's official inference does.
func encoderInput(_ target: Tensor, for encoder: any InversionEncoder) throws -> Tensor {
    try encoder.prepareInput(target)
}
