import Foundation
import StyleGAN
import Torch

/// The projector methods (StyleGAN2 projector in W+ or W, Image2StyleGAN) as an `Inverter`.
public struct ProjectorInverter: Inverter {
    public let method: InversionMethod
    public let generator: StyleGAN2Generator
    public let options: Projector.Options
    /// Terms besides the MSE (which `options.mse` weighs, on the 256-pooled images as the reference).
    public let loss: ImageLoss

    public init(method: InversionMethod, generator: StyleGAN2Generator, options: Projector.Options, loss: ImageLoss) {
        self.method = method
        self.generator = generator
        self.options = options
        self.loss = loss
    }

    public func invert(_ target: Tensor, control: InversionControl) throws -> InversionOutcome {
        let started = Date()
        let result = try Projector(generator: generator, loss: loss, options: options).project(target) { step, value, image in
            try control.report(.optimization, step, of: options.steps, loss: value, image: image)
        }
        var terms = loss.terms.filter { $0.weight != 0 }.map(\.label)
        if options.mse > 0 { terms.insert("l2", at: 0) }
        return InversionOutcome(method: method, wPlus: result.wPlus, noiseMaps: result.noiseMaps, image: result.image,
                                lossCurve: result.lossCurve, timings: [.optimization: Date().timeIntervalSince(started)],
                                record: ["projector": try jsonString(options), "losses": terms.joined(separator: ",")])
    }
}

/// A Codable value as compact JSON with sorted keys, as inversion records keep options.
func jsonString(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
